// Hash and digest converters: crc32, crc32c, djb2, sdbm, wt6 (with optional avalanche, the
// load-balancing hashes of lb/hash.ts), xxh32, xxh64, xxh3 (XXH3-64 with seed) and the
// OpenSSL-backed sha1, sha2, digest and hmac, over node:crypto.
import { createHash, createHmac, getHashes } from 'node:crypto';
import type { Sample, SampleStream } from './types.ts';
import type { Arg } from './arg.ts';
import { registerConverters } from './converters.ts';
import { crc32, crc32c, djb2, fullHash, sdbm, wt6 } from '../lb/hash.ts';
import { xxh3, xxh32, xxh64 } from './xxhash.ts';
import { getVarAs, resolveVarArg } from './vars.ts';

const M32 = 0xffffffffn;

// ---- converters -----------------------------------------------------------------------------------

function out(smp: Sample, type: Sample['type'], value: Sample['value']): Sample {
  return smp.mayChange ? { type, value, mayChange: true } : { type, value };
}

/** 64-bit results are signed in HAProxy; sint samples hold them as numbers. */
function signed64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function seedArg(a: readonly Arg[]): bigint {
  return a[0] ? BigInt(a[0].int) : 0n;
}

const AVALANCHE = { types: ['sint'], min: 0 } as const;

for (const [name, fn] of [['crc32', crc32], ['djb2', djb2], ['sdbm', sdbm], ['wt6', wt6], ['crc32c', crc32c]] as const) {
  registerConverters({
    name, args: AVALANCHE, in: 'bin', out: 'sint',
    fn: (smp, a) => {
      const h = fn(smp.value as Buffer);
      return out(smp, 'sint', a[0] && a[0].int !== 0 ? fullHash(h) : h);
    },
  });
}

registerConverters(
  { name: 'xxh32', args: AVALANCHE, in: 'bin', out: 'sint', fn: (smp, a) => out(smp, 'sint', xxh32(smp.value as Buffer, Number(seedArg(a) & M32))) },
  { name: 'xxh64', args: AVALANCHE, in: 'bin', out: 'sint', fn: (smp, a) => out(smp, 'sint', signed64(xxh64(smp.value as Buffer, seedArg(a)))) },
  { name: 'xxh3', args: AVALANCHE, in: 'bin', out: 'sint', fn: (smp, a) => out(smp, 'sint', signed64(xxh3(smp.value as Buffer, seedArg(a)))) },
);

/** OpenSSL digest names as HAProxy accepts them (EVP_get_digestbyname is case-insensitive). */
function digestName(name: string): string | null {
  const l = name.toLowerCase();
  return getHashes().find((h) => h.toLowerCase() === l) ?? null;
}

const BAD_DIGEST = 'algorithm must be a valid OpenSSL message digest name.';
const digests = new WeakMap<Arg, string>();

function checkDigest(a: Arg[]): string | null {
  const d = digestName(a[0]!.str);
  if (!d) return BAD_DIGEST;
  digests.set(a[0]!, d);
  return null;
}

function strictBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/** The hmac key: a base64 constant, or a variable holding base64 text. */
function hmacKey(arg: Arg, s: SampleStream): Buffer | null {
  if (arg.type !== 'var') return strictBase64(arg.str);
  const v = getVarAs(s, arg, 'str');
  return v ? strictBase64(v.value as string) : null;
}

registerConverters(
  { name: 'sha1', in: 'bin', out: 'bin', fn: (smp) => out(smp, 'bin', createHash('sha1').update(smp.value as Buffer).digest()) },
  {
    name: 'sha2', args: { types: ['sint'], min: 0 }, in: 'bin', out: 'bin',
    validate: (a) => {
      const bits = a[0] ? a[0].int : 256;
      return [224, 256, 384, 512].includes(bits) ? null : `Unsupported number of bits: '${bits}'.`;
    },
    fn: (smp, a) => out(smp, 'bin', createHash(`sha${a[0] ? a[0].int : 256}`).update(smp.value as Buffer).digest()),
  },
  {
    name: 'digest', args: { types: ['str'], min: 1 }, in: 'bin', out: 'bin', validate: checkDigest,
    fn: (smp, a) => out(smp, 'bin', createHash(digests.get(a[0]!)!).update(smp.value as Buffer).digest()),
  },
  {
    name: 'hmac', args: { types: ['str', 'str'], min: 2 }, in: 'bin', out: 'bin',
    validate: (a) => {
      const err = checkDigest(a);
      if (err) return err;
      const key = a[1]!;
      if (resolveVarArg(key, 'ref') === null) return null;
      if (key.str !== '' && strictBase64(key.str)) return null;
      return 'failed to parse key : argument needs to be base64 encoded, and can either be a string or a variable';
    },
    fn: (smp, a, s) => {
      const key = hmacKey(a[1]!, s);
      if (!key) return null;
      return out(smp, 'bin', createHmac(digests.get(a[0]!)!, key).update(smp.value as Buffer).digest());
    },
  },
);
