import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeastConnLb } from '../../../src/lb/leastconn.ts';
import { servers, type TestServer } from './helpers.ts';

function take(lb: LeastConnLb, s: TestServer | null): TestServer {
  assert.ok(s);
  s.curConns++;
  lb.connChanged(s);
  return s;
}
function release(lb: LeastConnLb, s: TestServer): void {
  s.curConns--;
  lb.connChanged(s);
}

test('picks the least loaded server relative to its weight', () => {
  const list = servers([1, 3]);
  const lb = new LeastConnLb();
  lb.rebuild(list);
  // Keep every connection open: loads grow in proportion to weights.
  for (let i = 0; i < 400; i++) take(lb, lb.pick(null, null) as TestServer);
  assert.equal(list[0]!.curConns + list[1]!.curConns, 400);
  assert.ok(Math.abs(list[1]!.curConns / list[0]!.curConns - 3) < 0.1, `${list[0]!.curConns}/${list[1]!.curConns}`);

  // With explicit loads: 1 conn at weight 1 ranks (1+1)/1 = 2, 4 conns at weight 3 ranks 5/3.
  const l2 = servers([1, 3]);
  l2[0]!.curConns = 1;
  l2[1]!.curConns = 4;
  const lb2 = new LeastConnLb();
  lb2.rebuild(l2);
  assert.equal(lb2.pick(null, null), l2[1]);
  l2[1]!.curConns = 6; // 7/3 > 2
  lb2.connChanged(l2[1]!);
  assert.equal(lb2.pick(null, null), l2[0]);
});

test('idle servers come first whatever their weight', () => {
  const list = servers([10, 1]);
  list[0]!.curConns = 1;
  const lb = new LeastConnLb();
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[1]);
});

test('servers of equal load take turns', () => {
  const list = servers([1, 1, 1]);
  const lb = new LeastConnLb();
  lb.rebuild(list);
  let seq = '';
  for (let i = 0; i < 9; i++) {
    const s = take(lb, lb.pick(null, null) as TestServer);
    seq += s.name;
    release(lb, s);
  }
  assert.equal(seq, '123123123');

  // Same with long-lived connections: fill evenly, round-robin at each level.
  const l2 = servers([2, 2]);
  const lb2 = new LeastConnLb();
  lb2.rebuild(l2);
  let seq2 = '';
  for (let i = 0; i < 8; i++) seq2 += take(lb2, lb2.pick(null, null) as TestServer).name;
  assert.equal(seq2, '12121212');
});

test('connChanged moves a server back in front when its connections close', () => {
  const list = servers([1, 1]);
  const lb = new LeastConnLb();
  lb.rebuild(list);
  const a = take(lb, lb.pick(null, null) as TestServer);
  const b = take(lb, lb.pick(null, null) as TestServer);
  assert.notEqual(a, b);
  take(lb, lb.pick(null, null) as TestServer); // a again (equal load, a first in line)
  assert.equal(a.curConns, 2);
  assert.equal(lb.pick(null, null), b);
  release(lb, a);
  release(lb, a);
  assert.equal(lb.pick(null, null), a);
});

test('weight changes and servers leaving or joining through rebuild()', () => {
  const list = servers([1, 1]);
  list[0]!.curConns = 3;
  list[1]!.curConns = 3;
  const lb = new LeastConnLb();
  lb.rebuild(list);
  list[0]!.eweight = 4;
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[0]);
  lb.rebuild([list[1]!]);
  assert.equal(lb.pick(null, null), list[1]);
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[0]);
  list[0]!.eweight = 0;
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[1]);
  // A connection change on a server not in the list is ignored.
  lb.connChanged(list[0]!);
  assert.equal(lb.pick(null, null), list[1]);
});

test('skips full servers, honours avoid, null when nothing is usable', () => {
  const list = servers([1, 1, 1]);
  const lb = new LeastConnLb();
  assert.equal(lb.pick(null, null), null);
  lb.rebuild(list);
  list[0]!.effMaxconn = 1;
  list[0]!.curConns = 1;
  lb.connChanged(list[0]!);
  list[1]!.curConns = 5;
  lb.connChanged(list[1]!);
  list[2]!.curConns = 9;
  lb.connChanged(list[2]!);
  assert.equal(lb.pick(null, null), list[1]);
  assert.equal(lb.pick(null, list[1]!), list[2]);
  // order is intact after walking past servers
  assert.equal(lb.pick(null, null), list[1]);
  list[1]!.effMaxconn = 5;
  list[2]!.effMaxconn = 9;
  assert.equal(lb.pick(null, null), null);
  // avoid is returned when it is the only usable server
  list[2]!.effMaxconn = 0;
  assert.equal(lb.pick(null, list[2]!), list[2]);
  lb.rebuild([]);
  assert.equal(lb.pick(null, null), null);
});
