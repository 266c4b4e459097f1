// The running process: proxies, listeners and streams built from a validated Config.
// Enforces global, frontend and listener maxconn at accept time, and implements the stop,
// pause and resume operations that signals and the CLI trigger.
// With nbthread > 1 every thread runs one Runtime built from the same configuration
// (src/runtime/threads/): connection slots are taken atomically on shared counts, and the
// main thread alone runs health checks, the CLI and the UNIX/fd@ listeners.
import type { Conn } from '../protocols/tcp/conn.ts';
import type { Config } from '../config/model.ts';
import type { SampleProxy } from '../sample/types.ts';
import { processCounters } from '../observe/counters.ts';
import { Proxy } from './proxy.ts';
import { Listener, type ListenerHost } from './listener.ts';
import { Stream } from './stream.ts';
import { HttpStream, type HttpStreamHost } from './http-stream.ts';
import { H2Session, type H2Handover } from './h2-session.ts';
import { h2Settings, type H2Settings } from '../protocols/http2/settings.ts';
import type { HttpRequest } from '../protocols/http1/message.ts';
import type { CaseAdjust } from '../protocols/http1/serialize.ts';
import type { HttpReply } from '../actions/http-rule-target.ts';
import type { SampleStream, SampleUserlist } from '../sample/types.ts';
import type { StatsConfig } from '../config/model.ts';
import { handleStatsRequest } from '../observe/stats/page.ts';
import { prometheusReply } from '../observe/prometheus/exporter.ts';
import type { ServiceName } from '../actions/http/service.ts';
import { shutdownBackupSessions, startServerChecks, stopServerChecks } from './server-health.ts';
import { events } from './events.ts';
import { CliServer } from '../observe/cli/server.ts';
import type { SlotBlock } from './threads/slab.ts';
import { isMainThread, threads } from './threads/context.ts';
import { maxsock } from '../cli/fd-limit.ts';
import { ringOthers } from './threads/doorbell.ts';
import type { FrontendOp } from './frontend-admin.ts';
import type { IdleConnRow, SessionRow } from './threads/messages.ts';

/** HAProxy derives maxconn from the fd limit: each proxied connection needs two descriptors. */
export function defaultMaxconn(fdLimit: number, reserved: number): number {
  return Math.max(1, Math.floor((fdLimit - reserved) / 2));
}

export class Runtime implements HttpStreamHost, ListenerHost {
  readonly config: Config;
  readonly proxies: Proxy[];
  readonly listeners: Listener[] = [];
  readonly streams = new Set<Stream | HttpStream | H2Session>();
  readonly bufsize: number;
  readonly h2Settings: H2Settings;
  readonly caseAdjust: CaseAdjust | null;
  /** Global maxconn; "set maxconn global" changes it within hardMaxconn. */
  maxconn: number;
  /** With nbthread: passes a CLI change of frontends or limits on to the other threads. */
  relay: ((o: FrontendOp) => void) | null = null;
  /** With nbthread: the other threads' connections, for "show sess" and "shutdown session". */
  peers: {
    sessions(): Promise<SessionRow[]>;
    shutdownSession(id: number): Promise<boolean>;
    idleConns(): Promise<Map<number, readonly IdleConnRow[]>>;
  } | null = null;
  readonly hardMaxconn: number;
  readonly startedAt = Date.now();
  /** File descriptors available (ulimit-n), for "show info". */
  readonly fdLimit: number;
  /** HAProxy's maxsock: the descriptors this configuration may need ("show info" Maxsock). */
  readonly maxsock: number;
  stopping = false;
  paused = false;
  private readonly byName = new Map<string, Proxy>();
  private readonly backendsByName = new Map<string, Proxy>();
  private nextHeld = 0;
  /** Keeps the process alive while paused: with no listener and no check, Node would exit. */
  private pauseKeepAlive: NodeJS.Timeout | null = null;
  private onIdle: (() => void) | null = null;
  /** The "stats socket" listeners (HAProxy's CLI). */
  private readonly cli = new CliServer(this);

  constructor(config: Config, fdLimit: number) {
    this.config = config;
    this.fdLimit = fdLimit;
    this.bufsize = config.global.bufsize;
    this.h2Settings = h2Settings(config.global.h2, this.bufsize);
    this.caseAdjust = config.global.caseAdjust.size > 0 ? { map: config.global.caseAdjust } : null;
    this.proxies = config.proxies.filter((p) => !p.disabled).map((p) => new Proxy(p));
    for (const p of this.proxies) {
      if (!this.byName.has(p.name) || p.cfg.isFrontend) this.byName.set(p.name, p);
      if (p.backend) this.backendsByName.set(p.name, p);
    }
    let binds = 0;
    for (const p of this.proxies) binds += p.cfg.binds.length;
    this.maxconn = config.global.maxconn || defaultMaxconn(fdLimit, 20 + binds);
    this.hardMaxconn = this.maxconn;
    this.maxsock = maxsock(config, this.maxconn, threads.count);
    for (const p of this.proxies) {
      p.resolveSwitching((n) => this.backendsByName.get(n));
      if (p.backend && !p.backend.fullconn) p.backend.fullconn = this.defaultFullconn(p);
      for (const b of p.cfg.binds) {
        const l = new Listener(b, p, this, this.maxconn);
        p.listeners.push(l);
        this.listeners.push(l);
      }
    }
  }

