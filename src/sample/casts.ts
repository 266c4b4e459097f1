// Sample type casts: HAProxy's sample_casts[from][to] matrix. A missing entry means the cast
// is impossible, which is checked at load time (converter inputs, "-m" methods) and again at
// run time (an address fetch may return IPv6 where IPv4 was declared).
import type { Sample, SampleType } from './types.ts';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, v4tov6, v6tov4 } from './ip.ts';

/** Sample types plus HAProxy's "addr" pseudo type (IPv4 or IPv6), used by converter inputs. */
export type CastType = SampleType | 'addr';

type CastFn = (smp: Sample) => Sample | null;

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** read_int64(): optional sign then leading digits; stops at the first other character. */
export function readInt64(s: string): number {
  let i = 0;
  let neg = false;
  if (s[0] === '-') { neg = true; i++; } else if (s[0] === '+') i++;
  let v = 0n;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10n + BigInt(c - 48);
    if (v > LLONG_MAX + 1n) v = LLONG_MAX + 1n;
  }
  if (neg) v = -v;
  if (v > LLONG_MAX) v = LLONG_MAX;
  if (v < LLONG_MIN) v = LLONG_MIN;
  return Number(v);
}

/**
 * Sample strings are byte strings: one char per byte (latin1), as HAProxy compares bytes.
 * Text from the configuration (arguments, patterns) or the environment is turned into its
 * UTF-8 bytes this way once, at load time.
 */
export function toByteString(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
}

/** A byte string to bytes (chars above 255, which byte strings never have, are UTF-8 encoded). */
export function strToBuf(s: string): Buffer {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return Buffer.from(s, 'utf8');
  return Buffer.from(s, 'latin1');
}

/** c_bin2str: binary to string, stopping at the first NUL byte. */
export function bufToStr(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul >= 0 ? b.subarray(0, nul) : b).toString('latin1');
}

export function intToStr(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}

function int2bin(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt.asIntN(64, BigInt(Math.trunc(n))));
  return b;
}

function ipv4Of(smp: Sample): number | null {
  return parseIPv4(smp.value as string);
}
function ipv6Of(smp: Sample): bigint | null {
  return parseIPv6(smp.value as string);
}

function mk(smp: Sample, type: SampleType, value: Sample['value']): Sample {
  return smp.mayChange ? { type, value, mayChange: true } : { type, value };
}

