// Tunnels over HTTP/2 client streams: WebSockets by extended CONNECT (RFC 8441) to an HTTP/1.1
// WebSocket server, and CONNECT (RFC 9113 8.5) to an HTTP/1.1 forward proxy in front of a TCP
// echo server. The client is Node's http2 module; the servers are started by the test. The
// same tests pass against haproxy 2.6.12 (TURNPIKE_BIN=/usr/sbin/haproxy).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingHttpHeaders as H1Headers, type Server as HttpServer } from 'node:http';
import { connect as h2connect, constants as h2c, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { echoServer, freePort, sha256, startTurnpike, tempDir, until, writeConfig, type RunningProxy } from './harness.ts';

// ---- a minimal WebSocket codec (RFC 6455 5.2): FIN frames, masked from the client ----------

function wsFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(n, 2);
  else if (ext === 8) head.writeBigUInt64BE(BigInt(n), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + ext);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, body]);
}

/** Collects bytes and yields the complete frames in them. */
class WsReader {
  private buf = Buffer.alloc(0);
  readonly frames: { opcode: number; payload: Buffer }[] = [];

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b[1]! & 0x80) !== 0;
      const key = masked ? b.subarray(off, off + 4) : null;
      if (masked) off += 4;
      if (b.length < off + len) return;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (key) for (let i = 0; i < len; i++) payload[i]! ^= key[i & 3]!;
      this.frames.push({ opcode: b[0]! & 0x0f, payload });
      this.buf = b.subarray(off + len);
    }
  }
}

const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;

/** An HTTP/1.1 WebSocket echo server; "/refuse" is answered 400. Records the upgrade requests. */
async function webSocketServer(): Promise<{ server: HttpServer; port: number; requests: { method: string; url: string; version: string; headers: H1Headers; raw: string[] }[] }> {
  const requests: { method: string; url: string; version: string; headers: H1Headers; raw: string[] }[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(404, { 'content-length': '0' });
    res.end();
  });
  server.on('upgrade', (req, sock: Socket, head: Buffer) => {
    requests.push({ method: req.method!, url: req.url!, version: req.httpVersion, headers: req.headers, raw: req.rawHeaders });
    sock.on('error', () => {});
    if (req.url === '/refuse') {
      sock.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 7\r\n\r\nrefused');
      return;
    }
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const reader = new WsReader();
    const onData = (d: Buffer): void => {
      reader.push(d);
      while (reader.frames.length > 0) {
        const f = reader.frames.shift()!;
        if (f.opcode === OP_CLOSE) {
          sock.end(wsFrame(OP_CLOSE, f.payload, false));
          return;
        }
        sock.write(wsFrame(f.opcode, f.payload, false));
      }
    };
    if (head.length > 0) onData(head);
    sock.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

/** An HTTP/1.1 forward proxy: CONNECT host:port is answered 200 and piped to 127.0.0.1:port (whatever the host). Records the requests. */
async function connectProxy(): Promise<{ server: HttpServer; port: number; requests: { url: string; headers: H1Headers }[] }> {
  const requests: { url: string; headers: H1Headers }[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(405, { 'content-length': '0' });
    res.end();
  });
  server.on('connect', (req, sock: Socket, head: Buffer) => {
    requests.push({ url: req.url!, headers: req.headers });
    sock.on('error', () => {});
    const port = Number(req.url!.slice(req.url!.lastIndexOf(':') + 1));
    const up = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
      sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      sock.pipe(up);
      up.pipe(sock);
    });
    up.on('error', () => sock.destroy());
    sock.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

/** An HTTP/2 session whose SETTINGS arrived. */
async function session(port: number): Promise<ClientHttp2Session> {
  const s = h2connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no SETTINGS')), 5000);
    s.once('remoteSettings', () => { clearTimeout(t); resolve(); });
  });
  return s;
}

/** Opens a stream and waits for its response head. */
function open(s: ClientHttp2Session, headers: Record<string, string>): Promise<{ stream: ClientHttp2Stream; head: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const stream = s.request(headers, { endStream: false });
    const t = setTimeout(() => { stream.close(); reject(new Error('no response')); }, 5000);
    stream.once('response', (head) => { clearTimeout(t); resolve({ stream, head }); });
    stream.once('error', (e) => { clearTimeout(t); reject(e); });
  });
}

/** Resolves once `cond` holds, checking after each chunk of the stream's data. */
function readUntil(stream: ClientHttp2Stream, into: { data: Buffer }, cond: () => boolean, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const t = setTimeout(() => { stream.off('data', onData); reject(new Error('timeout')); }, ms);
    const onData = (d: Buffer): void => {
      into.data = Buffer.concat([into.data, d]);
      if (!cond()) return;
      clearTimeout(t);
      stream.off('data', onData);
      resolve();
    };
    stream.on('data', onData);
  });
}

