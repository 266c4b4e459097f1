// A server at run time: address, administrative and health state, effective weight
// (slowstart), connection count and queue. Implements what the LB and fetches read.
// With several threads, each thread has its own Server object; the connection count, the
// queue length and the state (up, maintenance, drain, stopping, weight, maxconn) are shared
// ints: whichever thread changes the state publishes it, and the others apply it when their
// doorbell rings (syncShared), rebuilding their load balancing as for a local change.
import type { ConnPool } from '../protocols/http1/conn-pool.ts';
import type { ServerConn } from '../protocols/http1/server-conn.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ServerConfig } from '../config/model.ts';
import type { LbServer } from '../lb/types.ts';
import type { SampleServer } from '../sample/types.ts';
import { ServerCounters } from '../observe/counters.ts';
import { WaitQueue, type Waiter } from './queue.ts';
import { SlotBlock } from './threads/slab.ts';
import { threads } from './threads/context.ts';
import { publishState, ringOthers } from './threads/doorbell.ts';

/** The server's shared ints. */
const CUR = 0;
const QUEUED = 1;
const FLAGS = 2;
const UWEIGHT = 3;
const MAXCONN = 4;
/** Traffic outcomes other threads saw ("observe layer4"), for the main thread's check. */
const TRAFFIC_OK = 5;
const TRAFFIC_ERR = 6;
const F_UP = 1;
const F_MAINT = 2;
const F_DRAIN = 4;
const F_STOPPING = 8;

export type ServerTarget = { readonly host: string; readonly port: number; readonly offset: boolean } | { readonly path: string };

/** What a server needs from its backend (keeps the dependency one-way). */
export interface ServerOwner {
  readonly name: string;
  /** Current backend connections, for minconn/fullconn dynamic maxconn. */
  readonly beCur: number;
  readonly fullconn: number;
  /** The server's eligibility or weight changed: rebuild the LB. */
  serverChanged(s: Server): void;
}

/** Something served by a server that can be told to stop (on-marked-down shutdown-sessions). */
export interface ServerStream {
  shutdownByServerState(reason: string): void;
}

/** Passive health observation ("observe layer4"): real traffic outcomes feed the check. */
export interface TrafficObserver {
  trafficSuccess(): void;
  trafficError(): void;
}

export class Server implements LbServer, SampleServer {
  readonly cfg: ServerConfig;
  readonly name: string;
  readonly id: number;
  readonly backup: boolean;
  readonly owner: ServerOwner;
  readonly counters = new ServerCounters();
  /** Shared with the other threads: connection count, queue length, state. */
  readonly shared = new SlotBlock(7, 0);
  readonly queue = new WaitQueue<Waiter>(this.shared, QUEUED);
  readonly streams = new Set<ServerStream>();
  /** Idle HTTP connections kept for reuse (created on first use by an HTTP stream). */
  pool: ConnPool<ServerConn> | null = null;
  /**
   * "alpn h2,http/1.1" (without "proto"): whether the server chose h2 on its last TLS
   * connection, so that the next requests take that protocol at once; null until one connected.
   */
  alpnH2: boolean | null = null;
  target: ServerTarget | null = null;
  /** Set when the server has health checks with "observe layer4". */
  check: TrafficObserver | null = null;
  /** Administrative maintenance (config "disabled", CLI "disable server"). */
  maint: boolean;
  /** Administrative drain (weight 0 from the admin side). */
  drain = false;
  /** Operational state from health checks; true without checks. */
  up = true;
  /** Up but soft-stopping (HAProxy's NOLB: "set server health stopping"): no new traffic. */
  stopping = false;
  /** Runtime maxconn: the configured one until "set maxconn server". */
  maxconnLimit: number;
  /** When the server last changed between running, soft-stopping and stopped (ms), for "lastchg". */
  lastChange = Date.now();
  /** Time spent stopped (down or in maintenance) before lastChange, ms. */
  downTime = 0;
  /** User weight (config or "set weight"). */
  uweight: number;
  /** Time the server last came up, for slowstart. */
  private upSince = 0;
  private warmupTimer: NodeJS.Timeout | null = null;

  constructor(cfg: ServerConfig, owner: ServerOwner) {
    this.cfg = cfg;
    this.name = cfg.name;
    this.id = cfg.id!;
    this.backup = cfg.backup;
    this.owner = owner;
    this.maint = cfg.disabled;
    this.uweight = cfg.weight;
    this.maxconnLimit = cfg.maxconn;
    this.writeShared();
  }

  /** Connections served by this server now, on every thread. */
  get curConns(): number {
    return Atomics.load(this.shared.ints, CUR);
  }

