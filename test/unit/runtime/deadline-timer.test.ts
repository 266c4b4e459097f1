// DeadlineTimer: a moving deadline on one Node timer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { DeadlineTimer } from '../../../src/runtime/deadline-timer.ts';

function recorder(): { t: DeadlineTimer<string>; fired: number[]; start: number } {
  const fired: number[] = [];
  const start = performance.now();
  const t = new DeadlineTimer<string>('owner', (o) => { assert.equal(o, 'owner'); fired.push(performance.now() - start); }, true);
  return { t, fired, start };
}

describe('DeadlineTimer', () => {
  test('expires once, about ms after arm()', async () => {
    const { t, fired } = recorder();
    t.arm(40);
    assert.equal(t.armed, true);
    await sleep(120);
    assert.equal(fired.length, 1);
    assert.ok(fired[0]! >= 38 && fired[0]! < 100, `fired at ${fired[0]}`);
    assert.equal(t.armed, false);
  });

  test('moving the deadline later delays the expiry (the Node timer sleeps the rest)', async () => {
    const { t, fired } = recorder();
    t.arm(40);
    for (let i = 0; i < 4; i++) {
      await sleep(25);
      t.arm(40);
    }
    // Last move at ~100 ms: expiry at ~140 ms, not at 40.
    await sleep(20);
    assert.equal(fired.length, 0);
    await sleep(80);
    assert.equal(fired.length, 1);
    assert.ok(fired[0]! >= 135, `fired at ${fired[0]}`);
  });

  test('moving the deadline earlier reschedules the Node timer', async () => {
    const { t, fired } = recorder();
    t.arm(10_000);
    t.arm(30);
    await sleep(100);
    assert.equal(fired.length, 1);
    assert.ok(fired[0]! < 90, `fired at ${fired[0]}`);
  });

  test('disarm() and cancel() stop the expiry; arm() after either works again', async () => {
    const { t, fired } = recorder();
    t.arm(20);
    t.disarm();
    assert.equal(t.armed, false);
    await sleep(60);
    assert.equal(fired.length, 0);
    t.arm(20);
    t.cancel();
    await sleep(60);
    assert.equal(fired.length, 0);
    t.arm(20);
    await sleep(60);
    assert.equal(fired.length, 1);
  });
});
