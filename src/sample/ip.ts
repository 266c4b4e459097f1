// IPv4/IPv6 text <-> number helpers for fetches, casts and IP pattern matching.
// IPv4 addresses are unsigned 32-bit numbers, IPv6 addresses 128-bit bigints.
import { readFileSync } from 'node:fs';

const MASK128 = (1n << 128n) - 1n;
const V4MAPPED = 0xffffn << 32n;

/** Strict dotted quad (inet_pton(AF_INET)): four decimal parts 0-255, no leading zeros. */
export function parseIPv4(s: string): number | null {
  const len = s.length;
  if (len < 7 || len > 15) return null;
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return null;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return acc * 256 + part;
}

/**
 * inet_aton forms as accepted by the resolver for host names: "a.b.c.d", "a.b.c" (c is 16
 * bits), "a.b" (b is 24 bits) and "a" (32 bits), decimal parts only.
 */
export function parseIPv4Aton(s: string): number | null {
  if (!/^\d+(\.\d+){0,3}$/.test(s)) return null;
  const parts = s.split('.').map(Number);
  const n = parts.length;
  let v = 0;
  for (let i = 0; i < n - 1; i++) {
    if (parts[i]! > 255) return null;
    v = v * 256 + parts[i]!;
  }
  const last = parts[n - 1]!;
  const room = 4 - (n - 1);
  if (last >= 256 ** room) return null;
  return v * 256 ** room + last;
}

export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** inet_pton(AF_INET6), including an embedded dotted IPv4 tail. */
export function parseIPv6(s: string): bigint | null {
  if (s.length < 2 || s.length > 45) return null;
  let head = s;
  let tail4: number | null = null;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (s.indexOf('.', lastColon) >= 0) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (tail4 === null) return null;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl >= 0 && head.indexOf('::', dbl + 1) >= 0) return null;
  let groups: string[];
  if (dbl >= 0) {
    const left = head.slice(0, dbl);
    const right = head.slice(dbl + 2);
    const l = left === '' ? [] : left.split(':');
    const r = right === '' ? [] : right.split(':');
    if (l.length + r.length > 7) return null;
    groups = [...l, ...new Array<string>(8 - l.length - r.length).fill('0'), ...r];
  } else {
    groups = head.split(':');
    if (groups.length !== 8) return null;
  }
  let v = 0n;
  for (const g of groups) {
    if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) v = (v & ~0xffffffffn) | BigInt(tail4);
  return v;
}

/** inet_ntop(AF_INET6) as glibc prints it (longest zero run compressed, IPv4 tails). */
export function formatIPv6(v: bigint): string {
  const w: number[] = [];
  for (let i = 7; i >= 0; i--) w.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestBase = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  if (bestBase === 0 && (bestLen === 6 || (bestLen === 7 && w[7] !== 1) || (bestLen === 5 && w[5] === 0xffff))) {
    const v4 = formatIPv4(Number(v & 0xffffffffn));
    return bestLen === 5 ? `::ffff:${v4}` : `::${v4}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += w[i]!.toString(16);
  }
  return out;
}

/** ::ffff:a.b.c.d */
export function v4tov6(v4: number): bigint {
  return V4MAPPED | BigInt(v4);
}

/** HAProxy's v6tov4(): ::ffff:a.b.c.d (RFC 4291) or 2002:AABB:CCDD:: (6to4). */
export function v6tov4(v6: bigint): number | null {
  if (v6 >> 32n === 0xffffn) return Number(v6 & 0xffffffffn);
  if (v6 >> 112n === 0x2002n) return Number((v6 >> 80n) & 0xffffffffn);
  return null;
}

/**
 * The IPv4 address an IPv6 sample stands for when matched against IPv4 patterns
 * (pat_match_ip): ::ffff:a.b.c.d, ::a.b.c.d and 2002:a.b.c.d::.
 */
export function v6MatchV4(v6: bigint): number | null {
  if (v6 >> 64n === 0n) {
    const mid = (v6 >> 32n) & 0xffffffffn;
    if (mid === 0n || mid === 0xffffn) return Number(v6 & 0xffffffffn);
    return null;
  }
  if (v6 >> 112n === 0x2002n) return Number((v6 >> 80n) & 0xffffffffn);
  return null;
}

export function prefixMask4(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

const MASKS6: bigint[] = Array.from({ length: 129 }, (_, bits) => (bits === 0 ? 0n : (MASK128 << BigInt(128 - bits)) & MASK128));

export function prefixMask6(bits: number): bigint {
  return MASKS6[bits]!;
}

/** Length of a contiguous IPv4 netmask, or -1 when it is not contiguous. */
export function maskBits4(mask: number): number {
  const inv = (~mask) >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  let bits = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) bits++;
  return bits;
}

/** str2mask(): a dotted netmask (any value) or a bit count 0..32. */
export function parseMask4(s: string): number | null {
  if (s.includes('.')) return parseIPv4(s);
  if (!/^\d{1,2}$/.test(s)) return null;
  const n = Number(s);
  return n > 32 ? null : prefixMask4(n);
}

/** str2mask6(): a quadruplet-form netmask or a bit count 0..128. */
export function parseMask6(s: string): bigint | null {
  if (s.includes(':')) return parseIPv6(s);
  if (!/^\d{1,3}$/.test(s)) return null;
  const n = Number(s);
  return n > 128 ? null : prefixMask6(n);
}

let hostsCache: Map<string, number> | null = null;

/**
 * Host-name resolution for IPv4 patterns without "-n". HAProxy asks the system resolver at
 * startup; configuration loading is synchronous here, so only /etc/hosts is consulted.
 */
export function resolveHostV4(name: string): number | null {
  if (!hostsCache) {
    hostsCache = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/hosts', 'latin1');
    } catch {
      // no hosts file: nothing resolves
    }
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) continue;
      const [addr, ...names] = line.split(/\s+/);
      const v4 = parseIPv4(addr!);
      if (v4 === null) continue;
      for (const n of names) if (!hostsCache.has(n.toLowerCase())) hostsCache.set(n.toLowerCase(), v4);
    }
  }
  return hostsCache.get(name.toLowerCase()) ?? null;
}
