// HTTP health checks ("option httpchk", http-check) and agent checks, run by the real binary on
// tcp-mode backends (checks do not depend on the proxy mode). Message texts are HAProxy 2.6's:
// this suite also passes against /usr/sbin/haproxy (TURNPIKE_BIN=/usr/sbin/haproxy).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  tempDir, freePort, replyServer, exchange, sleep, until, DEFAULTS, type RunningProxy,
  withProxy as withSharedProxy,
} from './harness.ts';

/** An HTTP server answering the check with `status()`, recording the check requests. */
async function healthServer(status: () => number): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const srv: HttpServer = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
    const s = status();
    res.writeHead(s, { 'content-type': 'text/plain' });
    res.end(String(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
  };
}

/** A TCP agent answering each connection with the current reply line. */
async function agentServer(): Promise<{ port: number; reply: string; received: string[]; close(): Promise<void> }> {
  const state = { reply: 'ready\n', received: [] as string[] };
  const srv: Server = createServer((c) => {
    c.on('error', () => {});
    c.on('data', (d) => state.received.push(d.toString()));
    c.end(state.reply);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    get reply() { return state.reply; },
    set reply(v: string) { state.reply = v; },
    received: state.received,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

// A check's read timeout is its interval unless "timeout check" is set: 100 ms intervals would
// turn a loaded machine's scheduling delays into Layer7 timeouts.
const CHECK_DEFAULTS = `${DEFAULTS}  timeout check 3s\n`;

describe('http and agent checks', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  const withProxy = (cfg: string, ports: number[], body: (tp: RunningProxy) => Promise<void>): Promise<void> =>
    withSharedProxy(dir.path, cfg, ports, body);

  test('option httpchk: a 503 takes the server DOWN with the status and reason, a 200 brings it back UP', { timeout: 30_000 }, async () => {
    let status = 200;
    const web = await healthServer(() => status);
    const port = await freePort();
    try {
      const cfg = `${CHECK_DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  option httpchk GET /health\n`
        + `  server s1 127.0.0.1:${web.port} check inter 100ms fall 1 rise 1\n`;
      await withProxy(cfg, [port], async (tp) => {
        assert.ok(await until(() => web.requests.length > 0, 3000), 'a check reached the server');
        assert.equal(web.requests[0], 'GET /health HTTP/1.0');
        await sleep(300);
        assert.doesNotMatch(tp.stderr(), /is DOWN/);

        let mark = tp.stderr().length;
        status = 503;
        await tp.waitFor('Server l/s1 is DOWN', 3000, mark);
        assert.match(tp.stderr().slice(mark), /\[WARNING\] +\(\d+\) : Server l\/s1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: \d+ms\. 0 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.\n/);
        await tp.waitFor("proxy 'l' has no server available!", 3000, mark);

        mark = tp.stderr().length;
        status = 200;
        await tp.waitFor('Server l/s1 is UP', 3000, mark);
        assert.match(tp.stderr().slice(mark), /\[WARNING\] +\(\d+\) : Server l\/s1 is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.\n/);
      });
    } finally {
      await web.close();
    }
  });

  test('http-check disable-on-404 soft-stops the server ("is stopping"), http-check expect string', { timeout: 30_000 }, async () => {
    let status = 200;
    const web = await healthServer(() => status);
    const port = await freePort();
    try {
      const cfg = `${CHECK_DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  option httpchk GET /health\n  http-check disable-on-404\n`
        + `  server s1 127.0.0.1:${web.port} check inter 100ms fall 1 rise 1\n`
        + `backend b2\n  option httpchk\n  http-check expect string good\n  server s2 127.0.0.1:${web.port} check inter 100ms fall 1 rise 1\n`;
      await withProxy(cfg, [port], async (tp) => {
        // the body is "200", not "good"
        await tp.waitFor('Server b2/s2 is DOWN', 3000);
        assert.match(tp.stderr(), /Server b2\/s2 is DOWN, reason: Layer7 invalid response, info: "HTTP content check did not match", check duration: \d+ms\. 0 active/);
        const mark = tp.stderr().length;
        status = 404;
        await tp.waitFor('Server l/s1 is stopping', 3000, mark);
        assert.match(tp.stderr().slice(mark), /\[WARNING\] +\(\d+\) : Server l\/s1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: \d+ms\. 0 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.\n/);
        status = 200;
        await tp.waitFor('Server l/s1 is UP', 3000, mark);
      });
    } finally {
      await web.close();
    }
  });

  test('agent-check: "50%" halves the weight, "drain" and "ready" change the state, "down"/"up" the health', { timeout: 40_000 }, async () => {
    const s1 = await replyServer(() => 's1\n');
    const s2 = await replyServer(() => 's2\n');
    const agent = await agentServer();
    agent.reply = '100%\n';
    const port = await freePort();
    const names = async (n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await exchange(port, 'x').catch(() => '')).trim());
      return out;
    };
    const share = (list: string[], name: string) => list.filter((x) => x === name).length;
    try {
      const cfg = `${CHECK_DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance roundrobin\n`
        + `  server s1 127.0.0.1:${s1.port} weight 2 agent-check agent-port ${agent.port} agent-inter 100ms agent-send "hello\\n"\n`
        + `  server s2 127.0.0.1:${s2.port} weight 1\n`;
      await withProxy(cfg, [port], async (tp) => {
        assert.ok(await until(() => agent.received.length > 0, 3000), 'the agent was contacted');
        assert.equal(agent.received[0], 'hello\n');
        // weights 2:1
        let seq = await names(30);
        assert.equal(share(seq, 's1'), 20, seq.join(' '));

        agent.reply = '50%\n';
        await sleep(400);
        // weights 1:1
        seq = await names(30);
        assert.equal(share(seq, 's1'), 15, seq.join(' '));

        let mark = tp.stderr().length;
        agent.reply = 'drain\n';
        await tp.waitFor('Server l/s1 enters drain state', 3000, mark);
        assert.match(tp.stderr().slice(mark), /\[WARNING\] +\(\d+\) : Server l\/s1 enters drain state\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.\n/);
        seq = await names(6);
        assert.deepEqual(new Set(seq), new Set(['s2']));

        mark = tp.stderr().length;
        agent.reply = 'ready\n';
        await tp.waitFor('Server l/s1 is UP (leaving forced drain).', 3000, mark);
        seq = await names(6);
        assert.deepEqual(new Set(seq), new Set(['s1', 's2']));

        mark = tp.stderr().length;
        agent.reply = 'down # planned\n';
        await tp.waitFor('Server l/s1 is DOWN', 3000, mark);
        assert.match(tp.stderr().slice(mark), /Server l\/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down \(planned\)", check duration: \d+ms\. 1 active and 0 backup servers left\./);
        seq = await names(4);
        assert.deepEqual(new Set(seq), new Set(['s2']));

        mark = tp.stderr().length;
        agent.reply = 'up\n';
        await tp.waitFor('Server l/s1 is UP', 3000, mark);
        assert.match(tp.stderr().slice(mark), /Server l\/s1 is UP, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: \d+ms\. 2 active and 0 backup servers online\./);
      });
    } finally {
      await s1.close();
      await s2.close();
      await agent.close();
    }
  });
});
