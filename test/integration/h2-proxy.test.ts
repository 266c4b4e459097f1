// HTTP/2 through the proxy: clients speaking h2 in clear (prior knowledge, "proto h2") and over
// TLS (ALPN), the same rules, error pages and counters as HTTP/1, request bodies with and
// without a length, h2load's multiplexed load, and HTTP/2 to servers ("proto h2") with a
// gRPC-style exchange whose status travels in trailers. Clients: curl (nghttp2), h2load and
// Node's http2 module; servers: Node http/1 and http2 servers started by the test.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as h2connect, createServer as createH2Server, type Http2Server, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { tempDir, writeConfig, freePort, startTurnpike, runTurnpike, type RunningProxy } from './harness.ts';
import { makeTestCerts, type TestCerts } from '../unit/protocols/tls-certs.ts';

interface H2Result {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | null;
  body: Buffer;
}

/** One request on `session`; never hangs (5 s). */
function h2request(session: ClientHttp2Session, headers: Record<string, string>, body: Buffer | null = null, opts: { endWithTrailers?: Record<string, string> } = {}): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === null && !opts.endWithTrailers, waitForTrailers: Boolean(opts.endWithTrailers) });
    const timer = setTimeout(() => { req.close(); reject(new Error('timeout')); }, 5000);
    const chunks: Buffer[] = [];
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | null = null;
    req.on('response', (h) => { head = h; });
    req.on('trailers', (t) => { trailers = t; });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      clearTimeout(timer);
      resolve({ status: Number(head[':status']), headers: head, trailers, body: Buffer.concat(chunks) });
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    if (opts.endWithTrailers) req.on('wantTrailers', () => req.sendTrailers(opts.endWithTrailers!));
    if (body !== null) req.end(body);
    else if (opts.endWithTrailers) req.end();
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** An HTTP/1.1 server answering with what it received: method, path, version, headers and the body's sha256. */
async function echoHttp(): Promise<{ server: HttpServer; port: number }> {
  const server = createHttpServer((req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => { h.update(d); n += d.length; });
    req.on('end', () => {
      const info = JSON.stringify({ method: req.method, url: req.url, version: req.httpVersion, headers: req.headers, trailers: req.trailers, length: n, sha256: h.digest('hex') });
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(info.slice(0, 10));
        res.end(info.slice(10));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'h1', connection: 'keep-alive' });
      res.end(info);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A gRPC-like HTTP/2 server: echoes the request message, status in trailers; counts its connections. */
async function grpcServer(): Promise<{ server: Http2Server; port: number; sessions(): number }> {
  const server = createH2Server();
  let sessions = 0;
  server.on('session', () => { sessions++; });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-path': String(headers[':path']), 'x-te': String(headers.te ?? '') }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      stream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, sessions: () => sessions };
}

/** A gRPC message: compressed flag, 4-byte length, payload. */
function grpcFrame(payload: Buffer): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt32BE(payload.length, 1);
  payload.copy(b, 5);
  return b;
}

describe('HTTP/2 clients', () => {
  const dir = tempDir();
  let certs: TestCerts;
  let backend: { server: HttpServer; port: number };
  let grpc: { server: Http2Server; port: number; sessions(): number };
  let tp: RunningProxy;
  let clear: number;
  let forced: number;
  let tls: number;
  let toGrpc: number;
  let toGrpcPrivate: number;

  before(async () => {
    certs = makeTestCerts(dir.path);
    backend = await echoHttp();
    grpc = await grpcServer();
    [clear, forced, tls, toGrpc, toGrpcPrivate] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const cfg = writeConfig(dir.path, `
global
  stats socket ${dir.path}/cli.sock level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend clear
  bind 127.0.0.1:${clear}
  bind 127.0.0.1:${forced} proto h2
  bind 127.0.0.1:${tls} ssl crt ${certs.certsDir}/a.pem alpn h2,http/1.1
  http-request deny deny_status 403 if { path /deny }
  http-request return status 200 content-type text/plain lf-string "returned %[req.ver]" if { path /return }
  http-request set-header x-proto %[req.ver]
  http-request set-header x-url %[url]
  http-response set-header x-via turnpike
  use_backend grpc if { path_beg /grpc. }
  use_backend dead if { path /dead }
  default_backend web
backend web
  server s1 127.0.0.1:${backend.port}
backend dead
  retries 0
  server s1 127.0.0.1:1
backend grpc
  server g1 127.0.0.1:${grpc.port} proto h2
frontend grpc_direct
  bind 127.0.0.1:${toGrpc} proto h2
  default_backend grpc
frontend grpc_private
  bind 127.0.0.1:${toGrpcPrivate} proto h2
  default_backend grpc_never
backend grpc_never
  http-reuse never
  server g1 127.0.0.1:${grpc.port} proto h2
`);
    tp = await startTurnpike(cfg, [clear, forced, tls, toGrpc, toGrpcPrivate]);
  });

  after(async () => {
    await tp?.stop();
    backend?.server.close();
    grpc?.server.close();
    dir.cleanup();
  });

  test('prior knowledge on a plain bind, and "proto h2": requests go to an HTTP/1.1 server', async () => {
    for (const port of [clear, forced]) {
      const s = h2connect(`http://127.0.0.1:${port}`);
      try {
        const r = await h2request(s, { ':method': 'GET', ':path': '/a?b=c', ':authority': 'example.test', cookie: 'a=1' });
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-via'], 'turnpike');
        assert.equal(r.headers['x-backend'], 'h1');
        assert.equal(r.headers.connection, undefined);
        const info = JSON.parse(r.body.toString());
        assert.equal(info.url, '/a?b=c');
        // As HAProxy: the request's URL is absolute for the rules, origin-form for the server.
        assert.equal(info.headers['x-url'], 'http://example.test/a?b=c');
        assert.equal(info.version, '1.1');
        assert.equal(info.headers.host, 'example.test');
        assert.equal(info.headers['x-proto'], '2.0');
      } finally {
        s.close();
      }
    }
  });

  test('plain HTTP/1.1 still works on the same bind', async () => {
    const r = await run('curl', ['-s', '-i', `http://127.0.0.1:${clear}/h1`]);
    assert.match(r.stdout, /^HTTP\/1\.1 200/);
    assert.match(r.stdout, /"x-proto":"1.1"/);
  });

  test('curl: --http2-prior-knowledge, and --http2 over TLS (ALPN), with HTTP/1.1 still offered by ALPN', async () => {
    const a = await run('curl', ['-s', '-i', '--http2-prior-knowledge', `http://127.0.0.1:${clear}/curl`]);
    assert.match(a.stdout, /^HTTP\/2 200/);
    const b = await run('curl', ['-s', '-i', '-k', '--http2', `https://127.0.0.1:${tls}/tls`]);
    assert.match(b.stdout, /^HTTP\/2 200/);
    assert.match(b.stdout, /x-via: turnpike/);
    const c = await run('curl', ['-s', '-i', '-k', '--http1.1', `https://127.0.0.1:${tls}/tls`]);
    assert.match(c.stdout, /^HTTP\/1\.1 200/);
  });

  test('rules and error pages answer HTTP/2 clients', async () => {
    const s = h2connect(`http://127.0.0.1:${clear}`);
    try {
      const deny = await h2request(s, { ':method': 'GET', ':path': '/deny' });
      assert.equal(deny.status, 403);
      assert.match(deny.body.toString(), /403 Forbidden/);
      const ret = await h2request(s, { ':method': 'GET', ':path': '/return' });
      assert.equal(ret.status, 200);
      assert.equal(ret.body.toString(), 'returned 2.0');
      const dead = await h2request(s, { ':method': 'GET', ':path': '/dead' });
      assert.equal(dead.status, 503);
      // The connection survives its streams' errors.
      const ok = await h2request(s, { ':method': 'GET', ':path': '/after' });
      assert.equal(ok.status, 200);
    } finally {
      s.close();
    }
  });

  test('request bodies: with content-length, without (chunked to the server), 1 MiB under flow control, and a chunked response', async () => {
    const s = h2connect(`http://127.0.0.1:${clear}`);
    try {
      const small = Buffer.from('hello');
      const a = await h2request(s, { ':method': 'POST', ':path': '/post', 'content-length': '5' }, small);
      const ia = JSON.parse(a.body.toString());
      assert.equal(ia.length, 5);
      assert.equal(ia.headers['content-length'], '5');
      const big = Buffer.alloc(1 << 20, 'x');
      const b = await h2request(s, { ':method': 'POST', ':path': '/post' }, big);
      const ib = JSON.parse(b.body.toString());
      assert.equal(ib.length, big.length);
      assert.equal(ib.sha256, createHash('sha256').update(big).digest('hex'));
      assert.equal(ib.headers['transfer-encoding'], 'chunked');
      const c = await h2request(s, { ':method': 'GET', ':path': '/chunked' });
      assert.equal(c.status, 200);
      assert.equal(JSON.parse(c.body.toString()).url, '/chunked');
    } finally {
      s.close();
    }
  });

  test('h2load: 2000 multiplexed requests on 10 connections all succeed', async () => {
    const r = await run('h2load', ['-n', '2000', '-c', '10', '-m', '10', `http://127.0.0.1:${clear}/load`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/);
    assert.match(r.stdout, /status codes: 2000 2xx/);
  });

  test('HTTP/2 to the server ("proto h2"): a gRPC round trip with trailers', async () => {
    const s = h2connect(`http://127.0.0.1:${toGrpc}`);
    try {
      const msg = grpcFrame(Buffer.from('ping'));
      for (let i = 0; i < 3; i++) {
        const r = await h2request(s, { ':method': 'POST', ':path': '/grpc.Echo/Say', 'content-type': 'application/grpc', te: 'trailers' }, msg);
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], 'application/grpc');
        assert.equal(r.headers['x-path'], '/grpc.Echo/Say');
        assert.equal(r.headers['x-te'], 'trailers');
        assert.deepEqual(r.body, msg);
        assert.equal(r.trailers?.['grpc-status'], '0');
        assert.equal(r.trailers?.['grpc-message'], 'ok');
      }
    } finally {
      s.close();
    }
  });

  test('server-side HTTP/2 connections: shared by requests (http-reuse safe), one per request with http-reuse never', async () => {
    const msg = grpcFrame(Buffer.from('x'));
    const headers = { ':method': 'POST', ':path': '/grpc.Echo/Say', 'content-type': 'application/grpc', te: 'trailers' };
    const before = grpc.sessions();
    const s = h2connect(`http://127.0.0.1:${toGrpc}`);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await h2request(s, headers, msg)).trailers?.['grpc-status'], '0');
    } finally {
      s.close();
    }
    // The first request of the client connection opens its own; the next ones share (one at most).
    assert.ok(grpc.sessions() - before <= 1, `${grpc.sessions() - before} server connections for 5 requests`);
    const mid = grpc.sessions();
    const p = h2connect(`http://127.0.0.1:${toGrpcPrivate}`);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await h2request(p, headers, msg)).trailers?.['grpc-status'], '0');
    } finally {
      p.close();
    }
    assert.equal(grpc.sessions() - mid, 3);
  });

  test('a CONNECT towards an HTTP/2 server is refused with 501 (tunnels need an HTTP/1 server connection)', async () => {
    const session = h2connect(`http://127.0.0.1:${toGrpc}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':method': 'CONNECT', ':authority': 'example.test:443' }, { endStream: false });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
      });
      assert.equal(status, 501);
    } finally {
      session.destroy();
    }
  });

  test('an HTTP/1.1 client reaches the HTTP/2 server, trailers go out in the chunked body', async () => {
    const r = await run('curl', ['-s', '-i', '--raw', '-H', 'TE: trailers', '--data-binary', 'abc', `http://127.0.0.1:${clear}/grpc.Echo/Say`]);
    assert.match(r.stdout, /^HTTP\/1\.1 200/);
    assert.match(r.stdout, /transfer-encoding: chunked/i);
    assert.match(r.stdout, /grpc-status: 0/);
  });

  test('rapid reset (CVE-2023-44487): the connection ends with GOAWAY ENHANCE_YOUR_CALM, the proxy goes on', async () => {
    const frame = (type: number, flags: number, id: number, payload: Buffer): Buffer => {
      const h = Buffer.alloc(9);
      h.writeUIntBE(payload.length, 0, 3);
      h[3] = type;
      h[4] = flags;
      h.writeUInt32BE(id, 5);
      return Buffer.concat([h, payload]);
    };
    // GET / over http, :authority "x": static-table indexes and one literal (RFC 7541).
    const block = Buffer.from([0x82, 0x86, 0x84, 0x41, 0x01, 0x78]);
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(0x8, 0);
    const parts = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(0x4, 0, 0, Buffer.alloc(0))];
    for (let id = 1; id < 2 * 3000; id += 2) parts.push(frame(0x1, 0x5, id, block), frame(0x3, 0, id, rst));
    const sock = netConnect(clear, '127.0.0.1');
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('error', () => {});
    sock.write(Buffer.concat(parts));
    await new Promise((r) => { sock.on('close', r); setTimeout(r, 5000); });
    sock.destroy();
    // Find a GOAWAY frame (type 7) and read its error code.
    const all = Buffer.concat(got);
    let code = -1;
    for (let i = 0; i + 9 <= all.length;) {
      const len = all.readUIntBE(i, 3);
      if (all[i + 3] === 0x7 && i + 9 + 8 <= all.length) code = all.readUInt32BE(i + 9 + 4);
      i += 9 + len;
    }
    assert.equal(code, 0xb, 'GOAWAY ENHANCE_YOUR_CALM expected');
    const s = h2connect(`http://127.0.0.1:${clear}`);
    try {
      assert.equal((await h2request(s, { ':method': 'GET', ':path': '/after-flood' })).status, 200);
    } finally {
      s.close();
    }
  });

  test('the stats count HTTP/2 requests like the others', async () => {
    const r = await run('sh', ['-c', `echo "show stat" | socat stdio unix-connect:${dir.path}/cli.sock`]);
    const lines = r.stdout.split('\n');
    const col = lines[0]!.replace(/^# /, '').split(',').indexOf('req_tot');
    const line = lines.find((l) => l.startsWith('clear,FRONTEND,'));
    assert.ok(col > 0 && line, r.stdout);
    // h2load alone sent 2000 requests over HTTP/2.
    assert.ok(Number(line!.split(',')[col]) > 2000, line);
  });
});


