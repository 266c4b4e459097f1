// "balance roundrobin" and "static-rr" across threads. Each thread has its own Backend, so a
// per-thread round-robin would only be fair per thread (and connections reach threads at the
// kernel's whim). Instead, every thread computes the same sequence (one period of the
// single-thread algorithm over the current weights, replayed on stand-in servers that are never
// full) and takes positions in it from one shared ticket counter: picks follow one global
// order, whichever thread makes them. Full and avoided servers are skipped by walking on in
// the sequence. Weight changes rebuild the sequence on every thread (they see the same state).
import type { LbAlgorithm, LbServer } from './types.ts';
import { isFull } from './common.ts';

/** Where the shared ticket counter is: `block.ints[index]` (the block may move to shared memory). */
export interface SharedTicket {
  readonly block: { readonly ints: Int32Array };
  readonly index: number;
}

/** Longest sequence kept: past it the weights are followed approximately over a period. */
const MAX_PERIOD = 1 << 16;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class SharedSequenceLb implements LbAlgorithm {
  readonly needsKey = false;
  private readonly makeSingle: () => LbAlgorithm;
  private readonly ticket: SharedTicket;
  private seq: LbServer[] = [];

  /** `makeSingle` builds the single-thread algorithm whose order is replayed. */
  constructor(makeSingle: () => LbAlgorithm, ticket: SharedTicket) {
    this.makeSingle = makeSingle;
    this.ticket = ticket;
  }

  rebuild(servers: readonly LbServer[]): void {
    const usable = servers.filter((s) => s.eweight > 0);
    let g = 0;
    let total = 0;
    for (const s of usable) {
      const w = Math.ceil(s.eweight);
      g = gcd(g, w);
      total += w;
    }
    const period = g > 0 ? Math.min(MAX_PERIOD, total / g) : 0;
    const standIns = usable.map((s) => ({ id: s.id, name: s.name, eweight: s.eweight, curConns: 0, effMaxconn: 0, real: s }));
    const single = this.makeSingle();
    single.rebuild(standIns);
    const seq: LbServer[] = [];
    for (let i = 0; i < period; i++) {
      const p = single.pick(null, null) as (typeof standIns)[number] | null;
      if (!p) break;
      seq.push(p.real);
    }
    this.seq = seq;
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    const seq = this.seq;
    const n = seq.length;
    if (n === 0) return null;
    const t = Atomics.add(this.ticket.block.ints, this.ticket.index, 1) >>> 0;
    let avoided: LbServer | null = null;
    for (let i = 0; i < n; i++) {
      const s = seq[(t + i) % n]!;
      if (isFull(s)) continue;
      if (s !== avoid) return s;
      avoided = s;
    }
    return avoided;
  }
}
