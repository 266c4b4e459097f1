// HTTP mode end to end: real turnpike between real clients (raw sockets, Node's http agent,
// curl) and real servers, asserting on both what the client got and what the servers saw.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request, Agent, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tempDir, writeConfig, startTurnpike, freePort, sleep, type RunningProxy } from './harness.ts';

interface Backend {
  name: string;
  server: HttpServer;
  port: number;
  connections: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; bodySha: string; bodyLen: number }[];
}

/** A Node http server that records what it receives and answers with its name (or echoes the body digest). */
async function httpBackend(name: string): Promise<Backend> {
  const b: Backend = { name, server: null as unknown as HttpServer, port: 0, connections: 0, requests: [] };
  b.server = createHttpServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const h = createHash('sha256');
    let len = 0;
    req.on('data', (d: Buffer) => { h.update(d); len += d.length; });
    req.on('end', () => {
      const bodySha = h.digest('hex');
      b.requests.push({ method: req.method!, url: req.url!, headers: req.headers, bodySha, bodyLen: len });
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
      if (req.url === '/nocontent') { res.statusCode = 204; return void res.end(); }
      if (req.url === '/big') {
        res.setHeader('content-length', String(4 * 1024 * 1024));
        return void res.end(Buffer.alloc(4 * 1024 * 1024, 0x61));
      }
      res.setHeader('x-backend', name);
      res.end(req.method === 'POST' ? `${name} ${len} ${bodySha}` : name);
    });
  });
  b.server.on('connection', () => { b.connections++; });
  await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', r));
  b.port = (b.server.address() as AddressInfo).port;
  return b;
}

/** A raw TCP server answering every connection with `reply` (for malformed responses, 101, close-delimited bodies). */
async function rawBackend(onConn: (s: Socket) => void): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) => {
    s.on('data', (d) => received.push(d));
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

/** Sends raw bytes, collects everything until the connection closes or `ms` passes. */
function rawExchange(port: number, data: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => { clearTimeout(t); s.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); };
    const t = setTimeout(done, ms);
    s.on('data', (d) => chunks.push(d));
    s.on('close', done);
    s.on('error', done);
    s.write(data);
  });
}

function get(port: number, path: string, agent: Agent | false, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), reused: r.reusedSocket }));
    });
    r.on('error', reject);
    r.setTimeout(5000, () => r.destroy(new Error('timeout')));
    r.end();
  });
}

