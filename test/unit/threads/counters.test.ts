import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProxyCounters, ServerCounters, ListenerCounters, ProcessCounters, RateCounter } from '../../../src/observe/counters.ts';
import { attachSlab, createSlab, type SlotBlock } from '../../../src/runtime/threads/slab.ts';

/** The same counters objects as built by `threads` threads, attached to one slab. */
function threaded<T extends { block: SlotBlock }>(threads: number, make: () => T[]): T[][] {
  const perThread = Array.from({ length: threads }, make);
  const slab = createSlab(perThread[0]!.map((c) => c.block), threads);
  perThread.forEach((objs, t) => assert.equal(attachSlab(slab, objs.map((c) => c.block), t), null));
  return perThread;
}

test('cumulative counters are per thread and aggregate() adds them up', () => {
  const [[a], [b]] = threaded(2, () => [new ProxyCounters()]) as [[ProxyCounters], [ProxyCounters]];
  a.bytesIn += 100;
  b.bytesIn += 23;
  a.hrsp[1]! += 1;
  b.hrsp[1]! += 2;
  b.hrsp[4]! += 1;
  assert.equal(a.bytesIn, 100, 'a thread sees its own row');
  assert.equal(b.bytesIn, 23);
  const sum = a.aggregate();
  assert.equal(sum.bytesIn, 123);
  assert.deepEqual([...sum.hrsp], [0, 3, 0, 0, 1, 0]);
  assert.equal(b.aggregate().bytesIn, 123, 'any thread aggregates the same');
});

test('maxima aggregate as the largest, averages weighted by their counts', () => {
  const [[a], [b]] = threaded(2, () => [new ServerCounters()]) as [[ServerCounters], [ServerCounters]];
  a.max = 3;
  b.max = 7;
  a.times.add(0, 10, 0, 10);
  b.times.add(0, 30, 0, 30);
  b.times.add(0, 30, 0, 30);
  const sum = a.aggregate();
  assert.equal(sum.max, 7);
  assert.ok(Math.abs(sum.times.connect.avg - 70 / 3) < 1e-9, `avg ${sum.times.connect.avg}`);
  assert.equal(sum.times.total.max, 30);
});

test('current counts are one shared value: ++/-- from any thread are exact increments', () => {
  const [[a], [b]] = threaded(2, () => [new ProxyCounters()]) as [[ProxyCounters], [ProxyCounters]];
  a.feCur++;
  b.feCur++;
  b.feCur++;
  assert.equal(a.feCur, 3);
  a.feCur--;
  b.beCur += 5;
  assert.equal(b.feCur, 2);
  assert.equal(a.beCur, 5);
  assert.equal(a.aggregate().feCur, 2);
});

test('shared ints: interleaved increments of several threads never lose an update', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 200 }), (ops) => {
    const objs = threaded(4, () => [new ListenerCounters()]).map((o) => o[0]!);
    let expected = 0;
    for (const [t, up] of ops) {
      if (up) objs[t]!.cur++;
      else objs[t]!.cur--;
      expected += up ? 1 : -1;
    }
    for (const o of objs) assert.equal(o.cur, expected);
  }));
});

test('rates are process-wide and clear() resets every thread', () => {
  const [[a], [b]] = threaded(2, () => [new ProcessCounters()]) as [[ProcessCounters], [ProcessCounters]];
  const now = 1_000_000_000;
  for (let i = 0; i < 3; i++) a.connRate.hit(now);
  for (let i = 0; i < 4; i++) b.connRate.hit(now);
  assert.equal(a.connRate.rate(now), 7);
  assert.equal(b.connRate.max, 7);
  a.cumConns += 3;
  b.cumConns += 4;
  a.maxConnsSeen = 9;
  a.clear(false);
  assert.equal(a.aggregate().maxConnsSeen, 0);
  assert.equal(a.connRate.max, 0);
  assert.equal(a.aggregate().cumConns, 7, 'clear without all keeps totals');
  b.clear(true);
  assert.equal(a.aggregate().cumConns, 0);
});

test('a standalone counter (one thread) works without a slab', () => {
  const c = new ProxyCounters();
  c.bytesOut += 5;
  c.feCur++;
  c.feRate.hit(5000);
  assert.equal(c.aggregate().bytesOut, 5);
  assert.equal(c.feCur, 1);
  assert.equal(c.feRate.rate(5000), 1);
  const r = new RateCounter();
  r.hit(1000);
  assert.equal(r.rate(1000), 1);
});

test('values counted before attaching are kept', () => {
  const threads = 2;
  const perThread = Array.from({ length: threads }, () => new ServerCounters());
  perThread[0]!.total += 4;
  perThread[1]!.total += 1;
  const slab = createSlab([perThread[0]!.block], threads);
  perThread.forEach((c, t) => attachSlab(slab, [c.block], t));
  assert.equal(perThread[0]!.aggregate().total, 5);
  assert.equal(perThread[0]!.times.connect.avg, 0);
  perThread[1]!.times.add(1, 2, 3, 4);
  assert.equal(perThread[0]!.aggregate().times.response.avg, 3, 'views were rebuilt on the shared rows');
});

test('attaching blocks of another shape fails', () => {
  const slab = createSlab([new ServerCounters().block], 2);
  assert.match(attachSlab(slab, [new ProxyCounters().block], 1) ?? '', /differs/);
});