describe('HTTP/2 logs', () => {
  test('an HTTP/2 transaction logs its heads like HTTP/1 (%B and %U count them in their HTTP/1.1 form)', async () => {
    const dir = tempDir();
    const backend = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('same body for both'));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const sink = createSocket('udp4');
    const lines: string[] = [];
    sink.on('message', (m) => lines.push(m.toString('latin1').trimEnd()));
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const [h1, h2] = [await freePort(), await freePort()];
    const cfg = writeConfig(dir.path, `global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n`
      + `frontend f\n  bind 127.0.0.1:${h1}\n  bind 127.0.0.1:${h2} proto h2\n  log 127.0.0.1:${(sink.address() as AddressInfo).port} local0\n`
      + `  log-format "%B %U %{+Q}r"\n  default_backend b\nbackend b\n  server s 127.0.0.1:${(backend.address() as AddressInfo).port}\n`);
    const tp = await startTurnpike(cfg, [h1, h2]);
    try {
      await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${h1}/x`]);
      await run('curl', ['-s', '-o', '/dev/null', '--http2-prior-knowledge', `http://127.0.0.1:${h2}/x`]);
      for (let i = 0; i < 60 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      const [a, b] = lines.map((l) => /(\d+) (\d+) "(.*)"$/.exec(l)!);
      assert.ok(a && b, JSON.stringify(lines));
      assert.match(b![3]!, /HTTP\/2\.0$/);
      // The same response: the same bytes out. The request heads differ a little (absolute URI, no connection header).
      assert.equal(b![1], a![1]);
      assert.ok(Number(a![1]) > 'same body for both'.length);
      assert.ok(Math.abs(Number(b![2]) - Number(a![2])) < 30, `${a![2]} vs ${b![2]}`);
    } finally {
      await tp.stop();
      sink.close();
      backend.close();
      dir.cleanup();
    }
  });
});

