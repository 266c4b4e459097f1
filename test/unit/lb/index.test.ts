import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createLbAlgorithm } from '../../../src/lb/index.ts';
import { RoundRobinLb } from '../../../src/lb/roundrobin.ts';
import { StaticRoundRobinLb } from '../../../src/lb/static-rr.ts';
import { LeastConnLb } from '../../../src/lb/leastconn.ts';
import { FirstLb } from '../../../src/lb/first.ts';
import { RandomLb } from '../../../src/lb/random.ts';
import { SourceHashLb } from '../../../src/lb/source.ts';
import type { BalanceConfig, HashTypeConfig } from '../../../src/config/model.ts';
import { servers } from './helpers.ts';

const MAP: HashTypeConfig = { method: 'map-based', fn: 'sdbm', avalanche: false };

test('createLbAlgorithm builds the configured algorithm', () => {
  const cases: [BalanceConfig['algo'], unknown, boolean][] = [
    ['roundrobin', RoundRobinLb, false], ['static-rr', StaticRoundRobinLb, false], ['leastconn', LeastConnLb, false],
    ['first', FirstLb, false], ['random', RandomLb, false], ['source', SourceHashLb, true],
  ];
  for (const [algo, cls, needsKey] of cases) {
    const lb = createLbAlgorithm({ algo, draws: 2 }, MAP);
    assert.ok(lb instanceof (cls as new () => object), algo);
    assert.equal(lb.needsKey, needsKey);
    assert.equal(lb.pick(null, null), null);
    const list = servers([1, 2]);
    lb.rebuild(list);
    assert.ok(list.includes(lb.pick(algo === 'source' ? Buffer.from([1, 2, 3, 4]) : null, null) as typeof list[0]));
  }
  assert.equal(typeof createLbAlgorithm({ algo: 'leastconn', draws: 2 }, MAP).connChanged, 'function');
  const cons = createLbAlgorithm({ algo: 'source', draws: 2 }, { method: 'consistent', fn: 'sdbm', avalanche: true });
  assert.ok(cons instanceof SourceHashLb);
});

test('picks retain no memory', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const list = servers([1, 2, 3, 10]);
  const key = Buffer.from([10, 0, 0, 1]);
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'first', 'random', 'source'] as const) {
    const lb = createLbAlgorithm({ algo, draws: 2 }, { method: 'consistent', fn: 'sdbm', avalanche: true });
    lb.rebuild(list);
    for (let i = 0; i < 20_000; i++) lb.pick(key, list[0]!);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      key[3] = i & 0xff;
      lb.pick(key, list[0]!);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 100_000, `${algo} retained ${grown} bytes`);
  }
});
