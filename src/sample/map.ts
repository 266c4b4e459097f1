// Map files and the map* converters (HAProxy's map.c and pattern.c): "key value" lines
// loaded once per file, looked up with a matching method, the value returned as a string,
// an integer or an address. Files are shared by path in the registry <maps>, so that the
// runtime API (add/del/set/clear map) changes what every converter using them sees.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Sample, SampleType } from './types.ts';
import type { Arg, ArgSpec } from './arg.ts';
import { registerConverters } from './converters.ts';
import type { CastType } from './casts.ts';
import { parseIntRange, parseIpPattern, readPatternLines } from './pattern.ts';
import { formatIPv4, formatIPv6, maskBits4, parseIPv4, parseIPv6, prefixMask4, prefixMask6, v4tov6, v6MatchV4 } from './ip.ts';
import { compileRegex, type SafeRegex } from './regex.ts';
import { expandReplacement } from './regsub.ts';

export type MapMatch = 'str' | 'beg' | 'sub' | 'dir' | 'dom' | 'end' | 'reg' | 'regm' | 'int' | 'ip';
export type MapOutput = 'str' | 'int' | 'ip';

export interface MapEntry {
  key: string;
  value: string;
}

/** A parsed value, as the converter returns it. */
type MapValue = { readonly type: SampleType; readonly value: string | number };

/**
 * map_parse_*(): a value read as the output type. Integers must be whole numbers and
 * addresses plain IPv4 or IPv6 addresses.
 */
function parseValue(text: string, out: MapOutput): MapValue | null {
  if (out === 'str') return { type: 'str', value: text };
  if (out === 'int') {
    if (!/^-?\d+$/.test(text)) return null;
    const v = BigInt(text);
    if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
    return { type: 'sint', value: Number(v) };
  }
  const v4 = parseIPv4(text);
  if (v4 !== null) return { type: 'ipv4', value: formatIPv4(v4) };
  const v6 = parseIPv6(text);
  return v6 === null ? null : { type: 'ipv6', value: formatIPv6(v6) };
}

/** A parsed key for one matching method. */
type Key =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'range'; readonly min: number | null; readonly max: number | null }
  | { readonly kind: 'v4'; readonly addr: number; readonly mask: number }
  | { readonly kind: 'v6'; readonly addr: bigint; readonly bits: number }
  | { readonly kind: 'reg'; readonly re: SafeRegex };

function parseKey(text: string, match: MapMatch): Key | string {
  switch (match) {
    case 'int': {
      const r = parseIntRange(text);
      return typeof r === 'string' ? r : { kind: 'range', min: r.min, max: r.max };
    }
    case 'ip': {
      const p = parseIpPattern(text, true);
      if (typeof p === 'string') return p;
      return 'v4' in p ? { kind: 'v4', addr: p.v4, mask: p.mask } : { kind: 'v6', addr: p.v6, bits: p.bits };
    }
    case 'reg':
    case 'regm': {
      const re = compileRegex(text, false);
      return typeof re === 'string' ? re : { kind: 'reg', re };
    }
    default:
      return { kind: 'text', text };
  }
}

/** match_word(): <pattern> (its delimiters trimmed) between delimiters or the string ends. */
function matchWord(subject: string, raw: string, delims: string): boolean {
  let b = 0;
  let e = raw.length;
  while (b < e && delims.includes(raw[b]!)) b++;
  while (e > b && delims.includes(raw[e - 1]!)) e--;
  const p = raw.slice(b, e);
  if (p.length > subject.length) return false;
  const end = subject.length - p.length;
  let mayMatch = true;
  for (let c = 0; c <= end; c++) {
    if (delims.includes(subject[c]!)) {
      mayMatch = true;
      continue;
    }
    if (!mayMatch) continue;
    if (subject.startsWith(p, c) && (c === end || delims.includes(subject[c + p.length]!))) return true;
    mayMatch = false;
  }
  return false;
}

/**
 * The entries of a map file compiled for one matching method and output type. Exact strings,
 * prefixes and IP networks are indexed (longest prefix wins, as HAProxy's trees); the other
 * methods try the entries in file order. Rebuilt when the file changes.
 */
