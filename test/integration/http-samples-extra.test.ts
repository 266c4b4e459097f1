// json_query, jwt_verify, res.body and normalize-uri end to end through the real process:
// what the client gets and what the server receives. TURNPIKE_BIN=/usr/sbin/haproxy runs the
// same tests against HAProxy 2.6.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { ask, tempDir, writeConfig, startTurnpike, freePort, REFERENCE, type RunningProxy } from './harness.ts';

/** The data of a complete chunked body; throws when it is not one. */
function dechunk(body: string): string {
  let out = '';
  for (let at = 0; ;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.slice(at, eol), 16);
    assert.ok(eol > at && Number.isFinite(size), `chunk size at ${at}`);
    if (size === 0) {
      assert.equal(body.slice(eol), '\r\n\r\n');
      return out;
    }
    out += body.slice(eol + 2, eol + 2 + size);
    assert.equal(body.slice(eol + 2 + size, eol + 4 + size), '\r\n');
    at = eol + 4 + size;
  }
}

const b64 = (b: string | Buffer): string => Buffer.from(b).toString('base64url');

function hs256(payload: object, secret: string): string {
  const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify(payload))}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}

describe('json_query, JWT, res.body and normalize-uri end to end', () => {
  const dir = tempDir();
  let tp: RunningProxy;
  let backend: Server;
  /** Request lines the server received. */
  const seen: string[] = [];
  let port = 0;
  let normPort = 0;
  let resPort = 0;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pubPath = join(dir.path, 'jwt.pub');

  before(async () => {
    writeFileSync(pubPath, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    backend = createServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        const line = buf.slice(0, buf.indexOf('\r\n'));
        seen.push(line);
        if (line.includes('/slow')) {
          // Head first, the chunked body later, in two pieces.
          s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
          setTimeout(() => s.write('4\r\nthe \r\n'), 100);
          setTimeout(() => s.end('b\r\nsecret word\r\n0\r\n\r\n'), 200);
          return;
        }
        if (line.includes('/never')) {
          s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'); // the rest never comes
          return;
        }
        const body = line.includes('/secret') ? 'the secret word' : 'nothing to see';
        s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const bport = (backend.address() as AddressInfo).port;
    [port, normPort, resPort] = [await freePort(), await freePort(), await freePort()];
    const cfg = `global
  expose-experimental-directives
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  option http-buffer-request
  http-request deny deny_status 401 if { path_beg /hs/ } !{ http_auth_bearer,jwt_verify('HS256','s3cret') -m int 1 }
  http-request deny deny_status 401 if { path_beg /rs/ } !{ http_auth_bearer,jwt_verify('RS256','${pubPath}') -m int 1 }
  http-request set-var(txn.sub) http_auth_bearer,jwt_payload_query('$.sub')
  http-request return status 200 content-type text/plain lf-string "sub=%[var(txn.sub)]" if { path_beg /hs/ } || { path_beg /rs/ }
  http-request set-var(txn.user) req.body,json_query('$.user') if { path /json }
  http-request set-var(txn.n) req.body,json_query('$.n','int'),add(1) if { path /json }
  http-request set-var(txn.dot) req.body,json_query('$.my\\\\.key') if { path /json }
  http-request return status 200 content-type text/plain lf-string "user=%[var(txn.user)] n=%[var(txn.n)] dot=%[var(txn.dot)]" if { path /json }
  default_backend be
frontend norm
  bind 127.0.0.1:${normPort}
  http-request normalize-uri path-merge-slashes
  http-request normalize-uri path-strip-dotdot
  http-request normalize-uri query-sort-by-name
  http-request normalize-uri percent-decode-unreserved strict
  default_backend be
frontend res
  bind 127.0.0.1:${resPort}
  http-response wait-for-body time 2s
  http-response set-header x-secret found if { res.body -m sub secret }
  http-response set-header x-body-len %[res.body_len]
  default_backend be
backend be
  server s 127.0.0.1:${bport}
`;
    tp = await startTurnpike(writeConfig(dir.path, cfg), [port, normPort, resPort]);
  });

  after(async () => {
    await tp?.stop();
    backend?.close();
    dir.cleanup();
  });

  test('jwt_verify in an ACL: a good HS256 token passes, a tampered one is denied', async () => {
    const good = hs256({ sub: 'alice' }, 's3cret');
    const [h, , sig] = good.split('.');
    const tampered = `${h}.${b64('{"sub":"mallory"}')}.${sig}`;
    const ok = await ask(port, `GET /hs/x HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${good}`);
    assert.match(ok, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(ok, /\r\n\r\nsub=alice$/);
    assert.match(await ask(port, `GET /hs/x HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${tampered}`), /^HTTP\/1\.1 401 /);
    assert.match(await ask(port, `GET /hs/x HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${hs256({ sub: 'a' }, 'other')}`), /^HTTP\/1\.1 401 /);
    assert.match(await ask(port, 'GET /hs/x HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 401 /);
  });

  test('jwt_verify with an RS256 public key read at load time', async () => {
    const input = `${b64('{"alg":"RS256"}')}.${b64('{"sub":"bob"}')}`;
    const token = `${input}.${b64(sign('sha256', Buffer.from(input), rsa.privateKey))}`;
    assert.match(await ask(port, `GET /rs/x HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}`), /\r\n\r\nsub=bob$/);
    assert.match(await ask(port, `GET /rs/x HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${hs256({ sub: 'bob' }, 's3cret')}`), /^HTTP\/1\.1 401 /);
  });

  test('json_query on the request body', async () => {
    const body = '{"user":"carol","n":41,"my.key":"dotted"}';
    const out = await ask(port, `POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}`, body);
    assert.match(out, /\r\n\r\nuser=carol n=42 dot=dotted$/);
  });

  test('normalize-uri: the server sees the normalized request line; a strict refusal reaches nobody', async () => {
    const n = seen.length;
    assert.match(await ask(normPort, 'GET //a//b/../%63?z=1&y=2&%61=0 HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(seen[n], 'GET /a/c?a=0&y=2&z=1 HTTP/1.1');
    assert.match(await ask(normPort, 'GET /x/%zz HTTP/1.1\r\nhost: x'), /^HTTP\/1\.1 400 Bad request\r\n/);
    assert.equal(seen.length, n + 1, 'the server did not get the refused request');
  });

  test('res.body in an http-response ACL after wait-for-body', async () => {
    const hit = await ask(resPort, 'GET /secret HTTP/1.1\r\nhost: x');
    assert.match(hit, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(hit, /\r\nx-secret: found\r\n/);
    assert.match(hit, /\r\nx-body-len: 15\r\n/);
    assert.match(hit, /\r\n\r\nthe secret word$/);
    const miss = await ask(resPort, 'GET /other HTTP/1.1\r\nhost: x');
    assert.doesNotMatch(miss, /x-secret/);
    assert.match(miss, /\r\nx-body-len: 14\r\n/);
  });

  test('wait-for-body waits for a chunked body arriving after the head, then forwards it whole', async () => {
    const r = await ask(resPort, 'GET /slow HTTP/1.1\r\nhost: x');
    assert.match(r, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r, /\r\nx-secret: found\r\n/);
    assert.match(r, /\r\nx-body-len: 15\r\n/);
    // HAProxy re-chunks what it buffered as one chunk, Turnpike forwards the server's chunks: same body.
    assert.equal(dechunk(r.slice(r.indexOf('\r\n\r\n') + 4)), 'the secret word');
  });

  test('wait-for-body gives up with a 504 when the body does not come in time', async () => {
    const t0 = Date.now();
    const r = await ask(resPort, 'GET /never HTTP/1.1\r\nhost: x');
    assert.match(r, /^HTTP\/1\.1 504 Gateway Time-out\r\n/);
    assert.ok(Date.now() - t0 >= 1900, 'after the rule time (2s)');
  });
});