  /** Takes a connection slot unless the server is full (atomically across threads). */
  tryTakeConn(): boolean {
    const m = this.effMaxconn;
    const before = Atomics.add(this.shared.ints, CUR, 1);
    if (m > 0 && before >= m) {
      Atomics.sub(this.shared.ints, CUR, 1);
      return false;
    }
    return true;
  }

  releaseConn(): void {
    Atomics.sub(this.shared.ints, CUR, 1);
  }

  private writeShared(): void {
    const ints = this.shared.ints;
    const f = (this.up ? F_UP : 0) | (this.maint ? F_MAINT : 0) | (this.drain ? F_DRAIN : 0) | (this.stopping ? F_STOPPING : 0);
    Atomics.store(ints, FLAGS, f);
    Atomics.store(ints, UWEIGHT, this.uweight);
    Atomics.store(ints, MAXCONN, this.maxconnLimit);
  }

  /** A state change of this thread: the other threads apply it when rung. */
  private publish(): void {
    if (threads.applyingRemote) return;
    this.writeShared();
    publishState();
  }

  /**
   * "observe layer4" on a thread without the health check (threads 2..N): outcomes are counted
   * in shared ints for the main thread's check (forwardTraffic()).
   */
  observeForMainThread(): void {
    const ints = (): Int32Array => this.shared.ints;
    const report = (i: number): void => {
      Atomics.add(ints(), i, 1);
      ringOthers();
    };
    this.check = { trafficSuccess: () => report(TRAFFIC_OK), trafficError: () => report(TRAFFIC_ERR) };
  }

  /** Main thread: feeds the outcomes other threads counted to the check, successes first. */
  forwardTraffic(): void {
    const check = this.check;
    if (!check) return;
    const ints = this.shared.ints;
    for (let n = Atomics.exchange(ints, TRAFFIC_OK, 0); n > 0; n--) check.trafficSuccess();
    for (let n = Atomics.exchange(ints, TRAFFIC_ERR, 0); n > 0; n--) check.trafficError();
  }

  /** Applies the state another thread published (with threads.applyingRemote set); true when the server just came up. */
  syncShared(): boolean {
    const ints = this.shared.ints;
    const f = Atomics.load(ints, FLAGS);
    const w = Atomics.load(ints, UWEIGHT);
    const m = Atomics.load(ints, MAXCONN);
    const wasUp = this.isUp;
    if (w !== this.uweight) this.setWeight(w);
    if (m !== this.maxconnLimit) this.setMaxconn(m);
    this.setMaint((f & F_MAINT) !== 0);
    this.setDrain((f & F_DRAIN) !== 0);
    this.setOpState((f & F_UP) === 0 ? 'down' : (f & F_STOPPING) !== 0 ? 'stopping' : 'up');
    // on-marked-down shutdown-sessions: the thread that saw the check fail closes only its own streams.
    if (wasUp && !this.isUp && this.cfg.onMarkedDown === 'shutdown-sessions') {
      for (const st of [...this.streams]) st.shutdownByServerState('server down');
    }
    return !wasUp && this.isUp;
  }

  /** Resolves the address as init-addr says; returns an error text when nothing works. */
  async resolve(): Promise<string | null> {
    const a = this.cfg.addr!;
    if (a.kind === 'unix') {
      this.target = { path: a.abstract ? `\0${a.path}` : a.path };
      return null;
    }
    if (a.kind === 'fd') return `server ${this.owner.name}/${this.name}: 'fd@' is not a valid server address`;
    const offset = a.portOffset === true || a.port === 0;
    if (a.kind !== 'fqdn') {
      this.target = { host: a.host, port: a.port, offset };
      return null;
    }
    for (const m of this.cfg.initAddr) {
      if (m === 'last') continue; // needs a server-state file, which Turnpike does not load
      if (m === 'none') {
        this.maint = true;
        this.writeShared();
        this.target = { host: '0.0.0.0', port: a.port, offset };
        return null;
      }
      if (m === 'libc') {
        try {
          const r = await lookup(a.host);
          this.target = { host: r.address, port: a.port, offset };
          return null;
        } catch {
          continue;
        }
      }
      if (isIP(m.ip)) {
        this.target = { host: m.ip, port: a.port, offset };
        return null;
      }
    }
    return `could not resolve address '${a.host}'.`;
  }

  /** Usable for new traffic: up, not in maintenance, weight > 0 and not draining. */
  get eligible(): boolean {
    return this.up && !this.stopping && !this.maint && !this.drain && this.eweight > 0;
  }

  /** Up and not in maintenance (what srv_is_up() and nbsrv() count). */
  get isUp(): boolean {
    return this.up && !this.maint;
  }

