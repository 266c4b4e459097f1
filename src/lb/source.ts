// "balance source": the client's address picks the server (get_server_sh() in HAProxy's
// backend.c). The address is reduced to 32 bits by XOR-ing its 32-bit words in network order
// (an IPv4 address is its own hash; the configured hash function is not used for source),
// optionally passed through the avalanche modifier, then looked up in the weight map
// ("hash-type map-based", static) or on the consistent-hashing ring ("hash-type consistent").
//
// The key is the address bytes (4 for IPv4, 16 for IPv6, as the socket family gives them) or
// its text form (as Node's socket.remoteAddress). Without a usable key (e.g. a UNIX socket
// client) the algorithm falls back to round-robin over the same map or ring, as HAProxy does
// for the other hash algorithms when their key is missing.
import type { LbAlgorithm, LbServer } from './types.ts';
import type { HashTypeConfig } from '../config/model.ts';
import { HashPlacement } from './hash-placement.ts';
import { fullHash } from './hash.ts';

const words = new Uint32Array(4);
const groups = new Uint16Array(8);

export class SourceHashLb implements LbAlgorithm {
  readonly needsKey = true;
  private readonly placement: HashPlacement;
  private readonly avalanche: boolean;

  constructor(hashType: HashTypeConfig, balanceFactor = 0) {
    this.placement = new HashPlacement(hashType.method, balanceFactor);
    this.avalanche = hashType.avalanche;
  }

  rebuild(servers: readonly LbServer[]): void {
    this.placement.rebuild(servers);
  }

  pick(key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    const h = key === null ? -1 : addressHash(key);
    if (h < 0) return this.placement.roundRobin(avoid);
    return this.placement.lookup(this.avalanche ? fullHash(h) : h, avoid);
  }
}

/**
 * XOR of the address's 32-bit big-endian words, or -1 when the key is not an address
 * (bytes: only whole words count, as in HAProxy; text: dotted IPv4 or IPv6).
 */
export function addressHash(key: Uint8Array | string): number {
  let n: number;
  if (typeof key === 'string') {
    n = parseAddress(key);
    if (n === 0) return -1;
  } else {
    if (key.length < 4) return -1;
    let h = 0;
    for (let i = 0; i + 4 <= key.length; i += 4) {
      h ^= (key[i]! << 24) | (key[i + 1]! << 16) | (key[i + 2]! << 8) | key[i + 3]!;
    }
    return h >>> 0;
  }
  let h = 0;
  for (let i = 0; i < n; i++) h ^= words[i]!;
  return h >>> 0;
}

/** Parses an address into `words`; returns the number of words (1 or 4), 0 if invalid. */
function parseAddress(s: string): number {
  if (s.indexOf(':') < 0) {
    const v = parseIPv4(s, 0, s.length);
    if (v < 0) return 0;
    words[0] = v;
    return 1;
  }
  return parseIPv6(s) ? 4 : 0;
}

/** Dotted-quad IPv4 between start and end, as an unsigned integer, or -1. */
function parseIPv4(s: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      part = part * 10 + (c - 0x30);
      if (++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/** IPv6 text (with "::", an embedded IPv4 tail, an optional "%zone") into `words`. */
function parseIPv6(s: string): boolean {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  groups.fill(0);
  let count = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 0x3a) {
    if (s.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
    if (i === end) return finishIPv6(count, gap);
  }
  while (i < end) {
    if (count === 8) return false;
    // An IPv4 tail?
    let j = i;
    while (j < end && s.charCodeAt(j) !== 0x3a && s.charCodeAt(j) !== 0x2e) j++;
    if (j < end && s.charCodeAt(j) === 0x2e) {
      if (count > 6) return false;
      const v = parseIPv4(s, i, end);
      if (v < 0) return false;
      groups[count++] = v >>> 16;
      groups[count++] = v & 0xffff;
      i = end;
      break;
    }
    let g = 0;
    let digits = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) break;
      g = g * 16 + d;
      if (++digits > 4) return false;
      i++;
    }
    if (digits === 0) return false;
    groups[count++] = g;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false;
    }
  }
  return finishIPv6(count, gap);
}

function finishIPv6(count: number, gap: number): boolean {
  if (gap < 0) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    // Move the groups after the gap to the end.
    const tail = count - gap;
    for (let k = 0; k < tail; k++) {
      groups[7 - k] = groups[count - 1 - k]!;
      groups[count - 1 - k] = 0;
    }
    // Groups moved over themselves when tail covers the same slots: clear only the gap.
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let k = 0; k < 4; k++) words[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  return true;
}
