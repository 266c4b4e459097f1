// "balance random[(<draws>)]": HAProxy's random algorithm (get_server_rnd() in backend.c).
//
// A server is drawn at random in proportion to its current weight, so weight changes and new
// servers apply at once. With <draws> greater than one (default 2, the "power of two
// choices"), that many servers are drawn and the one serving the fewest connections relative
// to its weight is kept (on equal load, the latest draw). A draw landing on `avoid` moves to
// the next server. If the chosen server is full, no server is returned so that the request
// waits in the backend queue, as HAProxy does. With "hash-balance-factor", a draw landing on a
// server above its bounded load moves on to the next server that is not (as HAProxy's ring
// lookup walks to the next point).
//
// HAProxy draws by looking a random number up on its consistent-hashing ring, whose arcs only
// approximate the weights (with weights 1,2,3,10 the lightest server gets 8.7 % instead of
// 6.25 %); drawing directly by cumulative weight gives the documented proportions exactly.
import type { LbAlgorithm, LbServer } from './types.ts';
import { isFull, scaledWeight, underBoundedLoad } from './common.ts';

/** More draws than this cannot find a better server in any realistic farm; bounds pick time. */
const MAX_DRAWS = 1000;

export class RandomLb implements LbAlgorithm {
  readonly needsKey = false;
  private readonly draws: number;
  private readonly random: () => number;
  private servers: LbServer[] = [];
  private weights: number[] = [];
  /** Cumulative scaled weights: server i owns [cumulative[i], cumulative[i + 1]). */
  private cumulative = new Float64Array(1);
  private total = 0;
  /** hash-balance-factor in percent, 0 = off. */
  private readonly balanceFactor: number;

  /** `random` returns a uniformly distributed number in [0, 1) (tests inject their own). */
  constructor(draws = 2, random: () => number = Math.random, balanceFactor = 0) {
    this.draws = Math.min(MAX_DRAWS, draws >= 1 ? Math.floor(draws) : 1);
    this.random = random;
    this.balanceFactor = balanceFactor;
  }

  rebuild(list: readonly LbServer[]): void {
    const servers: LbServer[] = [];
    const weights: number[] = [];
    for (const s of list) {
      const w = scaledWeight(s.eweight);
      if (w > 0) {
        servers.push(s);
        weights.push(w);
      }
    }
    const cumulative = new Float64Array(servers.length + 1);
    for (let i = 0; i < servers.length; i++) cumulative[i + 1] = cumulative[i]! + weights[i]!;
    this.servers = servers;
    this.weights = weights;
    this.cumulative = cumulative;
    this.total = cumulative[servers.length]!;
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    const n = this.servers.length;
    if (n === 0) return null;
    const servers = this.servers;
    const weights = this.weights;
    let curr = -1;
    let draws = this.draws;
    do {
      const prev = curr;
      curr = this.draw();
      if (servers[curr] === avoid && n > 1) curr = curr + 1 === n ? 0 : curr + 1;
      if (this.balanceFactor > 0) curr = this.boundedFrom(curr, avoid);
      // Keep the previous draw if it serves fewer connections relative to its weight.
      if (prev >= 0 && prev !== curr &&
          servers[curr]!.curConns * weights[prev]! > servers[prev]!.curConns * weights[curr]!) {
        curr = prev;
      }
    } while (--draws > 0);
    const s = servers[curr]!;
    return isFull(s) ? null : s;
  }

  /** From server `i` on, the first one under its bounded load and not `avoid` (`i` when none). */
  private boundedFrom(i: number, avoid: LbServer | null): number {
    const servers = this.servers;
    const n = servers.length;
    let served = 0;
    for (let k = 0; k < n; k++) served += servers[k]!.curConns;
    for (let k = 0, j = i; k < n; k++, j = j + 1 === n ? 0 : j + 1) {
      const s = servers[j]!;
      if (s !== avoid && underBoundedLoad(s.curConns, served, this.balanceFactor, this.weights[j]!, this.cumulative[j]!, this.total)) return j;
    }
    return i;
  }

  /** Index of a server drawn in proportion to its weight (binary search on cumulative weights). */
  private draw(): number {
    const c = this.cumulative;
    const x = this.random() * this.total;
    let lo = 0;
    let hi = this.servers.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid + 1]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
