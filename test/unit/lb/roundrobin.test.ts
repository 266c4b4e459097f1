import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRobinLb } from '../../../src/lb/roundrobin.ts';
import { count, longestRun, maxShareError, sequence, servers, type TestServer } from './helpers.ts';

/**
 * Replays operations against a round-robin instance: "pN" picks N times, "wX=W" sets server
 * X's weight, "dX"/"uX" take it out of/back into the eligible list; each change is followed
 * by rebuild() and written as "|". Servers are named 1..n and addressed as a..e.
 */
function replay(weights: number[], ops: string[]): string {
  const list = servers(weights);
  const up = list.map(() => true);
  const lb = new RoundRobinLb();
  const rebuild = () => lb.rebuild(list.filter((_, i) => up[i]));
  rebuild();
  let out = '';
  for (const op of ops) {
    const i = 'abcde'.indexOf(op[1]!);
    if (op[0] === 'p') out += sequence(lb, Number(op.slice(1)));
    else {
      if (op[0] === 'w') list[i]!.eweight = Number(op.slice(3));
      else up[i] = op[0] === 'u';
      rebuild();
      out += '|';
    }
  }
  return out;
}

// Sequences recorded from HAProxy 2.6.12 (one request per connection, servers answering their
// index), with the same runtime changes applied through the stats socket ("set weight",
// "disable server", "enable server").
test('matches HAProxy 2.6 pick sequences', () => {
  assert.equal(replay([3, 1], ['p16']), '1112111211121112');
  assert.equal(replay([1, 2, 3, 10], ['p48']), '443442434414432444344243441443244434424344144324');
  assert.equal(replay([5, 7, 1, 1, 256], ['p300']),
    '555555555555555555525555555555555555551555555555555555555255555555555555555553555555555555555155525555555555555555555555555555555555552555555555555155555555555555555555555552555555555555555555455555555155555555555255555555555555555555555555555555555525555155555555555555555555555555555555525555555555');
});

test('matches HAProxy 2.6 when weights change at runtime', () => {
  assert.equal(replay([1, 2, 3, 10], ['p20', 'wd=1', 'p40', 'wa=20', 'p60']),
    '44344243441443244434|2323143232314323231432323143232314323231|141321111113111121113111111413211111131111211131111114132111');
  assert.equal(replay([3, 1], ['p5', 'wa=0', 'p10', 'wa=3', 'p20']), '11121|2222222222|21112111211121111121');
  assert.equal(replay([1, 2, 3, 10], ['p7', 'wc=7', 'p30', 'wb=0', 'p13', 'wb=2', 'wd=3', 'p50', 'da', 'dc', 'p10', 'ua', 'uc', 'p40']),
    '4434424|143434243434434324431434342434|3443434434134||33343324334323134332433432313433243343231343324334||2444242442||4323431323433432343132343343234313234334');
});

test('matches HAProxy 2.6 when servers go down and up', () => {
  assert.equal(replay([1, 2, 3, 10], ['p10', 'db', 'p30', 'ub', 'p40', 'dd', 'p20', 'ud', 'p40']),
    '4434424344|144344434444341443444344443414|4344432444341424434443244434142443444324|31323231323233231323|2431444342443444243144434244344424314443');
});

test('distribution follows weights within 1 % over 100k picks', () => {
  for (const weights of [[1, 2, 3, 10], [1, 1, 1], [7, 3], [256, 1, 50, 13]]) {
    const list = servers(weights);
    const lb = new RoundRobinLb();
    lb.rebuild(list);
    const n = 100_000;
    assert.ok(maxShareError(count(lb, n), list, n) < 1, `weights ${weights}`);
  }
});