describe('HTTP mode', () => {
  const dir = tempDir();
  let tp: RunningProxy;
  let a: Backend;
  let b: Backend;
  let raw101: Awaited<ReturnType<typeof rawBackend>>;
  let rawBad: Awaited<ReturnType<typeof rawBackend>>;
  let rawClose: Awaited<ReturnType<typeof rawBackend>>;
  const port: Record<string, number> = {};

  before(async () => {
    a = await httpBackend('A');
    b = await httpBackend('B');
    raw101 = await rawBackend((s) => {
      let head = '';
      s.on('data', (d) => {
        if (!head) {
          head = d.toString('latin1');
          // The accept of the RFC 6455 sample key; none for /no-accept.
          const accept = head.startsWith('GET /no-accept ') ? '' : 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n';
          s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${accept}\r\n`);
          return;
        }
        s.write(d); // echo once upgraded
      });
    });
    rawBad = await rawBackend((s) => s.once('data', () => s.end('HTTP/1.1 2x0 Nope\r\n\r\n')));
    rawClose = await rawBackend((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil-close body')));
    for (const n of ['rr', 'ka', 'none', 'ws', 'bad', 'close', 'tmo']) port[n] = await freePort();
    const cfg = `
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 1s
frontend rr
  bind 127.0.0.1:${port.rr}
  option forwardfor
  default_backend two
backend two
  balance roundrobin
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
frontend ka
  bind 127.0.0.1:${port.ka}
  default_backend one
backend one
  server a 127.0.0.1:${a.port}
listen none
  bind 127.0.0.1:${port.none}
  server down 127.0.0.1:1 disabled
listen ws
  bind 127.0.0.1:${port.ws}
  timeout tunnel 5s
  server r 127.0.0.1:${raw101.port}
listen bad
  bind 127.0.0.1:${port.bad}
  server r 127.0.0.1:${rawBad.port}
listen close
  bind 127.0.0.1:${port.close}
  server r 127.0.0.1:${rawClose.port}
listen tmo
  bind 127.0.0.1:${port.tmo}
  timeout server 500ms
  server a 127.0.0.1:${a.port}
`;
    tp = await startTurnpike(writeConfig(dir.path, cfg), Object.values(port));
  });

  after(async () => {
    await tp?.stop();
    for (const s of [a?.server, b?.server]) s?.closeAllConnections();
    for (const s of [a?.server, b?.server, raw101?.server, rawBad?.server, rawClose?.server]) s?.close();
    dir.cleanup();
  });

  test('a request is forwarded and the response comes back, with X-Forwarded-For added', async () => {
    const r = await get(port.rr!, '/hello?x=1', false);
    assert.equal(r.status, 200);
    assert.ok(r.body === 'A' || r.body === 'B');
    const seen = [...a.requests, ...b.requests].find((q) => q.url === '/hello?x=1');
    assert.ok(seen, 'backend saw the request');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('requests on one client connection are balanced one by one (roundrobin)', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push((await get(port.rr!, `/rr${i}`, agent)).body);
    agent.destroy();
    for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], `alternates: ${names.join(',')}`);
  });

  test('keep-alive on both sides: 20 requests use one client and one server connection', async () => {
    const before = a.connections;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let reused = 0;
    for (let i = 0; i < 20; i++) {
      const r = await get(port.ka!, `/ka${i}`, agent);
      assert.equal(r.status, 200);
      if (r.reused) reused++;
    }
    agent.destroy();
    assert.equal(reused, 19, 'client connection reused');
    assert.equal(a.connections - before, 1, 'server connection reused');
  });

  test('pipelined requests are answered in order', async () => {
    const out = await rawExchange(port.ka!, 'GET /p1 HTTP/1.1\r\nhost: x\r\n\r\nGET /p2 HTTP/1.1\r\nhost: x\r\n\r\nGET /p3 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.equal(out.match(/HTTP\/1\.1 200/g)?.length, 3, out);
    const urls = a.requests.map((r) => r.url).filter((u) => /^\/p\d$/.test(u));
    assert.deepEqual(urls, ['/p1', '/p2', '/p3']);
  });

  test('a buffer full of pipelined requests answered by the proxy itself: every one answered, in order', async () => {
    const p = await freePort();
    const cfg = `defaults\n  mode http\n  timeout client 5s\nfrontend own\n  bind 127.0.0.1:${p}\n  http-request return status 200 content-type text/plain lf-string "%[path]\\n"\n`;
    let tp2: RunningProxy | undefined;
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'pipe.cfg'), [p]);
      let reqs = '';
      for (let i = 0; i < 900; i++) reqs += `GET /${i} HTTP/1.1\r\n\r\n`;
      const out = await rawExchange(p, reqs + 'GET /last HTTP/1.1\r\nconnection: close\r\n\r\n', 10_000);
      const bodies = [...out.matchAll(/\r\n\r\n\/(\w+)\n/g)].map((m) => m[1]);
      assert.equal(bodies.length, 901);
      assert.equal(bodies[899], '899');
      assert.equal(bodies[900], 'last');
      assert.equal(tp2.done(), false, 'still running');
    } finally {
      await tp2?.stop();
    }
  });

  test('an idle keep-alive connection costs a few KiB (2000 of them, measured on the process RSS)', async () => {
    const p = await freePort();
    const cfg = `global\n  maxconn 5000\ndefaults\n  mode http\n  timeout client 30s\n  timeout http-keep-alive 30s\nfrontend own\n  bind 127.0.0.1:${p}\n  http-request return status 200 content-type text/plain string ok\n`;
    let tp2: RunningProxy | undefined;
    const socks: ReturnType<typeof connect>[] = [];
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'idle.cfg'), [p]);
      const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${tp2!.pid}/status`, 'utf8'))![1]) * 1024;
      await rawExchange(p, 'GET /warm HTTP/1.1\r\nconnection: close\r\n\r\n');
      const before = rss();
      const n = 2000;
      let answered = 0;
      await new Promise<void>((resolve) => {
        for (let i = 0; i < n; i++) {
          const s = connect(p, '127.0.0.1');
          s.on('error', () => {});
          s.once('data', () => { if (++answered === n) resolve(); });
          s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
          socks.push(s);
        }
      });
      await sleep(1000);
      const perConn = (rss() - before) / n;
      assert.ok(perConn < 32 * 1024, `${Math.round(perConn / 1024)} KiB per idle connection`);
    } finally {
      for (const s of socks) s.destroy();
      await tp2?.stop();
    }
  });

  test('request bodies stream through: content-length and chunked', async () => {
    const body = Buffer.alloc(1024 * 1024 + 7, 0x42);
    const sha = createHash('sha256').update(body).digest('hex');
    for (const chunked of [false, true]) {
      const res = await new Promise<string>((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port: port.ka, path: '/upload', method: 'POST', agent: false, headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) } }, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(s));
        });
        r.on('error', reject);
        if (chunked) for (let i = 0; i < body.length; i += 65536) r.write(body.subarray(i, i + 65536));
        else r.write(body);
        r.end();
      });
      assert.equal(res, `A ${body.length} ${sha}`, chunked ? 'chunked' : 'content-length');
    }
  });

  test('Expect: 100-continue is relayed (curl)', async () => {
    const curl = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '10', '-H', 'Expect: 100-continue', '--data-binary', '@-', `http://127.0.0.1:${port.ka}/cont`]);
    let out = '';
    curl.stdout.on('data', (d) => (out += d));
    curl.stdin.end(Buffer.alloc(200_000, 0x43));
    await new Promise((r) => curl.on('close', r));
    assert.equal(out, '200');
    assert.equal(a.requests.find((q) => q.url === '/cont')?.bodyLen, 200_000);
  });

  test('HEAD and 204 responses have no body and keep the connection', async () => {
    const out = await rawExchange(port.ka!, 'HEAD /big HTTP/1.1\r\nhost: x\r\n\r\nGET /nocontent HTTP/1.1\r\nhost: x\r\n\r\nGET /last HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /content-length: 4194304/i);
    assert.match(out, /HTTP\/1\.1 204 No Content\r\n/);
    assert.match(out, /\r\n\r\nA$/);
  });

  test('no server available: 503 with HAProxy\'s page', async () => {
    const out = await rawExchange(port.none!, 'GET / HTTP/1.1\r\nhost: x\r\n\r\nGET /again HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.equal(out.match(/503 Service Unavailable\r\n/g)?.length, 2, 'the connection stays open after a 503, as HAProxy');
    assert.match(out, /<html><body><h1>503 Service Unavailable<\/h1>\nNo server is available to handle this request.\n<\/body><\/html>\n$/);
  });

  test('a malformed request gets 400 and reaches no server', async () => {
    const before = a.requests.length;
    const out = await rawExchange(port.ka!, 'GET /a b c HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 Bad request\r\n/);
    // The page's own "connection: close", once (not "close, close").
    assert.match(out, /\r\nconnection: close\r\n/);
    await sleep(100);
    assert.equal(a.requests.length, before);
  });

  test('an incomplete request head times out with 408 (timeout http-request)', async () => {
    const t0 = Date.now();
    const out = await rawExchange(port.ka!, 'GET / HTTP/1.1\r\nhost: x\r\n', 4000);
    assert.match(out, /^HTTP\/1\.1 408 Request Time-out\r\n/);
    assert.ok(Date.now() - t0 < 3000);
  });

  test('an invalid response gives 502; a server timeout gives 504', async () => {
    assert.match(await rawExchange(port.bad!, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(await rawExchange(port.tmo!, 'GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), /^HTTP\/1\.1 504 Gateway Time-out\r\n/);
  });

  test('a close-delimited response is re-chunked for an HTTP/1.1 client', async () => {
    const out = await rawExchange(port.close!, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', 1500);
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /transfer-encoding: chunked\r\n/i);
    assert.match(out, /\r\n\r\n10\r\nuntil-close body\r\n0\r\n\r\n$/);
  });

  test('a WebSocket 101 without Sec-WebSocket-Accept is a 502, as HAProxy', async () => {
    const out = await rawExchange(port.ws!, 'GET /no-accept HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n', 1500);
    assert.match(out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  });

  test('Upgrade: websocket becomes a tunnel after 101', async () => {
    const got = await new Promise<string>((resolve) => {
      const s = connect(port.ws!, '127.0.0.1');
      let buf = '';
      let sent = false;
      const t = setTimeout(() => { s.destroy(); resolve(buf); }, 3000);
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (!sent && buf.includes('\r\n\r\n')) {
          sent = true;
          s.write('ping-through-tunnel');
        }
        if (buf.endsWith('ping-through-tunnel')) { clearTimeout(t); s.destroy(); resolve(buf); }
      });
      s.write('GET /chat HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n');
    });
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /upgrade: websocket/i);
    assert.ok(got.endsWith('ping-through-tunnel'), got);
    const head = raw101.received[0]!.toString('latin1');
    assert.match(head, /upgrade: websocket/i);
    assert.match(head, /connection: upgrade/i);
  });

  test('a 1 GiB upload streams through with bounded memory', { timeout: 60_000 }, async () => {
    const total = 1024 ** 3;
    const sink = await rawBackend((s) => {
      let n = -1;
      let head = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        if (n < 0) {
          head = Buffer.concat([head, d]);
          const i = head.indexOf('\r\n\r\n');
          if (i < 0) return;
          n = head.length - i - 4;
        } else n += d.length;
        if (n === total) s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    const p = await freePort();
    let tp2: RunningProxy | undefined;
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, `defaults\n  mode http\n  timeout connect 2s\n  timeout client 20s\n  timeout server 20s\nlisten up\n  bind 127.0.0.1:${p}\n  server s 127.0.0.1:${sink.port}\n`, 'up.cfg'), [p]);
      const client = connect(p, '127.0.0.1');
      let out = '';
      client.on('data', (d) => (out += d));
      const closed = new Promise((r) => client.on('close', r));
      client.write(`POST /up HTTP/1.1\r\nhost: x\r\ncontent-length: ${total}\r\nconnection: close\r\n\r\n`);
      const chunk = Buffer.alloc(1024 * 1024, 0x5a);
      let peak = 0;
      const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${tp2!.pid}/status`, 'utf8'))![1]) * 1024;
      // Growth over the process's own size (which depends on nbthread), not the size itself.
      const base = rss();
      for (let i = 0; i < 1024; i++) {
        if (!client.write(chunk)) await new Promise((r) => client.once('drain', r));
        if (i % 64 === 0) peak = Math.max(peak, rss());
      }
      await closed;
      assert.match(out, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
      assert.ok(peak - base < 100 * 1024 * 1024, `RSS grew by ${Math.round((peak - base) / 1048576)} MiB (from ${Math.round(base / 1048576)} MiB)`);
    } finally {
      await tp2?.stop();
      sink.server.close();
    }
  });

  test('h1-case-adjust writes the configured names to a bogus server; pool-max-conn 0 keeps no idle connection', async () => {
    const rec = await rawBackend((s) => s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    const p = await freePort();
    const cfg = `global\n  h1-case-adjust x-custom-header X-CUSTOM-Header\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\nlisten adj\n  bind 127.0.0.1:${p}\n  option h1-case-adjust-bogus-server\n  server s 127.0.0.1:${rec.port} pool-max-conn 0 max-reuse 1\n`;
    let tp2: RunningProxy | undefined;
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'adj.cfg'), [p]);
      const out = await rawExchange(p, 'GET /1 HTTP/1.1\r\nhost: x\r\nx-custom-header: 1\r\n\r\nGET /2 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      assert.equal(out.match(/200 OK/g)?.length, 2, out);
      const seen = Buffer.concat(rec.received).toString('latin1');
      assert.match(seen, /\r\nX-CUSTOM-Header: 1\r\n/);
      const conns = await new Promise<number>((r) => rec.server.getConnections((_e, n) => r(n)));
      assert.equal(conns, 0, 'no idle server connection kept');
    } finally {
      await tp2?.stop();
      rec.server.close();
    }
  });

  test('idle server connections stay within the estimated need: a connection per client request does not pile them up', async () => {
    const rec = await rawBackend((s) => s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    const p = await freePort();
    const cfg = `global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\nlisten est\n  bind 127.0.0.1:${p}\n  server s 127.0.0.1:${rec.port}\n`;
    let tp2: RunningProxy | undefined;
    const open = (): Promise<number> => new Promise<number>((r) => rec.server.getConnections((_e, n) => r(n)));
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'est.cfg'), [p]);
      // Four clients at once: four server connections, all four kept idle afterwards.
      const four = await Promise.all([1, 2, 3, 4].map((i) => rawExchange(p, `GET /${i} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)));
      assert.ok(four.every((o) => /^HTTP\/1\.1 200/.test(o)), four.join('\n'));
      await sleep(100);
      assert.equal(await open(), 4);
      // Then one at a time (http-reuse safe: each first request opens a new connection): the
      // pool keeps no more than the four the peak needed, as HAProxy's est_need_conns.
      for (let i = 0; i < 20; i++) assert.match(await rawExchange(p, `GET /s${i} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`), /^HTTP\/1\.1 200/);
      await sleep(100);
      assert.equal(await open(), 4);
    } finally {
      await tp2?.stop();
      rec.server.close();
    }
  });

  test('option httpclose closes both sides; option http-server-close only the server side', async () => {
    const rec = await rawBackend((s) => s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    const p1 = await freePort();
    const p2 = await freePort();
    const cfg = `defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n`
      + `listen hc\n  bind 127.0.0.1:${p1}\n  option httpclose\n  server s 127.0.0.1:${rec.port}\n`
      + `listen sc\n  bind 127.0.0.1:${p2}\n  option http-server-close\n  server s 127.0.0.1:${rec.port}\n`;
    let tp2: RunningProxy | undefined;
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'close.cfg'), [p1, p2]);
      const out1 = await rawExchange(p1, 'GET /1 HTTP/1.1\r\nhost: x\r\n\r\n', 2000);
      assert.match(out1, /\r\nconnection: close\r\n/i, 'client told the connection closes');
      assert.match(Buffer.concat(rec.received).toString('latin1'), /^GET \/1 HTTP\/1\.1\r\n[^]*connection: close\r\n/i);
      rec.received.length = 0;
      const out2 = await rawExchange(p2, 'GET /2 HTTP/1.1\r\nhost: x\r\n\r\nGET /3 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 2000);
      assert.equal(out2.match(/200 OK/g)?.length, 2, 'the client connection is kept for the second request');
      const sent = Buffer.concat(rec.received).toString('latin1');
      assert.equal(sent.match(/connection: close/gi)?.length, 2, 'each server connection is closed');
    } finally {
      await tp2?.stop();
      rec.server.close();
    }
  });

  test('accept-proxy on an HTTP frontend: the PROXY header sets the client address; timeout client does not cut a slow server', async () => {
    const slow = await rawBackend((s) => s.once('data', (d) => setTimeout(() => s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${d.length}\r\n\r\n${d.toString('latin1')}`), 1200)));
    const p = await freePort();
    const cfg = `defaults\n  mode http\n  timeout connect 2s\n  timeout client 500ms\n  timeout server 5s\nlisten pp\n  bind 127.0.0.1:${p} accept-proxy\n  option forwardfor\n  server s 127.0.0.1:${slow.port}\n`;
    let tp2: RunningProxy | undefined;
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'pp.cfg'), [p]);
      const out = await rawExchange(p, 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\nGET /pp HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 4000);
      assert.match(out, /^HTTP\/1\.1 200 OK\r\n/, out);
      assert.match(out, /\r\nx-forwarded-for: 192\.0\.2\.7\r\n/i, 'the server saw the address from the PROXY header');
    } finally {
      await tp2?.stop();
      slow.server.close();
    }
  });

  test('retry-on 503: a failed response is retried on another connection, the client sees the success', async () => {
    let n = 0;
    const flaky = await rawBackend((s) => s.once('data', () => {
      n++;
      s.end(n === 1 ? 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy' : 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    }));
    const p = await freePort();
    const cfg = `defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\nlisten r\n  bind 127.0.0.1:${p}\n  retry-on 503 empty-response\n  server s 127.0.0.1:${flaky.port}\n`;
    let tp2: RunningProxy | undefined;
    try {
      tp2 = await startTurnpike(writeConfig(dir.path, cfg, 'retry.cfg'), [p]);
      const out = await rawExchange(p, 'GET /r HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      assert.match(out, /^HTTP\/1\.1 200 OK\r\n[^]*ok$/);
      assert.equal(n, 2);
      const sent = flaky.received.map((b) => b.toString('latin1'));
      assert.equal(sent[0], sent[1], 'the same request bytes were sent again');
    } finally {
      await tp2?.stop();
      flaky.server.close();
    }
  });

  test('slow servers do not hold client memory: the idle connection is closed silently after http-keep-alive', async () => {
    const s = connect(port.ka!, '127.0.0.1');
    const closed = new Promise<string>((resolve) => {
      let buf = '';
      s.on('data', (d) => (buf += d));
      s.on('close', () => resolve(buf));
    });
    s.write('GET /idle HTTP/1.1\r\nhost: x\r\n\r\n');
    const out = await closed;
    assert.match(out, /^HTTP\/1\.1 200 OK/);
    assert.doesNotMatch(out, /408/);
  });
});
