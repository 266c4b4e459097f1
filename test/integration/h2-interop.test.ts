// H2Connection against real HTTP/2 implementations, without the Turnpike runtime: a tiny
// server (server role) on a net server driven by curl and h2load (nghttp2), and the client role
// against Node's http2 server. Also prints h2load's req/s for the tiny server and for Node's
// own http2 server answering the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createH2Server, type ServerHttp2Stream } from 'node:http2';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { H2Connection, type H2ConnectionOwner, type H2StreamHandler } from '../../src/protocols/http2/connection.ts';
import { h2Settings, newH2GlobalSettings } from '../../src/protocols/http2/settings.ts';
import { tempDir } from './harness.ts';

const SETTINGS = h2Settings(newH2GlobalSettings(), 16384);
const HELLO = Buffer.from('hello world\n');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function run(cmd: string, args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 16 << 20, encoding: 'latin1' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

/**
 * One request of the tiny server: GET answers "hello world" (with a trailer on /trailers),
 * a request with a body answers the body's length and SHA-256 once it has all arrived.
 */
class Exchange implements H2StreamHandler {
  private readonly conn: H2Connection;
  private readonly id: number;
  private readonly hash = createHash('sha256');
  private length = 0;

  constructor(conn: H2Connection, id: number) {
    this.conn = conn;
    this.id = id;
  }
  onData(data: Buffer, endStream: boolean): void {
    this.hash.update(data);
    this.length += data.length;
    this.conn.consumed(this.id, data.length);
    if (endStream) this.answer();
  }
  onTrailers(): void {
    this.answer();
  }
  onReset(): void {}
  onWritable(): void {}
  private answer(): void {
    const text = Buffer.from(`${this.length} ${this.hash.digest('hex')}\n`);
    this.conn.respond(this.id, [':status', '200', 'content-length', String(text.length)], false);
    this.conn.sendData(this.id, text, true);
  }
}

class TinyOwner implements H2ConnectionOwner {
  conn!: H2Connection;
  onRequest(id: number, fields: string[], endStream: boolean): H2StreamHandler | null {
    if (!endStream) return new Exchange(this.conn, id);
    const path = fields[fields.indexOf(':path') + 1];
    if (path === '/trailers') {
      this.conn.respond(id, [':status', '200', 'content-type', 'text/plain'], false);
      this.conn.sendData(id, HELLO, false);
      this.conn.sendTrailers(id, ['x-checksum', sha(HELLO)]);
    } else {
      this.conn.respond(id, [':status', '200', 'content-type', 'text/plain', 'content-length', String(HELLO.length)], false);
      this.conn.sendData(id, HELLO, true);
    }
    return null;
  }
  onGoaway(): void {}
  onClose(): void {}
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function tinyServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.setNoDelay(true);
    const owner = new TinyOwner();
    owner.conn = new H2Connection(sock, owner, SETTINGS, 'server');
    owner.conn.start();
  });
  const port = await listen(server);
  return {
    port,
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

/** Node's http2 server answering GET as the tiny server does. */
async function nodeServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createH2Server();
  server.on('stream', (stream: ServerHttp2Stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': HELLO.length });
    stream.end(HELLO);
  });
  const sessions = new Set<{ destroy(): void }>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sessions) s.destroy(); }),
  };
}

test('curl --http2-prior-knowledge: several requests, trailers, a 1 MiB upload; nghttp: streams multiplexed on one connection', async () => {
  const srv = await tinyServer();
  const dir = tempDir();
  try {
    const base = `http://127.0.0.1:${srv.port}`;
    // One connection per curl: curl 7.88.1 cannot reuse a prior-knowledge connection (curl#10634, fixed in 8.0).
    const several = await Promise.all(['/a', '/b', '/c', '/d'].map((path) =>
      run('curl', ['-s', '--http2-prior-knowledge', '-m', '20', '-w', '%{http_code} %{http_version}', `${base}${path}`])));
    for (const r of several) assert.deepEqual([r.code, r.stdout], [0, 'hello world\n200 2']);
    const multiplexed = await run('nghttp', ['-n', '-v', `${base}/a`, `${base}/b`, `${base}/c`]);
    assert.equal(multiplexed.code, 0, multiplexed.stderr);
    assert.equal(multiplexed.stdout.match(/recv \(stream_id=\d+\) :status: 200/g)?.length, 3);
    assert.equal(multiplexed.stdout.match(/recv DATA frame <length=12, flags=0x01/g)?.length, 3);

    const trailers = await run('curl', ['-s', '--http2-prior-knowledge', '-m', '20', '-D', '-', `${base}/trailers`]);
    assert.equal(trailers.code, 0, trailers.stderr);
    assert.match(trailers.stdout, /^HTTP\/2 200 \r\ncontent-type: text\/plain\r\n\r\nhello world\nx-checksum: ([0-9a-f]{64})\r\n/);
    assert.equal(/x-checksum: ([0-9a-f]{64})/.exec(trailers.stdout)![1], sha(HELLO));

    const body = randomBytes(1 << 20);
    const file = join(dir.path, 'body.bin');
    writeFileSync(file, body);
    const up = await run('curl', ['-s', '--http2-prior-knowledge', '-m', '30', '--data-binary', `@${file}`, `${base}/upload`]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, `${body.length} ${sha(body)}\n`);
    // Without content-length (chunked upload: the body ends with END_STREAM).
    const chunked = await run('curl', ['-s', '--http2-prior-knowledge', '-m', '30', '-H', 'transfer-encoding: chunked', '-T', file, `${base}/put`]);
    assert.equal(chunked.code, 0, chunked.stderr);
    assert.equal(chunked.stdout, `${body.length} ${sha(body)}\n`);
  } finally {
    dir.cleanup();
    await srv.close();
  }
});

