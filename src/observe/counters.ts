// Counters incremented where events happen; stats, CLI, logs and metrics read them from here.
//
// With several threads (nbthread), every counters object lives in a SlotBlock of the shared
// slab (src/runtime/threads/slab.ts): cumulative counters and maxima are plain fields backed by
// this thread's row (`c.bytesIn += n` stays a plain store, nothing contended), and aggregate()
// gives a copy with every thread's rows added up (maxima: the largest) for the stats. Current
// counts (feCur, beCur, curConns) are single shared ints, so that limits hold process-wide: their
// setters add the difference with the value last read, which makes `x++`, `x--` and `x += n`
// atomic increments (plain assignments of unrelated values are not supported on them). Rates
// read every thread's row, so `rate()` and `max` are process-wide.
import { SlotBlock } from '../runtime/threads/slab.ts';

/** How readers combine the threads' rows of a float slot. */
const Agg = { Sum: 0, Max: 1, Avg: 2 } as const;

/** Slot numbering of a counters class (a subclass continues its base class's numbering). */
class Layout {
  ints = 0;
  floats = 0;
  readonly kinds: number[] = [];
  /** The maxima that "clear counters" (without "all") resets. */
  readonly maxima: number[] = [];

  derive(): Layout {
    const l = new Layout();
    l.ints = this.ints;
    l.floats = this.floats;
    l.kinds.push(...this.kinds);
    l.maxima.push(...this.maxima);
    return l;
  }

  float(kind: number): number {
    this.kinds.push(kind);
    return this.floats++;
  }

  span(n: number, kind: number): number {
    const first = this.floats;
    for (let i = 0; i < n; i++) this.float(kind);
    return first;
  }

  /** A DurationStat: average (weighted by the count two slots later), maximum, count. */
  duration(): number {
    const o = this.float(Agg.Avg);
    this.float(Agg.Max);
    this.float(Agg.Sum);
    return o;
  }

  /** A RateCounter: second, count in it, count in the previous one, maximum rate. */
  rate(): number {
    const o = this.span(3, Agg.Sum);
    this.maxima.push(this.float(Agg.Max));
    return o;
  }
}

function floatFields(proto: object, layout: Layout, kind: number, names: readonly string[], clearedAsMax = false): void {
  for (const name of names) {
    const i = layout.float(kind);
    if (clearedAsMax) layout.maxima.push(i);
    Object.defineProperty(proto, name, {
      get(this: SlotCounters) { return this.block.v[i]; },
      set(this: SlotCounters, x: number) { this.block.v[i] = x; },
    });
  }
}

function intFields(proto: object, layout: Layout, names: readonly string[]): number[] {
  return names.map((name) => {
    const i = layout.ints++;
    Object.defineProperty(proto, name, {
      get(this: SlotCounters) { return (this.lastInt = Atomics.load(this.block.ints, i)); },
      set(this: SlotCounters, x: number) { Atomics.add(this.block.ints, i, x - this.lastInt); },
    });
    return i;
  });
}

/** A per-second event rate over a sliding one-second window (HAProxy's freq_ctr), summed over threads. */
export class RateCounter {
  private readonly b: SlotBlock;
  private readonly o: number;

  constructor(block: SlotBlock = new SlotBlock(0, 4), offset = 0) {
    this.b = block;
    this.o = offset;
  }

  hit(now: number): void {
    const v = this.b.v;
    const o = this.o;
    const sec = Math.floor(now / 1000);
    if (sec !== v[o]) {
      v[o + 2] = sec === v[o]! + 1 ? v[o + 1]! : 0;
      v[o + 1] = 0;
      v[o] = sec;
    }
    v[o + 1] = v[o + 1]! + 1;
    const r = this.rate(now);
    if (r > v[o + 3]!) v[o + 3] = r;
  }

  /** Events over the last second, interpolating the previous second as HAProxy does. */
  rate(now: number): number {
    const rows = this.b.rows;
    let r = 0;
    for (let t = 0; t < rows.length; t++) r += rowRate(rows[t]!, this.o, now);
    return r;
  }

  get max(): number {
    let m = 0;
    for (const row of this.b.rows) if (row[this.o + 3]! > m) m = row[this.o + 3]!;
    return m;
  }

  set max(n: number) {
    for (const row of this.b.rows) row[this.o + 3] = n;
  }
}

