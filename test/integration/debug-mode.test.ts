// "-d": HAProxy's debug mode prints each stream's events on stdout (accept, request and
// response heads, closes) with the stream's number and both sides' file descriptors; the
// lines are compared in shape with HAProxy 2.6's for an HTTP and a TCP frontend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tempDir, writeConfig, freePort, replyServer, waitListening, sleep, TURNPIKE, until } from './harness.ts';

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, headers: { 'x-test': 'yes' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    r.on('error', reject);
    r.end();
  });
}

test('-d prints the accept, the request and response heads and the closes of each stream', async () => {
  const dir = tempDir();
  const backend = await replyServer(() => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-reply: 1\r\n\r\nok');
  const [web, tcp] = [await freePort(), await freePort()];
  const cfg = writeConfig(dir.path, `
global
  nbthread 1
defaults
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend web
  mode http
  bind 127.0.0.1:${web}
  default_backend be
frontend raw
  mode tcp
  bind 127.0.0.1:${tcp}
  default_backend tbe
backend be
  mode http
  server s1 127.0.0.1:${backend.port}
backend tbe
  mode tcp
  server s1 127.0.0.1:${backend.port}
`);
  const proc = spawn(TURNPIKE, ['-d', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  try {
    assert.ok(await waitListening(proc.pid!, [web, tcp]), 'turnpike -d did not listen');
    assert.equal(await get(web, '/path?q=1'), 200);
    const c = connect(tcp, '127.0.0.1');
    c.on('data', () => c.end());
    await new Promise((r) => c.on('close', r));
    assert.ok(await until(() => /tbe\.closed/.test(out), 3000), out);
    await sleep(50);
    const lines = out.split('\n');
    assert.equal(lines[0], 'Using epoll() as the polling mechanism.');
    const fd = '[0-9a-f]{4}';
    const id = '[0-9a-f]{8}';
    const expected = [
      new RegExp(`^(${id}):web\\.accept\\(${fd}\\)=(${fd}) from \\[127\\.0\\.0\\.1:\\d+\\] ALPN=<none>$`),
      new RegExp(`^${id}:web\\.clireq\\[${fd}:ffffffff\\]: GET /path\\?q=1 HTTP/1\\.1$`),
      new RegExp(`^${id}:web\\.clihdr\\[${fd}:ffffffff\\]: x-test: yes$`),
      new RegExp(`^${id}:be\\.srvrep\\[${fd}:${fd}\\]: HTTP/1\\.1 200 OK$`),
      new RegExp(`^${id}:be\\.srvhdr\\[${fd}:${fd}\\]: x-reply: 1$`),
      new RegExp(`^${id}:be\\.clicls\\[${fd}:${fd}\\]$`),
      new RegExp(`^${id}:be\\.srvcls\\[${fd}:${fd}\\]$`),
      new RegExp(`^${id}:be\\.closed\\[${fd}:${fd}\\]$`),
      new RegExp(`^${id}:raw\\.accept\\(${fd}\\)=${fd} from \\[127\\.0\\.0\\.1:\\d+\\] ALPN=<none>$`),
      new RegExp(`^${id}:tbe\\.closed\\[${fd}:(${fd})\\]$`),
    ];
    for (const re of expected) assert.ok(lines.some((l) => re.test(l)), `no line matching ${re}:\n${out}`);
    // One number per stream: the HTTP exchange and the TCP connection differ.
    const ids = new Set(lines.filter((l) => /^[0-9a-f]{8}:/.test(l)).map((l) => l.slice(0, 8)));
    assert.equal(ids.size, 2, out);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    await backend.close();
    dir.cleanup();
  }
});
