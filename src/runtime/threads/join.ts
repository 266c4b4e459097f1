// Makes a thread's runtime one of the process's threads: its shared blocks move into the slab,
// and its doorbell is served (server states applied, freed slots used).
import type { Runtime } from '../runtime.ts';
import { threads } from './context.ts';
import { listenDoorbell } from './doorbell.ts';
import { attachSlab, stateGeneration, type Slab } from './slab.ts';

/** The slab as another thread sees it, from the buffer thread 0 created. */
export function slabOf(buffer: SharedArrayBuffer, count: number): Slab {
  return { buffer, threads: count, header: new Int32Array(buffer, 0, 1 + count) };
}

/**
 * Attaches `rt` (built after setThread()) to the slab as thread `index`, before it starts, and
 * serves its doorbell. Threads other than 0 first take the server states thread 0 published.
 * Returns an error text.
 */
export function joinThreads(rt: Runtime, slab: Slab, index: number): string | null {
  if (threads.index !== index || threads.count !== slab.threads) return 'the runtime was built for another thread';
  threads.slab = slab;
  const err = attachSlab(slab, rt.slotBlocks(), index);
  if (err) return err;
  let seen = stateGeneration(slab);
  if (index > 0) rt.onDoorbell(true);
  listenDoorbell(() => {
    const gen = stateGeneration(slab);
    const changed = gen !== seen;
    seen = gen;
    rt.onDoorbell(changed);
  });
  return null;
}