function rowRate(v: Float64Array, o: number, now: number): number {
  const sec = Math.floor(now / 1000);
  const cur = v[o]!;
  if (sec === cur) return v[o + 1]! + Math.floor(v[o + 2]! * (1 - (now % 1000) / 1000));
  if (sec === cur + 1) return Math.floor(v[o + 1]! * (1 - (now % 1000) / 1000));
  return 0;
}

/** One duration measured per request/connection: a rolling average over the last 1024 and the maximum. */
export class DurationStat {
  private readonly b: SlotBlock;
  private readonly o: number;

  constructor(block: SlotBlock = new SlotBlock(0, 3), offset = 0) {
    this.b = block;
    this.o = offset;
  }

  get avg(): number {
    return this.b.v[this.o]!;
  }

  get max(): number {
    return this.b.v[this.o + 1]!;
  }

  add(ms: number): void {
    const v = this.b.v;
    const o = this.o;
    if (v[o + 2]! < 1024) v[o + 2] = v[o + 2]! + 1;
    // HAProxy's swrate: a sliding average whose window grows to 1024 samples.
    v[o] = v[o]! + (ms - v[o]!) / v[o + 2]!;
    if (ms > v[o + 1]!) v[o + 1] = ms;
  }

  reset(): void {
    for (const row of this.b.rows) row.fill(0, this.o, this.o + 3);
  }
}

/** Queue, connect, response and total times of a backend or server (qtime, ctime, rtime, ttime). */
export class TimeStats {
  readonly queue: DurationStat;
  readonly connect: DurationStat;
  readonly response: DurationStat;
  readonly total: DurationStat;

  constructor(block: SlotBlock = new SlotBlock(0, 12), offset = 0) {
    this.queue = new DurationStat(block, offset);
    this.connect = new DurationStat(block, offset + 3);
    this.response = new DurationStat(block, offset + 6);
    this.total = new DurationStat(block, offset + 9);
  }

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

function timesSlots(layout: Layout): number {
  const o = layout.duration();
  for (let i = 1; i < 4; i++) layout.duration();
  return o;
}

/** What every counters object shares: its slot block, aggregation and clearing. */
export abstract class SlotCounters {
  block: SlotBlock;
  /** The value a shared int field last returned: its setter adds the difference. */
  lastInt = 0;
  private readonly layout: Layout;

  protected constructor(layout: Layout) {
    this.layout = layout;
    this.block = this.newBlock();
  }

  private newBlock(): SlotBlock {
    const b = new SlotBlock(this.layout.ints, this.layout.floats);
    b.onAttach = () => this.bind();
    return b;
  }

  /** (Re)creates the views on the block (arrays, rates, durations). */
  protected abstract bind(): void;

  /** A copy with every thread's counters added up (maxima: the largest), as the stats show them. */
  aggregate(): this {
    const src = this.block;
    const kinds = this.layout.kinds;
    const out = new Float64Array(src.nFloats);
    const rows = src.rows;
    for (let i = 0; i < out.length; i++) {
      const kind = kinds[i];
      let acc = 0;
      if (kind === Agg.Avg) {
        let n = 0;
        for (const row of rows) {
          acc += row[i]! * row[i + 2]!;
          n += row[i + 2]!;
        }
        acc = n > 0 ? acc / n : 0;
      } else {
        for (const row of rows) acc = kind === Agg.Max ? Math.max(acc, row[i]!) : acc + row[i]!;
      }
      out[i] = acc;
    }
    const copy = new (this.constructor as new () => this)();
    const b = new SlotBlock(0, 0);
    b.ints = src.ints;
    b.v = out;
    // Rates read every thread's row themselves.
    b.rows = rows;
    copy.block = b;
    copy.bind();
    return copy;
  }

  /** Takes one of `max` units of shared int `i` (0: unlimited), atomically across threads. */
  protected tryTakeInt(i: number, max: number): boolean {
    const before = Atomics.add(this.block.ints, i, 1);
    if (max > 0 && before >= max) {
      Atomics.sub(this.block.ints, i, 1);
      return false;
    }
    return true;
  }

  protected releaseInt(i: number): void {
    Atomics.sub(this.block.ints, i, 1);
  }

