// Shared helpers for the load-balancing tests.
import type { LbAlgorithm, LbServer } from '../../../src/lb/types.ts';

export interface TestServer extends LbServer {
  id: number;
  name: string;
  eweight: number;
  curConns: number;
  effMaxconn: number;
}

/** Servers with ids 1..n named "1".."n" (or by the given names) and the given weights. */
export function servers(weights: readonly number[], names?: readonly string[]): TestServer[] {
  return weights.map((w, i) => ({ id: i + 1, name: names?.[i] ?? String(i + 1), eweight: w, curConns: 0, effMaxconn: 0 }));
}

/** Picks n times and returns the names concatenated (single-character names). */
export function sequence(lb: LbAlgorithm, n: number, key: Buffer | string | null = null): string {
  let out = '';
  for (let i = 0; i < n; i++) out += lb.pick(key, null)?.name ?? '-';
  return out;
}

/** Picks n times (keys from `keyOf`) and counts the picks per server. */
export function count(lb: LbAlgorithm, n: number, keyOf: (i: number) => Buffer | string | null = () => null): Map<LbServer | null, number> {
  const m = new Map<LbServer | null, number>();
  for (let i = 0; i < n; i++) {
    const s = lb.pick(keyOf(i), null);
    m.set(s, (m.get(s) ?? 0) + 1);
  }
  return m;
}

/** Largest absolute difference, in percentage points, between observed shares and weights. */
export function maxShareError(counts: Map<LbServer | null, number>, list: readonly LbServer[], total: number): number {
  const wsum = list.reduce((a, s) => a + s.eweight, 0);
  let worst = 0;
  for (const s of list) {
    const got = ((counts.get(s) ?? 0) / total) * 100;
    const want = (s.eweight / wsum) * 100;
    worst = Math.max(worst, Math.abs(got - want));
  }
  return worst;
}

/** Longest run of the same character in a pick sequence. */
export function longestRun(seq: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < seq.length; i++) {
    run = i > 0 && seq[i] === seq[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best;
}

/** A small deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic random IPv4 addresses as 4-byte buffers. */
export function randomAddresses(n: number, seed: number): Buffer[] {
  const r = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(Math.floor(r() * 4294967296));
    out.push(b);
  }
  return out;
}
