// `npm start`: two tiny demo servers on 127.0.0.1:9001/9002, and Turnpike in front of them
// with examples/demo.cfg. Ctrl-C stops everything.
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const servers = [9001, 9002].map((port, i) =>
  createServer((sock) => {
    sock.on('error', () => {});
    sock.end(`Hello from demo server web${i + 1} (port ${port}); you came from ${sock.remoteAddress}:${sock.remotePort}\n`);
  }).listen(port, '127.0.0.1'),
);
const proxy = spawn(`${root}bin/turnpike`, ['-db', '-f', `${root}examples/demo.cfg`], { stdio: 'inherit' });
console.log('Turnpike listens on 127.0.0.1:8080; try: nc 127.0.0.1 8080 (twice)');
const stop = (): void => {
  proxy.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
proxy.on('exit', (code) => {
  for (const s of servers) s.close();
  process.exit(code ?? 0);
});
