// nbthread 2 against the real process: both threads accept (the "thread" fetch), server maxconn
// and queues hold across threads, health checks run once per server, a CLI "disable server" is
// seen by both threads, stats add both threads' counters up, round-robin stays exact across
// threads, and -sf reloads under load lose nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, createServer as createHttpServer } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { connect as tlsConnect } from 'node:tls';
import { makeTestCerts } from '../unit/protocols/tls-certs.ts';
import {
  tempDir, writeConfig, freePort, startTurnpike, withProxy, echoServer, exchange, runTurnpike, sleep, useMigrateReq, socat, waitAllThreadsListen, parseStatCsv, DEFAULTS, type RunningProxy,
} from './harness.ts';

const HTTP_DEFAULTS = DEFAULTS.replace('mode tcp', 'mode http');

/** One HTTP/1.1 request on a new connection; resolves with the status and body. */
function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** An HTTP server answering its name after `delayMs`, counting requests and the most in flight at once. */
async function slowNamed(name: string, delayMs: number): Promise<{ port: number; served: number; maxInFlight: number; close(): Promise<void> }> {
  const st = { port: 0, served: 0, maxInFlight: 0, inFlight: 0, close: async () => {} };
  const sockets = new Set<Socket>();
  const srv: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      buf = '';
      st.inFlight++;
      if (st.inFlight > st.maxInFlight) st.maxInFlight = st.inFlight;
      setTimeout(() => {
        st.inFlight--;
        st.served++;
        sock.end(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`);
      }, delayMs);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  st.port = (srv.address() as { port: number }).port;
  st.close = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    srv.close(() => r());
  });
  return st;
}

describe('nbthread 2', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  test('nbthread, thread-groups and cpu-map are checked as HAProxy 2.6 does', () => {
    const check = (global: string): string => {
      const r = runTurnpike(['-c', '-f', writeConfig(dir.path, `global\n  ${global}\n${DEFAULTS}listen l\n  bind 127.0.0.1:1\n`, 'kw.cfg')]);
      return r.code === 0 ? 'valid' : (r.stderr.match(/parsing \[[^\]]+\] : (.*)/)?.[1] ?? r.stderr);
    };
    assert.equal(check('nbthread 2'), 'valid');
    assert.equal(check('nbthread 0'), "'nbthread' value must be between 1 and 64 (was 0)");
    assert.equal(check('nbthread 65'), "'nbthread' value must be between 1 and 64 (was 65)");
    assert.equal(check('nbthread x'), "'nbthread' passed a missing or unparsable integer value in 'x'");
    assert.equal(check('thread-groups 1'), 'valid');
    assert.equal(check('thread-groups 2'), "'thread-groups' value must be between 1 and 1 (was 2)");
    assert.match(check('cpu-map 1 0'), /'cpu-map' cannot be honoured/);
    assert.match(check('nbproc 2'), /nbproc is not supported any more since HAProxy 2\.5/);
  });

  test('both threads accept connections ("thread" fetch) and show info says Nbthread: 2', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const sock = join(dir.path, 'a.sock');
    const cfg = `global\n  nbthread 2\n  stats socket ${sock} level admin\n${HTTP_DEFAULTS}`
      + `frontend f\n  bind 127.0.0.1:${port}\n  http-request return status 200 content-type text/plain lf-string "%[thread]"\n`;
    await withProxy(dir.path, cfg, [port], async () => {
      const seen = new Map<string, number>();
      for (let i = 0; i < 400 && (seen.size < 2 || i < 100); i++) {
        const r = await get(port);
        seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
      }
      assert.deepEqual([...seen.keys()].sort(), ['0', '1'], `thread ids seen: ${JSON.stringify([...seen])}`);
      const info = await socat(sock, 'show info\n');
      assert.match(info, /^Nbthread: 2$/m);
      const total = [...seen.values()].reduce((a, b) => a + b, 0);
      // Stats add both threads up: every request of both threads is in the frontend's totals.
      const fe = parseStatCsv(await socat(sock, 'show stat\n')).find((r) => r.pxname === 'f' && r.svname === 'FRONTEND')!;
      assert.equal(Number(fe.req_tot), total);
      assert.equal(Number(fe.hrsp_2xx), total);
      assert.equal(Number(fe.stot), total);
      assert.match(info, new RegExp(`^CumReq: ${total}$`, 'm'));
    });
  });

  test('"show servers conn" counts the idle server connections of each thread', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const sock = join(dir.path, 'conn.sock');
    // A keep-alive server: its connections can be pooled.
    const http = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const srv = { port: (http.address() as { port: number }).port, close: () => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }) };
    const cfg = `global\n  nbthread 2\n  stats socket ${sock} level admin\n${HTTP_DEFAULTS}`
      + `listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n  server none 127.0.0.1:${srv.port} pool-max-conn 0 disabled\n`;
    try {
      await withProxy(dir.path, cfg, [port], async () => {
        // http-reuse safe: each new client connection's request opens a server connection, then pooled.
        for (let i = 0; i < 40; i++) assert.equal((await get(port)).status, 200);
        const out = await socat(sock, 'show servers conn\n');
        const lines = out.split('\n');
        assert.equal(lines[0], '# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]');
        const f = lines.find((l) => l.startsWith('l/s '))!.split(' ');
        assert.match(f[1]!, /^\d+\/1$/, 'the backend id, then the server id');
        assert.deepEqual([f[0], ...f.slice(2, 6)], ['l/s', '127.0.0.1', String(srv.port), '-', '5000']);
        const [unsafe, safe, limit, idle, t0, t1] = f.slice(9).map(Number);
        assert.equal(limit, -1);
        assert.equal(idle, unsafe! + safe!);
        assert.equal(t0! + t1!, idle);
        assert.ok(t0! > 0 && t1! > 0, `both threads keep idle connections: ${f.join(' ')}`);
        assert.ok(idle! >= 2 && idle! <= 40, f.join(' '));
        // No idle connections kept: no per-thread columns, as HAProxy.
        assert.match(out, /^l\/none \S+ 127\.0\.0\.1 \d+ - 5000 0 0 0 0 0 0 0$/m);
      });
    } finally {
      await srv.close();
    }
  });

  test('%rt and %lc count in one sequence for both threads, as HAProxy\'s process-wide counters', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const sink = createSocket('udp4');
    const lines: string[] = [];
    sink.on('message', (m) => lines.push(m.toString('latin1')));
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const logPort = (sink.address() as { port: number }).port;
    const cfg = `global\n  nbthread 2\n${HTTP_DEFAULTS}`
      + `frontend f\n  bind 127.0.0.1:${port}\n  log 127.0.0.1:${logPort} local0\n  log-format "T=%[thread] rt=%rt lc=%lc"\n`
      + '  http-request return status 200 content-type text/plain lf-string "%[thread]"\n';
    try {
      await withProxy(dir.path, cfg, [port], async () => {
        const n = 60;
        for (let i = 0; i < n; i++) assert.equal((await get(port)).status, 200);
        for (let t = 0; t < 50 && lines.length < n; t++) await sleep(50);
        const rows = lines.map((l) => /T=(\d) rt=(\d+) lc=(\d+)/.exec(l)!).filter(Boolean);
        assert.equal(rows.length, n);
        assert.deepEqual(new Set(rows.map((r) => r[1])), new Set(['0', '1']), 'both threads logged');
        const rt = rows.map((r) => Number(r[2]));
        const lc = rows.map((r) => Number(r[3])).sort((a, b) => a - b);
        assert.equal(new Set(rt).size, n, `request numbers are unique: ${rt.join(' ')}`);
        // Each line carries the count of lines logged before it: 0..n-1 across both threads.
        assert.deepEqual(lc, Array.from({ length: n }, (_, i) => i));
      });
    } finally {
      sink.close();
    }
  });

  test('TLS sessions resume whichever thread issued them (shared ticket keys and session ID context)', { timeout: 60_000 }, async () => {
    const certs = makeTestCerts(dir.path);
    const port = await freePort();
    const cfg = `global\n  nbthread 2\n${HTTP_DEFAULTS}`
      + `frontend f\n  bind 127.0.0.1:${port} ssl crt ${join(certs.certsDir, 'a.pem')}\n`
      + '  http-request return status 200 content-type text/plain lf-string "%[ssl_fc_is_resumed] %[thread]"\n';
    await withProxy(dir.path, cfg, [port], async () => {
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        let session: Buffer | undefined;
        const seen: string[] = [];
        for (let i = 0; i < 40 && new Set(seen.filter((x) => x.startsWith('1 '))).size < 2; i++) {
          seen.push(await new Promise<string>((resolve) => {
            const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion, ...(session ? { session } : {}) });
            let text = '';
            s.on('session', (t: Buffer) => { session = t; });
            s.on('secureConnect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
            s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
            s.on('error', () => {});
            s.on('close', () => resolve(text.split('\r\n\r\n')[1] ?? ''));
          }));
        }
        // After the first full handshake, every connection resumes, on either thread.
        assert.deepEqual(seen.slice(1).filter((x) => !x.startsWith('1 ')), [], `${maxVersion}: ${seen.join(', ')}`);
        assert.deepEqual([...new Set(seen.slice(1).map((x) => x.slice(2)))].sort(), ['0', '1'], `${maxVersion}: ${seen.join(', ')}`);
      }
    });
  });

  test('"disable/enable frontend" and "set maxconn frontend" on the CLI apply to every thread', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const sock = join(dir.path, 'fe.sock');
    const cfg = `global\n  nbthread 2\n  stats socket ${sock} level admin\n${HTTP_DEFAULTS}`
      + `frontend f\n  bind 127.0.0.1:${port}\n  http-request return status 200 content-type text/plain lf-string "%[thread]"\n`;
    await withProxy(dir.path, cfg, [port], async () => {
      assert.equal(await socat(sock, 'disable frontend f\n'), '\n');
      await sleep(200);
      const refused = await Promise.all(Array.from({ length: 20 }, () => get(port).then(() => 'served', (e: NodeJS.ErrnoException) => e.code ?? 'error')));
      assert.deepEqual([...new Set(refused)], ['ECONNREFUSED']);
      assert.equal(await socat(sock, 'enable frontend f\n'), '\n');
      await sleep(200);
      const threadsSeen = new Set<string>();
      for (let i = 0; i < 200 && threadsSeen.size < 2; i++) threadsSeen.add((await get(port)).body);
      assert.deepEqual([...threadsSeen].sort(), ['0', '1']);
      // maxconn 0 on a frontend means no limit; a limit set on the CLI is the same on both threads.
      assert.equal(await socat(sock, 'set maxconn frontend f 7\n'), '\n');
      assert.match(await socat(sock, 'show stat\n'), /^f,FRONTEND,(?:[^,]*,){4}7,/m);
    });
  });

  test('on-marked-up shutdown-backup-sessions ends the backup sessions of every thread', { timeout: 60_000 }, async () => {
    const backup = await echoServer();
    const activePort = await freePort();
    const port = await freePort();
    const cfg = `global\n  nbthread 2\n${DEFAULTS}`
      + `listen l\n  bind 127.0.0.1:${port}\n  balance roundrobin\n`
      + `  server a 127.0.0.1:${activePort} check inter 200 rise 1 fall 1 on-marked-up shutdown-backup-sessions\n`
      + `  server b 127.0.0.1:${backup.port} backup\n`;
    let active: Server | undefined;
    await withProxy(dir.path, cfg, [port], async () => {
      await sleep(600); // the active server is marked down: traffic goes to the backup
      const clients = await Promise.all(Array.from({ length: 16 }, async () => {
        const c = createConnection(port, '127.0.0.1');
        c.on('error', () => {});
        const closed = new Promise<void>((r) => c.on('close', () => r()));
        await new Promise<void>((r) => c.on('connect', () => r()));
        return { c, closed };
      }));
      await sleep(300);
      assert.equal(backup.sockets.size, 16, 'every client reaches the backup server');
      active = createServer((sock) => sock.on('error', () => {}));
      await new Promise<void>((r) => active!.listen(activePort, '127.0.0.1', r));
      // Once the check sees the active server up, every thread closes its backup sessions.
      const all = Promise.all(clients.map((x) => x.closed));
      const t = await Promise.race([all.then(() => 'closed'), sleep(5000).then(() => 'timeout')]);
      for (const x of clients) x.c.destroy();
      assert.equal(t, 'closed');
    });
    active?.close();
    await backup.close();
  });

  test('"show sess" lists the connections of both threads; "shutdown session" ends one on either thread', { timeout: 60_000 }, async () => {
    const echo = await echoServer();
    const port = await freePort();
    const sock = join(dir.path, 'sess.sock');
    const cfg = `global\n  nbthread 2\n  stats socket ${sock} level admin\n${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`;
    await withProxy(dir.path, cfg, [port], async (tp) => {
      await waitAllThreadsListen(tp.pid, port);
      const clients = await Promise.all(Array.from({ length: 16 }, async () => {
        const c = createConnection(port, '127.0.0.1');
        c.on('error', () => {});
        let closed = false;
        c.on('close', () => { closed = true; });
        await new Promise<void>((r) => c.on('connect', () => r()));
        return { c, isClosed: () => closed };
      }));
      try {
        await sleep(300);
        const lines = (await socat(sock, 'show sess\n')).split('\n').filter((l) => / fe=l /.test(l));
        assert.equal(lines.length, 16, lines.join('\n'));
        const ids = lines.map((l) => parseInt(l.slice(2, l.indexOf(':')), 16));
        assert.equal(new Set(ids).size, 16);
        // Identifiers interleave by thread: both parities mean both threads hold connections.
        assert.deepEqual([...new Set(ids.map((id) => id % 2))].sort(), [0, 1]);
        for (const parity of [0, 1]) {
          const id = ids.find((x) => x % 2 === parity)!;
          assert.equal(await socat(sock, `shutdown session 0x${id.toString(16)}\n`), '\n');
        }
        await sleep(300);
        assert.equal(clients.filter((x) => x.isClosed()).length, 2);
        assert.equal((await socat(sock, 'show sess\n')).split('\n').filter((l) => / fe=l /.test(l)).length, 14);
      } finally {
        for (const x of clients) x.c.destroy();
      }
    });
    await echo.close();
  });

  test('the stats page served by either thread shows the checks, which run on the main thread', { timeout: 60_000 }, async () => {
    const up = await echoServer();
    const port = await freePort();
    const appPort = await freePort();
    const cfg = `global\n  nbthread 2\n${HTTP_DEFAULTS}`
      + `listen st\n  bind 127.0.0.1:${port}\n  stats enable\n  stats uri /stats\n`
      + `  http-request return status 200 content-type text/plain lf-string "%[thread]" if { path /t }\n`
      + `listen app\n  mode tcp\n  bind 127.0.0.1:${appPort}\n  server s1 127.0.0.1:${up.port} check inter 200\n  server s2 127.0.0.1:1 check inter 200\n`;
    await withProxy(dir.path, cfg, [port], async () => {
      await sleep(1500); // checks done, and copied to the other thread
      const seen = new Map<string, string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const c = createConnection(port, '127.0.0.1');
        const text = await new Promise<string>((resolve) => {
          let t = '';
          c.on('data', (d: Buffer) => { t += d.toString('latin1'); });
          c.on('close', () => resolve(t));
          c.on('error', () => resolve(t));
          // One connection, two requests: the thread's number, then its stats.
          c.end('GET /t HTTP/1.1\r\nhost: x\r\n\r\nGET /stats;csv HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
        });
        const thread = /\r\n\r\n([01])HTTP/.exec(text)?.[1];
        const rows = text.split('\n').filter((l) => l.startsWith('app,s')).map((l) => l.split(',').slice(0, 2).concat(l.split(',')[17]!, l.split(',')[36]!).join(','));
        if (thread !== undefined) seen.set(thread, rows.join(' '));
      }
      assert.deepEqual([...seen.keys()].sort(), ['0', '1']);
      for (const rows of seen.values()) assert.equal(rows, 'app,s1,UP,L4OK app,s2,DOWN,L4CON');
    });
    await up.close();
  });

  test('a stats page admin action posted to either thread reaches the main thread\'s checks', { timeout: 60_000 }, async () => {
    const up = await echoServer();
    const port = await freePort();
    const cfg = `global\n  nbthread 2\n${HTTP_DEFAULTS}`
      + `listen st\n  bind 127.0.0.1:${port}\n  stats enable\n  stats uri /stats\n  stats admin if TRUE\n`
      + `  http-request return status 200 content-type text/plain lf-string "%[thread]" if { path /t }\n`
      + `listen app\n  mode tcp\n  bind 127.0.0.1:${await freePort()}\n  server s1 127.0.0.1:${up.port} check inter 200\n`;
    const exchange2 = (second: string): Promise<string> => new Promise((resolve) => {
      const c = createConnection(port, '127.0.0.1');
      let t = '';
      c.on('data', (d: Buffer) => { t += d.toString('latin1'); });
      c.on('close', () => resolve(t));
      c.on('error', () => resolve(t));
      c.end(`GET /t HTTP/1.1\r\nhost: x\r\n\r\n${second}`);
    });
    const s1Status = async (): Promise<string> => {
      const t = await exchange2('GET /stats;csv HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      return t.split('\n').find((l) => l.startsWith('app,s1,'))!.split(',')[17]!;
    };
    await withProxy(dir.path, cfg, [port], async () => {
      await sleep(1200);
      assert.equal(await s1Status(), 'UP');
      // Post "disable health" from the other thread (the first reply says which thread serves).
      const body = 's=s1&action=dhlth&b=app';
      let posted = false;
      for (let i = 0; i < 40 && !posted; i++) {
        const t = await exchange2(`POST /stats HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
        posted = /\r\n\r\n1HTTP\/1\.1 303/.test(t);
      }
      assert.ok(posted, 'no POST reached thread 1');
      await sleep(1500);
      // The main thread disabled the check; both threads show it.
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) seen.add(await s1Status());
      assert.deepEqual([...seen], ['no check']);
    });
    await up.close();
  });

  test('server maxconn 1 holds across threads; queued requests are served when a slot frees on the other thread', { timeout: 60_000 }, async () => {
    const srv = await slowNamed('s', 100);
    const port = await freePort();
    const sock = join(dir.path, 'b.sock');
    const cfg = `global\n  nbthread 2\n  stats socket ${sock} level admin\n${HTTP_DEFAULTS}`
      + `frontend f\n  bind 127.0.0.1:${port}\n  http-request set-header x-thread %[thread]\n  default_backend b\n`
      + `backend b\n  timeout queue 20s\n  server s 127.0.0.1:${srv.port} maxconn 1\n`;
    try {
      await withProxy(dir.path, cfg, [port], async (tp) => {
        await waitAllThreadsListen(tp.pid, port);
        const results = await Promise.all(Array.from({ length: 20 }, () => get(port)));
        assert.deepEqual(results.map((r) => r.status), new Array(20).fill(200));
        assert.equal(srv.maxInFlight, 1, 'never two requests at the server at once');
        assert.equal(srv.served, 20);
        const rows = parseStatCsv(await socat(sock, 'show stat\n'));
        const s = rows.find((r) => r.pxname === 'b' && r.svname === 's')!;
        assert.equal(s.smax, '1');
        assert.equal(s.stot, '20');
        assert.ok(Number(rows.find((r) => r.pxname === 'b' && r.svname === 'BACKEND')!.qmax) >= 2, 'requests were queued');
        assert.equal(s.scur, '0');
        assert.equal(s.qcur, '0');
      });
    } finally {
      await srv.close();
    }
  });

  test('health checks run once per server (not once per thread), and DOWN is seen by both threads', { timeout: 60_000 }, async () => {
    let checks = 0;
    const up = createServer((s) => { checks++; s.destroy(); });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    const upPort = (up.address() as { port: number }).port;
    const deadPort = await freePort();
    const port = await freePort();
    const cfg = `global\n  nbthread 2\n${DEFAULTS}`
      + `listen l\n  bind 127.0.0.1:${port}\n  balance roundrobin\n`
      + `  server up 127.0.0.1:${upPort} check inter 200 rise 1 fall 1\n  server dead 127.0.0.1:${deadPort} check inter 200 rise 1 fall 1\n`;
    try {
      await withProxy(dir.path, cfg, [port], async (tp) => {
        await tp.waitFor(/dead is DOWN/, 10_000);
        const before = checks;
        const t0 = Date.now();
        await sleep(2000);
        const n = checks - before;
        // 5 checks a second at inter 200 for one checker; two checkers would make ~10. A rate over
        // the time that really passed: on a busy machine the sleep may last longer.
        const rate = n / ((Date.now() - t0) / 1000);
        assert.ok(rate >= 3 && rate <= 7, `${n} check connections in ${Date.now() - t0} ms`);
        // Every connection goes to "up" (whichever thread takes it): "dead" is down everywhere.
        const before2 = checks;
        let failed = 0;
        for (let i = 0; i < 40; i++) {
          const r = await exchange(port, null, { timeoutMs: 2000 }).catch(() => 'error');
          if (r === 'error') failed++;
        }
        assert.equal(failed, 0);
        assert.ok(checks - before2 >= 40, 'the connections reached the up server');
        assert.equal((tp.stderr().match(/dead is DOWN/g) ?? []).length, 1, 'the transition is reported once');
      });
    } finally {
      await new Promise<void>((r) => up.close(() => r()));
    }
  });

  test('"disable server" on the CLI is seen by both threads; roundrobin alternates exactly across threads', { timeout: 60_000 }, async () => {
    const a = await slowNamed('a', 0);
    const b = await slowNamed('b', 0);
    const port = await freePort();
    const sock = join(dir.path, 'c.sock');
    const cfg = `global\n  nbthread 2\n  stats socket ${sock} level admin\n${HTTP_DEFAULTS}`
      + `frontend f\n  bind 127.0.0.1:${port}\n  default_backend b\n`
      + `backend b\n  balance roundrobin\n  server a 127.0.0.1:${a.port}\n  server b 127.0.0.1:${b.port}\n`;
    try {
      await withProxy(dir.path, cfg, [port], async (tp) => {
        await waitAllThreadsListen(tp.pid, port);
        const seq: string[] = [];
        for (let i = 0; i < 40; i++) seq.push((await get(port)).body);
        for (let i = 1; i < seq.length; i++) assert.notEqual(seq[i], seq[i - 1], `roundrobin sequence ${seq.join('')}`);
        assert.equal(await socat(sock, 'disable server b/b\n'), '\n');
        const after: string[] = [];
        for (let i = 0; i < 40; i++) after.push((await get(port)).body);
        assert.deepEqual([...new Set(after)], ['a'], `after disable: ${after.join('')}`);
        assert.equal(await socat(sock, 'enable server b/b\n'), '\n');
        const back: string[] = [];
        for (let i = 0; i < 20; i++) back.push((await get(port)).body);
        assert.deepEqual([...new Set(back)].sort(), ['a', 'b']);
      });
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('leastconn reads the connection counts of both threads', { timeout: 60_000 }, async () => {
    const held: Socket[] = [];
    const x = createServer((s) => { held.push(s); s.write('x\n'); });
    const y = createServer((s) => { held.push(s); s.write('y\n'); });
    await Promise.all([x, y].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    const port = await freePort();
    const cfg = `global\n  nbthread 2\n${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  balance leastconn\n`
      + `  server x 127.0.0.1:${(x.address() as { port: number }).port}\n  server y 127.0.0.1:${(y.address() as { port: number }).port}\n`;
    const clients: Socket[] = [];
    try {
      await withProxy(dir.path, cfg, [port], async (tp) => {
        await waitAllThreadsListen(tp.pid, port);
        // 20 long connections arrive on both threads; leastconn keeps the servers within one of each other.
        const names: string[] = [];
        for (let i = 0; i < 20; i++) {
          const { connect } = await import('node:net');
          const c = connect(port, '127.0.0.1');
          clients.push(c);
          names.push(await new Promise<string>((r) => c.once('data', (d) => r(d.toString().trim()))));
        }
        const nx = names.filter((n) => n === 'x').length;
        assert.ok(Math.abs(nx - 10) <= 1, `x got ${nx} of 20 (${names.join('')})`);
      });
    } finally {
      for (const c of clients) c.destroy();
      for (const s of held) s.destroy();
      await Promise.all([x, y].map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });

  test('soft stop (SIGUSR1) drains both threads; -sf reloads under load lose no connection', { timeout: 100_000 }, async (t) => {
    const sysctl = useMigrateReq();
    if (typeof sysctl === 'string') {
      t.skip(sysctl);
      return;
    }
    const echo = await echoServer();
    const port = await freePort();
    const pidfile = join(dir.path, 'tp.pid');
    const cfg = writeConfig(dir.path, `global\n  nbthread 2\n${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`, 'reload.cfg');
    const procs: RunningProxy[] = [];
    let stop = false;
    let total = 0;
    const failures: string[] = [];
    try {
      procs.push(await startTurnpike(cfg, [port], ['-p', pidfile]));
      await sleep(1000);
      const loops = Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            const r = await exchange(port, 'ping\n', { timeoutMs: 5000 });
            if (r !== 'ping\n') failures.push(`echo: ${JSON.stringify(r)}`);
            total++;
          } catch (e) {
            failures.push((e as Error).message);
          }
        }
      });
      for (let i = 0; i < 5; i++) {
        await sleep(600);
        const old = procs[procs.length - 1]!;
        const next = await startTurnpike(cfg, [port], ['-p', pidfile, '-sf', String(old.pid)]);
        procs.push(next);
        assert.equal(await old.waitExit(20_000), 0, 'the old process (both threads) finished');
      }
      await sleep(500);
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(failures, [], `${failures.length} failures out of ${total}`);
      assert.ok(total > 50, `only ${total} exchanges`);
    } finally {
      stop = true;
      for (const p of procs) if (!p.done()) await p.stop('SIGTERM');
      sysctl.release();
      await echo.close();
    }
  });
});