const same: CastFn = (smp) => smp;
const int2str: CastFn = (smp) => mk(smp, 'str', typeof smp.value === 'boolean' ? (smp.value ? '1' : '0') : intToStr(smp.value as number));
const int2sint: CastFn = (smp) => mk(smp, 'sint', typeof smp.value === 'boolean' ? (smp.value ? 1 : 0) : (smp.value as number));
const int2bool: CastFn = (smp) => mk(smp, 'bool', typeof smp.value === 'boolean' ? smp.value : (smp.value as number) !== 0);
const int2ip: CastFn = (smp) => mk(smp, 'ipv4', formatIPv4(Number(BigInt.asUintN(32, BigInt(Math.trunc(smp.value as number))))));
const int2ipv6: CastFn = (smp) => mk(smp, 'ipv6', formatIPv6(v4tov6(Number(BigInt.asUintN(32, BigInt(Math.trunc(smp.value as number)))))));
const int2bin_: CastFn = (smp) => mk(smp, 'bin', int2bin(typeof smp.value === 'boolean' ? (smp.value ? 1 : 0) : (smp.value as number)));
const ip2int: CastFn = (smp) => {
  const v = ipv4Of(smp);
  return v === null ? null : mk(smp, 'sint', v);
};
const ip2ipv6: CastFn = (smp) => {
  const v = ipv4Of(smp);
  return v === null ? null : mk(smp, 'ipv6', formatIPv6(v4tov6(v)));
};
const ip2str: CastFn = (smp) => {
  const v = ipv4Of(smp);
  return v === null ? null : mk(smp, 'str', formatIPv4(v));
};
const ipv62ip: CastFn = (smp) => {
  const v6 = ipv6Of(smp);
  const v4 = v6 === null ? null : v6tov4(v6);
  return v4 === null ? null : mk(smp, 'ipv4', formatIPv4(v4));
};
const ipv62str: CastFn = (smp) => {
  const v = ipv6Of(smp);
  return v === null ? null : mk(smp, 'str', formatIPv6(v));
};
const addr2bin: CastFn = (smp) => {
  if (smp.type === 'ipv4') {
    const v = ipv4Of(smp);
    if (v === null) return null;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return mk(smp, 'bin', b);
  }
  const v = ipv6Of(smp);
  if (v === null) return null;
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(v >> 64n, 0);
  b.writeBigUInt64BE(v & 0xffffffffffffffffn, 8);
  return mk(smp, 'bin', b);
};
const str2int: CastFn = (smp) => ((smp.value as string).length === 0 ? null : mk(smp, 'sint', readInt64(smp.value as string)));
const str2bool: CastFn = (smp) => ((smp.value as string).length === 0 ? null : mk(smp, 'bool', readInt64(smp.value as string) !== 0));
const str2addr: CastFn = (smp) => {
  const s = smp.value as string;
  const v4 = parseIPv4(s);
  if (v4 !== null) return mk(smp, 'ipv4', formatIPv4(v4));
  const v6 = parseIPv6(s);
  return v6 === null ? null : mk(smp, 'ipv6', formatIPv6(v6));
};
const str2ip: CastFn = (smp) => {
  const v4 = parseIPv4(smp.value as string);
  return v4 === null ? null : mk(smp, 'ipv4', formatIPv4(v4));
};
const str2ipv6: CastFn = (smp) => {
  const v6 = parseIPv6(smp.value as string);
  return v6 === null ? null : mk(smp, 'ipv6', formatIPv6(v6));
};
const str2bin: CastFn = (smp) => mk(smp, 'bin', strToBuf(smp.value as string));
const str2meth: CastFn = (smp) => mk(smp, 'meth', typeof smp.value === 'string' ? smp.value : bufToStr(smp.value as Buffer));
const bin2str: CastFn = (smp) => mk(smp, 'str', bufToStr(smp.value as Buffer));
const meth2str: CastFn = (smp) => mk(smp, 'str', smp.value as string);
const meth2bin: CastFn = (smp) => mk(smp, 'bin', strToBuf(smp.value as string));

/** sample_casts[from][to]; 'addr' as a target accepts IPv4 and IPv6 samples as they are. */
const CASTS: Readonly<Record<CastType, Partial<Record<CastType, CastFn>>>> = {
  any: { any: same, bool: same, sint: same, addr: same, ipv4: same, ipv6: same, str: same, bin: same, meth: same },
  bool: { any: same, bool: same, sint: int2sint, str: int2str, bin: int2bin_ },
  sint: { any: same, bool: int2bool, sint: same, addr: int2ip, ipv4: int2ip, ipv6: int2ipv6, str: int2str, bin: int2bin_ },
  addr: { any: same, addr: same, ipv4: same, ipv6: same, str: same, bin: same },
  ipv4: { any: same, sint: ip2int, addr: same, ipv4: same, ipv6: ip2ipv6, str: ip2str, bin: addr2bin },
  ipv6: { any: same, addr: same, ipv4: ipv62ip, ipv6: same, str: ipv62str, bin: addr2bin },
  str: { any: same, bool: str2bool, sint: str2int, addr: str2addr, ipv4: str2ip, ipv6: str2ipv6, str: same, bin: str2bin, meth: str2meth },
  bin: { any: same, str: bin2str, bin: same, meth: str2meth },
  meth: { any: same, str: meth2str, bin: meth2bin, meth: same },
};

/** Whether a sample of type <from> may be cast to <to> (load-time check). */
export function canCast(from: CastType, to: CastType): boolean {
  return CASTS[from][to] !== undefined;
}

/** sample_convert(): the sample cast to <to>, or null when impossible for this value. */
export function castSample(smp: Sample, to: CastType): Sample | null {
  if (smp.type === to || to === 'any') return smp;
  if (to === 'addr' && (smp.type === 'ipv4' || smp.type === 'ipv6')) return smp;
  const fn = CASTS[smp.type][to];
  return fn ? fn(smp) : null;
}

/** The string form of a sample (as log-format and dynamic use_backend print it), or null. */
export function sampleToString(smp: Sample): string | null {
  const s = castSample(smp, 'str');
  return s ? (s.value as string) : null;
}