  get eweight(): number {
    const ss = this.cfg.slowstart;
    if (ss === 0 || this.upSince === 0) return this.uweight;
    const elapsed = Date.now() - this.upSince;
    if (elapsed >= ss) return this.uweight;
    // HAProxy ramps from 1/20th up: never 0 for a non-zero weight, so the server gets some traffic.
    return Math.max(this.uweight > 0 ? 1 : 0, Math.ceil((this.uweight * Math.max(elapsed, ss / 20)) / ss));
  }

  /** Dynamic maxconn: minconn..maxconn scaled by backend load relative to fullconn. */
  get effMaxconn(): number {
    const max = this.maxconnLimit;
    if (max === 0 || this.cfg.minconn === 0 || this.owner.fullconn === 0) return max;
    const dyn = Math.ceil((max * this.owner.beCur) / this.owner.fullconn);
    return Math.min(max, Math.max(this.cfg.minconn, dyn));
  }

  get isFull(): boolean {
    const m = this.effMaxconn;
    return m > 0 && this.curConns >= m;
  }

  get queued(): number {
    return this.queue.globalLength;
  }

  get maxconn(): number {
    return this.maxconnLimit;
  }

  /** In slowstart: the effective weight still ramps up. */
  get warmingUp(): boolean {
    return this.upSince !== 0;
  }

  /** Stopped as HAProxy's stats count it: down or in maintenance. */
  get stopped(): boolean {
    return !this.up || this.maint;
  }

  /** Total time spent stopped, ms (including the current stop). */
  downTimeAt(now: number): number {
    return this.stopped ? this.downTime + now - this.lastChange : this.downTime;
  }

  /** Records a change of the running/stopping/stopped state, for lastchg and downtime. */
  private stateChanged(wasStopped: boolean): void {
    const now = Date.now();
    if (wasStopped && !this.stopped) this.downTime += now - this.lastChange;
    this.lastChange = now;
  }

  get maxqueue(): number {
    return this.cfg.maxqueue;
  }

  /** Health transition: starts slowstart when coming back up. */
  setUp(up: boolean): void {
    this.setOpState(up ? 'up' : 'down');
  }

  /** Operational state: running, soft-stopping (up but no new traffic) or down. */
  setOpState(state: 'up' | 'stopping' | 'down'): void {
    const up = state !== 'down';
    const stopping = state === 'stopping';
    if (this.up === up && this.stopping === stopping) return;
    const wasStopped = this.stopped;
    this.stopping = stopping;
    if (this.up === up) {
      if (!wasStopped) this.stateChanged(wasStopped);
      this.publish();
      this.owner.serverChanged(this);
      return;
    }
    this.up = up;
    if (!this.maint) this.stateChanged(wasStopped);
    if (!up && !wasStopped && !threads.applyingRemote) this.counters.downTransitions++;
    if (!up) this.pool?.closeAll();
    if (up) this.startWarmup();
    else this.stopWarmup();
    this.publish();
    this.owner.serverChanged(this);
  }

  setMaint(maint: boolean): void {
    if (this.maint === maint) return;
    const wasStopped = this.stopped;
    this.maint = maint;
    if (this.stopped !== wasStopped) this.stateChanged(wasStopped);
    if (maint && !wasStopped && !threads.applyingRemote) this.counters.downTransitions++;
    if (maint) this.pool?.closeAll();
    else this.startWarmup();
    this.publish();
    this.owner.serverChanged(this);
  }

  setDrain(drain: boolean): void {
    if (this.drain === drain) return;
    this.drain = drain;
    this.publish();
    this.owner.serverChanged(this);
  }

  setMaxconn(n: number): void {
    this.maxconnLimit = n;
    this.publish();
    this.owner.serverChanged(this);
  }

  setWeight(w: number): void {
    this.uweight = w;
    this.publish();
    this.owner.serverChanged(this);
  }

  private startWarmup(): void {
    const ss = this.cfg.slowstart;
    if (ss === 0) return;
    this.upSince = Date.now();
    this.stopWarmup();
    // Weights change in steps; the LB is rebuilt at each step as HAProxy's server_warmup task.
    const step = Math.max(100, Math.floor(ss / 20));
    this.warmupTimer = setInterval(() => {
      if (Date.now() - this.upSince >= ss) {
        this.upSince = 0;
        this.stopWarmup();
      }
      this.owner.serverChanged(this);
    }, step);
    this.warmupTimer.unref();
  }

  private stopWarmup(): void {
    if (this.warmupTimer) clearInterval(this.warmupTimer);
    this.warmupTimer = null;
  }

  stop(): void {
    this.stopWarmup();
    this.pool?.closeAll();
  }
}
