// ConnPool: which idle server connections are kept, which are taken, and what a purge closes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConnPool, PoolState, type PoolMember } from '../../../src/protocols/http1/conn-pool.ts';

class FakeConn implements PoolMember {
  poolState: PoolState = PoolState.None;
  idlePrev: FakeConn | null = null;
  idleNext: FakeConn | null = null;
  destroyed = false;
  readonly pool: ConnPool<FakeConn>;
  readonly sni: string | null;
  uses = 1;
  constructor(pool: ConnPool<FakeConn>, sni: string | null = null) {
    this.pool = pool;
    this.sni = sni;
    pool.use(this);
  }
  destroy(): void {
    this.destroyed = true;
    this.pool.forget(this);
  }
}

/** Releases a used connection as a stream does: pooled, or closed when the pool refuses it. */
function release(c: FakeConn): boolean {
  if (c.pool.put(c)) return true;
  c.destroy();
  return false;
}

describe('ConnPool', () => {
  test('keeps connections while used + idle stays within the peak use, and no more', () => {
    const p = new ConnPool<FakeConn>(-1, 0);
    const conns = Array.from({ length: 10 }, () => new FakeConn(p));
    assert.deepEqual([p.used, p.maxUsed, p.estNeed], [10, 10, 10]);
    assert.ok(conns.every(release), 'ten at once: all ten kept');
    assert.deepEqual([p.used, p.idleCount], [0, 10]);
    // A new connection per request (http-reuse safe, first requests): the pool does not grow.
    for (let i = 0; i < 100; i++) assert.equal(release(new FakeConn(p)), false);
    assert.deepEqual([p.used, p.idleCount], [0, 10]);
  });

  test('sequential first requests keep one idle connection, the oldest', () => {
    const p = new ConnPool<FakeConn>(-1, 0);
    const first = new FakeConn(p);
    assert.equal(release(first), true);
    for (let i = 0; i < 5; i++) assert.equal(release(new FakeConn(p)), false);
    assert.equal(p.idleCount, 1);
    assert.equal(p.take(null), first);
  });

  test('a safe connection is kept when only unsafe ones are idle', () => {
    const p = new ConnPool<FakeConn>(-1, 0);
    assert.equal(release(new FakeConn(p)), true);
    const safe = new FakeConn(p);
    safe.uses = 2;
    assert.equal(release(safe), true);
    assert.deepEqual([p.idleCount, p.safeCount], [2, 1]);
  });

  test('take() gives the newest idle connection with the same SNI and counts it used', () => {
    const p = new ConnPool<FakeConn>(-1, 0);
    const a = new FakeConn(p, 'a.example');
    const b = new FakeConn(p, null);
    const c = new FakeConn(p, 'a.example');
    [a, b, c].forEach(release);
    assert.equal(p.take('a.example'), c);
    assert.equal(p.take('a.example'), a);
    assert.equal(p.take('a.example'), null);
    assert.deepEqual([p.used, p.idleCount], [2, 1]);
    assert.equal(p.take(null), b);
    assert.deepEqual([p.idleCount, p.take(null)], [0, null]);
  });

  test('a connection closing in use or idle stops counting', () => {
    const p = new ConnPool<FakeConn>(-1, 0);
    const a = new FakeConn(p);
    const b = new FakeConn(p);
    release(a);
    b.destroy();
    a.destroy();
    b.destroy();
    assert.deepEqual([p.used, p.idleCount, p.safeCount], [0, 0, 0]);
  });

  test('pool-max-conn caps the idle connections; 0 keeps none', () => {
    const p = new ConnPool<FakeConn>(2, 0);
    const conns = Array.from({ length: 4 }, () => new FakeConn(p));
    assert.deepEqual(conns.map(release), [true, true, false, false]);
    const none = new ConnPool<FakeConn>(0, 0);
    assert.equal(release(new FakeConn(none)), false);
  });

  test('each purge closes half of the excess, oldest first, as the estimate decays', () => {
    const p = new ConnPool<FakeConn>(-1, 0);
    const conns = Array.from({ length: 8 }, () => new FakeConn(p));
    conns.forEach(release);
    // Period 1: the peak (8) is still the need, nothing exceeds it.
    p.purge();
    assert.deepEqual([p.idleCount, p.estNeed, p.maxUsed], [8, 8, 0]);
    // Period 2: nothing was used; the need halves to 4 after this purge, which still measures against 8.
    p.purge();
    assert.deepEqual([p.idleCount, p.estNeed], [8, 4]);
    // Period 3: 8 idle against a need of 4: half of the 4 in excess go, the oldest ones.
    p.purge();
    assert.equal(p.idleCount, 6);
    assert.deepEqual(conns.map((c) => c.destroyed), [true, true, false, false, false, false, false, false]);
    assert.equal(p.estNeed, 2);
    for (let i = 0; i < 10; i++) p.purge();
    assert.equal(p.idleCount, 0);
  });
});
