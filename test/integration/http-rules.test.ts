// http-request / http-response / http-after-response rules and the redirect keyword, end to
// end through the real process: what the client gets and what the server receives.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { ask, tempDir, writeConfig, startTurnpike, freePort, type RunningProxy } from './harness.ts';

describe('HTTP rules end to end', () => {
  const dir = tempDir();
  let tp: RunningProxy;
  let backend: Server;
  const seen: string[] = [];
  let port = 0;

  before(async () => {
    backend = createServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        seen.push(buf);
        s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-internal: secret\r\nx-version: 1.2\r\n\r\nok');
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const bport = (backend.address() as AddressInfo).port;
    port = await freePort();
    const cfg = `userlist admins
  user alice insecure-password wonderland
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout tarpit 300ms
frontend fe
  bind 127.0.0.1:${port}
  acl is_admin http_auth(admins)
  http-request deny deny_status 429 if { path /deny }
  http-request reject if { path /reject }
  http-request tarpit if { path /tarpit }
  http-request auth realm Admins if { path_beg /admin } !is_admin
  http-request return status 200 content-type text/plain lf-string "hello %[req.hdr(x-name)] on %[path]" hdr x-served-by turnpike if { path /return }
  http-request redirect location /new code 301 if { path /old }
  http-request redirect prefix /v2 drop-query if { path_beg /v1 }
  http-request redirect scheme https code 302 if { path /secure }
  http-request set-var(txn.who) req.hdr(x-name)
  http-request set-header x-who %[var(txn.who)]
  http-request add-header x-added one
  http-request del-header x-remove
  http-request replace-header x-agent (.*)-old \\1-new
  http-request replace-value x-list ^b$ B
  http-request set-method PUT if { path /method }
  http-request set-path /rewritten%[path] if { path_beg /rw }
  http-request set-query q=1 if { path /query }
  http-request replace-path ^/api/(.*) /internal/\\1
  http-response set-header x-resp yes
  http-response del-header x-internal
  http-response replace-value x-version ^1\\.2$ 1.3
  http-response set-status 203 reason Rewritten if { var(txn.who) -m str teapot }
  http-response deny if { var(txn.who) -m str forbidden }
  http-after-response set-header x-after done
  redirect location /from-keyword if { path /kw }
  default_backend be
backend be
  server s 127.0.0.1:${bport}
`;
    tp = await startTurnpike(writeConfig(dir.path, cfg), [port]);
  });

  after(async () => {
    await tp?.stop();
    backend?.close();
    dir.cleanup();
  });

  const last = (): string => seen[seen.length - 1] ?? '';

  test('deny with deny_status, reject, tarpit', async () => {
    const n = seen.length;
    assert.match(await ask(port, 'GET /deny HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    assert.equal(await ask(port, 'GET /reject HTTP/1.1\r\nhost: x'), '');
    const t0 = Date.now();
    assert.match(await ask(port, 'GET /tarpit HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 500 Internal Server Error\r\n/);
    assert.ok(Date.now() - t0 >= 250, 'held for timeout tarpit');
    assert.equal(seen.length, n, 'the server saw none of them');
  });

  test('auth: 401 with the realm, then through with a valid user', async () => {
    assert.match(await ask(port, 'GET /admin HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 401 Unauthorized\r\n[^]*www-authenticate: Basic realm="Admins"\r\n/i);
    const cred = Buffer.from('alice:wonderland').toString('base64');
    assert.match(await ask(port, `GET /admin HTTP/1.1\r\nhost: x\r\nauthorization: Basic ${cred}`), /^HTTP\/1\.1 200 OK\r\n/);
  });

  test('return with a log-format body and a header', async () => {
    const out = await ask(port, 'GET /return HTTP/1.1\r\nhost: x\r\nx-name: bob');
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /\r\nx-served-by: turnpike\r\n/i);
    assert.match(out, /\r\n\r\nhello bob on \/return$/);
  });

  test('redirects: location with code, prefix with drop-query, scheme, the redirect keyword', async () => {
    assert.match(await ask(port, 'GET /old HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 301 Moved Permanently\r\n[^]*location: \/new\r\n/i);
    assert.match(await ask(port, 'GET /v1/items?x=1 HTTP/1.1\r\nhost: x'), /location: \/v2\/v1\/items\r\n/i);
    assert.match(await ask(port, 'GET /secure HTTP/1.1\r\nhost: example.test'), /^HTTP\/1\.1 302 Found\r\n[^]*location: https:\/\/example\.test\/secure\r\n/i);
    assert.match(await ask(port, 'GET /kw HTTP/1.1\r\nhost: x'), /location: \/from-keyword\r\n/i);
  });

  test('header rewrites and variables reach the server', async () => {
    await ask(port, 'GET /h HTTP/1.1\r\nhost: x\r\nx-name: carol\r\nx-remove: 1\r\nx-agent: tool-old\r\nx-list: a, b, c');
    const req = last();
    assert.match(req, /\r\nx-who: carol\r\n/);
    assert.match(req, /\r\nx-added: one\r\n/);
    assert.doesNotMatch(req, /x-remove/);
    assert.match(req, /\r\nx-agent: tool-new\r\n/);
    assert.match(req, /\r\nx-list: a,B, c\r\n/);
  });

  test('method, path, query and URI rewrites', async () => {
    await ask(port, 'GET /method HTTP/1.1\r\nhost: x');
    assert.match(last(), /^PUT \/method HTTP\/1\.1\r\n/);
    await ask(port, 'GET /rw/a?z=2 HTTP/1.1\r\nhost: x');
    assert.match(last(), /^GET \/rewritten\/rw\/a\?z=2 HTTP\/1\.1\r\n/);
    await ask(port, 'GET /query?old=1 HTTP/1.1\r\nhost: x');
    assert.match(last(), /^GET \/query\?q=1 HTTP\/1\.1\r\n/);
    await ask(port, 'GET /api/users HTTP/1.1\r\nhost: x');
    assert.match(last(), /^GET \/internal\/users HTTP\/1\.1\r\n/);
  });

  test('response rules: set/del/replace headers, set-status, deny; after-response on every response', async () => {
    const out = await ask(port, 'GET /r HTTP/1.1\r\nhost: x');
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /\r\nx-resp: yes\r\n/);
    assert.doesNotMatch(out, /x-internal/);
    assert.match(out, /\r\nx-version: 1\.3\r\n/);
    assert.match(out, /\r\nx-after: done\r\n/);
    assert.match(await ask(port, 'GET /t HTTP/1.1\r\nhost: x\r\nx-name: teapot'), /^HTTP\/1\.1 203 Rewritten\r\n/);
    const denied = await ask(port, 'GET /f HTTP/1.1\r\nhost: x\r\nx-name: forbidden');
    assert.match(denied, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(denied, /\r\nx-after: done\r\n/, 'after-response rules also apply to replies');
  });
});
