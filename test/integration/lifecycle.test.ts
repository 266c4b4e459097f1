// Process lifecycle: signals (TERM, INT, USR1 soft stop, TTOU/TTIN pause), hard-stop-after,
// pid file, daemon mode, frontend maxconn, -sf reload.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import {
  tempDir, writeConfig, freePort, startTurnpike, echoServer, recordingServer, replyServer, exchange, openClient,
  sleep, until, isAlive, canConnect, waitListening, listeningOn, TURNPIKE, REFERENCE, TERM_EXIT, INT_EXIT, DEFAULTS,
  type Client,
} from './harness.ts';

describe('process lifecycle', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  const cfgFile = (text: string): string => writeConfig(dir.path, text, `cfg-${Math.random().toString(36).slice(2)}.cfg`);

  test('SIGTERM stops at once with exit 0, cutting open connections', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const tp = await startTurnpike(cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`), [port]);
    const c = openClient(port);
    try {
      c.sock.write('a');
      await c.waitData('a');
      tp.signal('SIGTERM');
      assert.equal(await tp.waitExit(3000), TERM_EXIT);
      assert.ok(await c.closedWithin(2000), 'client connection left open after SIGTERM');
    } finally {
      c.destroy();
      await tp.stop();
      await echo.close();
    }
  });

  test('SIGINT stops with exit 0', async () => {
    const port = await freePort();
    const tp = await startTurnpike(cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:1\n`), [port]);
    tp.signal('SIGINT');
    assert.equal(await tp.waitExit(3000), INT_EXIT);
  });

  test('SIGUSR1 soft stop: stops listening, the open connection keeps working, then exit 0', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const tp = await startTurnpike(cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`), [port]);
    const c = openClient(port);
    try {
      c.sock.write('before;');
      await c.waitData('before;');
      tp.signal('SIGUSR1');
      await tp.waitFor(/\[WARNING\] +\(\d+\) : Proxy l stopped \(cumulated conns: FE: 1, BE: 1\)\./, 3000);
      assert.ok(await waitListening(tp.pid, [port], 3000, true), 'still listening after SIGUSR1');
      assert.equal(await canConnect(port), false, 'new connections must be refused during soft stop');
      await sleep(300);
      assert.equal(tp.done(), false, 'exited while a connection was still open');
      c.sock.write('after;');
      await c.waitData('before;after;');
      c.sock.end();
      assert.equal(await tp.waitExit(5000), 0);
      assert.equal(c.text(), 'before;after;');
    } finally {
      c.destroy();
      await tp.stop();
      await echo.close();
    }
  });

  test('hard-stop-after cuts the connections left after a soft stop', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const tp = await startTurnpike(cfgFile(`global\n  hard-stop-after 500ms\n${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`), [port]);
    const c = openClient(port);
    try {
      c.sock.write('x');
      await c.waitData('x');
      const t0 = Date.now();
      tp.signal('SIGUSR1');
      const r = await c.closedWithin(4000);
      const elapsed = Date.now() - t0;
      assert.ok(r, 'connection still open 4 s after SIGUSR1 with hard-stop-after 500ms');
      assert.ok(elapsed >= 400, `cut after ${elapsed} ms, before hard-stop-after`);
      assert.equal(await tp.waitExit(3000), 0);
    } finally {
      c.destroy();
      await tp.stop();
      await echo.close();
    }
  });

  // HAProxy 2.6 writes the pid file only in daemon / master-worker mode; Turnpike in the foreground too.
  test('-p writes the pid file', { skip: REFERENCE && 'HAProxy writes -p only with -D' }, async () => {
    const port = await freePort();
    const pidfile = join(dir.path, 'fg.pid');
    const tp = await startTurnpike(cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:1\n`), [port], ['-p', pidfile]);
    try {
      assert.ok(await until(() => existsSync(pidfile), 3000));
      assert.equal(readFileSync(pidfile, 'utf8').trim(), String(tp.pid));
    } finally {
      await tp.stop();
    }
  });

  test('-D goes daemon: exit 0, the pid file names a live process that serves', async () => {
    const srv = await replyServer(() => 'daemon-served\n');
    const port = await freePort();
    const pidfile = join(dir.path, 'daemon.pid');
    const cfg = cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n`);
    let pid = 0;
    try {
      const launcher = spawn(TURNPIKE, ['-D', '-p', pidfile, '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      launcher.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      launcher.stdout.resume();
      const code = await new Promise<number | null>((resolve, reject) => {
        const t = setTimeout(() => { launcher.kill('SIGKILL'); reject(new Error(`-D did not return within 15 s; stderr:\n${err}`)); }, 15_000);
        launcher.on('exit', (c) => { clearTimeout(t); resolve(c); });
      });
      assert.equal(code, 0, err);
      assert.ok(existsSync(pidfile), `no pid file; stderr:\n${err}`);
      pid = Number(readFileSync(pidfile, 'utf8').trim());
      assert.ok(pid > 0 && pid !== launcher.pid, `pid file holds ${pid}, launcher was ${launcher.pid}`);
      assert.ok(isAlive(pid), 'the daemon is not running');
      assert.ok(await waitListening(pid, [port], 5000), 'the daemon does not listen');
      assert.equal(await exchange(port, 'x'), 'daemon-served\n');
    } finally {
      if (pid > 0 && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        await until(() => !isAlive(pid), 5000);
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      await srv.close();
    }
  });

  test('SIGTTOU releases the port, SIGTTIN listens again', async () => {
    const srv = await replyServer(() => 'back\n');
    const port = await freePort();
    const tp = await startTurnpike(cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n`), [port]);
    try {
      assert.equal(await exchange(port, 'x'), 'back\n');
      tp.signal('SIGTTOU');
      assert.ok(await waitListening(tp.pid, [port], 3000, true), 'still listening after SIGTTOU');
      assert.equal(await canConnect(port), false);
      await sleep(300);
      assert.equal(tp.done(), false, `the process exited (status ${tp.proc.exitCode}) after SIGTTOU instead of staying paused`);
      // the port is free: another process may bind it meanwhile
      const other = createServer();
      const bound = await new Promise<boolean>((r) => {
        other.once('error', () => r(false));
        other.listen(port, '127.0.0.1', () => r(true));
      });
      assert.ok(bound, 'could not bind the paused port');
      await new Promise<void>((r) => other.close(() => r()));
      assert.equal(tp.done(), false);
      tp.signal('SIGTTIN');
      assert.ok(await waitListening(tp.pid, [port], 3000), 'not listening again after SIGTTIN');
      assert.equal(await exchange(port, 'x'), 'back\n');
    } finally {
      await tp.stop();
      await srv.close();
    }
  });

  test('frontend maxconn 2: a third client is not reset, it waits and is served when a slot frees', async () => {
    const srv = await recordingServer({ greeting: 'welcome\n' });
    const port = await freePort();
    const clients: Client[] = [];
    const tp = await startTurnpike(cfgFile(`${DEFAULTS}frontend fe\n  bind 127.0.0.1:${port}\n  maxconn 2\n  default_backend bk\nbackend bk\n  server s 127.0.0.1:${srv.port}\n`), [port]);
    try {
      for (let i = 0; i < 2; i++) {
        const c = openClient(port);
        clients.push(c);
        await c.waitData('welcome\n');
      }
      const third = openClient(port);
      clients.push(third);
      await third.connected(); // completed by the kernel's backlog
      await sleep(500);
      assert.equal(third.isClosed(), false, 'third client was closed/reset instead of waiting');
      assert.equal(third.received().length, 0, 'third client served beyond maxconn');
      assert.equal(srv.conns.length, 2);
      clients[0]!.sock.end();
      await third.waitData('welcome\n', 3000);
      third.sock.write('ping');
      assert.ok(await until(() => srv.conns[2]?.data.toString() === 'ping', 2000));
    } finally {
      for (const c of clients) c.destroy();
      await tp.stop();
      await srv.close();
    }
  });

  test('-sf reload: the new process takes over, the old one exits 0', async () => {
    const srv = await replyServer(() => 'served\n');
    const port = await freePort();
    const cfg = cfgFile(`${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${srv.port}\n`);
    const a = await startTurnpike(cfg, [port]);
    let b: Awaited<ReturnType<typeof startTurnpike>> | null = null;
    try {
      assert.equal(await exchange(port, 'x'), 'served\n');
      b = await startTurnpike(cfg, [port], ['-sf', String(a.pid)]);
      assert.equal(await a.waitExit(5000), 0, `old process stderr:\n${a.stderr()}`);
      assert.match(a.stderr(), /Proxy l stopped/);
      assert.equal(b.done(), false);
      assert.ok(listeningOn(b.pid).ports.has(port));
      for (let i = 0; i < 3; i++) assert.equal(await exchange(port, 'x'), 'served\n');
    } finally {
      await a.stop();
      await b?.stop();
      await srv.close();
    }
  });
});
