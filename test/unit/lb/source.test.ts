import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceHashLb, addressHash } from '../../../src/lb/source.ts';
import { ConsistentHashRing } from '../../../src/lb/chash.ts';
import type { HashTypeConfig } from '../../../src/config/model.ts';
import type { LbServer } from '../../../src/lb/types.ts';
import { count, maxShareError, randomAddresses, servers } from './helpers.ts';

const MAP: HashTypeConfig = { method: 'map-based', fn: 'sdbm', avalanche: false };
const MAP_AVAL: HashTypeConfig = { method: 'map-based', fn: 'sdbm', avalanche: true };
const CONS: HashTypeConfig = { method: 'consistent', fn: 'sdbm', avalanche: true };
const CONS_RAW: HashTypeConfig = { method: 'consistent', fn: 'sdbm', avalanche: false };

// Client addresses and the server (by id) HAProxy 2.6.12 chose for each, with "balance source"
// and the hash-type shown; clients connected from these 127/8 source addresses.
const ADDRS = '127.105.254.175 127.106.192.39 127.111.147.34 127.113.23.143 127.118.119.4 127.124.41.148 127.126.203.101 127.127.92.179 127.129.177.155 127.142.70.210 127.144.2.38 127.153.253.225 127.157.92.27 127.158.228.73 127.163.64.177 127.165.77.102 127.175.229.74 127.175.77.239 127.179.254.149 127.186.13.19 127.194.118.39 127.197.177.6 127.200.203.103 127.201.53.124 127.205.31.49 127.212.183.175 127.214.189.157 127.214.84.194 127.217.30.212 127.218.160.120 127.220.142.181 127.229.205.141 127.232.185.77 127.233.35.216 127.236.181.44 127.24.37.211 127.248.93.68 127.250.215.11 127.254.41.43 127.26.52.1 127.27.233.231 127.29.109.10 127.31.203.13 127.32.30.159 127.33.31.188 127.34.106.113 127.35.123.24 127.37.60.132 127.39.160.88 127.42.90.39 127.44.222.108 127.47.138.122 127.48.187.150 127.59.252.16 127.63.114.162 127.68.148.108 127.73.60.147 127.77.51.243 127.83.56.88 127.96.190.25'.split(' ');
const EXPECTED: Record<string, string> = {
  map: '4 4 2 4 4 4 3 4 4 2 4 4 4 4 4 4 3 4 3 4 4 4 4 4 4 4 3 2 4 2 3 3 3 2 4 4 4 4 4 4 4 3 3 4 4 4 2 4 2 4 4 3 4 1 2 4 4 4 2 4',
  mapAval: '4 4 4 4 4 3 4 4 3 2 4 4 3 4 4 2 4 2 4 4 4 4 4 3 4 1 4 4 4 4 4 3 4 4 1 4 4 4 1 4 3 3 2 4 3 4 2 3 4 4 4 4 4 4 4 2 4 4 4 4',
  cons: '2 4 3 4 4 4 2 1 4 4 4 4 3 4 3 1 2 4 4 4 4 3 2 4 2 4 4 1 1 1 4 4 1 4 4 2 2 4 3 4 3 2 4 4 4 4 1 4 3 4 3 2 4 4 4 4 4 1 4 2',
  consWeightD5: '2 4 3 4 4 4 2 1 4 4 4 4 3 2 3 1 2 4 4 4 2 3 2 4 2 4 1 1 1 1 4 4 1 2 2 2 2 4 3 4 3 2 2 4 4 4 1 4 3 4 3 2 4 4 4 2 4 1 4 2',
  cons10: '2 5 8 3 4 10 5 1 10 8 8 4 6 5 2 1 5 8 8 6 5 6 5 4 5 6 1 1 1 1 5 7 6 7 3 7 7 6 3 3 6 5 5 10 1 9 1 4 9 6 9 2 5 10 1 2 4 1 8 5',
  cons10NoS3: '2 5 8 1 4 10 5 1 10 8 8 4 6 5 2 1 5 8 8 6 5 6 5 4 5 6 1 1 1 1 5 7 6 7 9 7 7 6 6 8 6 5 5 10 1 9 1 4 9 6 9 2 5 10 1 2 4 1 8 5',
  consRaw: Array(60).fill('2').join(' '),
};

const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));
const picks = (lb: SourceHashLb) => ADDRS.map((a) => lb.pick(ip4(a), null)!.id).join(' ');

