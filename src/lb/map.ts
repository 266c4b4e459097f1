// Map-based selection (HAProxy's lb_map.c), used by "balance static-rr" and by hash-based
// algorithms with "hash-type map-based".
//
// The eligible servers are spread over a table with one slot per unit of weight, interleaved
// so that consecutive slots alternate between servers as evenly as weights allow. Round-robin
// walks the table; hashing picks slot hash % total weight. The algorithm is static as in
// HAProxy: each server's weight is its configured weight (the largest effective weight seen for
// it) and runtime weight changes are ignored, except that a zero weight excludes it. The
// table is rebuilt whenever servers come and go. Weights are divided by their greatest common
// divisor to keep the table small.
import type { LbServer } from './types.ts';
import { isFull } from './common.ts';

export class ServerMap {
  /** Weight of each server as first seen (the static weight). */
  private readonly fixed = new Map<LbServer, number>();
  private table: LbServer[] = [];
  private total = 0;
  private rrIdx = 0;
  private readonly score: number[] = [];

  get totalWeight(): number {
    return this.total;
  }

  rebuild(servers: readonly LbServer[]): void {
    for (const s of servers) {
      // The configured weight is the largest ever seen: a slowstart ramp only climbs to it,
      // and HAProxy refuses other runtime weight changes on static algorithms.
      if (s.eweight > 0) {
        const w = Math.max(1, Math.round(s.eweight));
        const prev = this.fixed.get(s);
        if (prev === undefined || w > prev) this.fixed.set(s, w);
      }
    }
    // Greatest common divisor of all known static weights (HAProxy's wmult).
    let gcd = 0;
    for (const w of this.fixed.values()) gcd = gcdOf(gcd, w);
    if (gcd === 0) gcd = 1;

    const eligible: LbServer[] = [];
    const weights: number[] = [];
    let tot = 0;
    for (const s of servers) {
      const w0 = this.fixed.get(s);
      if (w0 === undefined || !(s.eweight > 0)) continue;
      const w = Math.ceil(w0 / gcd);
      eligible.push(s);
      weights.push(w);
      tot += w;
    }
    this.total = tot;
    this.table = recalcTable(eligible, weights, tot, this.score);
  }

  /** Round-robin over the table (map_get_server_rr): skips full servers and `avoid`. */
  pickRoundRobin(avoid: LbServer | null): LbServer | null {
    const tot = this.total;
    if (tot === 0) return null;
    if (this.rrIdx < 0 || this.rrIdx >= tot) this.rrIdx = 0;
    const start = this.rrIdx;
    let idx = start;
    let avoided: LbServer | null = null;
    let avoidedIdx = 0;
    do {
      const s = this.table[idx++]!;
      if (!isFull(s)) {
        avoided = s;
        avoidedIdx = idx;
        if (s !== avoid) {
          this.rrIdx = idx;
          return s;
        }
      }
      if (idx === tot) idx = 0;
    } while (idx !== start);
    if (avoided) this.rrIdx = avoidedIdx;
    return avoided;
  }

  /**
   * The server owning the slot of a hash (map_get_server_hash). As in HAProxy, neither a
   * full server nor `avoid` changes the result: the key always maps to the same server.
   */
  pickHash(hash: number): LbServer | null {
    const tot = this.total;
    if (tot === 0) return null;
    return this.table[hash % tot]!;
  }
}

/**
 * Fills the table slot by slot: every eligible server accumulates its weight and the one with
 * the highest (score + total) / total takes the slot (the first declared one on ties) and pays
 * the total back. This gives the first slot to the first server and interleaves the others.
 */
function recalcTable(servers: readonly LbServer[], weights: readonly number[], tot: number, score: number[]): LbServer[] {
  const table: LbServer[] = new Array<LbServer>(tot);
  const n = servers.length;
  if (tot === 0) return table;
  if (tot === 1) {
    table[0] = servers[0]!;
    return table;
  }
  score.length = n;
  for (let i = 0; i < n; i++) score[i] = 0;
  for (let o = 0; o < tot; o++) {
    let best = -1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      score[i]! += weights[i]!;
      const v = Math.trunc((score[i]! + tot) / tot);
      if (best < 0 || v > max) {
        max = v;
        best = i;
      }
    }
    table[o] = servers[best]!;
    score[best]! -= tot;
  }
  return table;
}

function gcdOf(a: number, b: number): number {
  while (b) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
