// Load-balancing algorithms, weights, backup servers, server maxconn with its queue.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  tempDir, freePort, replyServer, recordingServer, exchange, openClient, sleep, until,
  DEFAULTS, type RunningProxy, type Client,
  withProxy as withSharedProxy,
} from './harness.ts';

type Reply = Awaited<ReturnType<typeof replyServer>>;
type Rec = Awaited<ReturnType<typeof recordingServer>>;

describe('load balancing', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  const withProxy = (cfg: string, ports: number[], body: (tp: RunningProxy) => Promise<void>): Promise<void> =>
    withSharedProxy(dir.path, cfg, ports, body);

  /** Reply servers that answer their name and close. */
  async function namedReplies(names: string[]): Promise<Reply[]> {
    return Promise.all(names.map((n) => replyServer(() => `${n}\n`)));
  }

  /** Servers that greet with their name and keep the connection open until the client closes. */
  async function namedHolders(names: string[]): Promise<Rec[]> {
    return Promise.all(names.map((n) => recordingServer({ greeting: `${n}\n` })));
  }

  /** `total` connections, `parallel` at a time; returns how many each answer got. */
  async function spread(port: number, total: number, parallel = 6, opts: { localAddress?: string } = {}): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        next++;
        const r = (await exchange(port, 'x', opts)).trim();
        counts.set(r, (counts.get(r) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return counts;
  }

  async function holdOne(port: number): Promise<{ c: Client; name: string }> {
    const c = openClient(port);
    await c.waitData('\n');
    return { c, name: c.text().trim() };
  }

  test('roundrobin with weights 1:2:3 over 600 connections', { timeout: 60_000 }, async () => {
    const srv = await namedReplies(['w1', 'w2', 'w3']);
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance roundrobin\n`
        + srv.map((s, i) => `  server w${i + 1} 127.0.0.1:${s.port} weight ${i + 1}\n`).join('');
      await withProxy(cfg, [port], async () => {
        const counts = await spread(port, 600);
        assert.deepEqual([...counts.keys()].sort(), ['w1', 'w2', 'w3'], `answers: ${JSON.stringify([...counts])}`);
        for (const [i, s] of srv.entries()) {
          const expected = 100 * (i + 1);
          assert.ok(Math.abs(s.count - expected) <= 6, `w${i + 1} got ${s.count} connections, expected ${expected} (counts ${srv.map((x) => x.count)})`);
        }
      });
    } finally {
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('roundrobin without weights alternates strictly', async () => {
    const srv = await namedReplies(['a', 'b', 'c']);
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance roundrobin\n`
        + srv.map((s, i) => `  server ${'abc'[i]} 127.0.0.1:${s.port}\n`).join('');
      await withProxy(cfg, [port], async () => {
        const seq: string[] = [];
        for (let i = 0; i < 9; i++) seq.push((await exchange(port, 'x')).trim());
        // every window of 3 consecutive connections hits the 3 servers
        for (let i = 0; i + 3 <= seq.length; i++) assert.equal(new Set(seq.slice(i, i + 3)).size, 3, `sequence ${seq.join(',')}`);
      });
    } finally {
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('static-rr with weights 1:3', async () => {
    const srv = await namedReplies(['s1', 's2']);
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance static-rr\n  server s1 127.0.0.1:${srv[0]!.port} weight 1\n  server s2 127.0.0.1:${srv[1]!.port} weight 3\n`;
      await withProxy(cfg, [port], async () => {
        await spread(port, 200);
        assert.ok(Math.abs(srv[0]!.count - 50) <= 4, `s1 got ${srv[0]!.count}/200, expected 50`);
        assert.ok(Math.abs(srv[1]!.count - 150) <= 4, `s2 got ${srv[1]!.count}/200, expected 150`);
      });
    } finally {
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('leastconn sends new connections to the server with fewer active ones', async () => {
    const srv = await namedHolders(['x', 'y']);
    const port = await freePort();
    const held: Client[] = [];
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance leastconn\n  server x 127.0.0.1:${srv[0]!.port}\n  server y 127.0.0.1:${srv[1]!.port}\n`;
      await withProxy(cfg, [port], async () => {
        const a = await holdOne(port);
        held.push(a.c);
        const b = await holdOne(port);
        held.push(b.c);
        assert.notEqual(a.name, b.name, 'second connection must go to the idle server');
        // close the one on y: x has 1, y has 0 → every short connection goes to y
        const onY = a.name === 'y' ? a : b;
        const other = a.name === 'y' ? 'x' : 'y';
        onY.c.destroy();
        await until(() => srv[1]!.open() === 0, 2000);
        await sleep(50);
        for (let i = 0; i < 5; i++) {
          const h = await holdOne(port);
          assert.equal(h.name, 'y', `connection ${i} went to ${h.name} while ${other} holds a connection and y none`);
          h.c.destroy();
          await until(() => srv[1]!.open() === 0, 2000);
          await sleep(30);
        }
      });
    } finally {
      for (const c of held) c.destroy();
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('balance source sticks a client address to one server', async () => {
    const srv = await namedReplies(['h1', 'h2', 'h3', 'h4']);
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance source\n`
        + srv.map((s, i) => `  server h${i + 1} 127.0.0.1:${s.port}\n`).join('');
      await withProxy(cfg, [port], async () => {
        const used = new Set<string>();
        for (let host = 1; host <= 12; host++) {
          const localAddress = `127.0.0.${host}`;
          const counts = await spread(port, 6, 2, { localAddress });
          assert.equal(counts.size, 1, `client ${localAddress} was spread over ${JSON.stringify([...counts])}`);
          used.add([...counts.keys()][0]!);
        }
        assert.ok(used.size >= 2, `12 client addresses all hashed to ${[...used]}`);
      });
    } finally {
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('balance first fills the first server up to its maxconn before the next', async () => {
    const srv = await namedHolders(['f1', 'f2', 'f3']);
    const port = await freePort();
    const held: Client[] = [];
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance first\n`
        + srv.map((s, i) => `  server f${i + 1} 127.0.0.1:${s.port} maxconn 2\n`).join('');
      await withProxy(cfg, [port], async () => {
        const names: string[] = [];
        for (let i = 0; i < 5; i++) {
          const h = await holdOne(port);
          held.push(h.c);
          names.push(h.name);
        }
        assert.deepEqual(names, ['f1', 'f1', 'f2', 'f2', 'f3']);
        // a slot freed on f1 is used first again
        held[0]!.destroy();
        await until(() => srv[0]!.open() === 1, 2000);
        await sleep(50);
        const h = await holdOne(port);
        held.push(h.c);
        assert.equal(h.name, 'f1');
      });
    } finally {
      for (const c of held) c.destroy();
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('backup servers: unused while an active server is up; first backup only, or all with option allbackups', async () => {
    const srv = await namedReplies(['act', 'bk1', 'bk2']);
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const dead = await freePort();
    try {
      const backups = `  server bk1 127.0.0.1:${srv[1]!.port} backup\n  server bk2 127.0.0.1:${srv[2]!.port} backup\n`;
      const cfg = `${DEFAULTS}`
        + `listen up\n  bind 127.0.0.1:${p1}\n  server act 127.0.0.1:${srv[0]!.port} check inter 100ms\n${backups}`
        + `listen down\n  bind 127.0.0.1:${p2}\n  server act 127.0.0.1:${dead} check inter 100ms fall 1\n${backups}`
        + `listen downall\n  bind 127.0.0.1:${p3}\n  option allbackups\n  server act 127.0.0.1:${dead} check inter 100ms fall 1\n${backups}`;
      await withProxy(cfg, [p1, p2, p3], async (tp) => {
        await tp.waitFor('Server down/act is DOWN', 3000);
        await tp.waitFor('Server downall/act is DOWN', 3000);
        const up = await spread(p1, 10, 2);
        assert.deepEqual([...up], [['act', 10]]);
        const down = await spread(p2, 10, 2);
        assert.deepEqual([...down], [['bk1', 10]], 'without allbackups only the first backup serves');
        const all = await spread(p3, 10, 2);
        assert.deepEqual([...all.keys()].sort(), ['bk1', 'bk2'], `with allbackups: ${JSON.stringify([...all])}`);
        assert.match(tp.stderr(), /Server down\/act is DOWN, reason: Layer4 connection problem.*0 active and 2 backup servers left\. Running on backup\./);
      });
    } finally {
      await Promise.all(srv.map((s) => s.close()));
    }
  });

  test('server maxconn 1: a second client waits in the queue and is served when the first leaves', async () => {
    const srv = await recordingServer({ greeting: 'served\n' });
    const port = await freePort();
    let first: Client | null = null;
    let second: Client | null = null;
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  timeout queue 10s\n  server s1 127.0.0.1:${srv.port} maxconn 1\n`;
      await withProxy(cfg, [port], async () => {
        first = openClient(port);
        await first.waitData('served\n');
        second = openClient(port);
        await second.connected();
        await sleep(400);
        assert.equal(second.received().length, 0, 'second client served while the server is at maxconn');
        assert.equal(second.isClosed(), false, 'queued client must not be closed');
        assert.equal(srv.conns.length, 1, 'only one connection may reach the server');
        first.sock.end();
        await second.waitData('served\n', 3000);
        assert.equal(srv.conns.length, 2);
        second.sock.write('hello');
        await until(() => srv.conns[1]!.data.toString() === 'hello', 2000);
        assert.equal(srv.conns[1]!.data.toString(), 'hello');
      });
    } finally {
      (first as Client | null)?.destroy();
      (second as Client | null)?.destroy();
      await srv.close();
    }
  });

  test('timeout queue: a client waiting too long in the queue is closed', async () => {
    const srv = await recordingServer({ greeting: 'served\n' });
    const port = await freePort();
    let first: Client | null = null;
    let second: Client | null = null;
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  timeout queue 300ms\n  server s1 127.0.0.1:${srv.port} maxconn 1\n`;
      await withProxy(cfg, [port], async () => {
        first = openClient(port);
        await first.waitData('served\n');
        const t0 = Date.now();
        second = openClient(port);
        const r = await second.closedWithin(3000);
        const elapsed = Date.now() - t0;
        assert.ok(r, 'queued client still open 3 s after a 300 ms timeout queue');
        assert.ok(elapsed >= 250, `closed after ${elapsed} ms, before timeout queue`);
        assert.equal(second.received().length, 0);
        assert.equal(srv.conns.length, 1, 'the expired client must never reach the server');
        // the first one is untouched
        first.sock.write('still here');
        await until(() => srv.conns[0]!.data.toString() === 'still here', 2000);
        assert.equal(first.isClosed(), false);
      });
    } finally {
      (first as Client | null)?.destroy();
      (second as Client | null)?.destroy();
      await srv.close();
    }
  });
});
