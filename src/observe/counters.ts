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

/** One duration measured per request/connection: a rolling average over the last 1024 and the maximum. */
export class DurationStat {
  avg = 0;
  max = 0;
  private n = 0;

  add(ms: number): void {
    if (this.n < 1024) this.n++;
    // HAProxy's swrate: a sliding average whose window grows to 1024 samples.
    this.avg += (ms - this.avg) / this.n;
    if (ms > this.max) this.max = ms;
  }

  reset(): void {
    this.avg = 0;
    this.max = 0;
    this.n = 0;
  }
}

/** Queue, connect, response and total times of a backend or server (qtime, ctime, rtime, ttime). */
export class TimeStats {
  readonly queue = new DurationStat();
  readonly connect = new DurationStat();
  readonly response = new DurationStat();
  readonly total = new DurationStat();

  /** One finished request (HTTP) or connection (TCP; response time 0), in ms. */
  add(queue: number, connect: number, response: number, total: number): void {
    this.queue.add(queue);
    this.connect.add(connect);
    this.response.add(response);
    this.total.add(total);
  }

  reset(): void {
    this.queue.reset();
    this.connect.reset();
    this.response.reset();
    this.total.reset();
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
  /** HTTP responses by class: 1xx, 2xx, 3xx, 4xx, 5xx, other (hrsp_*). */
  readonly hrsp = [0, 0, 0, 0, 0, 0];
  /** Invalid responses from servers (eresp). */
  respErrors = 0;
  /** Connection attempts to servers (connect) and reused idle connections (reuse). */
  connects = 0;
  reuses = 0;
  /** Responses denied by rules (dresp). */
  deniedResp = 0;
  /** Failed header rewrites (wrew) and internal errors (eint). */
  failedRewrites = 0;
  internalErrors = 0;
  /** When a stream was last assigned here (ms since the epoch; 0: never), for "lastsess". */
  lastSess = 0;
  readonly times = new TimeStats();

  /** "clear counters all": every cumulative counter and maximum back to zero. */
  protected clearSide(): void {
    this.bytesIn = this.bytesOut = this.connErrors = this.retries = this.redispatches = 0;
    this.clientAborts = this.serverAborts = this.queueMax = this.lbTotal = this.respErrors = 0;
    this.connects = this.reuses = this.deniedResp = this.failedRewrites = this.internalErrors = 0;
    this.lastSess = 0;
    this.hrsp.fill(0);
    this.times.reset();
  }
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
  /** HTTP requests received by the frontend (req_tot). */
  reqTotal = 0;
  /** Backend side (current count: beCur) */
  beCur = 0;
  beMax = 0;
  beTotal = 0;
  beRate = new RateCounter();
  /** HTTP: frontend request rate, requests reaching the backend, intercepted requests (stats, redirects...). */
  reqRate = new RateCounter();
  beReqTotal = 0;
  intercepted = 0;
  /** HTTP compression: bytes in/out/bypassed, compressed responses. */
  compIn = 0;
  compOut = 0;
  compByp = 0;
  compRsp = 0;
  cacheLookups = 0;
  cacheHits = 0;
  /** Times the backend lost its last usable server (chkdown of the backend). */
  beDownTransitions = 0;

  /** "clear counters": maxima only; "clear counters all": every counter (current counts stay). */
  clear(all: boolean): void {
    this.feMax = this.beMax = this.queueMax = 0;
    this.feRate.max = this.beRate.max = this.reqRate.max = 0;
    if (!all) return;
    this.clearSide();
    this.feTotal = this.deniedConn = this.deniedSess = this.deniedReq = this.reqErrors = this.reqTotal = 0;
    this.beTotal = this.beReqTotal = this.intercepted = this.beDownTransitions = 0;
    this.compIn = this.compOut = this.compByp = this.compRsp = this.cacheLookups = this.cacheHits = 0;
  }
}

/** Per-server counters; the current connection count is Server.curConns. */
export class ServerCounters extends BackendSideCounters {
  max = 0;
  total = 0;
  rate = new RateCounter();
  downTransitions = 0;
  /** HTTP requests sent to this server (req_tot). */
  reqTotal = 0;

  clear(all: boolean): void {
    this.max = this.queueMax = 0;
    this.rate.max = 0;
    if (!all) return;
    this.clearSide();
    this.total = this.downTransitions = this.reqTotal = 0;
  }
}

/** Per-listener counters (the stats lines of "option socket-stats"); the current count is Listener.cur. */
export class ListenerCounters {
  max = 0;
  total = 0;
  bytesIn = 0;
  bytesOut = 0;
  deniedConn = 0;
  deniedSess = 0;
  deniedReq = 0;
  deniedResp = 0;
  reqErrors = 0;
  failedRewrites = 0;
  internalErrors = 0;
  /** TLS handshakes that failed, timed out or were abandoned ("bind ... ssl"). */
  sslHandshakeFailures = 0;

  clear(all: boolean): void {
    this.max = 0;
    if (!all) return;
    this.total = this.bytesIn = this.bytesOut = this.deniedConn = this.deniedSess = this.deniedReq = 0;
    this.deniedResp = this.reqErrors = this.failedRewrites = this.internalErrors = 0;
    this.sslHandshakeFailures = 0;
  }
}

/** Process-wide figures (show info). */
export const processCounters = {
  cumConns: 0,
  curConns: 0,
  maxConnsSeen: 0,
  connRate: new RateCounter(),
  /** HTTP requests received (CumReq). */
  cumReq: 0,
  acceptErrors: 0,
  /** Log lines dropped because a target's queue was full or its socket failed (DroppedLogs). */
  droppedLogs: 0,
};
