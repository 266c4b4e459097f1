// "server ... ssl alpn h2,http/1.1": the server chooses the protocol in the TLS handshake and
// Turnpike talks to it in the one it chose (HAProxy picks the mux after the handshake).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { tempDir, writeConfig, freePort, startTurnpike, ask, type RunningProxy } from './harness.ts';
import { makeTestCerts, type TestCerts } from '../unit/protocols/tls-certs.ts';

type Tls = HttpsServer | Http2SecureServer;

/** Answers with the HTTP version the request came in. */
function answer(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  res.setHeader('content-type', 'text/plain');
  res.end(`version=${req.httpVersion}`);
}

/** A TLS server offering h2 and http/1.1 (it picks h2 when the client offers it), or http/1.1 only. */
function tlsServer(certs: TestCerts, h2: boolean, port = 0): Promise<{ server: Tls; port: number }> {
  const opts = { cert: readFileSync(certs.aCrt), key: readFileSync(certs.aKey) };
  const server: Tls = h2
    ? createSecureServer({ ...opts, allowHTTP1: true }, answer)
    : createHttpsServer({ ...opts, ALPNProtocols: ['http/1.1'] }, answer);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function closeServer(s: Tls): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    if ('closeAllConnections' in s) s.closeAllConnections();
  });
}

function get(port: number, path: string): Promise<string> {
  return ask(port, `GET ${path} HTTP/1.1\r\nhost: x`);
}

describe('server alpn h2,http/1.1', () => {
  const dir = tempDir();
  let certs: TestCerts;
  let both: { server: Tls; port: number };
  let h1only: { server: Tls; port: number };
  let tp: RunningProxy;
  let port: number;

  before(async () => {
    certs = makeTestCerts(dir.path);
    both = await tlsServer(certs, true);
    h1only = await tlsServer(certs, false);
    port = await freePort();
    const cfg = writeConfig(dir.path, `
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend f
  bind 127.0.0.1:${port}
  use_backend h1only if { path_beg /h1 }
  default_backend both
backend both
  server s1 127.0.0.1:${both.port} ssl verify none alpn h2,http/1.1
backend h1only
  server s1 127.0.0.1:${h1only.port} ssl verify none alpn h2,http/1.1
`);
    tp = await startTurnpike(cfg, [port]);
  });

  after(async () => {
    await tp?.stop();
    await closeServer(both.server);
    await closeServer(h1only.server);
    dir.cleanup();
  });

  test('a server that chooses h2 gets HTTP/2, from the first request on', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await get(port, '/');
      assert.match(r, /^HTTP\/1\.1 200/);
      assert.match(r, /version=2\.0$/);
    }
  });

  test('a server that chooses http/1.1 gets HTTP/1.1', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await get(port, '/h1');
      assert.match(r, /^HTTP\/1\.1 200/);
      assert.match(r, /version=1\.1$/);
    }
  });

  test('a server that stops choosing h2 gets HTTP/1.1 again, without an error', async () => {
    assert.match(await get(port, '/'), /version=2\.0$/);
    // The same address now answers HTTP/1.1 only: the next connection (opened as HTTP/2) learns it.
    await closeServer(both.server);
    both = await tlsServer(certs, false, both.port);
    const r = await get(port, '/');
    assert.match(r, /^HTTP\/1\.1 200/);
    assert.match(r, /version=1\.1$/);
  });
});
