// The converter registry (HAProxy's sample_conv_kw_list) and the string, binary, address and
// arithmetic converters. A converter declares its input type; the expression casts the
// sample to it first (the cast must be possible at load time, see casts.ts).
import { timingSafeEqual } from 'node:crypto';
import type { Sample, SampleStream, SampleType } from './types.ts';
import type { Arg, ArgSpec } from './arg.ts';
import { strToBuf, type CastType } from './casts.ts';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, v6tov4 } from './ip.ts';
import { currentBackend, usableServers } from './fetch.ts';
import { getVarAs, resolveVarArg } from './vars.ts';

export interface ConvDef {
  readonly name: string;
  readonly args?: ArgSpec;
  /** val_args: checks (and may normalise) parsed arguments; returns an error text. */
  readonly validate?: (args: Arg[]) => string | null;
  readonly in: CastType;
  readonly out: SampleType;
  /** Returns the converted sample, or null when the conversion fails. */
  readonly fn: (smp: Sample, args: readonly Arg[], s: SampleStream) => Sample | null;
}

const converters = new Map<string, ConvDef>();

export function registerConverters(...defs: ConvDef[]): void {
  for (const d of defs) {
    if (converters.has(d.name)) throw new Error(`duplicate converter registration: ${d.name}`);
    converters.set(d.name, d);
  }
}

export function findConverter(name: string): ConvDef | undefined {
  return converters.get(name);
}

function out(smp: Sample, type: SampleType, value: Sample['value']): Sample {
  return smp.mayChange ? { type, value, mayChange: true } : { type, value };
}

// ---- 64-bit signed arithmetic as HAProxy does it (saturating where HAProxy saturates) ------

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

function big(n: number): bigint {
  return BigInt(Math.trunc(n));
}
function clamp(v: bigint): number {
  return Number(v > LLONG_MAX ? LLONG_MAX : v < LLONG_MIN ? LLONG_MIN : v);
}
function wrap(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/**
 * check_operator(): the argument of add/sub/mul/div/mod/and/or/xor is an integer or a
 * variable name ("txn.x"), read when the converter runs.
 */
function checkOperator(a: Arg[]): string | null {
  const arg = a[0]!;
  const t = arg.str;
  // read_int64 must consume the whole text; an empty argument is 0
  if (/^[-+]?\d*$/.test(t)) {
    arg.type = 'sint';
    arg.int = t === '' || t === '-' || t === '+' ? 0 : clamp(BigInt(t));
    return null;
  }
  return resolveVarArg(arg, 'ref') === null ? null : 'expects an integer or a variable name';
}

/** The operand: the constant, or the variable cast to an integer (null when unset). */
function operand(arg: Arg, s: SampleStream): bigint | null {
  if (arg.type !== 'var') return big(arg.int);
  const v = getVarAs(s, arg, 'sint');
  return v ? big(toInt(v)) : null;
}

const OP_ARG: ArgSpec = { types: ['str'], min: 1 };

function arith(name: string, op: (a: bigint, b: bigint) => number): ConvDef {
  return {
    name, args: OP_ARG, validate: checkOperator, in: 'sint', out: 'sint',
    fn: (smp, args, s) => {
      const b = operand(args[0]!, s);
      return b === null ? null : out(smp, 'sint', op(big(smp.value as number), b));
    },
  };
}

function toInt(smp: Sample): number {
  return typeof smp.value === 'boolean' ? (smp.value ? 1 : 0) : (smp.value as number);
}

registerConverters(
  arith('add', (a, b) => clamp(a + b)),
  arith('sub', (a, b) => clamp(a - b)),
  arith('mul', (a, b) => clamp(a * b)),
  // division by zero gives the largest value; LLONG_MIN / -1 too
  arith('div', (a, b) => (b === 0n ? Number(LLONG_MAX) : clamp(a / b))),
  arith('mod', (a, b) => (b === 0n ? 0 : wrap(a % b))),
  arith('and', (a, b) => wrap(a & b)),
  arith('or', (a, b) => wrap(a | b)),
  arith('xor', (a, b) => wrap(a ^ b)),
  { name: 'neg', in: 'sint', out: 'sint', fn: (smp) => out(smp, 'sint', clamp(-big(toInt(smp)))) },
  { name: 'cpl', in: 'sint', out: 'sint', fn: (smp) => out(smp, 'sint', wrap(~big(toInt(smp)))) },
  { name: 'not', in: 'sint', out: 'bool', fn: (smp) => out(smp, 'bool', toInt(smp) === 0) },
  { name: 'bool', in: 'sint', out: 'bool', fn: (smp) => out(smp, 'bool', toInt(smp) !== 0) },
  { name: 'odd', in: 'sint', out: 'bool', fn: (smp) => out(smp, 'bool', (big(toInt(smp)) & 1n) === 1n) },
  { name: 'even', in: 'sint', out: 'bool', fn: (smp) => out(smp, 'bool', (big(toInt(smp)) & 1n) === 0n) },
);

// ---- strings ---------------------------------------------------------------------------------

function asciiMap(s: string, upper: boolean): string {
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (upper && c >= 97 && c <= 122) r += String.fromCharCode(c - 32);
    else if (!upper && c >= 65 && c <= 90) r += String.fromCharCode(c + 32);
    else r += s[i];
  }
  return r;
}

