// The memory the threads of the process share (one SharedArrayBuffer). Each object with
// process-wide state (a proxy's or server's counters, a server's state, a backend's queue
// length...) owns a SlotBlock of two kinds of slots:
//   - ints: one copy for the whole process, changed with Atomics by any thread (current
//     connection counts, queue lengths, server state), so that limits hold across threads;
//   - floats: one row per thread, written only by its thread with plain stores (cumulative
//     counters: no contention on the hot path), aggregated by readers (stats, CLI).
// Until attached, a block has private arrays (one thread, tests); attachSlab() moves every
// block of a runtime into the shared buffer, in the same order on every thread (each thread
// builds its runtime from the same configuration).

/** A header before the blocks: the server state generation, then one doorbell per thread. */
const HEADER_GEN = 0;
const HEADER_BELLS = 1;

export class SlotBlock {
  readonly nInts: number;
  readonly nFloats: number;
  /** Shared by every thread. */
  ints: Int32Array;
  /** This thread's row. */
  v: Float64Array;
  /** Every thread's row (just [v] before attaching). */
  rows: Float64Array[];
  /** Called once the block moved to shared memory, to rebuild views on it. */
  onAttach: (() => void) | null = null;

  constructor(nInts: number, nFloats: number) {
    this.nInts = nInts;
    this.nFloats = nFloats;
    this.ints = new Int32Array(nInts);
    this.v = new Float64Array(nFloats);
    this.rows = [this.v];
  }
}

/** The process's shared memory and where this thread's row starts. */
export interface Slab {
  readonly buffer: SharedArrayBuffer;
  readonly threads: number;
  readonly header: Int32Array;
}

function headerInts(threads: number): number {
  return HEADER_BELLS + threads;
}

function sizes(blocks: readonly SlotBlock[], threads: number): { ints: number; floats: number; floatBase: number; bytes: number } {
  let ints = headerInts(threads);
  let floats = 0;
  for (const b of blocks) {
    ints += b.nInts;
    floats += b.nFloats;
  }
  const floatBase = Math.ceil((ints * 4) / 8) * 8;
  return { ints, floats, floatBase, bytes: floatBase + floats * threads * 8 };
}

/** Creates the shared memory for `blocks` (thread 1, before starting the others). */
export function createSlab(blocks: readonly SlotBlock[], threads: number): Slab {
  const buffer = new SharedArrayBuffer(sizes(blocks, threads).bytes);
  return { buffer, threads, header: new Int32Array(buffer, 0, headerInts(threads)) };
}

/**
 * Moves `blocks` into the slab as thread `thread` (0-based). Thread 0 copies its current
 * values, ints included; the other threads keep the shared ints as thread 0 left them.
 * Returns an error when the blocks do not fit the slab (the configuration changed between
 * the threads' readings).
 */
export function attachSlab(slab: Slab, blocks: readonly SlotBlock[], thread: number): string | null {
  const n = slab.threads;
  const sz = sizes(blocks, n);
  if (sz.bytes !== slab.buffer.byteLength) return 'the configuration read by this thread differs from the one of thread 1';
  let io = headerInts(n);
  let fo = 0;
  for (const b of blocks) {
    const ints = new Int32Array(slab.buffer, io * 4, b.nInts);
    if (thread === 0) ints.set(b.ints);
    const rows: Float64Array[] = [];
    for (let t = 0; t < n; t++) rows.push(new Float64Array(slab.buffer, sz.floatBase + (t * sz.floats + fo) * 8, b.nFloats));
    rows[thread]!.set(b.v);
    b.ints = ints;
    b.rows = rows;
    b.v = rows[thread]!;
    io += b.nInts;
    fo += b.nFloats;
    b.onAttach?.();
  }
  return null;
}

/** Server state generation: bumped by whoever changes a server's shared state. */
export function stateGeneration(slab: Slab): number {
  return Atomics.load(slab.header, HEADER_GEN);
}

export function bumpStateGeneration(slab: Slab): void {
  Atomics.add(slab.header, HEADER_GEN, 1);
}

/** Index of thread `t`'s doorbell in the header. */
export function bellIndex(t: number): number {
  return HEADER_BELLS + t;
}
