// Pattern matching (HAProxy's pattern.c): the "-m" methods, how their patterns are parsed,
// indexed and matched, and pattern files ("-f"). Each pattern source (the inline values, each
// file) is a group with the flags in force when it was declared ("-i" applies to what
// follows it), and a sample matches when any group matches.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Sample } from './types.ts';
import { castSample, strToBuf, type CastType } from './casts.ts';
import {
  maskBits4, parseIPv4, parseIPv4Aton, parseIPv6, prefixMask4, prefixMask6, resolveHostV4, v4tov6, v6MatchV4,
} from './ip.ts';
import { compileRegex, type SafeRegex } from './regex.ts';

export type MatchMethod = 'found' | 'bool' | 'int' | 'ip' | 'bin' | 'len' | 'str' | 'beg' | 'sub' | 'dir' | 'dom' | 'end' | 'reg';

export const MATCH_METHODS: readonly MatchMethod[] = ['found', 'bool', 'int', 'ip', 'bin', 'len', 'str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg'];

/** pat_match_types[]: the type a sample is cast to before matching. */
export const MATCH_EXPECT: Readonly<Record<MatchMethod, CastType>> = {
  found: 'sint', bool: 'sint', int: 'sint', ip: 'addr', bin: 'bin', len: 'str',
  str: 'str', beg: 'str', sub: 'str', dir: 'str', dom: 'str', end: 'str', reg: 'str',
};

/** Whether integer operators (eq/ge/gt/le/lt) and ranges apply to the method's patterns. */
export function isIntMethod(m: MatchMethod): boolean {
  return m === 'int' || m === 'len';
}

export interface PatternFlags {
  /** -i */
  readonly icase: boolean;
  /** -n: no host name resolution for IP patterns */
  readonly noDns: boolean;
}

/** ASCII-only lower-casing, like tolower()/strcasecmp() in the C locale. */
export function asciiLower(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) { needs = true; break; }
  }
  if (!needs) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

interface Range {
  readonly min: number | null;
  readonly max: number | null;
}

const LLONG_MAX = 9223372036854775807n;

/** strl2llrc(): an optional '-' then digits, within 64 bits. */
function strictInt(s: string): number | null {
  if (!/^-?\d+$/.test(s)) return null;
  const v = BigInt(s);
  if (v > LLONG_MAX || v < -LLONG_MAX - 1n) return null;
  return Number(v);
}

/** pat_parse_int(): "n", "min:max", ":max", "min:" ('-' also separates). */
export function parseIntRange(text: string): Range | string {
  const notRange = `'${text}' is not a valid number range`;
  if (!text) return notRange;
  let sep = 0;
  while (sep < text.length && text[sep] !== ':' && text[sep] !== '-') sep++;
  if (sep === text.length) {
    const v = strictInt(text);
    return v === null ? `'${text}' is not a number` : { min: v, max: v };
  }
  if (sep === 0 && text.length > 1) {
    const v = strictInt(text.slice(1));
    return v === null ? notRange : { min: null, max: v };
  }
  if (sep === text.length - 1) {
    const v = strictInt(text.slice(0, sep));
    return v === null ? notRange : { min: v, max: null };
  }
  const a = strictInt(text.slice(0, sep));
  const b = strictInt(text.slice(sep + 1));
  if (a === null || b === null || a > b) return notRange;
  return { min: a, max: b };
}

/** parse_binary(): an even number of hex digits. */
export function parseHex(text: string): Buffer | string {
  if (text.length % 2 !== 0) return 'an even number of hex digit is expected';
  for (const c of text) if (!/[0-9a-fA-F]/.test(c)) return `an hex digit is expected (found '${c}')`;
  return Buffer.from(text, 'hex');
}

/** IPv4 prefixes by length, IPv6 prefixes by length, and non-contiguous IPv4 masks. */
class IpIndex {
  private readonly v4 = new Map<number, Set<number>>();
  private v4Lens: number[] = [];
  // keyed by text: V8 hashes bigints poorly (keys differing only in high bits collide)
  private readonly v6 = new Map<number, Set<string>>();
  private v6Lens: number[] = [];
  private readonly v4List: { addr: number; mask: number }[] = [];
  size = 0;

  addV4(addr: number, mask: number): void {
    this.size++;
    const bits = maskBits4(mask);
    if (bits < 0) {
      this.v4List.push({ addr: (addr & mask) >>> 0, mask });
      return;
    }
    let set = this.v4.get(bits);
    if (!set) {
      set = new Set();
      this.v4.set(bits, set);
      this.v4Lens = [...this.v4.keys()].sort((a, b) => b - a);
    }
    set.add((addr & mask) >>> 0);
  }

  addV6(addr: bigint, bits: number): void {
    this.size++;
    let set = this.v6.get(bits);
    if (!set) {
      set = new Set();
      this.v6.set(bits, set);
      this.v6Lens = [...this.v6.keys()].sort((a, b) => b - a);
    }
    set.add((addr & prefixMask6(bits)).toString(36));
  }

