// unique-id-format / unique-id-header / the unique-id fetch / %ID: one identifier per HTTP
// request (the same in the header the server gets, in rules and in the log line) and per TCP
// connection (built for the log line); config errors worded as haproxy -c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tempDir, writeConfig, freePort, startTurnpike, runTurnpike, until } from './harness.ts';

function get(port: number, path: string): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    r.on('error', reject);
    r.end();
  });
}

test('unique IDs reach the server, the rules and the logs', async () => {
  const dir = tempDir();
  const seen: string[] = [];
  const backend = createServer((req, res) => {
    seen.push(String(req.headers['x-unique-id']));
    res.end('ok');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const bport = (backend.address() as AddressInfo).port;
  const sink = createSocket('udp4');
  const lines: string[] = [];
  sink.on('message', (m) => lines.push(m.toString('latin1')));
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const [web, tcp] = [await freePort(), await freePort()];
  const tp = await startTurnpike(writeConfig(dir.path, `
global
  nbthread 1
defaults
  log 127.0.0.1:${sink.address().port} local0
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend web
  mode http
  bind 127.0.0.1:${web}
  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
  unique-id-header X-Unique-ID
  log-format "web id=%ID path=%HP"
  http-after-response set-header X-Seen-Id %[unique-id]
  default_backend be
frontend raw
  mode tcp
  bind 127.0.0.1:${tcp}
  unique-id-format tcp-%rt-%[src]
  log-format "raw id=%ID"
  default_backend be_tcp
backend be
  mode http
  server s1 127.0.0.1:${bport}
backend be_tcp
  mode tcp
  server s1 127.0.0.1:${bport}
`), [web, tcp]);
  try {
    const a = await get(web, '/one');
    const b = await get(web, '/two');
    assert.equal(seen.length, 2);
    // The format: hex client address and port, frontend address and port, date, counter, pid.
    assert.match(seen[0]!, /^7F000001:[0-9A-F]+_7F000001:[0-9A-F]+_[0-9A-F]+_[0-9A-F]+:[0-9A-F]+$/);
    assert.equal(a['x-seen-id'], seen[0]);
    assert.equal(b['x-seen-id'], seen[1]);
    assert.notEqual(seen[0], seen[1]);
    const c = connect(tcp, '127.0.0.1');
    c.end('GET / HTTP/1.0\r\n\r\n');
    c.resume();
    await new Promise((r) => c.on('close', r));
    assert.ok(await until(() => lines.length >= 3, 5000), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`web id=${seen[0]} path=/one`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`web id=${seen[1]} path=/two`)), lines.join('\n'));
    assert.ok(lines.some((l) => /raw id=tcp-\d+-127\.0\.0\.1/.test(l)), lines.join('\n'));
  } finally {
    await tp.stop();
    backend.close();
    sink.close();
    dir.cleanup();
  }
});

test('unique-id-format errors are worded as haproxy -c', () => {
  const dir = tempDir();
  try {
    const cfg = writeConfig(dir.path, `
defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
frontend f
  bind 127.0.0.1:1
  unique-id-format
  unique-id-header
  unique-id-format a b
  default_backend b
frontend g
  bind 127.0.0.1:2
  unique-id-format %[res.hdr(x)]
  default_backend b
backend b
  server s 127.0.0.1:80
`);
    const r = runTurnpike(['-c', '-f', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /test\.cfg:9\] : unique-id-format expects an argument\./);
    assert.match(r.stderr, /test\.cfg:10\] : unique-id-header expects an argument\./);
    assert.match(r.stderr, /test\.cfg:11\] : unique-id-format expects only one argument, don't forget to escape spaces!/);
  } finally {
    dir.cleanup();
  }
});
