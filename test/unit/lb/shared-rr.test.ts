import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedSequenceLb } from '../../../src/lb/shared-rr.ts';
import { RoundRobinLb } from '../../../src/lb/roundrobin.ts';
import { StaticRoundRobinLb } from '../../../src/lb/static-rr.ts';
import type { LbServer } from '../../../src/lb/types.ts';

function servers(weights: number[]): (LbServer & { curConns: number; effMaxconn: number })[] {
  return weights.map((w, i) => ({ id: i + 1, name: `s${i + 1}`, eweight: w, curConns: 0, effMaxconn: 0 }));
}

/** `threads` instances sharing one ticket, as the threads of a process do. */
function threaded(threads: number, list: readonly LbServer[], single: () => RoundRobinLb | StaticRoundRobinLb = () => new RoundRobinLb()): SharedSequenceLb[] {
  const ticket = { block: { ints: new Int32Array(1) }, index: 0 };
  return Array.from({ length: threads }, () => {
    const lb = new SharedSequenceLb(single, ticket);
    lb.rebuild(list);
    return lb;
  });
}

test('picks made by any thread follow the single-thread order', () => {
  const list = servers([1, 2, 3]);
  const lbs = threaded(3, list);
  const alone = new RoundRobinLb();
  alone.rebuild(servers([1, 2, 3]));
  let seed = 7;
  for (let i = 0; i < 120; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const got = lbs[seed % 3]!.pick(null, null)!;
    assert.equal(got.name, alone.pick(null, null)!.name, `pick ${i}`);
  }
});

test('weights hold over every period whichever thread picks', () => {
  const list = servers([1, 3]);
  const lbs = threaded(2, list, () => new StaticRoundRobinLb());
  const n = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const s = lbs[(i * 7) % 2]!.pick(null, null)!;
    n.set(s.name, (n.get(s.name) ?? 0) + 1);
  }
  assert.deepEqual([...n].sort(), [['s1', 100], ['s2', 300]]);
});

test('full and avoided servers are skipped, the avoided one is the last resort', () => {
  const list = servers([1, 1, 1]);
  const [lb] = threaded(1, list);
  list[1]!.effMaxconn = 1;
  list[1]!.curConns = 1;
  const seen = new Set<string>();
  for (let i = 0; i < 9; i++) seen.add(lb!.pick(null, list[0]!)!.name);
  assert.deepEqual([...seen], ['s3']);
  list[2]!.effMaxconn = 1;
  list[2]!.curConns = 1;
  assert.equal(lb!.pick(null, list[0]!)!.name, 's1');
  list[0]!.effMaxconn = 1;
  list[0]!.curConns = 1;
  assert.equal(lb!.pick(null, null), null);
});

test('no usable server: null; zero weights are left out', () => {
  const [lb] = threaded(1, servers([0, 0]));
  assert.equal(lb!.pick(null, null), null);
  const [lb2] = threaded(1, servers([0, 2]));
  assert.equal(lb2!.pick(null, null)!.name, 's2');
});
