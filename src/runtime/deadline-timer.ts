// A timeout whose deadline moves all the time (each read, write or phase of a connection) and
// that rarely expires, as HAProxy's expiry dates: moving it stores a number. The Node timer
// under it is rescheduled only when the deadline comes before it fires, or when it fires before
// the deadline (it then sleeps what is left). Timeout.refresh() on every move cost about 700
// instructions (a megamorphic read of the timer and a move in the timer list), five times per
// HTTP keep-alive request, measured with callgrind.
import { performance } from 'node:perf_hooks';

export class DeadlineTimer<T> {
  private readonly owner: T;
  private readonly onExpire: (owner: T) => void;
  private readonly keepsAlive: boolean;
  private timer: NodeJS.Timeout | null = null;
  /** performance.now() when `timer` fires. */
  private due = 0;
  /** performance.now() when onExpire runs; 0: disarmed. */
  private deadline = 0;

  /** `keepsAlive`: whether an armed timer keeps the event loop running (setTimeout's ref). */
  constructor(owner: T, onExpire: (owner: T) => void, keepsAlive: boolean) {
    this.owner = owner;
    this.onExpire = onExpire;
    this.keepsAlive = keepsAlive;
  }

  /** onExpire runs `ms` (> 0) from now, unless moved or disarmed first. */
  arm(ms: number): void {
    const d = performance.now() + ms;
    this.deadline = d;
    if (this.timer === null || d < this.due) this.schedule(ms, d);
  }

  /** Forgets the deadline; the Node timer stays, to fire for nothing or serve the next arm(). */
  disarm(): void {
    this.deadline = 0;
  }

  /** Disarms and releases the Node timer (the owner is going away). */
  cancel(): void {
    this.deadline = 0;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  get armed(): boolean {
    return this.deadline !== 0;
  }

  private schedule(ms: number, due: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    const t = setTimeout(fire, ms, this);
    if (!this.keepsAlive) t.unref();
    this.timer = t;
    this.due = due;
  }

  /** @internal the Node timer fired */
  fired(): void {
    this.timer = null;
    const d = this.deadline;
    if (d === 0) return;
    // Node's timers run on the loop's clock, which may lag performance.now() by a millisecond.
    const left = d - performance.now();
    if (left > 1) return this.schedule(Math.ceil(left), d);
    this.deadline = 0;
    this.onExpire(this.owner);
  }
}

function fire(t: { fired(): void }): void {
  t.fired();
}