  private has4(a: number): boolean {
    for (const bits of this.v4Lens) {
      if (this.v4.get(bits)!.has((a & prefixMask4(bits)) >>> 0)) return true;
    }
    for (const p of this.v4List) if (((a & p.mask) >>> 0) === p.addr) return true;
    return false;
  }

  private has6(a: bigint): boolean {
    for (const bits of this.v6Lens) {
      if (this.v6.get(bits)!.has((a & prefixMask6(bits)).toString(36))) return true;
    }
    return false;
  }

  match(smp: Sample): boolean {
    if (smp.type === 'ipv4') {
      const a = parseIPv4(smp.value as string);
      if (a === null) return false;
      // IPv4 patterns, then IPv6 patterns against ::ffff:<ipv4>
      return this.has4(a) || (this.v6Lens.length > 0 && this.has6(v4tov6(a)));
    }
    if (smp.type === 'ipv6') {
      const a = parseIPv6(smp.value as string);
      if (a === null) return false;
      if (this.has6(a)) return true;
      // IPv4 patterns against ::ffff:a.b.c.d, ::a.b.c.d and 2002:a.b.c.d::
      const v4 = v6MatchV4(a);
      return v4 !== null && this.has4(v4);
    }
    return false;
  }
}

/** pat_parse_ip(): IPv4 address (or host name) with optional mask, or IPv6 with optional bit count. */
export function parseIpPattern(text: string, noDns: boolean): { v4: number; mask: number } | { v6: bigint; bits: number } | string {
  const bad = `'${text}' is not a valid IPv4 or IPv6 address`;
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? null : text.slice(slash + 1);
  let v4 = parseIPv4(host);
  if (v4 === null && !noDns) v4 = parseIPv4Aton(host) ?? (host.includes(':') ? null : resolveHostV4(host));
  if (v4 !== null) {
    let mask = 0xffffffff;
    if (maskText !== null) {
      if (maskText.includes('.')) {
        const m = parseIPv4(maskText);
        if (m === null) return bad;
        mask = m;
      } else {
        if (!/^\d{1,2}$/.test(maskText) || Number(maskText) > 32) return bad;
        mask = prefixMask4(Number(maskText));
      }
    }
    return { v4, mask };
  }
  const v6 = parseIPv6(host);
  if (v6 === null) return bad;
  let bits = 128;
  if (maskText !== null) {
    if (!/^\d{1,3}$/.test(maskText) || Number(maskText) > 128) return bad;
    bits = Number(maskText);
  }
  return { v6, bits };
}

/** One pattern source (inline values or one file) with the flags in force for it. */
export class PatternGroup {
  readonly method: MatchMethod;
  readonly flags: PatternFlags;
  size = 0;
  private readonly exact = new Set<string>();
  /** beg/end: patterns by length */
  private readonly byLen = new Map<number, Set<string>>();
  private lens: number[] = [];
  private readonly list: string[] = [];
  private readonly ranges: Range[] = [];
  private readonly regexes: SafeRegex[] = [];
  private readonly ip = new IpIndex();

  constructor(method: MatchMethod, flags: PatternFlags) {
    this.method = method;
    this.flags = flags;
  }

  /** Adds one pattern; returns an error text when it cannot be parsed. */
  add(text: string): string | null {
    const m = this.method;
    switch (m) {
      case 'found':
      case 'bool':
        return null; // patterns are ignored
      case 'int':
      case 'len': {
        const r = parseIntRange(text);
        if (typeof r === 'string') return r;
        this.ranges.push(r);
        break;
      }
      case 'ip': {
        const p = parseIpPattern(text, this.flags.noDns);
        if (typeof p === 'string') return p;
        if ('v4' in p) this.ip.addV4(p.v4, p.mask);
        else this.ip.addV6(p.v6, p.bits);
        break;
      }
      case 'bin': {
        const b = parseHex(text);
        if (typeof b === 'string') return b;
        this.exact.add(b.toString('latin1'));
        break;
      }
      case 'reg': {
        const re = compileRegex(text, this.flags.icase);
        if (typeof re === 'string') return re;
        this.regexes.push(re);
        break;
      }
      case 'str':
        this.exact.add(this.flags.icase ? asciiLower(text) : text);
        break;
      case 'beg':
      case 'end': {
        const key = this.flags.icase ? asciiLower(text) : text;
        let set = this.byLen.get(key.length);
        if (!set) {
          set = new Set();
          this.byLen.set(key.length, set);
          this.lens = [...this.byLen.keys()].sort((a, b) => a - b);
        }
        set.add(key);
        break;
      }
      case 'sub':
      case 'dir':
      case 'dom':
        this.list.push(this.flags.icase ? asciiLower(text) : text);
        break;
    }
    this.size++;
    return null;
  }

