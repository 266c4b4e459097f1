// A FIFO of streams waiting for a server slot (HAProxy's pendconn queues), per server and per backend.

export interface Waiter {
  /** Called with a server once a slot is granted. */
  grant(server: unknown): void;
  /** Set when the waiter left (timeout, client gone); skipped on dequeue. */
  gone: boolean;
}

export class WaitQueue<W extends Waiter> {
  private items: (W | undefined)[] = [];
  private head = 0;
  /** Live waiters (excluding the ones that left). */
  length = 0;
  max = 0;

  push(w: W): void {
    this.items.push(w);
    this.length++;
    if (this.length > this.max) this.max = this.length;
  }

  /** The waiter left: it stays in the array until reached, but no longer counts. */
  remove(w: W): void {
    if (w.gone) return;
    w.gone = true;
    this.length--;
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
