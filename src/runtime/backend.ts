// A backend at run time: its servers, the load-balancing algorithm over the eligible ones,
// and the queue of streams waiting for a slot (HAProxy's backend.c + queue.c).
// With several threads, slots are taken atomically on the shared counts, and a thread that
// frees a slot it cannot use itself rings the threads that have streams waiting for it.
import type { ProxyConfig } from '../config/model.ts';
import type { LbAlgorithm } from '../lb/types.ts';
import { createLbAlgorithm } from '../lb/index.ts';
import type { ProxyCounters } from '../observe/counters.ts';
import { WaitQueue, type Waiter } from './queue.ts';
import { Server, type ServerOwner } from './server.ts';
import { events } from './events.ts';
import { SlotBlock } from './threads/slab.ts';
import { threads } from './threads/context.ts';
import { ringOthers } from './threads/doorbell.ts';

/** A stream waiting for a server; `grant` hands it a server whose slot is already taken. */
export interface BackendWaiter extends Waiter {
  grant(server: Server): void;
}

export type Assignment = Server | 'queued' | 'no-server' | 'queue-full';

export class Backend implements ServerOwner {
  readonly name: string;
  readonly cfg: ProxyConfig;
  readonly servers: Server[];
  readonly byName = new Map<string, Server>();
  /** Shared with the other threads: the backend queue's length, the round-robin ticket. */
  readonly shared = new SlotBlock(2, 0);
  readonly queue = new WaitQueue<BackendWaiter>(this.shared, 0);
  readonly lb: LbAlgorithm;
  readonly counters: ProxyCounters;
  /** Fullconn as configured, or HAProxy's default: 10 % of the maxconn of frontends using it. */
  fullconn: number;
  /** When the backend last lost or regained its usable servers (ms), and its time without any. */
  lastChange = Date.now();
  downTime = 0;
  private eligible: Server[] = [];
  private hadServer = true;

  constructor(cfg: ProxyConfig, counters: ProxyCounters) {
    this.name = cfg.name;
    this.cfg = cfg;
    this.counters = counters;
    this.lb = createLbAlgorithm(cfg.balance, cfg.hashType, cfg.hashBalanceFactor, threads.count > 1 ? { block: this.shared, index: 1 } : null);
    this.servers = cfg.servers.map((s) => new Server(s, this));
    for (const s of this.servers) this.byName.set(s.name, s);
    this.fullconn = cfg.fullconn;
    this.rebuild();
  }

  get beCur(): number {
    return this.counters.beCur;
  }

  /** Active eligible servers, else backups (all with "option allbackups", else the first one). */
  private rebuild(): void {
    const list: Server[] = [];
    for (const s of this.servers) if (!s.backup && s.eligible) list.push(s);
    if (list.length === 0) {
      for (const s of this.servers) {
        if (s.backup && s.eligible) {
          list.push(s);
          if (!this.cfg.option('allbackups')) break;
        }
      }
    }
    this.eligible = list;
    this.lb.rebuild(list);
  }

  serverChanged(s: Server): void {
    this.rebuild();
    if (s.eligible) this.dispatchQueued(s);
    else if (!s.isUp) this.requeue(s);
    const has = this.eligible.length > 0;
    if (has !== this.hadServer) {
      const now = Date.now();
      if (has) this.downTime += now - this.lastChange;
      else if (!threads.applyingRemote) this.counters.beDownTransitions++;
      this.lastChange = now;
    }
    if (!has && this.hadServer && !threads.applyingRemote) events.noServer(this);
    this.hadServer = has;
  }

  get activeCount(): number {
    let n = 0;
    for (const s of this.servers) if (!s.backup && s.isUp) n++;
    return n;
  }

  get backupCount(): number {
    let n = 0;
    for (const s of this.servers) if (s.backup && s.isUp) n++;
    return n;
  }

  /** Usable servers count as nbsrv() sees it. */
  get usableCount(): number {
    return this.eligible.length;
  }

  /** The servers load balancing uses now (active ones, else backups). */
  get usable(): readonly Server[] {
    return this.eligible;
  }

  /** Total time without any usable server, ms (including the current outage). */
  downTimeAt(now: number): number {
    return this.hadServer ? this.downTime : this.downTime + now - this.lastChange;
  }