/** Waits for the stream's close; returns its RST_STREAM code (0: none, or NO_ERROR). */
function closed(stream: ClientHttp2Stream, ms = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    if (stream.closed && stream.destroyed) return resolve(stream.rstCode ?? 0);
    const t = setTimeout(() => reject(new Error('stream not closed')), ms);
    stream.once('close', () => { clearTimeout(t); resolve(stream.rstCode ?? 0); });
  });
}

/** A server writing `size` random bytes to each connection, then ending it; tells how much is still queued. */
async function sourceServer(size: number): Promise<{ server: Server; port: number; payload: Buffer; sockets: Socket[] }> {
  const payload = randomBytes(size);
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.end(payload);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, payload, sockets };
}

/** A server that reads nothing until told to, then everything until the client's end. */
async function sinkServer(): Promise<{ server: Server; port: number; sockets: Socket[]; received: Buffer[]; ended: Promise<void> }> {
  const sockets: Socket[] = [];
  const received: Buffer[] = [];
  let done!: () => void;
  const ended = new Promise<void>((r) => { done = r; });
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.pause();
    sock.on('data', (d: Buffer) => received.push(d));
    sock.on('end', () => { done(); sock.end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, sockets, received, ended };
}

describe('HTTP/2 tunnels', () => {
  const dir = tempDir();
  let ws: Awaited<ReturnType<typeof webSocketServer>>;
  let proxy: Awaited<ReturnType<typeof connectProxy>>;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let tp: RunningProxy;
  let tpNoWs: RunningProxy;
  let fe: number;
  let feNoWs: number;
  let logSink: UdpSocket;
  const logs: string[] = [];

  before(async () => {
    ws = await webSocketServer();
    proxy = await connectProxy();
    echo = await echoServer();
    logSink = createSocket('udp4');
    logSink.on('message', (m) => logs.push(m.toString('latin1')));
    await new Promise<void>((r) => logSink.bind(0, '127.0.0.1', r));
    const logPort = (logSink.address() as AddressInfo).port;
    [fe, feNoWs] = [await freePort(), await freePort()];
    tp = await startTurnpike(writeConfig(dir.path, `
global
  log 127.0.0.1:${logPort} local0
defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${fe} proto h2
  use_backend idle if { method CONNECT } { req.hdr(host) -m beg idle. }
  use_backend proxy if { method CONNECT }
  default_backend ws
backend ws
  server s1 127.0.0.1:${ws.port}
backend proxy
  server p1 127.0.0.1:${proxy.port}
backend idle
  timeout tunnel 500ms
  server p1 127.0.0.1:${proxy.port}
`), [fe]);
    tpNoWs = await startTurnpike(writeConfig(dir.path, `
global
  h2-workaround-bogus-websocket-clients
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${feNoWs} proto h2
  default_backend ws
backend ws
  server s1 127.0.0.1:${ws.port}
`, 'nows.cfg'), [feNoWs]);
  });

  after(async () => {
    await tp?.stop();
    await tpNoWs?.stop();
    ws?.server.close();
    ws?.server.closeAllConnections();
    proxy?.server.close();
    proxy?.server.closeAllConnections();
    await echo?.close();
    logSink?.close();
    dir.cleanup();
  });

  test('SETTINGS announce ENABLE_CONNECT_PROTOCOL, and not with h2-workaround-bogus-websocket-clients', async () => {
    const a = await session(fe);
    const b = await session(feNoWs);
    try {
      assert.equal(a.remoteSettings.enableConnectProtocol, true);
      assert.notEqual(b.remoteSettings.enableConnectProtocol, true);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a WebSocket over HTTP/2 reaches an HTTP/1.1 server: messages echoed both ways, a clean close', async () => {
    const s = await session(fe);
    try {
      const { stream, head } = await open(s, {
        ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/echo?room=1', ':authority': 'chat.test',
        'sec-websocket-version': '13', origin: 'http://chat.test',
      });
      // The server's 101 arrives as 200 (RFC 8441 5), its accept kept, the hop-by-hop fields gone.
      assert.equal(head[':status'], 200);
      assert.equal(typeof head['sec-websocket-accept'], 'string');
      assert.equal(head.upgrade, undefined);
      assert.equal(head.connection, undefined);
      // What the HTTP/1.1 server got: a GET upgrade with a key generated for it.
      const r = ws.requests.at(-1)!;
      assert.equal(r.method, 'GET');
      assert.equal(r.url, '/echo?room=1');
      assert.equal(r.version, '1.1');
      assert.equal(r.headers.host, 'chat.test');
      assert.equal(r.headers.upgrade, 'websocket');
      assert.equal(r.headers.connection, 'upgrade');
      assert.equal(r.headers['sec-websocket-version'], '13');
      assert.equal(Buffer.from(String(r.headers['sec-websocket-key']), 'base64').length, 16);

      const reader = new WsReader();
      const got = { data: Buffer.alloc(0) };
      stream.on('data', (d: Buffer) => reader.push(d));
      const messages = ['hello', 'über', 'x'.repeat(300), ''];
      for (const m of messages) stream.write(wsFrame(OP_TEXT, Buffer.from(m), true));
      // A large binary message: many DATA frames under flow control, both ways.
      const big = randomBytes(300_000);
      stream.write(wsFrame(OP_BINARY, big, true));
      await readUntil(stream, got, () => reader.frames.length >= messages.length + 1, 10_000);
      assert.deepEqual(reader.frames.slice(0, messages.length).map((f) => [f.opcode, f.payload.toString()]), messages.map((m) => [OP_TEXT, m]));
      const echoed = reader.frames[messages.length]!;
      assert.equal(echoed.opcode, OP_BINARY);
      assert.equal(sha256(echoed.payload), sha256(big));
      // Close handshake: the server answers and closes. As with HAProxy, its end is the
      // stream's: END_STREAM, then RST_STREAM(CANCEL) since the client had not ended its side.
      const ended = new Promise<void>((resolve) => stream.once('end', resolve));
      stream.write(wsFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]), true));
      await ended;
      assert.equal(reader.frames.at(-1)!.opcode, OP_CLOSE);
      assert.equal(await closed(stream), h2c.NGHTTP2_CANCEL);

      // The client closing first: its END_STREAM reaches the server as a half-close, the
      // server's end completes the stream without a reset.
      const second = await open(s, { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/echo?room=2', ':authority': 'chat.test' });
      assert.equal(second.head[':status'], 200);
      const reader2 = new WsReader();
      second.stream.on('data', (d: Buffer) => reader2.push(d));
      const ended2 = new Promise<void>((resolve) => second.stream.once('end', resolve));
      second.stream.write(wsFrame(OP_TEXT, Buffer.from('last words'), true));
      second.stream.end(wsFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]), true));
      await ended2;
      assert.deepEqual(reader2.frames.map((f) => f.opcode), [OP_TEXT, OP_CLOSE]);
      assert.equal(reader2.frames[0]!.payload.toString(), 'last words');
      assert.equal(await closed(second.stream), h2c.NGHTTP2_NO_ERROR);
      // Logged as HAProxy does: the request as converted, 101, a normal end.
      assert.ok(await until(() => logs.some((l) => l.includes('"GET http://chat.test/echo?room=1 HTTP/2.0"')), 3000), logs.join('\n'));
      const line = logs.find((l) => l.includes('"GET http://chat.test/echo?room=1 HTTP/2.0"'))!;
      assert.match(line, / fe ws\/s1 \d+\/\d+\/\d+\/\d+\/\d+ 101 \d+ - - ---- /);
    } finally {
      s.close();
    }
  });

  test('a refused WebSocket upgrade (400) arrives as a normal 400 response, then the stream is cancelled', async () => {
    const s = await session(fe);
    try {
      const { stream, head } = await open(s, { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/refuse', ':authority': 'chat.test' });
      assert.equal(head[':status'], 400);
      const body = { data: Buffer.alloc(0) };
      const ended = new Promise<void>((resolve) => stream.once('end', resolve));
      stream.on('data', (d: Buffer) => { body.data = Buffer.concat([body.data, d]); });
      await ended;
      assert.equal(body.data.toString(), 'refused');
      // Our side of the stream never ended: as HAProxy, RST_STREAM(CANCEL) follows the response.
      assert.equal(await closed(stream), h2c.NGHTTP2_CANCEL);
    } finally {
      s.close();
    }
  });

  test('CONNECT over HTTP/2 to an HTTP/1.1 proxy: a TCP tunnel, 1 MiB each way, half-closes both ways', async () => {
    const s = await session(fe);
    try {
      const target = `127.0.0.1:${echo.port}`;
      const { stream, head } = await open(s, { ':method': 'CONNECT', ':authority': target });
      assert.equal(head[':status'], 200);
      assert.deepEqual(proxy.requests.at(-1), { url: target, headers: { host: target } });
      const got = { data: Buffer.alloc(0) };
      stream.write('ping');
      await readUntil(stream, got, () => got.data.length >= 4);
      assert.equal(got.data.toString(), 'ping');
      const payload = randomBytes(1 << 20);
      got.data = Buffer.alloc(0);
      stream.write(payload);
      await readUntil(stream, got, () => got.data.length >= payload.length, 10_000);
      assert.equal(sha256(got.data), sha256(payload));
      // Our END_STREAM half-closes the tunnel; the echo server's end comes back as END_STREAM.
      const ended = new Promise<void>((resolve) => stream.once('end', resolve));
      stream.end();
      await ended;
      assert.equal(await closed(stream), h2c.NGHTTP2_NO_ERROR);
      assert.ok(await until(() => logs.some((l) => l.includes(`"CONNECT ${target} HTTP/2.0"`)), 3000));
      assert.match(logs.find((l) => l.includes(`"CONNECT ${target} HTTP/2.0"`))!, / fe proxy\/p1 \d+\/\d+\/\d+\/\d+\/\d+ 200 \d+ - - ---- /);
    } finally {
      s.close();
    }
  });

  test('backpressure: a client that stops reading stops the target\'s output; everything arrives once it reads', async () => {
    const src = await sourceServer(32 << 20);
    const s = await session(fe);
    try {
      const { stream, head } = await open(s, { ':method': 'CONNECT', ':authority': `127.0.0.1:${src.port}` });
      assert.equal(head[':status'], 200);
      stream.pause();
      await new Promise((r) => setTimeout(r, 500));
      // Windows and buffers hold a few MiB at most: the target could not write everything.
      assert.equal(src.sockets.length, 1);
      assert.ok(src.sockets[0]!.writableLength > 0, 'the target is held back');
      const got: Buffer[] = [];
      let n = 0;
      stream.on('data', (d: Buffer) => { got.push(d); n += d.length; });
      const ended = new Promise<void>((resolve) => stream.once('end', resolve));
      stream.resume();
      await ended;
      assert.equal(n, src.payload.length);
      assert.equal(sha256(Buffer.concat(got)), sha256(src.payload));
      stream.end();
      await closed(stream);
    } finally {
      s.close();
      src.server.close();
      for (const c of src.sockets) c.destroy();
    }
  });

  test('backpressure the other way: a target that does not read closes the client\'s window', async () => {
    const sink = await sinkServer();
    const s = await session(fe);
    try {
      const { stream, head } = await open(s, { ':method': 'CONNECT', ':authority': `127.0.0.1:${sink.port}` });
      assert.equal(head[':status'], 200);
      const payload = randomBytes(32 << 20);
      stream.end(payload);
      await new Promise((r) => setTimeout(r, 500));
      // Most of it is still with the client: flow control stopped it.
      assert.equal(sink.sockets.length, 1);
      assert.ok(stream.writableLength > 16 << 20, `the client still holds ${stream.writableLength} bytes`);
      sink.sockets[0]!.resume();
      await sink.ended;
      assert.equal(sha256(Buffer.concat(sink.received)), sha256(payload));
      await closed(stream, 10_000);
    } finally {
      s.close();
      sink.server.close();
      for (const c of sink.sockets) c.destroy();
    }
  });

  test('a client RST_STREAM ends the tunnel on the server side too', async () => {
    const s = await session(fe);
    try {
      const before = echo.sockets.size;
      const { stream } = await open(s, { ':method': 'CONNECT', ':authority': `127.0.0.1:${echo.port}` });
      const got = { data: Buffer.alloc(0) };
      stream.write('abc');
      await readUntil(stream, got, () => got.data.length >= 3);
      assert.equal(echo.sockets.size, before + 1);
      stream.close(h2c.NGHTTP2_CANCEL);
      assert.ok(await until(() => echo.sockets.size === before, 3000), 'the target connection closes');
    } finally {
      s.close();
    }
  });

  test('timeout tunnel: an idle tunnel ends with END_STREAM then RST_STREAM(CANCEL), logged cD', async () => {
    const s = await session(fe);
    try {
      const started = Date.now();
      const { stream, head } = await open(s, { ':method': 'CONNECT', ':authority': `idle.test:${echo.port}` });
      assert.equal(head[':status'], 200);
      stream.resume();
      assert.equal(await closed(stream, 5000), h2c.NGHTTP2_CANCEL);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 400 && elapsed < 4000, `closed after ${elapsed} ms`);
      assert.ok(await until(() => logs.some((l) => l.includes(`"CONNECT idle.test:${echo.port} HTTP/2.0"`)), 3000));
      assert.match(logs.find((l) => l.includes(`"CONNECT idle.test:${echo.port} HTTP/2.0"`))!, / 200 \d+ - - cD-- /);
    } finally {
      s.close();
    }
  });
});