describe('HTTP/2 malformed requests', () => {
  test('a malformed request is reset (PROTOCOL_ERROR) and logged as HAProxy logs it: <BADREQ>, PR--, status 0', async () => {
    const dir = tempDir();
    const sink = createSocket('udp4');
    const lines: string[] = [];
    sink.on('message', (m) => lines.push(m.toString('latin1').trimEnd()));
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const port = await freePort();
    const cfg = writeConfig(dir.path, `defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n`
      + `frontend f\n  bind 127.0.0.1:${port} proto h2\n  log 127.0.0.1:${(sink.address() as AddressInfo).port} local0\n  option httplog\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`);
    const tp = await startTurnpike(cfg, [port]);
    try {
      const frame = (type: number, flags: number, sid: number, payload: Buffer): Buffer => {
        const h = Buffer.alloc(9);
        h.writeUIntBE(payload.length, 0, 3);
        h[3] = type;
        h[4] = flags;
        h.writeUInt32BE(sid, 5);
        return Buffer.concat([h, payload]);
      };
      // :method GET, :scheme http, :path / (static table), :authority x, then "X-Bad: 1": upper case is malformed.
      const block = Buffer.concat([Buffer.from([0x82, 0x86, 0x84, 0x01, 1]), Buffer.from('x'), Buffer.from([0x00, 5]), Buffer.from('X-Bad'), Buffer.from([1]), Buffer.from('1')]);
      const got = await new Promise<Buffer>((resolve) => {
        const c = netConnect(port, '127.0.0.1');
        const parts: Buffer[] = [];
        c.on('data', (d) => parts.push(d));
        c.on('error', () => {});
        setTimeout(() => { c.destroy(); resolve(Buffer.concat(parts)); }, 500);
        c.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0)), frame(1, 5, 1, block)]));
      });
      // Somewhere in the reply: RST_STREAM (type 3) on stream 1 with PROTOCOL_ERROR (1).
      let rst = false;
      for (let i = 0; i + 9 <= got.length; i += 9 + got.readUIntBE(i, 3)) {
        if (got[i + 3] === 3 && got.readUInt32BE(i + 5) === 1 && got.readUInt32BE(i + 9) === 1) rst = true;
      }
      assert.ok(rst, got.toString('hex'));
      for (let i = 0; i < 40 && lines.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(lines[0] ?? '', / f f\/<NOSRV> -1\/-1\/-1\/-1\/\d+ 0 0 - - PR-- \d+\/\d+\/0\/0\/0 0\/0 "<BADREQ>"$/);
    } finally {
      await tp.stop();
      sink.close();
      dir.cleanup();
    }
  });
});