test('matches HAProxy 2.6 choices for map-based and consistent hashing', () => {
  const w4 = [1, 2, 3, 10];
  for (const [cfg, key] of [[MAP, 'map'], [MAP_AVAL, 'mapAval'], [CONS, 'cons'], [CONS_RAW, 'consRaw']] as const) {
    const lb = new SourceHashLb(cfg);
    lb.rebuild(servers(w4));
    assert.equal(picks(lb), EXPECTED[key], key);
  }
  // consistent: weight change at runtime ("set weight cons/d 5")
  const list = servers(w4);
  const lb = new SourceHashLb(CONS);
  lb.rebuild(list);
  list[3]!.eweight = 5;
  lb.rebuild(list);
  assert.equal(picks(lb), EXPECTED.consWeightD5);
  // ten servers, the third one disabled then enabled again
  const ten = servers(Array(10).fill(1));
  const lb10 = new SourceHashLb(CONS);
  lb10.rebuild(ten);
  assert.equal(picks(lb10), EXPECTED.cons10);
  lb10.rebuild(ten.filter((s) => s.id !== 3));
  assert.equal(picks(lb10), EXPECTED.cons10NoS3);
  lb10.rebuild(ten);
  assert.equal(picks(lb10), EXPECTED.cons10);
});

test('map-based distribution follows weights within 1 % over 100k random clients', () => {
  for (const cfg of [MAP, MAP_AVAL]) {
    const list = servers([1, 2, 3, 10]);
    const lb = new SourceHashLb(cfg);
    lb.rebuild(list);
    const n = 100_000;
    const addrs = randomAddresses(n, 11);
    assert.ok(maxShareError(count(lb, n, (i) => addrs[i]!), list, n) < 1);
  }
});

test('consistent distribution follows the ring (16 points per unit of weight)', () => {
  // HAProxy's ring only approximates weights with few points: a server's share is the length
  // of the arcs nearest to its points. Random clients follow those shares within 1 %.
  for (const weights of [[1, 2, 3, 10], [10, 20, 30, 100], Array(10).fill(1)]) {
    const list = servers(weights);
    const ring = new ConsistentHashRing();
    ring.rebuild(list);
    const arcs = new Map<LbServer, number>();
    const steps = 1 << 16;
    for (let i = 0; i < steps; i++) {
      const s = ring.lookup((i * 65536 + 32768) >>> 0, null)!;
      arcs.set(s, (arcs.get(s) ?? 0) + 1);
    }
    const lb = new SourceHashLb(CONS);
    lb.rebuild(list);
    const n = 100_000;
    const addrs = randomAddresses(n, 12);
    const got = count(lb, n, (i) => addrs[i]!);
    for (const s of list) {
      const diff = Math.abs((got.get(s) ?? 0) / n - (arcs.get(s) ?? 0) / steps) * 100;
      assert.ok(diff < 1, `weights ${weights}: server ${s.id} off by ${diff.toFixed(2)} points`);
    }
  }
  // With larger weights the ring is close to the weights themselves.
  const big = servers([10, 20, 30, 100]);
  const ring = new ConsistentHashRing();
  ring.rebuild(big);
  const steps = 1 << 16;
  const c = new Map<LbServer | null, number>();
  for (let i = 0; i < steps; i++) {
    const s = ring.lookup((i * 65536 + 32768) >>> 0, null);
    c.set(s, (c.get(s) ?? 0) + 1);
  }
  assert.ok(maxShareError(c, big, steps) < 1);
});

test('consistent: removing 1 server of 10 moves only its keys, adding it back restores them', () => {
  const list = servers(Array(10).fill(1));
  const lb = new SourceHashLb(CONS);
  lb.rebuild(list);
  const addrs = randomAddresses(20_000, 21);
  const before = addrs.map((a) => lb.pick(a, null));
  lb.rebuild(list.filter((s) => s.id !== 4));
  const during = addrs.map((a) => lb.pick(a, null));
  let moved = 0;
  for (let i = 0; i < addrs.length; i++) {
    if (during[i] !== before[i]) {
      moved++;
      assert.equal(before[i], list[3], 'only keys of the removed server move');
    }
  }
  const share = moved / addrs.length;
  assert.ok(share > 0.05 && share < 0.15, `moved ${share}`);
  assert.equal(moved, before.filter((s) => s === list[3]).length);
  lb.rebuild(list);
  assert.deepEqual(addrs.map((a) => lb.pick(a, null)), before);
});