  /** HAProxy's default fullconn: 10 % of the sum of the maxconn of the frontends reaching it. */
  private defaultFullconn(be: Proxy): number {
    let sum = 0;
    for (const fe of this.proxies) {
      if (!fe.cfg.isFrontend) continue;
      const reaches = fe === be || fe.defaultBackend === be || fe.switching.some((r) => r.target === be || r.dynamic !== null);
      if (reaches) sum += fe.maxconn || this.maxconn;
    }
    return Math.max(1, Math.ceil(sum / 10));
  }

  /** Every shared block of the runtime, in the same order on every thread (threads/slab.ts). */
  slotBlocks(): SlotBlock[] {
    const blocks: SlotBlock[] = [processCounters.block];
    for (const p of this.proxies) {
      blocks.push(p.counters.block);
      if (!p.backend) continue;
      blocks.push(p.backend.shared);
      for (const s of p.backend.servers) blocks.push(s.counters.block, s.shared);
    }
    for (const l of this.listeners) blocks.push(l.counters.block);
    return blocks;
  }

  /**
   * Rung by another thread: applies the server states it published, gives freed server slots
   * to this thread's queued streams and freed connection slots to its held connections.
   */
  onDoorbell(stateChanged: boolean): void {
    if (stateChanged) {
      threads.applyingRemote = true;
      try {
        // A server another thread saw come back ends this thread's backup sessions too (on-marked-up).
        for (const p of this.proxies) for (const s of p.backend?.servers ?? []) if (s.syncShared()) shutdownBackupSessions(p.backend!, s);
      } finally {
        threads.applyingRemote = false;
      }
    }
    for (const p of this.proxies) {
      if (!p.backend) continue;
      if (isMainThread()) for (const s of p.backend.servers) s.forwardTraffic();
      p.backend.dispatchAll();
    }
    this.startHeld();
  }

  /**
   * Resolves server addresses, binds the listeners of this thread and, on the main thread,
   * starts the CLI and health checks.
   */
  async start(): Promise<string[]> {
    const errors: string[] = [];
    for (const p of this.proxies) {
      for (const s of p.backend?.servers ?? []) {
        const err = await s.resolve();
        if (err) errors.push(`config : ${p.cfg.kind} '${p.name}' : could not resolve address of server '${s.name}': ${err}`);
      }
    }
    if (errors.length) return errors;
    for (const l of this.listeners) {
      if (!l.onThisThread) continue;
      const err = await l.listen();
      if (err) errors.push(err);
    }
    if (isMainThread()) errors.push(...(await this.cli.start()));
    if (errors.length) {
      for (const l of this.listeners) l.close();
      this.cli.close();
      return errors;
    }
    for (const p of this.proxies) {
      if (!p.backend) continue;
      if (isMainThread()) startServerChecks(p.backend, this.config.global.spreadChecks, this.bufsize);
      else for (const s of p.backend.servers) if (s.cfg.check.enabled && s.cfg.observe === 'layer4') s.observeForMainThread();
    }
    return errors;
  }

  // ---- SampleWorld / StreamHost ----

  proxy(name: string): SampleProxy | undefined {
    return this.byName.get(name) ?? this.backendsByName.get(name);
  }

  env(name: string): string | undefined {
    return process.env[name];
  }

  userlist(name: string): SampleUserlist | undefined {
    return this.config.userlists.find((u) => u.name === name);
  }

  statsReply(px: Proxy, stats: StatsConfig, req: HttpRequest, body: Buffer | null, s: SampleStream): HttpReply {
    return handleStatsRequest(this, px, stats, req, body, s);
  }

  serviceReply(name: ServiceName, req: HttpRequest): HttpReply {
    switch (name) {
      case 'prometheus-exporter': return prometheusReply(this, req);
    }
  }

  findBackend(name: string): Proxy | undefined {
    return this.backendsByName.get(name);
  }

  // ---- accept control ----

  private get hasRoom(): boolean {
    return processCounters.curConns < this.maxconn;
  }

  accept(l: Listener, sock: Conn): void {
    if (l.held.length === 0 && this.admit(l)) this.startStream(l, sock);
    else l.hold(sock);
  }

  /** Takes a global, a frontend and a listener slot, all or none (atomically across threads). */
  private admit(l: Listener): boolean {
    const fe = l.proxy;
    if (fe.stopped || fe.paused) return false;
    if (!processCounters.takeConn(this.maxconn)) return false;
    if (!fe.counters.takeFe(fe.maxconn)) {
      processCounters.releaseConn();
      return false;
    }
    if (!l.counters.take(l.bind.maxconn)) {
      fe.counters.releaseFe();
      processCounters.releaseConn();
      return false;
    }
    return true;
  }

