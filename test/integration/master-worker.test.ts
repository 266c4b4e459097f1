// Master-worker mode (-W, -S): the master starts a worker and stays resident; "show proc" on the
// master CLI; reloads by SIGUSR2 and by "reload" (old worker drained, broken configuration kept
// out, mworker-max-reloads); "@" routing to a worker's CLI; a worker dying; -D; stopping; and 20
// reloads under client load without a failed connection.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  tempDir, writeConfig, freePort, startTurnpike, echoServer, replyServer, exchange, openClient, sleep, until,
  isAlive, waitListening, listeningOn, useMigrateReq, TURNPIKE, DEFAULTS, REFERENCE, type Client, type RunningProxy,
} from './harness.ts';
import { makeTestCerts } from '../unit/protocols/tls-certs.ts';

interface Procs {
  master: number;
  /** The "[failed: n]" count of the master line. */
  failed: number;
  workers: number[];
  old: number[];
  text: string;
}

/** Sends commands to the master CLI; retries while it is unreachable (HAProxy's master re-executes itself on reload). */
async function cli(sock: string, commands: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await exchange(0, `${commands}\n`, { path: sock, timeoutMs: 5000 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ECONNREFUSED' && code !== 'ENOENT') || Date.now() > deadline) throw e;
      await sleep(50);
    }
  }
}

async function showProc(sock: string): Promise<Procs> {
  const text = await cli(sock, 'show proc');
  const r: Procs = { master: 0, failed: -1, workers: [], old: [], text };
  let section = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      section = line;
      continue;
    }
    const c = line.trim().split(/\s+/);
    if (c[1] === 'master') {
      r.master = Number(c[0]);
      r.failed = Number(/\[failed: (\d+)\]/.exec(line)?.[1] ?? -1);
    } else if (c[1] === 'worker') {
      (section === '# old workers' ? r.old : r.workers).push(Number(c[0]));
    }
  }
  return r;
}

/** Polls `cond` (async) every 50 ms until true; false after `ms`. */
async function poll(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await cond()) return true;
    } catch { /* the master CLI may be briefly unavailable (HAProxy re-executes itself) */ }
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Waits until the master lists a current worker other than `not`, listening on `port`; returns its pid. */
async function currentWorker(sock: string, port: number, not = 0): Promise<number> {
  let pid = 0;
  const ok = await poll(async () => {
    const p = await showProc(sock);
    pid = p.workers.length === 1 && p.workers[0] !== not ? p.workers[0]! : 0;
    return pid > 0;
  }, 20_000);
  assert.ok(ok, `no new current worker (other than ${not}) in show proc`);
  assert.ok(await waitListening(pid, [port], 10_000), `worker ${pid} does not listen on ${port}`);
  return pid;
}

async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  return until(() => !isAlive(pid), ms);
}