/** field/word argument checks (sample_conv_field_check). */
function checkField(a: Arg[]): string | null {
  if (a[0]!.int === 0) return 'Unexpected value 0 for index';
  if (a[1]!.str.length === 0) return 'Empty separators list';
  return null;
}

const FIELD_ARGS: ArgSpec = { types: ['sint', 'str', 'sint'], min: 2 };

/** field(<index>,<delimiters>[,<count>]): delimiters separate fields, empty fields count. */
export function field(s: string, index: number, delims: string, count: number): string | null {
  let cnt = count;
  if (index < 0) {
    let f = -1;
    let end = s.length;
    let start = s.length;
    while (start > 0) {
      if (delims.includes(s[start - 1]!)) {
        if (f === index) {
          if (cnt === 1) return s.slice(start, end);
          if (cnt > 1) cnt--;
        } else {
          end = start - 1;
          f--;
        }
      }
      start--;
    }
    return f === index ? s.slice(start, end) : null;
  }
  let f = 1;
  let start = 0;
  let end = 0;
  while (end < s.length) {
    if (delims.includes(s[end]!)) {
      if (f === index) {
        if (cnt === 1) return s.slice(start, end);
        if (cnt > 1) cnt--;
      } else {
        start = end + 1;
        f++;
      }
    }
    end++;
  }
  return f === index ? s.slice(start, end) : null;
}

/** word(<index>,<delimiters>[,<count>]): like field but runs of delimiters count as one. */
export function word(s: string, index: number, delims: string, count: number): string | null {
  let cnt = count;
  let w = 0;
  let inword = false;
  if (index < 0) {
    let end = s.length;
    let start = s.length;
    while (start > 0) {
      const sep = delims.includes(s[start - 1]!);
      if (!inword) {
        if (!sep) {
          if (w !== index) {
            w--;
            end = start;
          }
          inword = true;
        }
      } else if (sep) {
        if (w === index) {
          if (cnt === 1) return s.slice(start, end);
          if (cnt > 1) cnt--;
        }
        inword = false;
      }
      start--;
    }
    return w === index ? s.slice(start, end) : null;
  }
  let start = 0;
  let end = 0;
  while (end < s.length) {
    const sep = delims.includes(s[end]!);
    if (!inword) {
      if (!sep) {
        if (w !== index) {
          w++;
          start = end;
        }
        inword = true;
      }
    } else if (sep) {
      if (w === index) {
        if (cnt === 1) return s.slice(start, end);
        if (cnt > 1) cnt--;
      }
      inword = false;
    }
    end++;
  }
  return w === index ? s.slice(start, end) : null;
}

/** The optional variable argument of concat/add_item, checked like HAProxy's ARGT_VAR. */
function optionalVar(i: number): (a: Arg[]) => string | null {
  return (a) => (a[i] && a[i].str !== '' ? resolveVarArg(a[i], 'ref') : null);
}

/** A variable argument as a string, '' when absent or unset. */
function varText(arg: Arg | undefined, s: SampleStream): string | null {
  if (!arg || arg.type !== 'var') return null;
  const v = getVarAs(s, arg, 'str');
  return v ? (v.value as string) : null;
}

