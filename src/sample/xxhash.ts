// The xxHash family as HAProxy uses it (its bundled xxhash.h): XXH32, XXH64 and XXH3-64, with
// a seed, over bytes. BigInt based (XXH32 excepted): for converters and dynamic cookies, not
// for load balancing.

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

function u64(b: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}
function u32(b: Uint8Array, off: number): bigint {
  return BigInt((b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0);
}
function rotl64(v: bigint, r: bigint): bigint {
  return ((v << r) | (v >> (64n - r))) & M64;
}
function mul64(a: bigint, b: bigint): bigint {
  return (a * b) & M64;
}

// ---- XXH32 ---------------------------------------------------------------------------------------

const P32_1 = 0x9e3779b1;
const P32_2 = 0x85ebca77;
const P32_3 = 0xc2b2ae3d;
const P32_4 = 0x27d4eb2f;
const P32_5 = 0x165667b1;

function rotl32(v: number, r: number): number {
  return ((v << r) | (v >>> (32 - r))) >>> 0;
}
function r32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}
function round32(acc: number, lane: number): number {
  return Math.imul(rotl32((acc + Math.imul(lane, P32_2)) >>> 0, 13), P32_1) >>> 0;
}

/** XXH32 with a 32-bit seed. */
export function xxh32(data: Uint8Array, seed: number): number {
  const len = data.length;
  let p = 0;
  let acc: number;
  seed >>>= 0;
  if (len >= 16) {
    let v1 = (seed + P32_1 + P32_2) >>> 0;
    let v2 = (seed + P32_2) >>> 0;
    let v3 = seed;
    let v4 = (seed - P32_1) >>> 0;
    for (; p + 16 <= len; p += 16) {
      v1 = round32(v1, r32(data, p));
      v2 = round32(v2, r32(data, p + 4));
      v3 = round32(v3, r32(data, p + 8));
      v4 = round32(v4, r32(data, p + 12));
    }
    acc = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) >>> 0;
  } else acc = (seed + P32_5) >>> 0;
  acc = (acc + len) >>> 0;
  for (; p + 4 <= len; p += 4) acc = Math.imul(rotl32((acc + Math.imul(r32(data, p), P32_3)) >>> 0, 17), P32_4) >>> 0;
  for (; p < len; p++) acc = Math.imul(rotl32((acc + Math.imul(data[p]!, P32_5)) >>> 0, 11), P32_1) >>> 0;
  acc ^= acc >>> 15;
  acc = Math.imul(acc, P32_2);
  acc ^= acc >>> 13;
  acc = Math.imul(acc, P32_3);
  acc ^= acc >>> 16;
  return acc >>> 0;
}

// ---- XXH64 ---------------------------------------------------------------------------------------

const P64_1 = 0x9e3779b185ebca87n;
const P64_2 = 0xc2b2ae3d27d4eb4fn;
const P64_3 = 0x165667b19e3779f9n;
const P64_4 = 0x85ebca77c2b2ae63n;
const P64_5 = 0x27d4eb2f165667c5n;

function round64(acc: bigint, lane: bigint): bigint {
  return mul64(rotl64((acc + mul64(lane, P64_2)) & M64, 31n), P64_1);
}
function merge64(acc: bigint, v: bigint): bigint {
  return (mul64(acc ^ round64(0n, v), P64_1) + P64_4) & M64;
}
function avalanche64(h: bigint): bigint {
  h ^= h >> 33n;
  h = mul64(h, P64_2);
  h ^= h >> 29n;
  h = mul64(h, P64_3);
  return h ^ (h >> 32n);
}

