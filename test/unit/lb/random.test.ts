import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomLb } from '../../../src/lb/random.ts';
import { count, maxShareError, prng, servers } from './helpers.ts';

test('distribution follows weights within 1 % over 100k picks', () => {
  for (const draws of [1, 2, 3]) {
    for (const weights of [[1, 2, 3, 10], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [5, 200]]) {
      const list = servers(weights);
      const lb = new RandomLb(draws, prng(draws * 1000 + weights.length));
      lb.rebuild(list);
      const n = 100_000;
      // Without load, the last draw wins: the distribution is the weights'.
      assert.ok(maxShareError(count(lb, n), list, n) < 1, `draws ${draws} weights ${weights}`);
    }
  }
});

test('with several draws, the least loaded relative to weight is kept', () => {
  const list = servers([1, 1]);
  list[0]!.curConns = 10;
  // draws alternate between server 1 and server 2
  const seq = [0.1, 0.9, 0.9, 0.1];
  let i = 0;
  const lb = new RandomLb(2, () => seq[i++ % seq.length]!);
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[1]);
  assert.equal(lb.pick(null, null), list[1]);
  // relative to weight: 10 conns at weight 10 beat 2 conns at weight 1
  const l2 = servers([10, 1]);
  l2[0]!.curConns = 10;
  l2[1]!.curConns = 2;
  let j = 0;
  const lb2 = new RandomLb(2, () => [0.0, 0.99][j++ % 2]!);
  lb2.rebuild(l2);
  assert.equal(lb2.pick(null, null), l2[0]);
  // power of two choices evens out the load
  const l3 = servers([1, 1, 1, 1]);
  const lb3 = new RandomLb(2, prng(3));
  lb3.rebuild(l3);
  for (let k = 0; k < 4000; k++) lb3.pick(null, null)!;
  for (let k = 0; k < 4000; k++) (lb3.pick(null, null) as typeof l3[0]).curConns++;
  const loads = l3.map((s) => s.curConns);
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 3, `loads ${loads}`);
});

test('weight changes apply at the next rebuild', () => {
  const list = servers([1, 1]);
  const lb = new RandomLb(1, prng(9));
  lb.rebuild(list);
  list[0]!.eweight = 3;
  lb.rebuild(list);
  const n = 100_000;
  assert.ok(maxShareError(count(lb, n), list, n) < 1);
  lb.rebuild([list[1]!]);
  assert.equal(count(lb, 100).get(list[1]!), 100);
});

test('honours avoid, returns null when the chosen server is full or nothing is usable', () => {
  const list = servers([1, 1, 1]);
  const lb = new RandomLb(2, prng(5));
  assert.equal(lb.pick(null, null), null);
  lb.rebuild(list);
  for (let i = 0; i < 1000; i++) assert.notEqual(lb.pick(null, list[1]!), list[1]);
  lb.rebuild([list[1]!]);
  assert.equal(lb.pick(null, list[1]!), list[1]);
  list[1]!.effMaxconn = 1;
  list[1]!.curConns = 1;
  assert.equal(lb.pick(null, null), null);
  lb.rebuild([]);
  assert.equal(lb.pick(null, null), null);
});