registerConverters(
  { name: 'lower', in: 'str', out: 'str', fn: (smp) => out(smp, 'str', asciiMap(smp.value as string, false)) },
  { name: 'upper', in: 'str', out: 'str', fn: (smp) => out(smp, 'str', asciiMap(smp.value as string, true)) },
  { name: 'length', in: 'str', out: 'sint', fn: (smp) => out(smp, 'sint', strToBuf(smp.value as string).length) },
  {
    name: 'ltrim', args: { types: ['str'], min: 1 }, in: 'str', out: 'str',
    fn: (smp, a) => {
      const s = smp.value as string;
      let i = 0;
      while (i < s.length && a[0]!.str.includes(s[i]!)) i++;
      return out(smp, 'str', s.slice(i));
    },
  },
  {
    name: 'rtrim', args: { types: ['str'], min: 1 }, in: 'str', out: 'str',
    fn: (smp, a) => {
      const s = smp.value as string;
      let e = s.length;
      while (e > 0 && a[0]!.str.includes(s[e - 1]!)) e--;
      return out(smp, 'str', s.slice(0, e));
    },
  },
  {
    name: 'field', args: FIELD_ARGS, validate: checkField, in: 'str', out: 'str',
    fn: (smp, a) => {
      const r = field(smp.value as string, a[0]!.int, a[1]!.str, a[2] ? a[2].int : 1);
      return r === null ? null : out(smp, 'str', r);
    },
  },
  {
    name: 'word', args: FIELD_ARGS, validate: checkField, in: 'str', out: 'str',
    fn: (smp, a) => {
      const r = word(smp.value as string, a[0]!.int, a[1]!.str, a[2] ? a[2].int : 1);
      return r === null ? null : out(smp, 'str', r);
    },
  },
  {
    // concat([<start>],[<var>],[<end>]): an unset variable adds nothing
    name: 'concat', args: { types: ['str', 'var', 'str'], min: 0 }, validate: optionalVar(1), in: 'str', out: 'str',
    fn: (smp, a, s) => out(smp, 'str', (smp.value as string) + (a[0]?.str ?? '') + (varText(a[1], s) ?? '') + (a[2]?.str ?? '')),
  },
  {
    // add_item(<delim>,[<var>][,<suffix>]): the delimiter only between non-empty parts
    name: 'add_item', args: { types: ['str', 'var', 'str'], min: 2 }, in: 'str', out: 'str',
    validate: (a) => {
      if (a[1]!.str === '' && (!a[2] || a[2].str === '')) return 'one of the optional arguments has to be nonempty';
      return optionalVar(1)(a);
    },
    fn: (smp, a, s) => {
      const cur = smp.value as string;
      const v = varText(a[1], s);
      const suffix = a[2]?.str ?? '';
      const delim = cur !== '' && ((v !== null && v !== '') || suffix !== '') ? a[0]!.str : '';
      return out(smp, 'str', cur + delim + (v ?? '') + suffix);
    },
  },
  {
    // strcmp(<var>): memcmp() of the common part, then the length difference
    name: 'strcmp', args: { types: ['var'], min: 1 }, in: 'str', out: 'sint',
    validate: (a) => (a[0]!.str === '' ? 'missing variable name' : resolveVarArg(a[0]!, 'ref')),
    fn: (smp, a, s) => {
      const v = varText(a[0], s);
      if (v === null) return null;
      const x = smp.value as string;
      const n = Math.min(x.length, v.length);
      for (let i = 0; i < n; i++) {
        const d = x.charCodeAt(i) - v.charCodeAt(i);
        if (d !== 0) return out(smp, 'sint', d);
      }
      return out(smp, 'sint', x.length - v.length);
    },
  },
  {
    // secure_memcmp(<var>): constant-time when the lengths are equal
    name: 'secure_memcmp', args: { types: ['var'], min: 1 }, in: 'bin', out: 'bool',
    validate: (a) => (a[0]!.str === '' ? 'missing variable name' : resolveVarArg(a[0]!, 'ref')),
    fn: (smp, a, s) => {
      const v = getVarAs(s, a[0]!, 'bin');
      if (!v) return null;
      const x = smp.value as Buffer;
      const y = v.value as Buffer;
      return out(smp, 'bool', x.length === y.length && timingSafeEqual(x, y));
    },
  },
  {
    name: 'cut_crlf', in: 'str', out: 'str',
    fn: (smp) => {
      const s = smp.value as string;
      const m = /[\r\n]/.exec(s);
      return out(smp, 'str', m ? s.slice(0, m.index) : s);
    },
  },
  {
    name: 'iif', args: { types: ['str', 'str'], min: 2 }, in: 'bool', out: 'str',
    fn: (smp, a) => out(smp, 'str', (typeof smp.value === 'boolean' ? smp.value : smp.value !== 0) ? a[0]!.str : a[1]!.str),
  },
  {
    // "[<backend>/]<server>,srv_queue": queued streams of a server named at run time
    name: 'srv_queue', in: 'str', out: 'sint',
    fn: (smp, _a, s) => {
      const t = smp.value as string;
      const slash = t.indexOf('/');
      const px = slash < 0 ? currentBackend(s) : s.world.proxy(t.slice(0, slash));
      const srv = px?.server(slash < 0 ? t : t.slice(slash + 1));
      return srv ? out(smp, 'sint', srv.queued) : null;
    },
  },
  {
    // "<backend name>,nbsrv": usable servers of a backend named at run time
    name: 'nbsrv', in: 'str', out: 'sint',
    fn: (smp, _a, s) => {
      const px = s.world.proxy(smp.value as string);
      return px ? out(smp, 'sint', usableServers(px)) : null;
    },
  },
);

