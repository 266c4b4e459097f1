// This thread's place among the process's threads (nbthread): its index, their number and the
// memory they share. Thread 0 is the main thread (HAProxy's thread 1): it alone runs health
// checks, the CLI, UNIX and fd@ listeners and the process lifecycle.
//
// The design, file by file: pool.ts (main thread) starts threads 1..n-1 with worker-thread.ts,
// which read the same configuration, build the same Runtime and open their own SO_REUSEPORT
// sockets. slab.ts is the one SharedArrayBuffer: shared ints (connection counts, queue
// lengths, server state) changed with Atomics, and per-thread rows of counters that readers
// add up (observe/counters.ts). doorbell.ts wakes other threads (Atomics.waitAsync) when a
// server's state changed or a slot freed that their queued streams or held connections wait
// for; join.ts attaches a runtime and serves its doorbell. Messages (messages.ts) only carry
// the lifecycle: start-up reports and soft stop, hard stop, pause, resume.
import { availableParallelism } from 'node:os';
import type { Slab } from './slab.ts';
import type { ThreadReport } from './messages.ts';

export const threads = {
  /** 0-based, as the "thread" sample fetch reports it. */
  index: 0,
  count: 1,
  slab: null as Slab | null,
  /** Set while applying a state another thread published: no events, no counting, no republishing. */
  applyingRemote: false,
  /**
   * With several threads: the TLS session ticket keys (48 bytes) every thread's server contexts
   * must use, so that a session ticket issued by one thread resumes on another.
   */
  ticketKeys: null as Buffer | null,
  /** Threads 2..N: sends a request to the main thread (stats page admin actions). */
  toMain: null as ((m: ThreadReport) => void) | null,
};

/** Most threads nbthread accepts (HAProxy's MAX_THREADS). */
export const MAX_THREADS = 64;

/**
 * Threads without "nbthread": as HAProxy, one per CPU the process may run on (its affinity
 * mask, so `taskset -c 0` gives one), at most MAX_THREADS.
 */
export function defaultThreadCount(): number {
  return Math.min(availableParallelism(), MAX_THREADS);
}

/** Set before building the runtime: the load-balancing algorithms depend on the count. */
export function setThread(index: number, count: number): void {
  threads.index = index;
  threads.count = count;
}

export function isMainThread(): boolean {
  return threads.index === 0;
}
