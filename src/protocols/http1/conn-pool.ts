// A server's idle HTTP/1 connections on one thread, kept for reuse the way HAProxy 2.6 keeps
// them (server.h srv_add_to_idle_list, server.c srv_cleanup_idle_conns): a connection goes back
// to the pool only while the pool is not larger than what recent load needed, so a load that
// never reuses (a new client connection per request under http-reuse safe) does not pile up
// thousands of idle server connections until the server closes them. Every purge delay, half of
// the connections beyond the estimated need are closed, oldest first, and the estimate decays
// toward the last period's peak.

/** What the pool needs of a connection. */
export interface PoolMember {
  /** The SNI it was opened with: only a request with the same SNI may take it. */
  readonly sni: string | null;
  /** Requests it carried: more than one makes it "safe" (proven reusable). */
  readonly uses: number;
  /** Where it stands with its pool (kept by the pool). */
  poolState: PoolState;
  /** Links of the idle list, oldest first (kept by the pool). */
  idlePrev: PoolMember | null;
  idleNext: PoolMember | null;
  /** Closes it; the connection then calls forget(). */
  destroy(): void;
}

export const PoolState = {
  /** Not counted (closed, or before its first request). */
  None: 0,
  /** Carrying a request. */
  Used: 1,
  /** In the idle list. */
  Idle: 2,
} as const;
export type PoolState = (typeof PoolState)[keyof typeof PoolState];

export class ConnPool<C extends PoolMember = PoolMember> {
  /** pool-max-conn: -1 unlimited, 0 no pooling. */
  readonly maxIdle: number;
  /** pool-purge-delay (ms); 0: never purged. */
  readonly purgeDelay: number;
  /** Connections carrying a request now. */
  used = 0;
  /** The most used at once since the last purge. */
  maxUsed = 0;
  /** The estimated need: the peak use, decaying by half each purge period. */
  estNeed = 0;
  idleCount = 0;
  safeCount = 0;
  private oldest: C | null = null;
  private newest: C | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(maxIdle: number, purgeDelay: number) {
    this.maxIdle = maxIdle;
    this.purgeDelay = purgeDelay;
  }

  /** A new connection starts carrying a request. */
  use(c: C): void {
    c.poolState = PoolState.Used;
    if (++this.used > this.maxUsed) this.maxUsed = this.used;
    if (this.used > this.estNeed) this.estNeed = this.used;
  }

  /** Takes the most recently used idle connection opened with this SNI, if any. */
  take(sni: string | null): C | null {
    let c = this.newest;
    while (c !== null && c.sni !== sni) c = c.idlePrev as C | null;
    if (c === null) return null;
    this.unlink(c);
    this.use(c);
    return c;
  }

  /**
   * A connection is done with its request and could be reused: kept when the pool wants it
   * (true), else the caller closes it. Kept: the first idle connection (safe ones preferred),
   * and more while used + idle stays within the estimated need.
   */
  put(c: C): boolean {
    if (this.maxIdle >= 0 && this.idleCount >= this.maxIdle) return false;
    const safe = c.uses > 1;
    const first = this.safeCount === 0 && (safe || this.idleCount === 0);
    if (!first && this.used + this.idleCount > Math.max(this.used, this.estNeed)) return false;
    this.used--;
    c.poolState = PoolState.Idle;
    c.idlePrev = this.newest;
    c.idleNext = null;
    if (this.newest !== null) this.newest.idleNext = c;
    else this.oldest = c;
    this.newest = c;
    this.idleCount++;
    if (safe) this.safeCount++;
    if (this.timer === null && this.purgeDelay > 0) {
      this.timer = setInterval(this.purge, this.purgeDelay);
      this.timer.unref();
    }
    return true;
  }

  /** A connection closes: it no longer counts, used or idle. */
  forget(c: C): void {
    if (c.poolState === PoolState.Idle) this.unlink(c);
    else if (c.poolState === PoolState.Used) this.used--;
    c.poolState = PoolState.None;
  }

  private unlink(c: C): void {
    const prev = c.idlePrev as C | null;
    const next = c.idleNext as C | null;
    if (prev !== null) prev.idleNext = next;
    else this.oldest = next;
    if (next !== null) next.idlePrev = prev;
    else this.newest = prev;
    c.idlePrev = c.idleNext = null;
    c.poolState = PoolState.None;
    this.idleCount--;
    if (c.uses > 1) this.safeCount--;
    if (this.idleCount === 0) this.stopTimer();
  }

  /** One purge period: closes half of what exceeds the need, then updates the estimate. */
  readonly purge = (): void => {
    const exceed = this.used + this.idleCount - Math.max(this.maxUsed, this.estNeed);
    this.estNeed = Math.max((this.estNeed + this.maxUsed) >>> 1, this.maxUsed);
    this.maxUsed = this.used;
    for (let kill = Math.ceil(exceed / 2); kill > 0 && this.oldest !== null; kill--) this.oldest.destroy();
  };

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  closeAll(): void {
    while (this.oldest !== null) this.oldest.destroy();
    this.stopTimer();
  }
}
