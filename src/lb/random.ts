// "balance random[(<draws>)]": HAProxy's random algorithm (get_server_rnd() over lb_chash.c).
//
// A random 32-bit number is looked up on the consistent-hashing ring, so servers are drawn in
// proportion to their weight and weight changes or new servers apply at once. With <draws>
// greater than one (default 2, the "power of two choices"), that many servers are drawn and
// the least loaded relative to its weight is kept. If the chosen server is full, no server is
// returned so that the request waits in the backend queue.
import type { LbAlgorithm, LbServer } from './types.ts';
import { ConsistentHashRing } from './chash.ts';
import { isFull } from './common.ts';

export class RandomLb implements LbAlgorithm {
  readonly needsKey = false;
  private readonly ring: ConsistentHashRing;
  private readonly draws: number;
  private readonly random: () => number;

  /** `random` returns a uniformly distributed unsigned 32-bit integer (tests inject their own). */
  constructor(draws = 2, random: () => number = random32, balanceFactor = 0) {
    this.draws = draws >= 1 ? Math.floor(draws) : 1;
    this.random = random;
    this.ring = new ConsistentHashRing(balanceFactor);
  }

  rebuild(servers: readonly LbServer[]): void {
    this.ring.rebuild(servers);
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    const ring = this.ring;
    if (ring.totalWeight === 0) return null;
    let curr = -1;
    let draws = this.draws;
    do {
      const prev = curr;
      curr = ring.lookupIndex(this.random(), avoid);
      if (curr < 0) break;
      // Keep the previous draw if it serves fewer connections relative to its weight.
      if (prev >= 0 && prev !== curr &&
          ring.serverAt(curr).curConns * ring.weightAt(prev) > ring.serverAt(prev).curConns * ring.weightAt(curr)) {
        curr = prev;
      }
    } while (--draws > 0);
    if (curr < 0) return null;
    const s = ring.serverAt(curr);
    return isFull(s) ? null : s;
  }
}

/** A uniformly distributed unsigned 32-bit integer. */
export function random32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}
