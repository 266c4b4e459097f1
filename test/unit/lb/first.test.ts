import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FirstLb } from '../../../src/lb/first.ts';
import { servers } from './helpers.ts';

test('fills servers in id order up to their maxconn', () => {
  const list = servers([1, 1, 1]);
  for (const s of list) s.effMaxconn = 2;
  const lb = new FirstLb();
  lb.rebuild(list);
  let seq = '';
  for (let i = 0; i < 6; i++) {
    const s = lb.pick(null, null)!;
    (s as typeof list[0]).curConns++;
    seq += s.name;
  }
  assert.equal(seq, '112233');
  assert.equal(lb.pick(null, null), null);
  // A slot freed on the second server is reused before anything else.
  list[1]!.curConns--;
  assert.equal(lb.pick(null, null), list[1]);
});

test('uses id order, not list order, and ignores weights except zero', () => {
  const list = servers([1, 50, 1]);
  list[0]!.id = 7;
  const lb = new FirstLb();
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[1]);
  list[1]!.eweight = 0;
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[2]);
});

test('without maxconn the first server takes everything', () => {
  const list = servers([1, 1]);
  list[0]!.curConns = 1000;
  const lb = new FirstLb();
  lb.rebuild(list);
  assert.equal(lb.pick(null, null), list[0]);
});

test('honours avoid when another server has room, null when empty', () => {
  const list = servers([1, 1]);
  const lb = new FirstLb();
  assert.equal(lb.pick(null, null), null);
  lb.rebuild(list);
  assert.equal(lb.pick(null, list[0]!), list[1]);
  list[1]!.effMaxconn = 1;
  list[1]!.curConns = 1;
  assert.equal(lb.pick(null, list[0]!), list[0]);
  lb.rebuild([]);
  assert.equal(lb.pick(null, null), null);
});