  /** "clear counters": the maxima; "clear counters all": every counter (current counts stay), on every thread. */
  clear(all: boolean): void {
    for (const row of this.block.rows) {
      if (all) row.fill(0);
      else for (const i of this.layout.maxima) row[i] = 0;
    }
  }
}

/** What a backend and each of its servers count alike. */
abstract class BackendSideCounters extends SlotCounters {
  declare bytesIn: number;
  declare bytesOut: number;
  declare connErrors: number;
  declare retries: number;
  declare redispatches: number;
  declare clientAborts: number;
  declare serverAborts: number;
  declare queueMax: number;
  declare lbTotal: number;
  /** Invalid responses from servers (eresp). */
  declare respErrors: number;
  /** Connection attempts to servers (connect) and reused idle connections (reuse). */
  declare connects: number;
  declare reuses: number;
  /** Responses denied by rules (dresp). */
  declare deniedResp: number;
  /** Failed header rewrites (wrew) and internal errors (eint). */
  declare failedRewrites: number;
  declare internalErrors: number;
  /** When a stream was last assigned here (ms since the epoch; 0: never), for "lastsess". */
  declare lastSess: number;
  /** HTTP responses by class: 1xx, 2xx, 3xx, 4xx, 5xx, other (hrsp_*). */
  hrsp!: Float64Array;
  times!: TimeStats;

  protected bind(): void {
    this.hrsp = this.block.v.subarray(SIDE_HRSP, SIDE_HRSP + 6);
    this.times = new TimeStats(this.block, SIDE_TIMES);
  }
}

const SIDE = new Layout();
floatFields(BackendSideCounters.prototype, SIDE, Agg.Sum, [
  'bytesIn', 'bytesOut', 'connErrors', 'retries', 'redispatches', 'clientAborts', 'serverAborts', 'lbTotal',
  'respErrors', 'connects', 'reuses', 'deniedResp', 'failedRewrites', 'internalErrors',
]);
floatFields(BackendSideCounters.prototype, SIDE, Agg.Max, ['queueMax'], true);
floatFields(BackendSideCounters.prototype, SIDE, Agg.Max, ['lastSess']);
const SIDE_HRSP = SIDE.span(6, Agg.Sum);
const SIDE_TIMES = timesSlots(SIDE);

export class ProxyCounters extends BackendSideCounters {
  /** Frontend side: current connections (process-wide), maximum, total. */
  declare feCur: number;
  declare feMax: number;
  declare feTotal: number;
  declare deniedConn: number;
  declare deniedSess: number;
  declare deniedReq: number;
  declare reqErrors: number;
  /** Traffic logs emitted by this frontend (%lc). */
  declare logCount: number;
  /** HTTP requests received by the frontend (req_tot). */
  declare reqTotal: number;
  /** Backend side: current connections (process-wide), maximum, total. */
  declare beCur: number;
  declare beMax: number;
  declare beTotal: number;
  /** HTTP: requests reaching the backend, intercepted requests (stats, redirects...). */
  declare beReqTotal: number;
  declare intercepted: number;
  /** HTTP compression: bytes in/out/bypassed, compressed responses. */
  declare compIn: number;
  declare compOut: number;
  declare compByp: number;
  declare compRsp: number;
  declare cacheLookups: number;
  declare cacheHits: number;
  /** Times the backend lost its last usable server (chkdown of the backend). */
  declare beDownTransitions: number;
  feRate!: RateCounter;
  beRate!: RateCounter;
  /** HTTP: frontend request rate. */
  reqRate!: RateCounter;

  constructor() {
    super(PROXY);
    this.bind();
  }

  /** A frontend connection slot (maxconn 0: unlimited), taken atomically across threads. */
  takeFe(maxconn: number): boolean {
    return this.tryTakeInt(PROXY_FE_CUR, maxconn);
  }

  releaseFe(): void {
    this.releaseInt(PROXY_FE_CUR);
  }

  protected override bind(): void {
    super.bind();
    this.feRate = new RateCounter(this.block, PROXY_FE_RATE);
    this.beRate = new RateCounter(this.block, PROXY_BE_RATE);
    this.reqRate = new RateCounter(this.block, PROXY_REQ_RATE);
  }
}

const PROXY = SIDE.derive();
// logCount (%lc) is one sequence for all threads, as HAProxy's fe->log_count.
const [PROXY_FE_CUR] = intFields(ProxyCounters.prototype, PROXY, ['feCur', 'beCur', 'logCount']) as [number, number, number];
floatFields(ProxyCounters.prototype, PROXY, Agg.Max, ['feMax', 'beMax'], true);
floatFields(ProxyCounters.prototype, PROXY, Agg.Sum, [
  'feTotal', 'deniedConn', 'deniedSess', 'deniedReq', 'reqErrors', 'reqTotal', 'beTotal', 'beReqTotal',
  'intercepted', 'compIn', 'compOut', 'compByp', 'compRsp', 'cacheLookups', 'cacheHits', 'beDownTransitions',
]);
const PROXY_FE_RATE = PROXY.rate();
const PROXY_BE_RATE = PROXY.rate();
const PROXY_REQ_RATE = PROXY.rate();

/** Per-server counters; the current connection count is Server.curConns. */
export class ServerCounters extends BackendSideCounters {
  declare max: number;
  declare total: number;
  declare downTransitions: number;
  /** HTTP requests sent to this server (req_tot). */
  declare reqTotal: number;
  rate!: RateCounter;

