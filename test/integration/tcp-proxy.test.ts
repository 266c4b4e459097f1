// mode tcp forwarding: data both ways, half-close, large transfers, timeouts, retries and
// redispatch, address forms (port-less server, IPv6, UNIX sockets, comma lists).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  tempDir, freePort, portFree, echoServer, replyServer, exchange, exchangeBuffer, openClient,
  recordingServer, sha256, DEFAULTS, type RunningProxy,
  withProxy as withSharedProxy,
} from './harness.ts';

describe('tcp proxying', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  const withProxy = (cfg: string, ports: (number | string)[], body: (tp: RunningProxy) => Promise<void>): Promise<void> =>
    withSharedProxy(dir.path, cfg, ports, body);

  test('listen: bytes pass both ways, several round trips on one connection', async () => {
    const echo = await echoServer();
    const port = await freePort();
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${echo.port}\n`, [port], async () => {
        const c = openClient(port);
        try {
          await c.connected();
          c.sock.write('ping-1\n');
          await c.waitData('ping-1\n');
          c.sock.write('ping-2\n');
          await c.waitData('ping-1\nping-2\n');
          c.sock.end('last\n');
          await c.waitData('ping-1\nping-2\nlast\n');
          const r = await c.closed();
          assert.equal(r.error, null);
          assert.equal(c.text(), 'ping-1\nping-2\nlast\n');
        } finally {
          c.destroy();
        }
      });
    } finally {
      await echo.close();
    }
  });

  test('frontend + backend: the server speaks first, the client answers', async () => {
    const srv = await recordingServer({ greeting: 'HELLO\n', onData: (c) => { if (c.data.toString().includes('\n')) c.sock.end(`you said ${c.data.toString().trim()}\n`); } });
    const port = await freePort();
    try {
      await withProxy(`${DEFAULTS}frontend fe\n  bind 127.0.0.1:${port}\n  default_backend bk\nbackend bk\n  server s1 127.0.0.1:${srv.port}\n`, [port], async () => {
        const c = openClient(port);
        try {
          await c.waitData('HELLO\n');
          c.sock.write('bonjour\n');
          await c.closed();
          assert.equal(c.text(), 'HELLO\nyou said bonjour\n');
        } finally {
          c.destroy();
        }
      });
    } finally {
      await srv.close();
    }
  });

  test('half-close: the client shuts its write side and still receives the reply', async () => {
    // The server answers only after it has seen the end of the request.
    const server = createServer({ allowHalfOpen: true }, (sock) => {
      let n = 0;
      sock.on('data', (d: Buffer) => { n += d.length; });
      sock.on('end', () => setTimeout(() => sock.end(`got ${n} bytes after FIN\n`), 100));
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = await freePort();
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${(server.address() as AddressInfo).port}\n`, [port], async () => {
        assert.equal(await exchange(port, 'x'.repeat(1000)), 'got 1000 bytes after FIN\n');
      });
    } finally {
      await closeServer(server);
    }
  });

  test('a 50 MB transfer arrives intact both ways (sha256)', { timeout: 60_000 }, async () => {
    const echo = await echoServer();
    const port = await freePort();
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${echo.port}\n`, [port], async () => {
        const payload = randomBytes(50 * 1024 * 1024);
        const back = await exchangeBuffer(port, payload, { timeoutMs: 50_000 });
        assert.equal(back.length, payload.length);
        assert.equal(sha256(back), sha256(payload));
      });
    } finally {
      await echo.close();
    }
  });

  test('timeout client closes an idle connection', async () => {
    const srv = await recordingServer();
    const port = await freePort();
    try {
      const cfg = `defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 300ms\n  timeout server 10s\nlisten l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${srv.port}\n`;
      await withProxy(cfg, [port], async () => {
        const t0 = Date.now();
        const c = openClient(port);
        try {
          await c.connected();
          const r = await c.closedWithin(3000);
          const elapsed = Date.now() - t0;
          assert.ok(r, 'idle client connection still open after 3 s with timeout client 300ms');
          assert.ok(elapsed >= 250, `closed after ${elapsed} ms, before the 300 ms timeout`);
          assert.equal(c.received().length, 0);
          // the server side is closed too
          assert.ok(await waitUntil(() => srv.open() === 0, 2000), 'server connection not closed');
        } finally {
          c.destroy();
        }
      });
    } finally {
      await srv.close();
    }
  });

  test('an active connection is not cut by timeout client', async () => {
    const echo = await echoServer();
    const port = await freePort();
    try {
      const cfg = `defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 400ms\n  timeout server 400ms\nlisten l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${echo.port}\n`;
      await withProxy(cfg, [port], async () => {
        const c = openClient(port);
        try {
          await c.connected();
          let expect = '';
          for (let i = 0; i < 8; i++) { // 8 x 150 ms = 1.2 s > 400 ms
            c.sock.write(`${i};`);
            expect += `${i};`;
            await c.waitData(expect, 2000);
            await new Promise((r) => setTimeout(r, 150));
          }
          assert.equal(c.isClosed(), false);
        } finally {
          c.destroy();
        }
      });
    } finally {
      await echo.close();
    }
  });

  test('a dead server: retries, then the client is closed without data', async () => {
    const port = await freePort();
    const dead = await freePort();
    const cfg = `defaults\n  mode tcp\n  timeout connect 200ms\n  timeout client 10s\n  timeout server 10s\n  retries 2\nlisten l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${dead}\n`;
    await withProxy(cfg, [port], async () => {
      const t0 = Date.now();
      const got = await exchange(port, null, { timeoutMs: 5000 }).catch((e: NodeJS.ErrnoException) => `error:${e.code ?? e.message}`);
      const elapsed = Date.now() - t0;
      assert.ok(got === '' || got === 'error:ECONNRESET', `client got ${JSON.stringify(got)}`);
      // two retries, each after a turn-around of min(timeout connect, 1s) = 200 ms
      assert.ok(elapsed >= 300, `closed after ${elapsed} ms: retries with their turn-around delay did not happen`);
    });
  });

  test('option redispatch moves a failed connection to a live server', async () => {
    const live = await replyServer(() => 'live\n');
    const port = await freePort();
    const port2 = await freePort();
    const dead = await freePort();
    const servers = `  balance roundrobin\n  retries 1\n  server dead 127.0.0.1:${dead}\n  server live 127.0.0.1:${live.port}\n`;
    const cfg = `defaults\n  mode tcp\n  timeout connect 200ms\n  timeout client 5s\n  timeout server 5s\n`
      + `listen with\n  bind 127.0.0.1:${port}\n  option redispatch\n${servers}`
      + `listen without\n  bind 127.0.0.1:${port2}\n${servers}`;
    try {
      await withProxy(cfg, [port, port2], async () => {
        for (let i = 0; i < 6; i++) assert.equal(await exchange(port, 'x'), 'live\n', `connection ${i} with redispatch`);
        let failed = 0;
        for (let i = 0; i < 6; i++) {
          const r = await exchange(port2, 'x').catch(() => '');
          if (r === '') failed++;
          else assert.equal(r, 'live\n');
        }
        assert.ok(failed >= 2, `without redispatch, connections to the dead server must fail (${failed}/6 failed)`);
      });
    } finally {
      await live.close();
    }
  });

  test("a server without a port uses the client's destination port", async () => {
    const port = await freePort();
    // same port, other loopback address
    const srv = await replyServer(() => 'same-port\n', port, '127.0.0.2');
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.2\n`, [port], async () => {
        assert.equal(await exchange(port, 'x'), 'same-port\n');
      });
    } finally {
      await srv.close();
    }
  });

  test('IPv6: bind [::1]:port and an IPv6 server', async () => {
    const srv = await replyServer((s) => `v6 from ${s.remoteAddress}\n`, 0, '::1');
    const port = await freePort();
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind [::1]:${port}\n  server s1 [::1]:${srv.port}\n`, [port], async () => {
        assert.equal(await exchange(port, 'x', { host: '::1' }), 'v6 from ::1\n');
      });
    } finally {
      await srv.close();
    }
  });

  test('UNIX sockets: bind with mode 600, and a UNIX socket server', async () => {
    const front = join(dir.path, 'front.sock');
    const back = join(dir.path, 'back.sock');
    const srv = await recordingServer({ path: back, onData: (c) => c.sock.end(`unix got ${c.data.toString()}`) });
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind ${front} mode 600\n  server s1 ${back}\n`, [front], async () => {
        assert.equal(statSync(front).mode & 0o777, 0o600, `socket mode is ${(statSync(front).mode & 0o777).toString(8)}`);
        assert.ok(statSync(front).isSocket());
        assert.equal(await exchange(0, 'hi', { path: front }), 'unix got hi');
      });
    } finally {
      await srv.close();
    }
  });

  test('bind with a comma-separated list of addresses listens on each', async () => {
    const srv = await replyServer((s) => `port ${s.remotePort !== undefined ? 'ok' : '?'}\n`);
    const p1 = await freePort();
    const p2 = await freePort();
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind 127.0.0.1:${p1},127.0.0.1:${p2}\n  server s1 127.0.0.1:${srv.port}\n`, [p1, p2], async () => {
        assert.equal(await exchange(p1, 'x'), 'port ok\n');
        assert.equal(await exchange(p2, 'x'), 'port ok\n');
        assert.equal(srv.count, 2);
      });
    } finally {
      await srv.close();
    }
  });

  test('a port range in bind listens on every port of it', async () => {
    const srv = await replyServer(() => 'range\n');
    // find two consecutive free ports
    let p = await freePort();
    for (let i = 0; i < 20 && !(await portFree(p + 1)); i++) p = await freePort();
    try {
      await withProxy(`${DEFAULTS}listen l\n  bind 127.0.0.1:${p}-${p + 1}\n  server s1 127.0.0.1:${srv.port}\n`, [p, p + 1], async () => {
        assert.equal(await exchange(p, 'x'), 'range\n');
        assert.equal(await exchange(p + 1, 'x'), 'range\n');
      });
    } finally {
      await srv.close();
    }
  });
});

function closeServer(s: Server): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
