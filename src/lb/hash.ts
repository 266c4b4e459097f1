// Hash functions used by the hash-based load-balancing algorithms, as HAProxy 2.6 computes
// them (src/hash.c, the "avalanche" modifier from intops.h). Every function returns an
// unsigned 32-bit integer and works on bytes; strings are byte strings (latin1, one char per
// byte, as HTTP messages and samples hold them). Nothing here allocates on the hot path
// (strings go through a reused scratch buffer).
// CRC32C, also from hash.c, is here for the crc32c converter and the PROXY v2 checksum.

import type { HashTypeConfig } from '../config/model.ts';

export type HashFunctionName = HashTypeConfig['fn'];

/** sdbm: h = c + (h << 6) + (h << 16) - h, starting from 0 (HAProxy's default function). */
export function sdbm(data: Uint8Array, start = 0, end = data.length): number {
  let h = 0;
  for (let i = start; i < end; i++) {
    // Each term fits in a double exactly; >>> 0 reduces the sum modulo 2^32.
    h = (data[i]! + (h << 6) + (h << 16) - h) >>> 0;
  }
  return h;
}

/** djb2: h = h * 33 + c, starting from 5381. */
export function djb2(data: Uint8Array, start = 0, end = data.length): number {
  let h = 5381;
  for (let i = start; i < end; i++) h = (Math.imul(h, 33) + data[i]!) >>> 0;
  return h;
}

/** wt6: Willy Tarreau's 6-rotation hash (two 32-bit lanes with data-dependent rotations). */
export function wt6(data: Uint8Array, start = 0, end = data.length): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let r0 = 6;
  let r1 = 18;
  for (let i = start; i < end; i++) {
    const c = data[i]!;
    h0 = ~(h0 ^ c) >>> 0;
    h1 = ~(h1 + c) >>> 0;
    // Rotations left; a rotation by 0 keeps the value (JS masks shift counts to 5 bits,
    // so x >>> 32 is x >>> 0, which gives the same result as the x86 C code).
    const t = ((h1 << r0) | (h1 >>> (32 - r0))) >>> 0;
    h1 = ((h0 << r1) | (h0 >>> (32 - r1))) >>> 0;
    h0 = t;
    const m = ((h0 >>> 16) ^ h1) & 0xffff;
    r0 = m & 0x1f;
    r1 = m >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected polynomial 0xedb88320): the same value as zlib's crc32. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli, reflected polynomial 0x82f63b78, RFC 4960 appendix B). */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * "none": the key is not hashed, it is read as a decimal integer (HAProxy's read_int64():
 * optional sign, digits up to the first non-digit, saturating at the 64-bit limits) and the
 * low 32 bits of that 64-bit value are the hash.
 */
export function hashNone(data: Uint8Array, start = 0, end = data.length): number {
  let i = start;
  let neg = false;
  if (i < end && data[i] === 0x2d) { neg = true; i++; }
  else if (i < end && data[i] === 0x2b) i++;
  // The magnitude as hi * 2^32 + lo, exactly (each step stays below 2^36).
  let hi = 0;
  let lo = 0;
  let saturated = false;
  for (; i < end; i++) {
    const d = data[i]! - 0x30;
    if (d < 0 || d > 9) break;
    if (saturated) continue;
    const l = lo * 10 + d;
    const carry = Math.floor(l / 0x100000000);
    lo = l - carry * 0x100000000;
    hi = hi * 10 + carry;
    if (hi >= 0x100000000) saturated = true;
  }
  if (saturated) { hi = 0xffffffff; lo = 0xffffffff; }
  if (neg) {
    // More than 2^63 saturates to LLONG_MIN, whose low word is 0.
    if (hi > 0x80000000 || (hi === 0x80000000 && lo > 0)) return 0;
    return lo === 0 ? 0 : 0x100000000 - lo;
  }
  // More than 2^63 - 1 saturates to LLONG_MAX, whose low word is 0xffffffff.
  if (hi >= 0x80000000) return 0xffffffff;
  return lo;
}

/**
 * The "avalanche" modifier: one of Bob Jenkins' full-avalanche integer hashes followed by a
 * multiplication by a large prime (HAProxy's full_hash()), so that neighbouring inputs land
 * far apart. Also used to place the consistent-hashing points of each server.
 */
export function fullHash(a: number): number {
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

const HASHERS = { sdbm, djb2, wt6, crc32, none: hashNone } as const;

export type ByteHasher = (data: Uint8Array, start?: number, end?: number) => number;

export function hashFunction(name: HashFunctionName): ByteHasher {
  return HASHERS[name];
}

let scratch = Buffer.allocUnsafe(1024);

/**
 * Hashes a key as HAProxy's gen_hash() does for the configured function, then applies the
 * avalanche modifier when asked. Strings are byte strings (latin1).
 */
export function hashKey(fn: ByteHasher, avalanche: boolean, key: Uint8Array | string): number {
  let h: number;
  if (typeof key === 'string') {
    if (key.length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(key.length, scratch.length * 2));
    const n = scratch.write(key, 0, 'latin1');
    h = fn(scratch, 0, n);
  } else {
    h = fn(key, 0, key.length);
  }
  return avalanche ? fullHash(h) : h;
}