export class MapIndex {
  readonly file: MapFile;
  readonly match: MapMatch;
  readonly out: MapOutput;
  private generation = -1;
  private values: MapValue[] = [];
  private keys: Key[] = [];
  private exact = new Map<string, number>();
  private byLen = new Map<number, Map<string, number>>();
  private lens: number[] = [];
  private v4 = new Map<number, Map<number, number>>();
  private v4Lens: number[] = [];
  private v6 = new Map<number, Map<string, number>>();
  private v6Lens: number[] = [];
  /** Entries tried in order: all of them for list methods, non-contiguous IPv4 masks for ip. */
  private list: number[] = [];

  constructor(file: MapFile, match: MapMatch, out: MapOutput) {
    this.file = file;
    this.match = match;
    this.out = out;
  }

  /** Why <key>/<value> cannot be an entry of this index, or null. */
  check(key: string, value: string): string | null {
    if (!parseValue(value, this.out)) return `unable to parse '${value}'`;
    const k = parseKey(key, this.match);
    return typeof k === 'string' ? k : null;
  }

  private rebuild(): void {
    this.generation = this.file.generation;
    this.values = [];
    this.keys = [];
    this.exact = new Map();
    this.byLen = new Map();
    this.v4 = new Map();
    this.v6 = new Map();
    this.list = [];
    for (const e of this.file.entries) {
      const v = parseValue(e.value, this.out);
      const k = parseKey(e.key, this.match);
      // entries were checked when added; one failing now is skipped rather than fatal
      if (!v || typeof k === 'string') continue;
      const i = this.values.length;
      this.values.push(v);
      this.keys.push(k);
      this.indexKey(k, i);
    }
    this.lens = [...this.byLen.keys()].sort((a, b) => b - a);
    this.v4Lens = [...this.v4.keys()].sort((a, b) => b - a);
    this.v6Lens = [...this.v6.keys()].sort((a, b) => b - a);
  }

  private indexKey(k: Key, i: number): void {
    if (k.kind === 'text' && this.match === 'str') {
      if (!this.exact.has(k.text)) this.exact.set(k.text, i);
    } else if (k.kind === 'text' && this.match === 'beg') {
      let m = this.byLen.get(k.text.length);
      if (!m) this.byLen.set(k.text.length, (m = new Map()));
      if (!m.has(k.text)) m.set(k.text, i);
    } else if (k.kind === 'v4' && maskBits4(k.mask) >= 0) {
      const bits = maskBits4(k.mask);
      let m = this.v4.get(bits);
      if (!m) this.v4.set(bits, (m = new Map()));
      const a = (k.addr & k.mask) >>> 0;
      if (!m.has(a)) m.set(a, i);
    } else if (k.kind === 'v6') {
      let m = this.v6.get(k.bits);
      if (!m) this.v6.set(k.bits, (m = new Map()));
      const a = (k.addr & prefixMask6(k.bits)).toString(36);
      if (!m.has(a)) m.set(a, i);
    } else this.list.push(i);
  }

  private find4(a: number): number {
    for (const bits of this.v4Lens) {
      const i = this.v4.get(bits)!.get((a & prefixMask4(bits)) >>> 0);
      if (i !== undefined) return i;
    }
    return -1;
  }

  private find6(a: bigint): number {
    for (const bits of this.v6Lens) {
      const i = this.v6.get(bits)!.get((a & prefixMask6(bits)).toString(36));
      if (i !== undefined) return i;
    }
    return -1;
  }

  /** The index of the entry matching <smp> (already cast to the input type), or -1. */
  private find(smp: Sample): { i: number; groups?: RegExpExecArray } {
    switch (this.match) {
      case 'str':
        return { i: this.exact.get(smp.value as string) ?? -1 };
      case 'beg': {
        const s = smp.value as string;
        for (const len of this.lens) {
          if (len > s.length) continue;
          const i = this.byLen.get(len)!.get(s.slice(0, len));
          if (i !== undefined) return { i };
        }
        return { i: -1 };
      }
      case 'ip': {
        let i = -1;
        let v4: number | null = null;
        if (smp.type === 'ipv4') {
          v4 = parseIPv4(smp.value as string);
          if (v4 === null) return { i: -1 };
          i = this.find4(v4);
          if (i < 0 && this.v6Lens.length) i = this.find6(v4tov6(v4));
        } else {
          const v6 = parseIPv6(smp.value as string);
          if (v6 === null) return { i: -1 };
          i = this.find6(v6);
          v4 = v6MatchV4(v6);
          if (i < 0 && v4 !== null) i = this.find4(v4);
        }
        if (i >= 0 || v4 === null) return { i };
        for (const j of this.list) {
          const k = this.keys[j] as { addr: number; mask: number };
          if (((v4 & k.mask) >>> 0) === ((k.addr & k.mask) >>> 0)) return { i: j };
        }
        return { i: -1 };
      }
      default:
        for (const j of this.list) {
          const k = this.keys[j]!;
          if (this.matchListed(k, smp)) {
            if (this.match === 'regm') return { i: j, groups: (k as { re: SafeRegex }).re.exec(smp.value as string)! };
            return { i: j };
          }
        }
        return { i: -1 };
    }
  }

