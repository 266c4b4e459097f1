// Consistent hashing (HAProxy's lb_chash.c), used by hash-based algorithms with
// "hash-type consistent".
//
// Every eligible server owns as many points on a 32-bit ring as its scaled weight (16 per unit
// of weight), point j of server id n being placed at avalanche(n * 4096 + j). A hash goes to
// the server owning the nearest point (before or after it). Points only depend on the server's
// id and weight, so removing a server only moves the keys it owned, and they come back when it
// returns. Weights are dynamic: a weight change adds or removes points of that server only.
//
// The ring is a sorted array rebuilt on rebuild() (not on the hot path); lookups are binary
// searches and allocate nothing.
import type { LbServer } from './types.ts';
import { SRV_EWGHT_RANGE, isFull, scaledWeight, underBoundedLoad } from './common.ts';
import { fullHash } from './hash.ts';

export class ConsistentHashRing {
  /** Point positions, ascending. */
  private keys = new Uint32Array(0);
  /** Index in `servers` of each point's owner. */
  private owners = new Uint32Array(0);
  private servers: LbServer[] = [];
  /** Scaled weight of each server of `servers`, and its cumulative weight before it. */
  private weights: number[] = [];
  private cumulative: number[] = [];
  private total = 0;
  /** Last point returned by round-robin (HAProxy's chash.last), -1 for none. */
  private last = -1;
  /** Bounded-load factor in percent (hash-balance-factor), 0 = off. */
  private readonly balanceFactor: number;

  constructor(balanceFactor = 0) {
    this.balanceFactor = balanceFactor;
  }

  get totalWeight(): number {
    return this.total;
  }

  rebuild(list: readonly LbServer[]): void {
    const servers: LbServer[] = [];
    const weights: number[] = [];
    const cumulative: number[] = [];
    let points = 0;
    for (const s of list) {
      const w = scaledWeight(s.eweight);
      if (w === 0) continue;
      servers.push(s);
      weights.push(w);
      cumulative.push(points);
      points += w;
    }
    // Sort the points by position; ties (practically nonexistent) keep declaration order.
    const order = new Float64Array(points);
    let p = 0;
    for (let i = 0; i < servers.length; i++) {
      const base = servers[i]!.id * SRV_EWGHT_RANGE;
      for (let j = 0; j < weights[i]!; j++) {
        // Position in the high 32 bits' worth of the double, owner index below it.
        order[p++] = fullHash((base + j) >>> 0) * 0x100000 + i;
      }
    }
    order.sort();
    const keys = new Uint32Array(points);
    const owners = new Uint32Array(points);
    for (let k = 0; k < points; k++) {
      const v = order[k]!;
      const owner = v % 0x100000;
      keys[k] = (v - owner) / 0x100000;
      owners[k] = owner;
    }

    // Keep the round-robin cursor near where it was (on the point that replaced it).
    if (this.last >= 0 && this.keys.length > 0 && points > 0) {
      const at = lowerBound(keys, this.keys[this.last]!);
      this.last = at === points ? 0 : at;
    } else {
      this.last = -1;
    }
    this.keys = keys;
    this.owners = owners;
    this.servers = servers;
    this.weights = weights;
    this.cumulative = cumulative;
    this.total = points;
  }

  /**
   * The server nearest to `hash` on the ring (chash_get_server_hash). If it is `avoid` (or
   * over its bounded load), the following points are tried in turn. Full servers are not
   * skipped: a key sticks to its server, which queues the request if needed.
   */
  lookup(hash: number, avoid: LbServer | null): LbServer | null {
    const i = this.lookupIndex(hash, avoid);
    return i < 0 ? null : this.servers[i]!;
  }

  /** Same as lookup(), returning the server's index, -1 if none. */
  private lookupIndex(hash: number, avoid: LbServer | null): number {
    const keys = this.keys;
    const n = keys.length;
    if (n === 0) return -1;
    let next = lowerBound(keys, hash);
    if (next === n) next = 0;
    const prev = next === 0 ? n - 1 : next - 1;
    // Distances on the ring, modulo 2^32; the point before wins ties.
    const dp = (hash - keys[prev]!) >>> 0;
    const dn = (keys[next]! - hash) >>> 0;
    let idx = dp <= dn ? prev : next;
    let srv = this.owners[idx]!;
    let loops = 0;
    while (this.servers[srv] === avoid || (this.balanceFactor > 0 && !this.eligible(srv))) {
      idx++;
      if (idx === n) {
        idx = 0;
        if (++loops > 1) break; // went around twice: nothing better
      }
      srv = this.owners[idx]!;
    }
    return srv;
  }

  /**
   * Round-robin along the ring (chash_get_next_server), used when a hash key is missing:
   * the point after the last one used, skipping full servers and `avoid` when possible.
   */
  next(avoid: LbServer | null): LbServer | null {
    const n = this.keys.length;
    if (n === 0) return null;
    let node = this.last;
    let stop = node;
    let avoided: LbServer | null = null;
    let avoidedNode = -1;
    do {
      node = node < 0 || node + 1 === n ? 0 : node + 1;
      this.last = node;
      if (stop < 0) stop = node;
      const s = this.servers[this.owners[node]!]!;
      if (!isFull(s)) {
        if (s !== avoid) return s;
        avoided = s;
        avoidedNode = node;
      }
    } while (node !== stop);
    if (avoided) this.last = avoidedNode;
    return avoided;
  }

  /** Bounded loads (hash-balance-factor): whether server `i` may take one more connection. */
  private eligible(i: number): boolean {
    let served = 0;
    const servers = this.servers;
    for (let k = 0; k < servers.length; k++) served += servers[k]!.curConns;
    return underBoundedLoad(servers[i]!.curConns, served, this.balanceFactor, this.weights[i]!, this.cumulative[i]!, this.total);
  }
}

/** First index whose key is >= value (keys.length if none). */
function lowerBound(keys: Uint32Array, value: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