/** XXH64 (unsigned 64-bit result). */
export function xxh64(data: Uint8Array, seed: bigint): bigint {
  const len = data.length;
  seed &= M64;
  let p = 0;
  let acc: bigint;
  if (len >= 32) {
    let v1 = (seed + P64_1 + P64_2) & M64;
    let v2 = (seed + P64_2) & M64;
    let v3 = seed;
    let v4 = (seed - P64_1) & M64;
    for (; p + 32 <= len; p += 32) {
      v1 = round64(v1, u64(data, p));
      v2 = round64(v2, u64(data, p + 8));
      v3 = round64(v3, u64(data, p + 16));
      v4 = round64(v4, u64(data, p + 24));
    }
    acc = (rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n)) & M64;
    acc = merge64(merge64(merge64(merge64(acc, v1), v2), v3), v4);
  } else acc = (seed + P64_5) & M64;
  acc = (acc + BigInt(len)) & M64;
  for (; p + 8 <= len; p += 8) acc = (mul64(rotl64(acc ^ round64(0n, u64(data, p)), 27n), P64_1) + P64_4) & M64;
  if (p + 4 <= len) {
    acc = (mul64(rotl64(acc ^ mul64(u32(data, p), P64_1), 23n), P64_2) + P64_3) & M64;
    p += 4;
  }
  for (; p < len; p++) acc = mul64(rotl64(acc ^ mul64(BigInt(data[p]!), P64_5), 11n), P64_1);
  return avalanche64(acc);
}

// ---- XXH3 (64-bit) -----------------------------------------------------------------------------------

const K_SECRET = Buffer.from(
  'b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671fcb79e64eccc0e578825ad07dccff7221' +
  'b8084674f743248ee03590e6813a264c3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8' +
  'a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364eac5ac8334d3ebc3c581a0fffa1363eb' +
  '170ddd51b7f0da49d316552629d4689e2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e',
  'hex',
);
const PRIME_MX1 = 0x165667919e3779f9n;
const PRIME_MX2 = 0x9fb21c651e98df25n;
const P32_1n = BigInt(P32_1);
const P32_2n = BigInt(P32_2);
const P32_3n = BigInt(P32_3);

function fold64(a: bigint, b: bigint): bigint {
  const p = a * b;
  return (p & M64) ^ (p >> 64n);
}
function xxh3Avalanche(h: bigint): bigint {
  h ^= h >> 37n;
  h = mul64(h, PRIME_MX1);
  return h ^ (h >> 32n);
}
function rrmxmx(h: bigint, len: number): bigint {
  h ^= rotl64(h, 49n) ^ rotl64(h, 24n);
  h = mul64(h, PRIME_MX2);
  h ^= ((h >> 35n) + BigInt(len)) & M64;
  h = mul64(h, PRIME_MX2);
  return h ^ (h >> 28n);
}
function mix16(d: Uint8Array, p: number, s: Uint8Array, sp: number, seed: bigint): bigint {
  return fold64(u64(d, p) ^ ((u64(s, sp) + seed) & M64), u64(d, p + 8) ^ ((u64(s, sp + 8) - seed) & M64));
}
function swap32(v: bigint): bigint {
  return ((v & 0xffn) << 24n) | ((v & 0xff00n) << 8n) | ((v >> 8n) & 0xff00n) | ((v >> 24n) & 0xffn);
}
function swap64(v: bigint): bigint {
  let r = 0n;
  for (let i = 0; i < 8; i++) {
    r = (r << 8n) | (v & 0xffn);
    v >>= 8n;
  }
  return r;
}