  /** HAProxy's static algorithms cannot change a weight at run time, only set it to 0 or back. */
  get staticWeights(): boolean {
    return this.cfg.balance.algo === 'static-rr' || (this.lb.needsKey && this.cfg.hashType.method === 'map-based');
  }

  /**
   * Finds a server for a new stream and takes a slot on it, or tells why not. `waiter` is queued
   * (with a slot granted later) when every eligible server is full.
   */
  assign(key: Buffer | string | null, avoid: Server | null, waiter: BackendWaiter): Assignment {
    if (this.eligible.length === 0) return 'no-server';
    // FIFO fairness: while others (of any thread) wait, newcomers queue behind them.
    if (this.queue.globalLength === 0) {
      const s = this.lb.pick(key, avoid) as Server | null;
      if (s) {
        if (this.tryTake(s)) return s;
        // Hash-based choices are deterministic: wait for that server, as HAProxy's server queues.
        if (this.lb.needsKey) {
          return this.queueOn(s, waiter);
        }
      }
    }
    this.queue.push(waiter);
    const n = this.queue.globalLength;
    if (n > this.counters.queueMax) this.counters.queueMax = n;
    // Queued behind other threads' waiters: a slot free now goes to them, else to ours.
    if (threads.count > 1 && !this.wakeOthersIfRoom()) this.dispatchAll();
    return 'queued';
  }

  /** A stream must go to `s` (persistence cookie): a slot on it now, or a place in its queue. */
  assignTo(s: Server, waiter: BackendWaiter): Assignment {
    if (this.tryTake(s)) return s;
    return this.queueOn(s, waiter);
  }

  private queueOn(s: Server, waiter: BackendWaiter): Assignment {
    if (s.cfg.maxqueue > 0 && s.queue.globalLength >= s.cfg.maxqueue) return 'queue-full';
    s.queue.push(waiter);
    const n = s.queue.globalLength;
    if (n > s.counters.queueMax) s.counters.queueMax = n;
    return 'queued';
  }

  /** Takes a slot on `s` unless it is full. */
  private tryTake(s: Server): boolean {
    if (!s.tryTakeConn()) return false;
    const cur = s.curConns;
    if (cur > s.counters.max) s.counters.max = cur;
    s.counters.total++;
    s.counters.lbTotal++;
    const now = Date.now();
    s.counters.rate.hit(now);
    s.counters.lastSess = now;
    this.counters.lbTotal++;
    this.counters.lastSess = now;
    this.lb.connChanged?.(s);
    return true;
  }

  /** A stream left its server: the slot goes to the next waiter, of this thread or another. */
  release(s: Server): void {
    s.releaseConn();
    this.lb.connChanged?.(s);
    this.dispatchQueued(s);
    if (threads.count > 1) this.wakeOthersIfRoom();
  }

  /** Hands free slots of `s` to this thread's waiters: its own queue first, then the backend's. */
  private dispatchQueued(s: Server): void {
    // Live waiters are counted: when a queue has some, shift() returns one.
    while (s.eligible && (s.queue.length > 0 || this.queue.length > 0)) {
      if (!this.tryTake(s)) return;
      (s.queue.shift() ?? this.queue.shift())!.grant(s);
    }
  }

  /** Rung by another thread: slots may have freed for this thread's waiters. */
  dispatchAll(): void {
    for (const s of this.eligible) this.dispatchQueued(s);
    if (threads.count > 1) this.wakeOthersIfRoom();
  }

  /**
   * When a usable server has room while other threads have streams waiting for it (its queue
   * or the backend's), rings them (this thread has nobody left to give the slot to).
   */
  private wakeOthersIfRoom(): boolean {
    const othersBackend = this.queue.globalLength - this.queue.length;
    for (const s of this.eligible) {
      if (s.isFull) continue;
      if (othersBackend > 0 || s.queue.globalLength > s.queue.length) {
        ringOthers();
        return true;
      }
    }
    return false;
  }

  /** A server went down: its queued streams (of this thread) move to the backend queue to be redispatched. */
  private requeue(s: Server): void {
    for (const w of s.queue.drain()) this.queue.push(w as BackendWaiter);
    for (const other of this.eligible) this.dispatchQueued(other);
  }

  stop(): void {
    for (const s of this.servers) s.stop();
  }
}
