// Reference proxy for the HTTP benchmark: the `http-proxy` npm package on Node's
// http server, forwarding every request to one backend over a keep-alive agent.
// It stands for "what a plain Node.js reverse proxy does" in the comparison.
//
//   node bench/node-http-proxy.ts --listen 127.0.0.1:8080 --target 127.0.0.1:8081

import * as http from 'node:http';
import { parseArgs } from 'node:util';
import httpProxy from 'http-proxy';

function hostPort(v: string | undefined, name: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(v ?? '');
  if (!m) throw new Error(`--${name} wants HOST:PORT, got ${JSON.stringify(v)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

const { values } = parseArgs({ options: { listen: { type: 'string' }, target: { type: 'string' } } });
const listen = hostPort(values.listen, 'listen');
const target = hostPort(values.target, 'target');

// Without an agent http-proxy opens a new backend connection per request.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
const proxy = httpProxy.createProxyServer({ target: `http://${target.host}:${target.port}`, agent, xfwd: false });

proxy.on('error', (err, _req, res) => {
  // For web requests `res` is a ServerResponse; a socket only for WebSocket upgrades.
  if (res instanceof http.ServerResponse) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`bad gateway: ${err.message}\n`);
  } else {
    res.destroy();
  }
});

const server = http.createServer((req, res) => proxy.web(req, res));
// Same idle limit as the other proxies' `timeout client 30s`.
server.keepAliveTimeout = 30_000;
server.listen(listen.port, listen.host, () => {
  process.stderr.write(`node-http-proxy: ${listen.host}:${listen.port} -> ${target.host}:${target.port}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    agent.destroy();
    process.exit(0);
  });
}