function xxh3Long(d: Uint8Array, secret: Uint8Array): bigint {
  const len = d.length;
  const acc = [P32_3n, P64_1, P64_2, P64_3, P64_4, P32_2n, P64_5, P32_1n];
  const stripesPerBlock = (secret.length - 64) / 8;
  const blockLen = 64 * stripesPerBlock;
  const blocks = Math.floor((len - 1) / blockLen);
  const accumulate512 = (p: number, sp: number): void => {
    for (let i = 0; i < 8; i++) {
      const v = u64(d, p + 8 * i);
      const k = v ^ u64(secret, sp + 8 * i);
      acc[i ^ 1] = (acc[i ^ 1]! + v) & M64;
      acc[i] = (acc[i]! + (k & M32) * (k >> 32n)) & M64;
    }
  };
  const scramble = (): void => {
    const sp = secret.length - 64;
    for (let i = 0; i < 8; i++) {
      let a = acc[i]!;
      a ^= a >> 47n;
      a ^= u64(secret, sp + 8 * i);
      acc[i] = mul64(a, P32_1n);
    }
  };
  for (let n = 0; n < blocks; n++) {
    for (let s = 0; s < stripesPerBlock; s++) accumulate512(n * blockLen + s * 64, s * 8);
    scramble();
  }
  const stripes = Math.floor((len - 1 - blockLen * blocks) / 64);
  for (let s = 0; s < stripes; s++) accumulate512(blocks * blockLen + s * 64, s * 8);
  accumulate512(len - 64, secret.length - 64 - 7);
  let r = mul64(BigInt(len), P64_1);
  for (let i = 0; i < 4; i++) r = (r + fold64(acc[2 * i]! ^ u64(secret, 11 + 16 * i), acc[2 * i + 1]! ^ u64(secret, 11 + 16 * i + 8))) & M64;
  return xxh3Avalanche(r);
}

/** XXH3_64bits_withSeed (unsigned 64-bit result). */
export function xxh3(d: Uint8Array, seed: bigint): bigint {
  const len = d.length;
  const s = K_SECRET;
  seed &= M64;
  if (len === 0) return avalanche64(seed ^ u64(s, 56) ^ u64(s, 64));
  if (len <= 3) {
    const combined = (BigInt(d[0]!) << 16n) | (BigInt(d[len >> 1]!) << 24n) | BigInt(d[len - 1]!) | (BigInt(len) << 8n);
    const bitflip = ((u32(s, 0) ^ u32(s, 4)) + seed) & M64;
    return avalanche64(combined ^ bitflip);
  }
  if (len <= 8) {
    const sd = seed ^ (swap32(seed & M32) << 32n);
    const bitflip = ((u64(s, 8) ^ u64(s, 16)) - sd) & M64;
    const input64 = (u32(d, len - 4) + (u32(d, 0) << 32n)) & M64;
    return rrmxmx(input64 ^ bitflip, len);
  }
  if (len <= 16) {
    const lo = u64(d, 0) ^ (((u64(s, 24) ^ u64(s, 32)) + seed) & M64);
    const hi = u64(d, len - 8) ^ (((u64(s, 40) ^ u64(s, 48)) - seed) & M64);
    return xxh3Avalanche((BigInt(len) + swap64(lo) + hi + fold64(lo, hi)) & M64);
  }
  if (len <= 128) {
    let acc = mul64(BigInt(len), P64_1);
    if (len > 32) {
      if (len > 64) {
        if (len > 96) acc += mix16(d, 48, s, 96, seed) + mix16(d, len - 64, s, 112, seed);
        acc += mix16(d, 32, s, 64, seed) + mix16(d, len - 48, s, 80, seed);
      }
      acc += mix16(d, 16, s, 32, seed) + mix16(d, len - 32, s, 48, seed);
    }
    acc += mix16(d, 0, s, 0, seed) + mix16(d, len - 16, s, 16, seed);
    return xxh3Avalanche(acc & M64);
  }
  if (len <= 240) {
    let acc = mul64(BigInt(len), P64_1);
    const rounds = Math.floor(len / 16);
    for (let i = 0; i < 8; i++) acc = (acc + mix16(d, 16 * i, s, 16 * i, seed)) & M64;
    acc = xxh3Avalanche(acc);
    for (let i = 8; i < rounds; i++) acc = (acc + mix16(d, 16 * i, s, 16 * (i - 8) + 3, seed)) & M64;
    acc = (acc + mix16(d, len - 16, s, 136 - 17, seed)) & M64;
    return xxh3Avalanche(acc);
  }
  if (seed === 0n) return xxh3Long(d, s);
  const custom = Buffer.alloc(s.length);
  for (let i = 0; i < s.length; i += 16) {
    custom.writeBigUInt64LE((u64(s, i) + seed) & M64, i);
    custom.writeBigUInt64LE((u64(s, i + 8) - seed) & M64, i + 8);
  }
  return xxh3Long(d, custom);
}
