// Health checks: servers going DOWN and UP with HAProxy's messages, backup takeover,
// tcp-check rule sets, observe layer4.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import {
  tempDir, freePort, replyServer, exchange, sleep, DEFAULTS, type RunningProxy,
  withProxy as withSharedProxy,
} from './harness.ts';

type Reply = Awaited<ReturnType<typeof replyServer>>;

describe('health checks', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  const withProxy = (cfg: string, ports: number[], body: (tp: RunningProxy) => Promise<void>): Promise<void> =>
    withSharedProxy(dir.path, cfg, ports, body);

  async function names(port: number, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await exchange(port, 'x').catch(() => '')).trim());
    return out;
  }

  /** Milliseconds until stderr (after `from`) contains `text`. */
  async function timeUntil(tp: RunningProxy, text: string | RegExp, from: number, ms = 4000): Promise<number> {
    const t0 = Date.now();
    await tp.waitFor(text, ms, from);
    return Date.now() - t0;
  }

  test('a killed server goes DOWN within fall x inter, traffic moves, and it comes back UP after rise', { timeout: 30_000 }, async () => {
    let s1: Reply = await replyServer(() => 's1\n');
    const s2 = await replyServer(() => 's2\n');
    const s1Port = s1.port;
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance roundrobin\n`
        + `  server s1 127.0.0.1:${s1.port} check inter 100ms fall 2 rise 3\n`
        + `  server s2 127.0.0.1:${s2.port} check inter 100ms fall 2 rise 3\n`;
      await withProxy(cfg, [port], async (tp) => {
        await sleep(300);
        assert.deepEqual(new Set(await names(port, 6)), new Set(['s1', 's2']));
        assert.doesNotMatch(tp.stderr(), /is DOWN/);

        let mark = tp.stderr().length;
        await s1.close();
        const down = await timeUntil(tp, 'Server l/s1 is DOWN', mark);
        // fall 2 x inter 100ms = 200 ms; allow scheduling slack on a loaded machine
        assert.ok(down <= 1200, `DOWN reported after ${down} ms, expected about 200 ms (fall 2 x inter 100ms)`);
        assert.match(tp.stderr(), /\[WARNING\] +\(\d+\) : Server l\/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 1 active and 0 backup servers left\. \d+ sessions active, \d+ requeued, \d+ remaining in queue\.\n/);
        assert.deepEqual(new Set(await names(port, 8)), new Set(['s2']), 'traffic must go to s2 only');

        mark = tp.stderr().length;
        s1 = await replyServer(() => 's1\n', s1Port);
        const up = await timeUntil(tp, 'Server l/s1 is UP', mark);
        assert.ok(up >= 150, `UP reported after ${up} ms, before rise 3 x inter 100ms`);
        assert.ok(up <= 1500, `UP reported after ${up} ms, expected about 300 ms`);
        assert.match(tp.stderr(), /\[WARNING\] +\(\d+\) : Server l\/s1 is UP, reason: Layer4 check passed, check duration: \d+ms\. 2 active and 0 backup servers online\. \d+ sessions requeued, \d+ total in queue\.\n/);
        assert.deepEqual(new Set(await names(port, 6)), new Set(['s1', 's2']));
      });
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  test('the backup server takes over when every active server is down, and hands back', { timeout: 30_000 }, async () => {
    let act: Reply = await replyServer(() => 'act\n');
    const bk = await replyServer(() => 'bk\n');
    const actPort = act.port;
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n`
        + `  server act 127.0.0.1:${act.port} check inter 100ms fall 1 rise 1\n`
        + `  server bk 127.0.0.1:${bk.port} check inter 100ms fall 1 rise 1 backup\n`;
      await withProxy(cfg, [port], async (tp) => {
        assert.deepEqual(new Set(await names(port, 4)), new Set(['act']));
        let mark = tp.stderr().length;
        await act.close();
        await tp.waitFor('Server be/act is DOWN', 3000, mark);
        assert.match(tp.stderr().slice(mark), /Server be\/act is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 0 active and 1 backup servers left\. Running on backup\. \d+ sessions active, \d+ requeued, \d+ remaining in queue\./);
        assert.doesNotMatch(tp.stderr(), /has no server available/);
        assert.deepEqual(new Set(await names(port, 4)), new Set(['bk']));
        mark = tp.stderr().length;
        act = await replyServer(() => 'act\n', actPort);
        await tp.waitFor('Server be/act is UP', 3000, mark);
        await sleep(50);
        assert.deepEqual(new Set(await names(port, 4)), new Set(['act']));
      });
    } finally {
      await act.close();
      await bk.close();
    }
  });

  test('no server left: "has no server available!" for a backend and for a listen', async () => {
    const dead1 = await freePort();
    const dead2 = await freePort();
    const p1 = await freePort();
    const p2 = await freePort();
    const cfg = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:${p1}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${dead1} check inter 100ms fall 1\n`
      + `listen li\n  bind 127.0.0.1:${p2}\n  server s 127.0.0.1:${dead2} check inter 100ms fall 1\n`;
    await withProxy(cfg, [p1, p2], async (tp) => {
      await tp.waitFor(/\[ALERT\] +\(\d+\) : backend 'be' has no server available!/, 3000);
      await tp.waitFor(/\[ALERT\] +\(\d+\) : proxy 'li' has no server available!/, 3000);
      assert.match(tp.stderr(), /Server be\/s is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 0 active and 0 backup servers left\. \d+ sessions active/);
      // a client is closed without data
      assert.equal(await exchange(p1, 'x').catch(() => ''), '');
    });
  });

  test('tcp-check send/expect: the server answering the expected string stays UP, the other goes DOWN', async () => {
    const good = await lineServer((line, s) => { if (line.includes('PING')) s.write('+PONG\r\n'); });
    const bad = await lineServer((_line, s) => { s.end('-ERR unknown command\r\n'); });
    const port = await freePort();
    try {
      // A generous check timeout: the good server must not be marked down by a loaded machine's stall.
      const cfg = `${DEFAULTS}  timeout check 4s\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend bk\nbackend bk\n  option tcp-check\n  tcp-check connect\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n`
        + `  server good 127.0.0.1:${good.port} check inter 100ms fall 1 rise 1\n`
        + `  server bad 127.0.0.1:${bad.port} check inter 100ms fall 1 rise 1\n`;
      await withProxy(cfg, [port], async (tp) => {
        await tp.waitFor('Server bk/bad is DOWN', 3000);
        assert.match(tp.stderr(), /Server bk\/bad is DOWN, reason: Layer7 invalid response, info: "TCPCHK did not match content '\+PONG' at step 3", check duration: \d+ms\. 1 active and 0 backup servers left\./);
        await sleep(500); // several more check rounds
        assert.doesNotMatch(tp.stderr(), /bk\/good is DOWN/);
        assert.ok(good.received.some((l) => l === 'PING'), 'the check sent PING\\r\\n');
      });
    } finally {
      await good.close();
      await bad.close();
    }
  });

  test('tcp-check expect on a banner: the right banner keeps the server UP, a wrong one takes it DOWN', async () => {
    const good = await bannerServer('SSH-2.0-OpenSSH_9.2\r\n');
    const bad = await bannerServer('220 mail.example ESMTP\r\n');
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}  timeout check 4s\nlisten ssh\n  bind 127.0.0.1:${port}\n  option tcp-check\n  tcp-check expect rstring ^SSH-2\\.0-\n`
        + `  server good 127.0.0.1:${good.port} check inter 100ms fall 1 rise 1\n`
        + `  server bad 127.0.0.1:${bad.port} check inter 100ms fall 1 rise 1\n`;
      await withProxy(cfg, [port], async (tp) => {
        await tp.waitFor('Server ssh/bad is DOWN', 3000);
        assert.match(tp.stderr(), /Server ssh\/bad is DOWN, reason: Layer7 invalid response, info: "TCPCHK did not match content \(regex\) at step 1", check duration: \d+ms\. 1 active and 0 backup servers left\./);
        await sleep(400);
        assert.doesNotMatch(tp.stderr(), /ssh\/good is DOWN/);
        // clients now reach the good server only
        const got = new Set<string>();
        for (let i = 0; i < 4; i++) got.add(await exchange(port, 'x'));
        assert.deepEqual(got, new Set(['SSH-2.0-OpenSSH_9.2\r\n']));
      });
    } finally {
      await good.close();
      await bad.close();
    }
  });

  test('observe layer4 with error-limit marks a server down on failed connections', async () => {
    // s1's traffic port is dead but its check port is alive: only observed traffic can take it down.
    const live = await replyServer(() => 'live\n');
    const dead = await freePort();
    const port = await freePort();
    try {
      const cfg = `${DEFAULTS}listen obs\n  bind 127.0.0.1:${port}\n  timeout connect 200ms\n  retries 1\n  option redispatch\n`
        + `  server s1 127.0.0.1:${dead} check port ${live.port} inter 100ms observe layer4 error-limit 2 on-error mark-down\n`
        + `  server s2 127.0.0.1:${live.port}\n`;
      await withProxy(cfg, [port], async (tp) => {
        await sleep(300);
        assert.doesNotMatch(tp.stderr(), /obs\/s1 is DOWN/, 'the check port is alive: checks alone keep s1 up');
        const got = await names(port, 6);
        assert.deepEqual(new Set(got), new Set(['live']), `every client is redispatched to s2: ${got}`);
        await tp.waitFor('Server obs/s1 is DOWN', 2000);
        assert.match(tp.stderr(), /Server obs\/s1 is DOWN, reason: Health analyze, info: "Detected 2 consecutive errors, last one was: L4 unsuccessful connection"/);
      });
    } finally {
      await live.close();
    }
  });
});

/** A server calling `onLine` for each CRLF/LF-terminated line received; records the lines. */
async function lineServer(onLine: (line: string, s: Socket) => void): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const socks = new Set<Socket>();
  const server = createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        received.push(line);
        onLine(line, s);
      }
    });
  });
  return listenLocal(server, socks, received);
}

/** A server that writes `banner` on connect and closes once the client closes. */
async function bannerServer(banner: string): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const server = createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
    s.end(banner);
  });
  return listenLocal(server, socks, []);
}

async function listenLocal(server: Server, socks: Set<Socket>, received: string[]): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    received,
    close: () => new Promise<void>((r) => {
      for (const s of socks) s.destroy();
      server.close(() => r());
    }),
  };
}