  private matchListed(k: Key, smp: Sample): boolean {
    if (k.kind === 'range') {
      const v = smp.value as number;
      return (k.min === null || k.min <= v) && (k.max === null || v <= k.max);
    }
    if (k.kind === 'reg') return k.re.test(smp.value as string);
    if (k.kind !== 'text') return false;
    const s = smp.value as string;
    switch (this.match) {
      case 'sub':
        return s.includes(k.text);
      case 'end':
        return s.endsWith(k.text);
      case 'dir':
        return matchWord(s, k.text, '/?');
      case 'dom':
        return matchWord(s, k.text, '/?.:');
      default:
        return false;
    }
  }

  /** The value for <smp>, or null when no entry matches. */
  lookup(smp: Sample): MapValue | null {
    if (this.generation !== this.file.generation) this.rebuild();
    const { i, groups } = this.find(smp);
    if (i < 0) return null;
    const v = this.values[i]!;
    if (groups) {
      const text = expandReplacement(v.value as string, groups);
      return text === null ? null : { type: 'str', value: text };
    }
    return v;
  }
}

/** A map file's entries, in file order, shared by every converter naming the file. */
export class MapFile {
  /** The file name as written in the configuration. */
  readonly name: string;
  readonly path: string;
  readonly entries: MapEntry[] = [];
  /** Bumped on every change, so that indexes rebuild. */
  generation = 0;
  readonly indexes: MapIndex[] = [];

  constructor(name: string, path: string) {
    this.name = name;
    this.path = path;
  }

  /** The index for a matching method and output type, created once. */
  index(match: MapMatch, out: MapOutput): MapIndex {
    let ix = this.indexes.find((x) => x.match === match && x.out === out);
    if (!ix) {
      ix = new MapIndex(this, match, out);
      this.indexes.push(ix);
    }
    return ix;
  }

  private checkEntry(key: string, value: string): string | null {
    for (const ix of this.indexes) {
      const err = ix.check(key, value);
      if (err) return err;
    }
    return null;
  }

  /** add map: appends an entry; returns why it cannot be parsed by a converter using the file. */
  add(key: string, value: string): string | null {
    const err = this.checkEntry(key, value);
    if (err) return err;
    this.entries.push({ key, value });
    this.generation++;
    return null;
  }

  /** del map: removes every entry with this key; returns how many were removed. */
  del(key: string): number {
    const before = this.entries.length;
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.key === key) this.entries.splice(i, 1);
    const n = before - this.entries.length;
    if (n) this.generation++;
    return n;
  }

  /** set map: replaces the value of every entry with this key; false when none has it. */
  set(key: string, value: string): string | boolean {
    const err = this.checkEntry(key, value);
    if (err) return err;
    let found = false;
    for (const e of this.entries) {
      if (e.key === key) {
        e.value = value;
        found = true;
      }
    }
    if (found) this.generation++;
    return found;
  }

  /** clear map */
  clear(): void {
    this.entries.length = 0;
    this.generation++;
  }
}

/** Map files loaded so far, by absolute path. */
export const maps = new Map<string, MapFile>();

/** A loaded map by the name used in the configuration, or by path. */
export function findMap(name: string): MapFile | undefined {
  for (const m of maps.values()) if (m.name === name || m.path === name) return m;
  return undefined;
}

/**
 * Parses map file text: "#" comments at column 0 and blank lines are skipped, leading
 * blanks stripped; the key is the first word, the value what follows its blanks, without
 * trailing blanks.
 */