  /** Starts a stream whose slots admit() took. */
  private startStream(l: Listener, sock: Conn): void {
    const fe = l.proxy;
    l.counters.total++;
    if (l.cur > l.counters.max) l.counters.max = l.cur;
    fe.counters.feTotal++;
    const feCur = fe.counters.feCur;
    if (feCur > fe.counters.feMax) fe.counters.feMax = feCur;
    const now = Date.now();
    fe.counters.feRate.hit(now);
    processCounters.cumConns++;
    processCounters.connRate.hit(now);
    const cur = processCounters.curConns;
    if (cur > processCounters.maxConnsSeen) processCounters.maxConnsSeen = cur;
    const s = fe.mode === 'http' ? new HttpStream(this, fe, l, sock) : new Stream(this, fe, l, sock);
    this.streams.add(s);
    s.start();
  }

  /** An HTTP connection continues as HTTP/2: same connection slot, new object. */
  startH2(from: H2Handover, pending: Buffer): void {
    this.streams.delete(from as HttpStream);
    const s = new H2Session(from);
    this.streams.add(s);
    s.start(pending);
  }

  streamEnded(s: Stream | HttpStream | H2Session): void {
    if (!this.streams.delete(s)) return;
    s.listener.counters.release();
    s.frontend.counters.releaseFe();
    processCounters.releaseConn();
    this.startHeld();
    // Another thread holds connections this slot may be for.
    if (threads.count > 1 && processCounters.held > this.heldHere() && this.hasRoom) ringOthers();
    if (this.streams.size === 0) this.onIdle?.();
  }

  /** A maxconn was raised (CLI): connections waiting for a slot may start now. */
  limitsChanged(): void {
    this.startHeld();
  }

  private heldHere(): number {
    let n = 0;
    for (const l of this.listeners) n += l.held.length;
    return n;
  }

  /** Starts held connections while slots are free, visiting listeners in turn for fairness. */
  private startHeld(): void {
    const n = this.listeners.length;
    let idle = 0;
    while (this.hasRoom && idle < n) {
      const l = this.listeners[this.nextHeld++ % n]!;
      if (l.held.length === 0 || !this.admit(l)) {
        idle++;
        continue;
      }
      idle = 0;
      this.startStream(l, l.unhold()!);
    }
  }

  // ---- lifecycle operations ----

  /** SIGUSR1: stop accepting (after each proxy's grace), finish current streams, then call `done`. */
  softStop(done: () => void): void {
    if (this.stopping) return;
    this.stopping = true;
    const grace = this.config.global.grace;
    const stopListeners = (): void => {
      for (const p of this.proxies) {
        for (const l of p.listeners) l.close();
        if (p.cfg.isFrontend) {
          p.stopped = true;
          // Said once for the process, with every thread's connections.
          if (isMainThread()) {
            const c = p.counters.aggregate();
            events.proxyStopped(p.cfg, c.feTotal, c.beTotal);
          }
        }
      }
      this.finishWhenIdle(done);
    };
    if (grace > 0) setTimeout(stopListeners, grace).unref();
    else stopListeners();
  }

  private finishWhenIdle(done: () => void): void {
    const check = (): void => {
      const held = this.listeners.some((l) => l.held.length > 0);
      if (this.streams.size === 0 && !held) {
        this.onIdle = null;
        this.shutdown();
        done();
      }
    };
    this.onIdle = check;
    check();
  }

  /** SIGTERM/SIGINT: close everything now. */
  hardStop(): void {
    this.stopping = true;
    for (const l of this.listeners) {
      l.close();
      l.dropHeld();
    }
    for (const s of [...this.streams]) s.close('K', 'D');
    this.shutdown();
  }

  private clearPauseKeepAlive(): void {
    if (this.pauseKeepAlive) clearInterval(this.pauseKeepAlive);
    this.pauseKeepAlive = null;
  }

  private shutdown(): void {
    this.clearPauseKeepAlive();
    this.cli.close();
    for (const p of this.proxies) {
      if (p.backend) {
        stopServerChecks(p.backend);
        p.backend.stop();
      }
    }
  }

  /** SIGTTOU: stop listening (so that another process can take the ports). */
  pause(): void {
    if (this.paused || this.stopping) return;
    this.paused = true;
    this.pauseKeepAlive = setInterval(() => {}, 3_600_000);
    for (const l of this.listeners) l.close();
    events.warning('Paused all listeners (SIGTTOU).');
  }

  /** SIGTTIN: listen again. */
  async resume(): Promise<void> {
    if (!this.paused || this.stopping) return;
    this.paused = false;
    this.clearPauseKeepAlive();
    for (const l of this.listeners) {
      if (!l.onThisThread) continue;
      const err = await l.listen();
      if (err) events.alert(err);
    }
    events.warning('Resumed all listeners (SIGTTIN).');
  }
}