  constructor() {
    super(SERVER);
    this.bind();
  }

  protected override bind(): void {
    super.bind();
    this.rate = new RateCounter(this.block, SERVER_RATE);
  }
}

const SERVER = SIDE.derive();
floatFields(ServerCounters.prototype, SERVER, Agg.Max, ['max'], true);
floatFields(ServerCounters.prototype, SERVER, Agg.Sum, ['total', 'downTransitions', 'reqTotal']);
const SERVER_RATE = SERVER.rate();

/** Per-listener counters (the stats lines of "option socket-stats"). */
export class ListenerCounters extends SlotCounters {
  /** Connections of the listener being served now (process-wide). */
  declare cur: number;
  declare max: number;
  declare total: number;
  declare bytesIn: number;
  declare bytesOut: number;
  declare deniedConn: number;
  declare deniedSess: number;
  declare deniedReq: number;
  declare deniedResp: number;
  declare reqErrors: number;
  declare failedRewrites: number;
  declare internalErrors: number;
  /** TLS handshakes that failed, timed out or were abandoned ("bind ... ssl"). */
  declare sslHandshakeFailures: number;

  constructor() {
    super(LISTENER);
  }

  take(maxconn: number): boolean {
    return this.tryTakeInt(LISTENER_CUR, maxconn);
  }

  release(): void {
    this.releaseInt(LISTENER_CUR);
  }

  protected bind(): void {}
}

const LISTENER = new Layout();
const [LISTENER_CUR] = intFields(ListenerCounters.prototype, LISTENER, ['cur']) as [number];
floatFields(ListenerCounters.prototype, LISTENER, Agg.Max, ['max'], true);
floatFields(ListenerCounters.prototype, LISTENER, Agg.Sum, [
  'total', 'bytesIn', 'bytesOut', 'deniedConn', 'deniedSess', 'deniedReq', 'deniedResp', 'reqErrors',
  'failedRewrites', 'internalErrors', 'sslHandshakeFailures',
]);

/** Process-wide figures (show info). */
export class ProcessCounters extends SlotCounters {
  declare curConns: number;
  /** Connections held by a full listener, waiting for a slot (all threads). */
  declare held: number;
  declare cumConns: number;
  declare maxConnsSeen: number;
  /** HTTP requests received (CumReq). */
  declare cumReq: number;
  declare acceptErrors: number;
  /** Log lines dropped because a target's queue was full or its socket failed (DroppedLogs). */
  declare droppedLogs: number;
  connRate!: RateCounter;

  constructor() {
    super(PROCESS);
    this.bind();
  }

  /** A process connection slot (global maxconn), taken atomically across threads. */
  takeConn(maxconn: number): boolean {
    return this.tryTakeInt(PROCESS_CUR, maxconn);
  }

  releaseConn(): void {
    this.releaseInt(PROCESS_CUR);
  }

  /**
   * The next request number (%rt), one sequence for every thread as HAProxy's global counter
   * (an unsigned 32-bit number that wraps).
   */
  nextRequestId(): number {
    return Atomics.add(this.block.ints, PROCESS_REQ_SEQ, 1) >>> 0;
  }

  protected bind(): void {
    this.connRate = new RateCounter(this.block, PROCESS_CONN_RATE);
  }
}

const PROCESS = new Layout();
const [PROCESS_CUR] = intFields(ProcessCounters.prototype, PROCESS, ['curConns', 'held']) as [number, number];
const PROCESS_REQ_SEQ = PROCESS.ints++;
floatFields(ProcessCounters.prototype, PROCESS, Agg.Max, ['maxConnsSeen'], true);
floatFields(ProcessCounters.prototype, PROCESS, Agg.Sum, ['cumConns', 'cumReq', 'acceptErrors', 'droppedLogs']);
const PROCESS_CONN_RATE = PROCESS.rate();

export const processCounters = new ProcessCounters();
