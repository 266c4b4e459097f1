// A FIFO of streams waiting for a server slot (HAProxy's pendconn queues), per server and per backend.
// Each thread queues its own streams; a shared int counts the waiters of every thread, so that
// newcomers queue behind other threads' waiters and a thread freeing a slot knows whether
// another thread has someone waiting for it.

export interface Waiter {
  /** Called with a server once a slot is granted. */
  grant(server: unknown): void;
  /** Set when the waiter left (timeout, client gone); skipped on dequeue. */
  gone: boolean;
}

export class WaitQueue<W extends Waiter> {
  private items: (W | undefined)[] = [];
  private head = 0;
  /** Live waiters of this thread (excluding the ones that left). */
  length = 0;
  max = 0;
  private readonly shared: { readonly ints: Int32Array };
  private readonly sharedIdx: number;

  /** `shared.ints[sharedIdx]` counts the live waiters of every thread (a private counter by default). */
  constructor(shared: { readonly ints: Int32Array } = { ints: new Int32Array(1) }, sharedIdx = 0) {
    this.shared = shared;
    this.sharedIdx = sharedIdx;
  }

  /** Live waiters of every thread. */
  get globalLength(): number {
    return Atomics.load(this.shared.ints, this.sharedIdx);
  }

  push(w: W): void {
    this.items.push(w);
    this.length++;
    Atomics.add(this.shared.ints, this.sharedIdx, 1);
    if (this.length > this.max) this.max = this.length;
  }

  /** The waiter left: it stays in the array until reached, but no longer counts. */
  remove(w: W): void {
    if (w.gone) return;
    w.gone = true;
    this.length--;
    Atomics.sub(this.shared.ints, this.sharedIdx, 1);
  }

  shift(): W | undefined {
    while (this.head < this.items.length) {
      const w = this.items[this.head];
      this.items[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (w && !w.gone) {
        this.length--;
        Atomics.sub(this.shared.ints, this.sharedIdx, 1);
        w.gone = true;
        return w;
      }
    }
    return undefined;
  }

  /** Empties the queue, returning the live waiters (redispatch on server down). */
  drain(): W[] {
    const out: W[] = [];
    for (let w = this.shift(); w; w = this.shift()) out.push(w);
    return out;
  }
}