describe('master-worker mode', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  const sockPath = (): string => join(dir.path, `m-${Math.random().toString(36).slice(2)}.sock`);

  async function startMaster(cfgText: string, extra: string[] = []): Promise<{ tp: RunningProxy; sock: string; cfg: string }> {
    const sock = sockPath();
    const cfg = writeConfig(dir.path, cfgText, `cfg-${Math.random().toString(36).slice(2)}.cfg`);
    const tp = await startTurnpike(cfg, [sock], ['-W', '-S', sock, ...extra]);
    return { tp, sock, cfg };
  }

  test('show proc, traffic through the worker, @ routing to its CLI, help and unknown commands', async () => {
    const srv = await replyServer(() => 'from-backend\n');
    const port = await freePort();
    const { tp, sock } = await startMaster(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n`);
    try {
      const worker = await currentWorker(sock, port);
      assert.notEqual(worker, tp.pid);
      const p = await showProc(sock);
      const lines = p.text.split('\n');
      assert.equal(lines[0], '#<PID>          <type>          <reloads>       <uptime>        <version>      ');
      assert.match(lines[1]!, new RegExp(`^${tp.pid} {${16 - String(tp.pid).length}}master {10}0 \\[failed: 0\\] {3}\\dd\\d\\dh\\d\\dm\\d\\ds {5}\\S+`));
      assert.equal(lines[2], '# workers');
      assert.match(lines[3]!, new RegExp(`^${worker} +worker {10}0 {15}\\dd\\d\\dh\\d\\dm\\d\\ds {5}\\S+`));
      assert.deepEqual(lines.slice(4), ['# programs', '', '']);
      assert.equal(p.master, tp.pid);

      assert.equal(await exchange(port, 'x'), 'from-backend\n');
      assert.equal(listeningOn(tp.pid).ports.has(port), false, 'the master itself must not listen on the proxy port');

      const info = await cli(sock, '@1 show info');
      assert.match(info, new RegExp(`^Pid: ${worker}$`, 'm'));
      assert.match(await cli(sock, `@!${worker} show stat`), /^l,FRONTEND,/m);
      assert.match(await cli(sock, '@1 show env HAPROXY_MWORKER'), /^HAPROXY_MWORKER=1$/m);
      // "@" prefixes alone switch the target; "@master" / "@" come back.
      const both = await cli(sock, '@1; show info; @; show proc');
      assert.match(both, new RegExp(`^Pid: ${worker}$`, 'm'));
      assert.match(both, /^# workers$/m);
      assert.equal(await cli(sock, '@2 show info; show proc'), "Can't find the target PID matching the prefix '@2'\n");
      assert.equal(await cli(sock, '@!1 show info'), "Can't find the target PID matching the prefix '@!1'\n");

      const help = await cli(sock, 'help');
      assert.ok(help.startsWith('The following commands are valid at this level:\n'));
      for (const kw of ['@!<pid>', '@<relative pid>', '@master', 'reload', 'show proc', 'show cli level']) {
        assert.match(help, new RegExp(`^  ${kw.replace(/[<>!]/g, '\\$&')} +: `, 'm'), kw);
      }
      assert.equal(await cli(sock, 'relaod'), 'Unknown command, but maybe one of the following ones is a better match:\n'
        + '  reload                                  : reload haproxy\n'
        + '  help [<command>]                        : list matching or all commands\n'
        + '  prompt                                  : toggle interactive mode with prompt\n'
        + '  quit                                    : disconnect\n\n');
      assert.equal(await cli(sock, 'show cli level'), 'admin\n\n');
      assert.equal(await cli(sock, 'user; show cli level; @1 show cli level'), 'user\n\nuser\n\n');
      assert.equal(await cli(sock, 'user; reload'), 'Permission denied\n\n');
      assert.equal(await cli(sock, 'user; operator'), 'Permission denied!\n');
      assert.equal(await cli(sock, 'prompt; @1; @master; quit'), `master> ${worker}> master> master> `);
    } finally {
      assert.equal(await tp.stop(), 0);
      await srv.close();
    }
  });

  test('SIGUSR2 reloads: a new worker takes over, the old one finishes its connection then exits', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const { tp, sock } = await startMaster(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`);
    let c: Client | null = null;
    try {
      const first = await currentWorker(sock, port);
      c = openClient(port);
      c.sock.write('before;');
      await c.waitData('before;');
      tp.signal('SIGUSR2');
      const second = await currentWorker(sock, port, first);
      await tp.waitFor(/Reloading (HAProxy|Turnpike)/, 5000);
      const p = await showProc(sock);
      assert.deepEqual(p.old, [first], p.text);
      assert.match(p.text, new RegExp(`^${tp.pid} +master +1 \\[failed: 0\\]`, 'm'));
      assert.match(p.text, new RegExp(`^${first} +worker +1 `, 'm'), 'the old worker went through 1 reload');
      assert.ok(await waitListening(first, [port], 5000, true), 'the old worker still listens');
      await sleep(300);
      assert.ok(isAlive(first), 'the old worker left while its connection was open');
      c.sock.write('after;');
      await c.waitData('before;after;');
      assert.equal(await exchange(port, 'new;'), 'new;');
      c.sock.end();
      assert.ok(await waitGone(first), 'the old worker did not exit once its connection ended');
      await tp.waitFor(`Former worker (${first}) exited with code 0 (Exit)`, 5000);
      assert.deepEqual((await showProc(sock)).old, []);
      assert.ok(isAlive(second));
    } finally {
      c?.destroy();
      await tp.stop();
      await echo.close();
    }
  });

  test('a reload with a broken configuration keeps the worker serving and is reported', async () => {
    const srv = await replyServer(() => 'ok\n');
    const port = await freePort();
    const good = `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n`;
    const { tp, sock, cfg } = await startMaster(good);
    try {
      const worker = await currentWorker(sock, port);
      writeFileSync(cfg, `${good}  bogus-keyword here\n`);
      const from = tp.stderr().length;
      assert.equal(await cli(sock, 'reload'), '');
      await tp.waitFor('Loading failure!', 15_000, from);
      assert.match(tp.stderr().slice(from), /\[ALERT\] +\(\d+\) : config : parsing \[[^\]]+:\d+\] : unknown keyword 'bogus-keyword' in 'listen' section/);
      const p = await showProc(sock);
      assert.equal(p.failed, 1, p.text);
      assert.deepEqual(p.workers, [worker]);
      assert.match(p.text, new RegExp(`^${worker} +worker +1 `, 'm'), 'the worker counts the failed reload');
      assert.equal(await cli(sock, 'prompt'), 'master[ReloadFailed]> ');
      assert.equal(await exchange(port, 'x'), 'ok\n');
      writeFileSync(cfg, good);
      assert.equal(await cli(sock, 'reload'), '');
      await currentWorker(sock, port, worker);
      assert.equal((await showProc(sock)).failed, 0);
      assert.equal(await cli(sock, 'prompt'), 'master> ');
      assert.equal(await exchange(port, 'x'), 'ok\n');
    } finally {
      await tp.stop();
      await srv.close();
    }
  });

  test('mworker-max-reloads 0: the old worker is terminated at the reload, open connection or not', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const { tp, sock } = await startMaster(`global\n  mworker-max-reloads 0\n${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`);
    let c: Client | null = null;
    try {
      const first = await currentWorker(sock, port);
      c = openClient(port);
      c.sock.write('x');
      await c.waitData('x');
      assert.equal(await cli(sock, 'reload'), '');
      await currentWorker(sock, port, first);
      assert.ok(await waitGone(first, 5000), 'the old worker is still running');
      assert.ok(await c.closedWithin(3000), 'the connection of the terminated worker is still open');
      await tp.waitFor(new RegExp(`Former worker \\(${first}\\) exited with code (0 \\(Exit\\)|143 \\(Terminated\\))`), 5000);
    } finally {
      c?.destroy();
      await tp.stop();
      await echo.close();
    }
  });

  test('a worker dying unexpectedly stops the master (exit-on-failure) with its status', async () => {
    const port = await freePort();
    const { tp, sock } = await startMaster(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:1\n`);
    try {
      const worker = await currentWorker(sock, port);
      process.kill(worker, 'SIGKILL');
      assert.equal(await tp.waitExit(10_000), 137);
      const err = tp.stderr();
      assert.match(err, new RegExp(`\\[ALERT\\] +\\(${tp.pid}\\) : Current worker \\(${worker}\\) exited with code 137 \\(Killed\\)`));
      assert.match(err, /\[ALERT\] +\(\d+\) : exit-on-failure: killing every processes with SIGTERM/);
      assert.match(err, /\[WARNING\] +\(\d+\) : All workers exited\. Exiting\.\.\. \(137\)/);
    } finally {
      await tp.stop();
    }
  });

  test('SIGTERM on the master stops every process', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const { tp, sock } = await startMaster(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`);
    let c: Client | null = null;
    try {
      const first = await currentWorker(sock, port);
      c = openClient(port);
      c.sock.write('x');
      await c.waitData('x');
      tp.signal('SIGUSR2');
      const second = await currentWorker(sock, port, first);
      assert.ok(isAlive(first), 'the old worker (with its open connection) is gone already');
      tp.signal('SIGTERM');
      assert.equal(await tp.waitExit(10_000), 0);
      assert.ok(await waitGone(first, 3000), `old worker ${first} survived the master`);
      assert.ok(await waitGone(second, 3000), `worker ${second} survived the master`);
      assert.match(tp.stderr(), /\[WARNING\] +\(\d+\) : Exiting Master process\.\.\./);
      assert.ok(await c.closedWithin(2000));
    } finally {
      c?.destroy();
      await tp.stop();
      await echo.close();
    }
  });

  test('-D with -W: the master goes daemon, the pid file holds its pid, its worker serves', async () => {
    const srv = await replyServer(() => 'daemon\n');
    const port = await freePort();
    const sock = sockPath();
    const pidfile = join(dir.path, 'mw.pid');
    const cfg = writeConfig(dir.path, `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n`, 'daemon.cfg');
    let master = 0;
    let worker = 0;
    try {
      const launcher = spawn(TURNPIKE, ['-W', '-D', '-S', sock, '-p', pidfile, '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      launcher.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      launcher.stdout.resume();
      const code = await new Promise<number | null>((resolve, reject) => {
        const t = setTimeout(() => { launcher.kill('SIGKILL'); reject(new Error(`-D did not return within 20 s; stderr:\n${err}`)); }, 20_000);
        launcher.on('exit', (c) => { clearTimeout(t); resolve(c); });
      });
      assert.equal(code, 0, err);
      assert.ok(await until(() => existsSync(pidfile), 5000), `no pid file; stderr:\n${err}`);
      master = Number(readFileSync(pidfile, 'utf8').trim());
      assert.ok(master > 0 && master !== launcher.pid && isAlive(master), `pid file holds ${master}`);
      worker = await currentWorker(sock, port);
      assert.equal((await showProc(sock)).master, master);
      assert.equal(await exchange(port, 'x'), 'daemon\n');
      // Messages written after the terminal went away must not kill anybody.
      assert.equal(await cli(sock, 'reload'), '');
      worker = await currentWorker(sock, port, worker);
      assert.equal(await exchange(port, 'x'), 'daemon\n');
    } finally {
      if (master > 0 && isAlive(master)) {
        process.kill(master, 'SIGTERM');
        await waitGone(master, 5000);
      }
      assert.ok(worker === 0 || await waitGone(worker, 5000), 'the worker survived its master');
      await srv.close();
    }
  });

  test('a command payload ("<<" then lines up to an empty one) is forwarded to the worker with its command', async () => {
    const certs = makeTestCerts(dir.path);
    const port = await freePort();
    const pem = join(certs.certsDir, 'a.pem');
    const { tp, sock } = await startMaster(`${DEFAULTS}frontend f\n  bind 127.0.0.1:${port} ssl crt ${pem}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`);
    try {
      await currentWorker(sock, port);
      const payload = readFileSync(join(certs.certsDir, 'b.pem'), 'latin1').trim();
      assert.equal(await cli(sock, `@1 set ssl cert ${pem} <<\n${payload}\n`), `Transaction created for certificate ${pem}!\n\n`);
      assert.equal(await cli(sock, `@1 abort ssl cert ${pem}`), `Transaction aborted for certificate '${pem}'!\n\n`);
    } finally {
      await tp.stop();
    }
  });

  test('-S without -W: a warning, and no master CLI', { skip: REFERENCE && 'message wording' }, async () => {
    const port = await freePort();
    const sock = sockPath();
    const cfg = writeConfig(dir.path, `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:1\n`, 'nomw.cfg');
    const tp = await startTurnpike(cfg, [port], ['-S', sock]);
    try {
      assert.match(tp.stderr(), /\[WARNING\] +\(\d+\) : config : a master CLI socket was defined, but master-worker mode \(-W\) is not enabled\./);
      assert.equal(existsSync(sock), false);
    } finally {
      await tp.stop();
    }
  });
});

