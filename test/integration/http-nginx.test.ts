// HTTP mode in front of Debian's nginx, driven by curl: server-side connection reuse is read
// from nginx itself ($connection, $connection_requests), per-request balancing across two nginx
// servers, and cookie persistence sticking to one of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeConfig, startTurnpike, freePort, canConnect, type RunningProxy } from './harness.ts';

const NGINX = '/usr/sbin/nginx';
const skip = !existsSync(NGINX) && 'nginx is not installed';

const dir = tempDir();
let nginx: ChildProcess | null = null;
let tp: RunningProxy | null = null;
const port: Record<string, number> = {};

/** curl with keep-alive over several URLs in one process (one client connection). */
function curl(args: string[]): string {
  const r = spawnSync('curl', ['-s', '--max-time', '10', ...args], { encoding: 'utf8', timeout: 15_000 });
  return r.stdout;
}

before(async () => {
  if (skip) return;
  for (const n of ['n1', 'n2', 'ka', 'rr', 'ck']) port[n] = await freePort();
  const root = join(dir.path, 'nginx');
  mkdirSync(join(root, 'logs'), { recursive: true });
  const server = (p: number, name: string): string => `  server { listen 127.0.0.1:${p}; keepalive_requests 10000;
    location / { add_header X-Server ${name}; add_header X-Conn $connection; add_header X-Conn-Req $connection_requests; return 200 "${name}\\n"; } }\n`;
  writeFileSync(join(root, 'nginx.conf'), `daemon off;\nworker_processes 1;\npid ${root}/nginx.pid;\nerror_log ${root}/logs/error.log;\n`
    + `events { worker_connections 256; }\nhttp {\n  access_log off;\n  client_body_temp_path ${root};\n  proxy_temp_path ${root};\n  fastcgi_temp_path ${root};\n  uwsgi_temp_path ${root};\n  scgi_temp_path ${root};\n`
    + server(port.n1!, 'n1') + server(port.n2!, 'n2') + '}\n');
  nginx = spawn(NGINX, ['-p', root, '-c', join(root, 'nginx.conf')], { stdio: 'ignore' });
  for (const p of [port.n1!, port.n2!]) assert.ok(await waitConnect(p), 'nginx listens');
  const cfg = `defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n`
    + `listen ka\n  bind 127.0.0.1:${port.ka}\n  server n1 127.0.0.1:${port.n1}\n`
    + `listen rr\n  bind 127.0.0.1:${port.rr}\n  balance roundrobin\n  server n1 127.0.0.1:${port.n1}\n  server n2 127.0.0.1:${port.n2}\n`
    + `listen ck\n  bind 127.0.0.1:${port.ck}\n  balance roundrobin\n  cookie SRV insert indirect nocache\n  server n1 127.0.0.1:${port.n1} cookie a\n  server n2 127.0.0.1:${port.n2} cookie b\n`;
  tp = await startTurnpike(writeConfig(dir.path, cfg), [port.ka!, port.rr!, port.ck!]);
});

async function waitConnect(p: number): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await canConnect(p)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

after(async () => {
  await tp?.stop();
  nginx?.kill('SIGTERM');
  dir.cleanup();
});

test('keep-alive on both sides: nginx sees one connection for ten requests of one client', { skip }, () => {
  const urls = Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${port.ka}/r${i}`);
  const out = curl(['-D', '-', '-o', '/dev/null', ...urls]);
  const conns = new Set([...out.matchAll(/^x-conn: (\d+)\r$/gim)].map((m) => m[1]));
  const reqs = [...out.matchAll(/^x-conn-req: (\d+)\r$/gim)].map((m) => Number(m[1]));
  assert.equal(reqs.length, 10, out);
  assert.equal(conns.size, 1, `server connections: ${[...conns].join(',')}`);
  assert.deepEqual(reqs, reqs.map((_, i) => reqs[0]! + i), 'requests follow each other on that connection');
});

test('roundrobin alternates nginx servers request by request on one client connection', { skip }, () => {
  const urls = Array.from({ length: 6 }, (_, i) => `http://127.0.0.1:${port.rr}/x${i}`);
  const names = curl(urls).trim().split('\n');
  assert.equal(names.length, 6);
  for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], names.join(','));
});

test('cookie insert: the first response sets SRV, later requests with it stick to that server', { skip }, () => {
  const head = curl(['-D', '-', '-o', '/dev/null', `http://127.0.0.1:${port.ck}/`]);
  const m = /^set-cookie: SRV=([ab]); path=\/\r$/im.exec(head);
  assert.ok(m, head);
  const expected = m[1] === 'a' ? 'n1' : 'n2';
  for (let i = 0; i < 4; i++) assert.equal(curl(['-b', `SRV=${m[1]}`, `http://127.0.0.1:${port.ck}/`]).trim(), expected);
});