test('h2load -n 2000 -c 10 -m 10: every request succeeds', async () => {
  const srv = await tinyServer();
  try {
    const r = await run('h2load', ['-n', '2000', '-c', '10', '-m', '10', `http://127.0.0.1:${srv.port}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout/);
    assert.match(r.stdout, /status codes: 2000 2xx/);
  } finally {
    await srv.close();
  }
});

test('client role against Node\'s http2 server: a POST with request trailers, a response with trailers', async () => {
  const server = createH2Server();
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (t) => {
      (stream as unknown as { reqTrailer: string }).reqTrailer = String(t['x-req-trailer']);
    });
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      stream.respond({ ':status': 200, 'x-method': String(headers[':method']) }, { waitForTrailers: true });
      stream.on('wantTrailers', () => {
        stream.sendTrailers({ 'x-sha': sha(body), 'x-req-trailer': (stream as unknown as { reqTrailer: string }).reqTrailer });
      });
      stream.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', r));
  const events: string[] = [];
  const received: Buffer[] = [];
  let trailers: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let conn!: H2Connection;
  const owner: H2ConnectionOwner = {
    onRequest: () => null,
    onResponse: (id, fields, endStream) => events.push(`response ${id} ${fields.join(' ')} ${endStream}`),
    onGoaway: () => {},
    onClose: (err) => events.push(`close ${err ? err.message : 'ok'}`),
  };
  const handler: H2StreamHandler = {
    onData(data, endStream) {
      received.push(data);
      conn.consumed(1, data.length);
      if (endStream) done();
    },
    onTrailers(fields) {
      trailers = fields;
      done();
    },
    onReset(code) {
      events.push(`reset ${code}`);
      done();
    },
    onWritable() {},
  };
  try {
    conn = new H2Connection(sock, owner, SETTINGS, 'client');
    conn.start();
    const body = randomBytes(300_000);
    const id = conn.request([':method', 'POST', ':scheme', 'http', ':authority', `127.0.0.1:${port}`, ':path', '/echo', 'te', 'trailers'], false, handler);
    assert.equal(id, 1);
    conn.sendData(id, body, false);
    conn.sendTrailers(id, ['x-req-trailer', 'sent-last']);
    await finished;
    assert.deepEqual(events.filter((e) => e.startsWith('reset')), []);
    assert.match(events[0]!, /^response 1 :status 200 x-method POST .*false$/);
    assert.equal(sha(Buffer.concat(received)), sha(body));
    assert.deepEqual(trailers, ['x-sha', sha(body), 'x-req-trailer', 'sent-last']);
    assert.equal(conn.openStreams, 0);
    conn.goaway(0);
    await new Promise<void>((r) => sock.once('close', () => r()));
    assert.equal(events.at(-1), 'close ok');
  } finally {
    sock.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

/** h2load's req/s line of a run. */
async function reqPerSec(port: number, args: string[]): Promise<number> {
  const r = await run('h2load', [...args, `http://127.0.0.1:${port}/`], 120_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / 0 failed, 0 errored/);
  return Number(/finished in [^,]+, ([0-9.]+) req\/s/.exec(r.stdout)![1]);
}

test('h2load throughput: the tiny H2Connection server vs Node\'s http2 server (printed)', async () => {
  const tiny = await tinyServer();
  const node = await nodeServer();
  try {
    const rows: string[] = [];
    for (const args of [['-n', '100000', '-c', '50', '-m', '10'], ['-n', '50000', '-c', '50', '-m', '1']]) {
      const ours = await reqPerSec(tiny.port, args);
      const theirs = await reqPerSec(node.port, args);
      rows.push(`h2load ${args.join(' ')}: H2Connection ${ours.toFixed(0)} req/s, node:http2 ${theirs.toFixed(0)} req/s (${(ours / theirs).toFixed(2)}x)`);
      assert.ok(ours > 0 && theirs > 0);
    }
    console.log(rows.join('\n'));
  } finally {
    await tiny.close();
    await node.close();
  }
});
