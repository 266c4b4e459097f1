// How a thread tells the others to look at the shared memory: each thread has a doorbell (an
// int of the slab) it waits on with Atomics.waitAsync; ringing it increments and notifies.
// One ring means "something may have changed": server state (a new generation), a server slot
// or a maxconn slot freed while that thread has connections waiting. The woken thread compares
// and acts; a ring carries no data, so rings coalesce and none is lost.
import { threads } from './context.ts';
import { bellIndex, bumpStateGeneration } from './slab.ts';

/** Wakes every other thread. */
export function ringOthers(): void {
  const slab = threads.slab;
  if (!slab) return;
  const h = slab.header;
  for (let t = 0; t < slab.threads; t++) {
    if (t === threads.index) continue;
    const i = bellIndex(t);
    Atomics.add(h, i, 1);
    Atomics.notify(h, i);
  }
}

/** A server's shared state changed: every other thread re-reads it. */
export function publishState(): void {
  const slab = threads.slab;
  if (!slab || threads.applyingRemote) return;
  bumpStateGeneration(slab);
  ringOthers();
}

/**
 * Calls `onRing` (asynchronously, on this thread's event loop) after each ring, until stop()
 * is called. A pending wait does not keep the event loop alive.
 */
export function listenDoorbell(onRing: () => void): { stop(): void } {
  const slab = threads.slab;
  let stopped = false;
  if (!slab) return { stop() {} };
  const h = slab.header;
  const i = bellIndex(threads.index);
  const wait = (): void => {
    const seen = Atomics.load(h, i);
    const r = Atomics.waitAsync(h, i, seen);
    if (!r.async) {
      // Rung between the load and the wait.
      queueMicrotask(fire);
      return;
    }
    void r.value.then(fire);
  };
  const fire = (): void => {
    if (stopped) return;
    wait();
    onRing();
  };
  wait();
  return { stop() { stopped = true; } };
}