export function parseMapText(text: string): { line: number; key: string; value: string }[] {
  const out: { line: number; key: string; value: string }[] = [];
  for (const { line, text: t } of readPatternLines(text)) {
    let k = 0;
    while (k < t.length && t[k] !== ' ' && t[k] !== '\t') k++;
    let v = k;
    while (v < t.length && (t[v] === ' ' || t[v] === '\t')) v++;
    let e = t.length;
    while (e > v && (t[e - 1] === ' ' || t[e - 1] === '\t')) e--;
    out.push({ line, key: t.slice(0, k), value: t.slice(v, e) });
  }
  return out;
}

/**
 * Loads <file> (relative to <baseDir>, HAProxy's working directory) once, then returns the
 * shared MapFile. Returns HAProxy's error text when it cannot be opened.
 */
export function loadMapFile(file: string, baseDir: string): MapFile | string {
  const path = resolve(baseDir, file);
  const known = maps.get(path);
  if (known) return known;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return `failed to open pattern file <${file}>`;
  }
  const m = new MapFile(file, path);
  for (const l of parseMapText(text)) m.entries.push({ key: l.key, value: l.value });
  maps.set(path, m);
  return m;
}

/** Compiles <file> for a converter: every entry must parse, errors name the line. */
function compileMap(file: string, match: MapMatch, out: MapOutput): MapIndex | string {
  const m = loadMapFile(file, process.cwd());
  if (typeof m === 'string') return m;
  const ix = m.index(match, out);
  // entries from the file keep their line numbers for messages; later additions are checked when added
  let text: string | null = null;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i]!;
    const err = ix.check(e.key, e.value);
    if (!err) continue;
    text ??= readFileSync(m.path, 'latin1');
    const line = parseMapText(text).find((l) => l.key === e.key && l.value === e.value)?.line ?? i + 1;
    return `${err} at line ${line} of file '${file}'`;
  }
  return ix;
}

// ---- converters ---------------------------------------------------------------------------------

const compiled = new WeakMap<Arg, MapIndex>();

const INPUT: Readonly<Record<MapMatch, CastType>> = {
  str: 'str', beg: 'str', sub: 'str', dir: 'str', dom: 'str', end: 'str', reg: 'str', regm: 'str', int: 'sint', ip: 'addr',
};

function mapConverter(name: string, match: MapMatch, out: MapOutput): void {
  const args: ArgSpec = { types: ['str', out === 'int' ? 'sint' : 'str'], min: 1 };
  registerConverters({
    name, args, in: INPUT[match], out: out === 'str' ? 'str' : out === 'int' ? 'sint' : 'ipv4',
    validate: (a) => {
      const ix = compileMap(a[0]!.str, match, out);
      if (typeof ix === 'string') return ix;
      compiled.set(a[0]!, ix);
      const d = a[1];
      if (!d) return null;
      if (out === 'ip') {
        const v = parseValue(d.str, 'ip');
        if (!v) return `map: cannot parse default ip <${d.str}>.`;
        // the parsed default lives in the argument: <str> holds the address text, <int> its family
        d.str = v.value as string;
        d.int = v.type === 'ipv4' ? 4 : 6;
      }
      return null;
    },
    fn: (smp, a) => {
      const ix = compiled.get(a[0]!);
      if (!ix) return null;
      const v = ix.lookup(smp);
      if (v) return smp.mayChange ? { ...v, mayChange: true } : { type: v.type, value: v.value };
      const d = a[1];
      if (!d) return null;
      const type: SampleType = out === 'int' ? 'sint' : out === 'str' ? 'str' : d.int === 4 ? 'ipv4' : 'ipv6';
      const value = out === 'int' ? d.int : d.str;
      return smp.mayChange ? { type, value, mayChange: true } : { type, value };
    },
  });
}

const MATCHES: readonly MapMatch[] = ['str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg', 'int', 'ip'];
mapConverter('map', 'str', 'str');
mapConverter('map_regm', 'regm', 'str');
for (const m of MATCHES) {
  mapConverter(`map_${m}`, m, 'str');
  mapConverter(`map_${m}_int`, m, 'int');
  mapConverter(`map_${m}_ip`, m, 'ip');
}