// ---- binary ----------------------------------------------------------------------------------

function b64dec(s: string, url: boolean): Buffer | null {
  const re = url ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!re.test(s)) return null;
  if (!url && s.length % 4 !== 0) return null;
  return Buffer.from(s, url ? 'base64url' : 'base64');
}

registerConverters(
  { name: 'hex', in: 'bin', out: 'str', fn: (smp) => out(smp, 'str', (smp.value as Buffer).toString('hex').toUpperCase()) },
  {
    name: 'hex2i', in: 'str', out: 'sint',
    fn: (smp) => {
      const s = smp.value as string;
      let v = 0n;
      for (const c of s) {
        // a non-hex character fails the conversion (sample_conv_hex2int)
        if (!/[0-9a-fA-F]/.test(c)) return null;
        v = (v << 4n) | BigInt(parseInt(c, 16));
      }
      return out(smp, 'sint', wrap(v));
    },
  },
  { name: 'base64', in: 'bin', out: 'str', fn: (smp) => out(smp, 'str', (smp.value as Buffer).toString('base64')) },
  { name: 'ub64enc', in: 'bin', out: 'str', fn: (smp) => out(smp, 'str', (smp.value as Buffer).toString('base64url')) },
  {
    name: 'b64dec', in: 'str', out: 'bin',
    fn: (smp) => {
      const b = b64dec(smp.value as string, false);
      return b ? out(smp, 'bin', b) : null;
    },
  },
  {
    name: 'ub64dec', in: 'str', out: 'bin',
    fn: (smp) => {
      const b = b64dec(smp.value as string, true);
      return b ? out(smp, 'bin', b) : null;
    },
  },
  {
    name: 'bytes', args: { types: ['sint', 'sint'], min: 1 }, in: 'bin', out: 'bin',
    validate: (a) => (a[0]!.int < 0 ? 'offset must be a positive integer' : a[1] && a[1].int < 0 ? 'length must be a positive integer' : null),
    fn: (smp, a) => {
      const b = smp.value as Buffer;
      const off = a[0]!.int;
      if (off >= b.length) return out(smp, 'bin', Buffer.alloc(0));
      const end = a[1] && a[1].int > 0 ? Math.min(b.length, off + a[1].int) : b.length;
      return out(smp, 'bin', b.subarray(off, end));
    },
  },
  {
    name: 'htonl', in: 'sint', out: 'bin',
    fn: (smp) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(Number(BigInt.asUintN(32, big(toInt(smp)))));
      return out(smp, 'bin', b);
    },
  },
);

// ---- addresses ---------------------------------------------------------------------------------

registerConverters({
  // ipmask(<mask4>[,<mask6>]): IPv6 addresses need <mask6>, unless they map an IPv4 one
  name: 'ipmask', args: { types: ['msk4', 'msk6'], min: 1 }, in: 'addr', out: 'ipv4',
  fn: (smp, a) => {
    if (smp.type === 'ipv4') {
      const v = parseIPv4(smp.value as string);
      return v === null ? null : out(smp, 'ipv4', formatIPv4((v & a[0]!.int) >>> 0));
    }
    const v6 = parseIPv6(smp.value as string);
    if (v6 === null) return null;
    const v4 = v6tov4(v6);
    if (v4 !== null) return out(smp, 'ipv4', formatIPv4((v4 & a[0]!.int) >>> 0));
    if (!a[1]) return null;
    return out(smp, 'ipv6', formatIPv6(v6 & a[1].ip6));
  },
});
