// A proxy at run time: the frontend side (listeners, rules, backend switching) and, for
// backends and listens, the backend side. Implements the view fetches read.
import type { ProxyConfig, UseBackendRule, LogFormatLike } from '../config/model.ts';
import type { Condition, SampleProxy, SampleServer } from '../sample/types.ts';
import { ProxyCounters } from '../observe/counters.ts';
import { Backend } from './backend.ts';
import type { Listener } from './listener.ts';
import type { H1Options } from '../protocols/http1/parser.ts';

export interface SwitchingRule {
  readonly cond: Condition | null;
  /** Resolved at start for fixed names; null for dynamic ones. */
  readonly target: Proxy | null;
  readonly dynamic: LogFormatLike | null;
}

export class Proxy implements SampleProxy {
  readonly cfg: ProxyConfig;
  readonly name: string;
  readonly id: number;
  readonly mode: 'tcp' | 'http';
  readonly counters = new ProxyCounters();
  readonly backend: Backend | null;
  readonly listeners: Listener[] = [];
  switching: SwitchingRule[] = [];
  defaultBackend: Proxy | null = null;
  /** Effective frontend maxconn (0 = only the global limit applies). */
  maxconn: number;
  /** Accepting stopped for good: soft-stop or "shutdown frontend". */
  stopped = false;
  /** "disable frontend": listeners closed until "enable frontend". */
  paused = false;
  /** How HTTP/1 requests (frontend) and its servers' responses (backend) are parsed; set on first use from the settings fixed at load. */
  h1RequestOptions: H1Options | null = null;
  h1ResponseOptions: H1Options | null = null;

  constructor(cfg: ProxyConfig) {
    this.cfg = cfg;
    this.name = cfg.name;
    this.id = cfg.id!;
    this.mode = cfg.mode;
    this.maxconn = cfg.maxconn;
    this.backend = cfg.isBackend ? new Backend(cfg, this.counters) : null;
  }

  /** Resolves backend names once, at start (switching rules are checked at load). */
  resolveSwitching(find: (name: string) => Proxy | undefined): void {
    this.switching = this.cfg.useBackends.map((r: UseBackendRule) => ({
      cond: r.cond,
      target: r.dynamic ? null : find(r.name) ?? null,
      dynamic: r.dynamic,
    }));
    const d = this.cfg.defaultBackend;
    this.defaultBackend = d ? find(d.name) ?? null : null;
  }

  get feConn(): number {
    return this.counters.feCur;
  }

  get beConn(): number {
    return this.counters.beCur;
  }

  get queued(): number {
    if (!this.backend) return 0;
    let n = this.backend.queue.globalLength;
    for (const s of this.backend.servers) n += s.queue.globalLength;
    return n;
  }

  get servers(): readonly SampleServer[] {
    return this.backend?.servers ?? [];
  }

  server(name: string): SampleServer | undefined {
    return this.backend?.byName.get(name);
  }

  /** True when the frontend may take one more connection. */
  get hasRoom(): boolean {
    return !this.stopped && !this.paused && (this.maxconn === 0 || this.counters.feCur < this.maxconn);
  }
}
