import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StaticRoundRobinLb } from '../../../src/lb/static-rr.ts';
import { ServerMap } from '../../../src/lb/map.ts';
import { count, longestRun, maxShareError, sequence, servers } from './helpers.ts';

test('matches HAProxy 2.6 pick sequences, with a server going down and up', () => {
  const list = servers([1, 2, 3, 10]);
  const lb = new StaticRoundRobinLb();
  lb.rebuild(list);
  // Recorded from HAProxy 2.6.12: 10 picks, "disable server b", 30 picks, "enable server b", 30 picks.
  let out = sequence(lb, 10) + '|';
  lb.rebuild([list[0]!, list[2]!, list[3]!]);
  out += sequence(lb, 30) + '|';
  lb.rebuild(list);
  out += sequence(lb, 30);
  assert.equal(out, '1424434424|344414434443443444144344434434|434414244344243443441424434424');
});

test('distribution follows weights within 1 % over 100k picks', () => {
  for (const weights of [[1, 2, 3, 10], [3, 3, 3], [100, 1]]) {
    const list = servers(weights);
    const lb = new StaticRoundRobinLb();
    lb.rebuild(list);
    const n = 100_000;
    assert.ok(maxShareError(count(lb, n), list, n) < 1, `weights ${weights}`);
  }
});

test('interleaves servers and reduces weights by their common divisor', () => {
  const lb = new StaticRoundRobinLb();
  lb.rebuild(servers([30, 10]));
  assert.equal(sequence(lb, 8), '11121112');
  const map = new ServerMap();
  map.rebuild(servers([30, 10, 20]));
  assert.equal(map.totalWeight, 6);
  map.rebuild(servers([256, 1]));
  assert.equal(map.totalWeight, 257);
});

test('weights are static: lowering is ignored, zero excludes', () => {
  // HAProxy refuses runtime weights other than 0 % and 100 % on static algorithms; a ramp
  // (slowstart) only climbs to the configured weight, which is kept as the largest seen.
  const list = servers([3, 1]);
  const lb = new StaticRoundRobinLb();
  lb.rebuild(list);
  list[0]!.eweight = 1;
  lb.rebuild(list);
  assert.equal(count(lb, 4000).get(list[0]!), 3000);
  list[0]!.eweight = 0;
  lb.rebuild(list);
  assert.ok(!sequence(lb, 20).includes('1'));
  list[0]!.eweight = 3;
  lb.rebuild(list);
  assert.equal(count(lb, 4000).get(list[0]!), 3000);
});

test('skips full servers, honours avoid, null when nothing is usable', () => {
  const list = servers([1, 1, 1]);
  const lb = new StaticRoundRobinLb();
  assert.equal(lb.pick(null, null), null);
  lb.rebuild(list);
  assert.ok(longestRun(sequence(lb, 30)) === 1);
  list[1]!.effMaxconn = 1;
  list[1]!.curConns = 1;
  assert.ok(!sequence(lb, 30).includes('2'));
  for (let i = 0; i < 10; i++) assert.notEqual(lb.pick(null, list[0]!), list[0]);
  list[2]!.effMaxconn = 1;
  list[2]!.curConns = 1;
  assert.equal(lb.pick(null, list[0]!), list[0]);
  list[0]!.effMaxconn = 1;
  list[0]!.curConns = 1;
  assert.equal(lb.pick(null, null), null);
  lb.rebuild([]);
  assert.equal(lb.pick(null, null), null);
});
