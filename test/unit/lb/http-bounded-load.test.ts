import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyHashLb } from '../../../src/lb/key-hash.ts';
import { RandomLb } from '../../../src/lb/random.ts';
import { createLbAlgorithm } from '../../../src/lb/index.ts';
import { servers, prng } from './helpers.ts';

const CONS = { method: 'consistent', fn: 'sdbm', avalanche: true } as const;

test('hash-balance-factor: a key leaves its server once that server is above its bounded load', () => {
  const list = servers([1, 1, 1, 1]);
  const lb = new KeyHashLb(CONS, 150);
  lb.rebuild(list);
  const home = list.find((s) => s === lb.pick('/some/uri', null))!;
  // 3 connections on the home server and 3 elsewhere: (6 + 1) * 150% gives 11 slots, 2 or 3
  // per server (by weight, rounded): the home server is full and the key moves on.
  home.curConns = 3;
  list.find((s) => s !== home)!.curConns = 3;
  assert.notEqual(lb.pick('/some/uri', null), home);
  // 1 on the home server and 3 elsewhere: 8 slots, 2 per server: the key stays.
  home.curConns = 1;
  assert.equal(lb.pick('/some/uri', null), home);
  // Without the factor the key always stays.
  const plain = new KeyHashLb(CONS);
  plain.rebuild(list);
  assert.equal(plain.pick('/some/uri', null), home);
});

test('hash-balance-factor with random: draws skip servers above their bounded load', () => {
  const list = servers([1, 1, 1, 1]);
  const lb = new RandomLb(1, prng(7), 125);
  lb.rebuild(list);
  list[0]!.curConns = 10;
  for (let i = 0; i < 200; i++) assert.notEqual(lb.pick(null, null), list[0]);
  // The factor reaches the algorithms through createLbAlgorithm.
  const viaIndex = createLbAlgorithm({ algo: 'uri', draws: 2 }, CONS, 150);
  viaIndex.rebuild(list);
  assert.ok(viaIndex.pick('/x', null));
});