test('picks are interleaved smoothly', () => {
  const lb = new RoundRobinLb();
  lb.rebuild(servers([3, 1]));
  const seq = sequence(lb, 400);
  assert.ok(longestRun(seq) <= 3);
  // Every window of 4 picks holds exactly one pick of the light server.
  for (let i = 0; i + 4 <= seq.length; i += 4) assert.equal([...seq.slice(i, i + 4)].filter((c) => c === '2').length, 1);

  const lb2 = new RoundRobinLb();
  lb2.rebuild(servers([1, 2, 3, 10]));
  const seq2 = sequence(lb2, 1600);
  assert.ok(longestRun(seq2) <= 3, `longest run ${longestRun(seq2)}`);
  // The lightest server (1/16) shows up once in every 16-pick window.
  for (let i = 0; i + 16 <= seq2.length; i += 16) {
    assert.equal([...seq2.slice(i, i + 16)].filter((c) => c === '1').length, 1);
  }

  const lb3 = new RoundRobinLb();
  lb3.rebuild(servers([1, 1, 1, 1]));
  assert.equal(sequence(lb3, 12), '123412341234');
});

test('a weight change through rebuild() applies progressively and then exactly', () => {
  const list = servers([1, 1]);
  const lb = new RoundRobinLb();
  lb.rebuild(list);
  assert.equal(longestRun(sequence(lb, 20)), 1);
  list[0]!.eweight = 3;
  lb.rebuild(list);
  // No burst right after the change (HAProxy 2.6 gives the very same sequence), then the
  // steady 3:1 interleaving.
  const after = sequence(lb, 400);
  assert.equal(after.slice(0, 60), '121112111211111211121112111211121112111211121112111211121112');
  assert.ok(longestRun(after) <= 5);
  const tail = after.slice(40);
  assert.ok(longestRun(tail) <= 3);
  const ones = [...tail].filter((c) => c === '1').length / tail.length;
  assert.ok(Math.abs(ones - 0.75) < 0.01, `share ${ones}`);
});

test('servers leaving and joining', () => {
  const list = servers([1, 1, 1]);
  const lb = new RoundRobinLb();
  lb.rebuild(list);
  sequence(lb, 5);
  lb.rebuild([list[0]!, list[2]!]);
  assert.ok(!sequence(lb, 30).includes('2'));
  lb.rebuild(list);
  const seq = sequence(lb, 30);
  assert.equal([...seq].filter((c) => c === '2').length, 10);
  // A server listed with weight 0 is not used.
  list[1]!.eweight = 0;
  lb.rebuild(list);
  assert.ok(!sequence(lb, 30).includes('2'));
});

test('skips full servers, honours avoid, returns null when nothing is usable', () => {
  const list: TestServer[] = servers([1, 1, 1]);
  const lb = new RoundRobinLb();
  assert.equal(lb.pick(null, null), null);
  lb.rebuild([]);
  assert.equal(lb.pick(null, null), null);
  lb.rebuild(list);
  list[1]!.effMaxconn = 2;
  list[1]!.curConns = 2;
  assert.ok(!sequence(lb, 30).includes('2'));
  list[1]!.curConns = 1;
  assert.ok(sequence(lb, 30).includes('2'));
  // avoid: never returned while another server is usable
  for (let i = 0; i < 30; i++) assert.notEqual(lb.pick(null, list[0]!), list[0]);
  // ...but returned when it is the only one left
  lb.rebuild([list[0]!]);
  assert.equal(lb.pick(null, list[0]!), list[0]);
  // all full
  list[0]!.effMaxconn = 1;
  list[0]!.curConns = 1;
  assert.equal(lb.pick(null, null), null);
  list[0]!.curConns = 0;
  assert.equal(lb.pick(null, null), list[0]);
});

test('fractional effective weights (slowstart) still get traffic', () => {
  const list = servers([0.25, 1]);
  const lb = new RoundRobinLb();
  lb.rebuild(list);
  const c = count(lb, 5000);
  const share = (c.get(list[0]!) ?? 0) / 5000;
  assert.ok(Math.abs(share - 0.2) < 0.01, `share ${share}`);
});
