// Seamless reloads: 20 successive `-sf` reloads while 4 clients loop connect/exchange/close;
// no connection may fail. Needs net.ipv4.tcp_migrate_req = 1 (the kernel moves the connections
// queued on the old process's closing listener to the new one).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  tempDir, writeConfig, freePort, startTurnpike, echoServer, exchange, sleep, useMigrateReq, DEFAULTS, REFERENCE, type RunningProxy,
} from './harness.ts';

const RELOADS = 20;
const LOOPS = 4;

describe('reload under load', () => {
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

  test(`${RELOADS} -sf reloads under ${LOOPS} client loops lose no connection`, { timeout: 100_000 }, async (t) => {
    if (typeof sysctl === 'string') {
      t.skip(sysctl);
      return;
    }
    const echo = await echoServer();
    const port = await freePort();
    const pidfile = join(dir.path, 'turnpike.pid');
    const cfg = writeConfig(dir.path, `${DEFAULTS}listen l\n  bind 127.0.0.1:${port}\n  server s 127.0.0.1:${echo.port}\n`);
    const procs: RunningProxy[] = [];
    let stop = false;
    let total = 0;
    const failures: string[] = [];
    const loops: Promise<void>[] = [];
    try {
      procs.push(await startTurnpike(cfg, [port], ['-p', pidfile]));
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
        const prev = procs[procs.length - 1]!;
        const next = await startTurnpike(cfg, [port], ['-p', pidfile, '-sf', String(prev.pid)]);
        procs.push(next);
        const code = await prev.waitExit(10_000);
        assert.equal(code, 0, `process ${i - 1} (pid ${prev.pid}) exited with ${code}; stderr:\n${prev.stderr()}`);
        // (HAProxy 2.6 writes -p only in daemon mode)
        if (!REFERENCE) assert.equal(readFileSync(pidfile, 'utf8').trim(), String(next.pid), `pid file after reload ${i}`);
        await sleep(50);
      }
      await sleep(200);
      stop = true;
      await Promise.all(loops);
      t.diagnostic(`${total} connections during ${RELOADS} reloads, ${failures.length} failed`);
      console.log(`reload-under-load: ${total} connections during ${RELOADS} reloads, ${failures.length} failed`);
      assert.ok(total > RELOADS * LOOPS, `only ${total} connections were made`);
      assert.deepEqual(failures, [], `${failures.length} of ${total} connections failed across ${RELOADS} reloads`);
    } finally {
      stop = true;
      await Promise.all(loops);
      for (const p of procs) await p.stop();
      await echo.close();
    }
  });
});
