// A server at run time: address, administrative and health state, effective weight
// (slowstart), connection count and queue. Implements what the LB and fetches read.
import type { ConnPool } from '../protocols/http1/server-conn.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ServerConfig } from '../config/model.ts';
import type { LbServer } from '../lb/types.ts';
import type { SampleServer } from '../sample/types.ts';
import { ServerCounters } from '../observe/counters.ts';
import { WaitQueue, type Waiter } from './queue.ts';

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
  readonly queue = new WaitQueue<Waiter>();
  readonly streams = new Set<ServerStream>();
  /** Idle HTTP connections kept for reuse (created on first use by an HTTP stream). */
  pool: ConnPool | null = null;
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
  curConns = 0;
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
    return this.queue.length;
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
      this.owner.serverChanged(this);
      return;
    }
    this.up = up;
    if (!this.maint) this.stateChanged(wasStopped);
    if (!up && !wasStopped) this.counters.downTransitions++;
    if (!up) this.pool?.closeAll();
    if (up) this.startWarmup();
    else this.stopWarmup();
    this.owner.serverChanged(this);
  }

  setMaint(maint: boolean): void {
    if (this.maint === maint) return;
    const wasStopped = this.stopped;
    this.maint = maint;
    if (this.stopped !== wasStopped) this.stateChanged(wasStopped);
    if (maint && !wasStopped) this.counters.downTransitions++;
    if (maint) this.pool?.closeAll();
    else this.startWarmup();
    this.owner.serverChanged(this);
  }

  setDrain(drain: boolean): void {
    if (this.drain === drain) return;
    this.drain = drain;
    this.owner.serverChanged(this);
  }

  setMaxconn(n: number): void {
    this.maxconnLimit = n;
    this.owner.serverChanged(this);
  }

  setWeight(w: number): void {
    this.uweight = w;
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