test('map-based: removing a server remaps most keys', () => {
  const list = servers(Array(10).fill(1));
  const lb = new SourceHashLb(MAP_AVAL);
  lb.rebuild(list);
  const addrs = randomAddresses(20_000, 22);
  const before = addrs.map((a) => lb.pick(a, null));
  lb.rebuild(list.filter((s) => s.id !== 4));
  const moved = addrs.filter((a, i) => lb.pick(a, null) !== before[i]).length / addrs.length;
  assert.ok(moved > 0.5, `moved ${moved}`);
  lb.rebuild(list);
  assert.deepEqual(addrs.map((a) => lb.pick(a, null)), before);
});

test('address keys: bytes, IPv4 text and IPv6 text hash the same way', () => {
  assert.equal(addressHash(Buffer.from([10, 1, 2, 3])), 0x0a010203);
  assert.equal(addressHash('10.1.2.3'), 0x0a010203);
  const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  const x = (0x20010db8 ^ 0 ^ 0 ^ 1) >>> 0;
  assert.equal(addressHash(v6), x);
  assert.equal(addressHash('2001:db8::1'), x);
  assert.equal(addressHash('2001:DB8:0:0:0:0:0:1'), x);
  assert.equal(addressHash('2001:db8::1%eth0'), x);
  // IPv4-mapped IPv6, as a dual-stack listener sees IPv4 clients
  assert.equal(addressHash('::ffff:10.1.2.3'), (0xffff ^ 0x0a010203) >>> 0);
  assert.equal(addressHash('::'), 0);
  assert.equal(addressHash('::1'), 1);
  assert.equal(addressHash('1::'), 0x00010000);
  assert.equal(addressHash('fe80::1:2:3:4'), (0xfe800000 ^ 0x00010002 ^ 0x00030004) >>> 0);
  assert.equal(addressHash('1:2:3:4:5:6:7:8'), (0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x00070008) >>> 0);
  assert.equal(addressHash('1:2:3:4:5:6:1.2.3.4'), (0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x01020304) >>> 0);
  for (const bad of ['', 'x', '1.2.3', '1.2.3.256', '1.2.3.4.5', '1:2', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'unix@/tmp/s']) {
    assert.equal(addressHash(bad), -1, bad);
  }
  assert.equal(addressHash(Buffer.alloc(2)), -1);
});

test('string and byte keys choose the same server', () => {
  const lb = new SourceHashLb(CONS);
  lb.rebuild(servers([1, 2, 3]));
  for (const a of ADDRS) assert.equal(lb.pick(a, null), lb.pick(ip4(a), null));
});

test('without a usable key, falls back to round-robin', () => {
  for (const cfg of [MAP, CONS]) {
    const list = servers([1, 1, 1]);
    const lb = new SourceHashLb(cfg);
    lb.rebuild(list);
    const seen = new Set<LbServer | null>();
    for (let i = 0; i < 30; i++) seen.add(lb.pick(null, null));
    assert.equal(seen.size, 3);
    assert.ok(lb.pick('not-an-address', null));
  }
});

test('avoid: consistent moves to the next server, map-based keeps the key on its server (HAProxy)', () => {
  const list = servers([1, 1, 1, 1]);
  const cons = new SourceHashLb(CONS);
  cons.rebuild(list);
  const map = new SourceHashLb(MAP);
  map.rebuild(list);
  for (const a of randomAddresses(200, 31)) {
    const s = cons.pick(a, null)!;
    const other = cons.pick(a, s);
    assert.ok(other && other !== s);
    const m = map.pick(a, null)!;
    assert.equal(map.pick(a, m), m);
  }
  cons.rebuild([list[0]!]);
  assert.equal(cons.pick(ip4('1.2.3.4'), list[0]!), list[0]);
});

test('empty server list gives null; full servers are still returned (the request queues there)', () => {
  for (const cfg of [MAP, CONS]) {
    const lb = new SourceHashLb(cfg);
    assert.equal(lb.pick(ip4('1.2.3.4'), null), null);
    const list = servers([1]);
    list[0]!.effMaxconn = 1;
    list[0]!.curConns = 1;
    lb.rebuild(list);
    assert.equal(lb.pick(ip4('1.2.3.4'), null), list[0]);
    lb.rebuild([]);
    assert.equal(lb.pick(ip4('1.2.3.4'), null), null);
    assert.equal(lb.pick(null, null), null);
  }
});

test('consistent ring: bounded loads (hash-balance-factor) spill to the next server', () => {
  const list = servers([1, 1]);
  const ring = new ConsistentHashRing(125);
  ring.rebuild(list);
  const a = ring.lookup(12345, null)!;
  (a as typeof list[0]).curConns = 10;
  const b = ring.lookup(12345, null);
  assert.ok(b && b !== a);
  (a as typeof list[0]).curConns = 0;
  assert.equal(ring.lookup(12345, null), a);
});
