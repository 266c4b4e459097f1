import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { crc32, djb2, fullHash, hashFunction, hashKey, hashNone, sdbm, wt6 } from '../../../src/lb/hash.ts';

const b = (s: string) => Buffer.from(s);

test('sdbm and djb2 match values computed from their definitions', () => {
  // sdbm: h = c + (h << 6) + (h << 16) - h from 0
  assert.equal(sdbm(b('')), 0);
  assert.equal(sdbm(b('a')), 97);
  assert.equal(sdbm(b('ab')), 98 + 97 * 64 + 97 * 65536 - 97);
  // djb2: h = h * 33 + c from 5381
  assert.equal(djb2(b('')), 5381);
  assert.equal(djb2(b('a')), 5381 * 33 + 97);
  assert.equal(djb2(b('ab')), (5381 * 33 + 97) * 33 + 98);
});

// Values printed by HAProxy 2.6.12's sdbm/djb2/wt6/crc32 converters, without and with the
// avalanche argument (which applies full_hash(), as "hash-type ... avalanche" does).
const HAPROXY: [string, number[]][] = [
  ['', [0, 2874071335, 5381, 3719394183, 4187620192, 2385687481, 0, 2874071335]],
  ['a', [97, 1830748055, 177670, 3548763807, 1900802597, 1986649387, 3904355907, 1288200982]],
  ['ab', [6363201, 3352188731, 5863208, 282820760, 314091001, 988008184, 2659403885, 854450000]],
  ['abc', [807794786, 659243622, 193485963, 2235766107, 2483038440, 266135527, 891568578, 930845320]],
  ['hello', [684824882, 2061535398, 261238937, 1119739105, 3538347703, 140457739, 907060870, 3902247103]],
  ['123456789', [1755344949, 3400502718, 902675330, 2717138294, 2225171485, 4053691039, 3421780262, 1130417534]],
  ['The%20quick%20brown%20fox', [2617664858, 1266005474, 3844225677, 1834894304, 536207715, 4101169322, 3362174616, 3764626608]],
  ['x'.repeat(41), [4287998072, 2911828619, 1428258269, 2899707970, 2074939989, 916522135, 832962286, 2618394373]],
];

test('hash functions and avalanche equal HAProxy 2.6 outputs', () => {
  for (const [key, v] of HAPROXY) {
    const k = b(key);
    const got = [sdbm(k), fullHash(sdbm(k)), djb2(k), fullHash(djb2(k)), wt6(k), fullHash(wt6(k)), crc32(k), fullHash(crc32(k))];
    assert.deepEqual(got, v, `key ${JSON.stringify(key)}`);
  }
});

test('crc32 is the standard CRC-32 (zlib)', () => {
  assert.equal(crc32(b('123456789')), 0xcbf43926);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (data) => crc32(data) === zlib.crc32(data)), { numRuns: 300 });
});

test('results are unsigned 32-bit integers', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
    for (const h of [sdbm(data), djb2(data), wt6(data), crc32(data), hashNone(data)]) {
      if (!Number.isInteger(h) || h < 0 || h > 0xffffffff) return false;
    }
    return true;
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (x) => {
    const h = fullHash(x);
    return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
  }), { numRuns: 300 });
});

test('hash ranges: start/end select a slice of the buffer', () => {
  const data = b('xxhelloyy');
  assert.equal(sdbm(data, 2, 7), sdbm(b('hello')));
  assert.equal(crc32(data, 2, 7), crc32(b('hello')));
  assert.equal(wt6(data, 2, 7), wt6(b('hello')));
  assert.equal(djb2(data, 2, 7), djb2(b('hello')));
});

test('"none" reads the key as a decimal integer (HAProxy read_int64), low 32 bits', () => {
  assert.equal(hashNone(b('123')), 123);
  assert.equal(hashNone(b('123abc')), 123);
  assert.equal(hashNone(b('+7')), 7);
  assert.equal(hashNone(b('abc')), 0);
  assert.equal(hashNone(b('')), 0);
  assert.equal(hashNone(b('4294967297')), 1);
  assert.equal(hashNone(b('-1')), 0xffffffff);
  assert.equal(hashNone(b('-4294967296')), 0);
  // Beyond 2^63 - 1 saturates to LLONG_MAX, below -2^63 to LLONG_MIN.
  assert.equal(hashNone(b('9223372036854775807')), 0xffffffff);
  assert.equal(hashNone(b('9223372036854775808')), 0xffffffff);
  assert.equal(hashNone(b('99999999999999999999999')), 0xffffffff);
  assert.equal(hashNone(b('-9223372036854775808')), 0);
  assert.equal(hashNone(b('-99999999999999999999999')), 0);
  fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) =>
    hashNone(b(v.toString())) === Number(BigInt.asUintN(32, v))), { numRuns: 300 });
});

test('hashKey hashes byte strings (latin1) and applies avalanche', () => {
  for (const name of ['sdbm', 'djb2', 'wt6', 'crc32', 'none'] as const) {
    const fn = hashFunction(name);
    for (const s of ['', 'abc', '\xe9t\xe9', '\xff\x80\x00', 'x'.repeat(3000), '42']) {
      assert.equal(hashKey(fn, false, s), fn(Buffer.from(s, 'latin1')), `${name} ${s.slice(0, 10)}`);
      assert.equal(hashKey(fn, true, s), fullHash(fn(Buffer.from(s, 'latin1'))));
      assert.equal(hashKey(fn, false, Buffer.from(s)), fn(Buffer.from(s)));
    }
  }
});