describe('master-worker reloads under load', () => {
  const RELOADS = 20;
  const LOOPS = 4;
  let sysctl: { release(): void } | string = 'not set up';
  let dir: { path: string; cleanup(): void };
  before(() => {
    dir = tempDir();
    sysctl = useMigrateReq();
  });
  after(() => {
    if (typeof sysctl !== 'string') sysctl.release();
    dir.cleanup();
  });

  test(`${RELOADS} reloads on the master CLI under ${LOOPS} client loops lose no connection`, { timeout: 180_000 }, async (t) => {
    if (typeof sysctl === 'string') {
      t.skip(sysctl);
      return;
    }
    const echo = await echoServer();
    const port = await freePort();
    const sock = join(dir.path, 'master.sock');
    const cfg = writeConfig(dir.path, `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`);
    const tp = await startTurnpike(cfg, [sock], ['-W', '-S', sock]);
    let stop = false;
    let total = 0;
    const failures: string[] = [];
    const loops: Promise<void>[] = [];
    const reloadMs: number[] = [];
    try {
      let worker = await currentWorker(sock, port);
      for (let l = 0; l < LOOPS; l++) {
        loops.push((async () => {
          for (let n = 0; !stop; n++) {
            const payload = `loop${l}-req${n}-${'x'.repeat(64)}`;
            try {
              const r = await exchange(port, payload, { timeoutMs: 5000 });
              if (r !== payload) failures.push(`loop ${l} #${n}: incomplete (${r.length}/${payload.length} bytes)`);
            } catch (e) {
              failures.push(`loop ${l} #${n}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            }
            total++;
          }
        })());
      }
      await sleep(200);
      for (let i = 1; i <= RELOADS; i++) {
        const t0 = Date.now();
        assert.equal(await cli(sock, 'reload'), '');
        const next = await currentWorker(sock, port, worker);
        reloadMs.push(Date.now() - t0);
        assert.ok(await waitGone(worker, 10_000), `old worker ${worker} still running after reload ${i}`);
        worker = next;
      }
      await sleep(200);
      stop = true;
      await Promise.all(loops);
      const p = await showProc(sock);
      assert.match(p.text, new RegExp(`^${tp.pid} +master +${RELOADS} \\[failed: 0\\]`, 'm'));
      reloadMs.sort((a, b) => a - b);
      const summary = `${total} connections during ${RELOADS} master-worker reloads, ${failures.length} failed; reload to new worker serving: median ${reloadMs[RELOADS >> 1]} ms, max ${reloadMs[RELOADS - 1]} ms`;
      t.diagnostic(summary);
      console.log(`master-worker reload-under-load: ${summary}`);
      assert.ok(total > RELOADS * LOOPS, `only ${total} connections were made`);
      assert.deepEqual(failures, [], `${failures.length} of ${total} connections failed across ${RELOADS} reloads`);
    } finally {
      stop = true;
      await Promise.all(loops);
      await tp.stop();
      await echo.close();
    }
  });
});