describe('HTTP/2 configuration', () => {
  test('"proto" on bind and server lines is checked as haproxy -c does', async () => {
    const dir = tempDir();
    try {
      const cfg = writeConfig(dir.path, `
defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
frontend f
  bind 127.0.0.1:1 proto foo
  default_backend b
frontend t
  mode tcp
  bind 127.0.0.1:2 proto h2
  default_backend tb
backend b
  server s1 127.0.0.1:80 proto h3
backend tb
  mode tcp
  server s1 127.0.0.1:80
`);
      const r = runTurnpike(['-c', '-f', cfg]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /test\.cfg:8\] : 'bind 127\.0\.0\.1:1' in section 'frontend' : 'proto' : {2}unknown MUX protocol 'foo'/);
      assert.match(r.stderr, /'server b\/s1' : 'proto' : {2}unknown MUX protocol 'h3'/);
      const ok = writeConfig(dir.path, `
defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
frontend f
  bind 127.0.0.1:1 proto h2
  bind 127.0.0.1:2 proto h1
  default_backend b
frontend t
  mode tcp
  bind 127.0.0.1:3 proto h2
  default_backend tb
backend b
  server s1 127.0.0.1:80 proto h2
backend tb
  mode tcp
  server s1 127.0.0.1:80
`, 'tcp.cfg');
      const t = runTurnpike(['-c', '-f', ok]);
      assert.equal(t.code, 1);
      assert.match(t.stderr, /frontend 't' : MUX protocol 'h2' is not usable for 'bind 127\.0\.0\.1:3' at \[.*tcp\.cfg:13\]/);
      assert.doesNotMatch(t.stderr, /frontend 'f'/);
    } finally {
      dir.cleanup();
    }
  });
});

describe('HTTP/2 connection lifetime', () => {
  test('an idle connection gets GOAWAY (NO_ERROR) after timeout client, then closes', async () => {
    const dir = tempDir();
    const port = await freePort();
    const tp = await startTurnpike(writeConfig(dir.path, `
defaults
  mode http
  timeout connect 1s
  timeout client 300ms
  timeout server 1s
frontend f
  bind 127.0.0.1:${port} proto h2
  http-request return status 200 content-type text/plain string ok
`), [port]);
    try {
      const s = h2connect(`http://127.0.0.1:${port}`);
      const goaway = new Promise<number>((resolve) => s.on('goaway', (code: number) => resolve(code)));
      const closed = new Promise((resolve) => s.on('close', resolve));
      s.on('error', () => {});
      assert.equal((await h2request(s, { ':method': 'GET', ':path': '/' })).status, 200);
      assert.equal(await goaway, 0);
      await closed;
    } finally {
      await tp.stop();
      dir.cleanup();
    }
  });
});