  /** Matches a sample already cast to the method's type. */
  match(smp: Sample): boolean {
    switch (this.method) {
      case 'found':
        return true;
      case 'bool':
        return typeof smp.value === 'boolean' ? smp.value : smp.value !== 0;
      case 'int': {
        const v = typeof smp.value === 'boolean' ? (smp.value ? 1 : 0) : (smp.value as number);
        return this.ranges.some((r) => (r.min === null || r.min <= v) && (r.max === null || v <= r.max));
      }
      case 'len': {
        const v = strToBuf(smp.value as string).length;
        return this.ranges.some((r) => (r.min === null || r.min <= v) && (r.max === null || v <= r.max));
      }
      case 'ip':
        return this.ip.match(smp);
      case 'bin':
        return this.exact.has((smp.value as Buffer).toString('latin1'));
      case 'reg': {
        const s = smp.value as string;
        return this.regexes.some((r) => r.test(s));
      }
      case 'str':
        return this.exact.has(this.flags.icase ? asciiLower(smp.value as string) : (smp.value as string));
      case 'beg':
      case 'end': {
        const s = this.flags.icase ? asciiLower(smp.value as string) : (smp.value as string);
        for (const len of this.lens) {
          if (len > s.length) break;
          const part = this.method === 'beg' ? s.slice(0, len) : s.slice(s.length - len);
          if (this.byLen.get(len)!.has(part)) return true;
        }
        return false;
      }
      case 'sub': {
        const s = this.flags.icase ? asciiLower(smp.value as string) : (smp.value as string);
        return this.list.some((p) => s.includes(p));
      }
      case 'dir':
        return this.matchWord(smp.value as string, '/?');
      case 'dom':
        return this.matchWord(smp.value as string, '/?.:');
    }
  }

  /** match_word(): the pattern enclosed by delimiters (or the string ends); pattern delimiters trimmed. */
  private matchWord(subject: string, delims: string): boolean {
    const s = this.flags.icase ? asciiLower(subject) : subject;
    for (const raw of this.list) {
      let b = 0;
      let e = raw.length;
      while (b < e && delims.includes(raw[b]!)) b++;
      while (e > b && delims.includes(raw[e - 1]!)) e--;
      const p = raw.slice(b, e);
      const pl = p.length;
      if (pl > s.length) continue;
      let mayMatch = true;
      const end = s.length - pl;
      for (let c = 0; c <= end; c++) {
        if (delims.includes(s[c]!)) {
          mayMatch = true;
          continue;
        }
        if (!mayMatch) continue;
        if (s.startsWith(p, c) && (c === end || delims.includes(s[c + pl]!))) return true;
        mayMatch = false;
      }
    }
    return false;
  }
}

/** A matching method with its pattern groups. */
export class Matcher {
  readonly method: MatchMethod;
  readonly groups: PatternGroup[] = [];

  constructor(method: MatchMethod) {
    this.method = method;
  }

  get patternCount(): number {
    return this.groups.reduce((n, g) => n + g.size, 0);
  }

  /** pattern_exec_match(): true when the sample matches any pattern. */
  match(smp: Sample): boolean {
    if (this.method === 'found') return true;
    const s = castSample(smp, MATCH_EXPECT[this.method]);
    if (!s) return false;
    if (this.method === 'bool') return typeof s.value === 'boolean' ? s.value : s.value !== 0;
    for (const g of this.groups) if (g.match(s)) return true;
    return false;
  }
}

/** A line of a pattern file: "#" comments at column 0, leading blanks stripped, CR/LF cut. */
export function readPatternLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    lineNo++;
    const raw = text.slice(start, nl);
    start = nl + 1;
    if (raw[0] === '#') continue;
    let b = 0;
    while (raw[b] === ' ' || raw[b] === '\t') b++;
    let e = b;
    while (e < raw.length && raw[e] !== '\r' && raw[e] !== '\0') e++;
    if (e === b) continue;
    out.push({ line: lineNo, text: raw.slice(b, e) });
  }
  return out;
}

/**
 * Loads the patterns of <file> into <group> (pattern_read_from_file). With <asMap>, each line
 * is "key value" and only the key is a pattern (-M). Returns an error text on failure.
 */
export function loadPatternFile(group: PatternGroup, file: string, baseDir: string, asMap: boolean): string | null {
  let text: string;
  try {
    text = readFileSync(resolve(baseDir, file), 'latin1');
  } catch {
    return `failed to open pattern file <${file}>`;
  }
  for (const { line, text: t } of readPatternLines(text)) {
    let pat = t;
    if (asMap) {
      const m = /^[^ \t]*/.exec(t)!;
      pat = m[0];
    }
    const err = group.add(pat);
    if (err) return `${err} at line ${line} of file '${file}'`;
  }
  return null;
}

