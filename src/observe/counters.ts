// Counters incremented where events happen; stats, CLI, logs and metrics read them from here.

/** A per-second event rate over a sliding one-second window (HAProxy's freq_ctr). */
export class RateCounter {
  private curSec = 0;
  private cur = 0;
  private prev = 0;
  max = 0;

  hit(now: number): void {
    const sec = Math.floor(now / 1000);
    if (sec !== this.curSec) {
      this.prev = sec === this.curSec + 1 ? this.cur : 0;
      this.cur = 0;
      this.curSec = sec;
    }
    this.cur++;
    const r = this.rate(now);
    if (r > this.max) this.max = r;
  }

  /** Events over the last second, interpolating the previous second as HAProxy does. */
  rate(now: number): number {
    const sec = Math.floor(now / 1000);
    if (sec === this.curSec) return this.cur + Math.floor(this.prev * (1 - (now % 1000) / 1000));
    if (sec === this.curSec + 1) return Math.floor(this.cur * (1 - (now % 1000) / 1000));
    return 0;
  }
}

/** What a backend and each of its servers count alike. */
class BackendSideCounters {
  bytesIn = 0;
  bytesOut = 0;
  connErrors = 0;
  retries = 0;
  redispatches = 0;
  clientAborts = 0;
  serverAborts = 0;
  queueMax = 0;
  lbTotal = 0;
}

export class ProxyCounters extends BackendSideCounters {
  /** Frontend side */
  feCur = 0;
  feMax = 0;
  feTotal = 0;
  feRate = new RateCounter();
  deniedConn = 0;
  deniedSess = 0;
  deniedReq = 0;
  reqErrors = 0;
  /** Traffic logs emitted by this frontend (%lc). */
  logCount = 0;
  /** Backend side (current count: beCur) */
  beCur = 0;
  beMax = 0;
  beTotal = 0;
  beRate = new RateCounter();
}

/** Per-server counters; the current connection count is Server.curConns. */
export class ServerCounters extends BackendSideCounters {
  max = 0;
  total = 0;
  rate = new RateCounter();
  downTransitions = 0;
}

/** Process-wide figures (show info). */
export const processCounters = {
  cumConns: 0,
  curConns: 0,
  maxConnsSeen: 0,
  connRate: new RateCounter(),
  acceptErrors: 0,
  /** Log lines dropped because a target's queue was full or its socket failed (DroppedLogs). */
  droppedLogs: 0,
};
