// The text exposition format (version 0.0.4) of the exporter's metrics, in HAProxy's order:
// process, frontends, listeners, backends, servers; within a scope metric by metric, each
// over every object, with its HELP and TYPE lines before its first sample.
import type { Runtime } from '../../runtime/runtime.ts';
import { cliStats } from '../cli/sessions.ts';
import { F } from '../stats/field-names.ts';
import { infoFields } from '../stats/info.ts';
import { backendLine, frontendLine, listenerLine, serverLine, type StatsContext } from '../stats/rows.ts';
import {
  BACKEND_METRICS, FRONTEND_METRICS, LISTENER_METRICS, PROCESS_METRICS, SERVER_METRICS,
  type Metric, type SampleSink, type StatObject,
} from './metrics.ts';

/** The "scope" values of the query string, as bits. */
export const Scope = { Global: 1, Frontend: 2, Listener: 4, Backend: 8, Server: 16, StickTable: 32 } as const;
export const ALL_SCOPES = 63;

export interface MetricsQuery {
  /** Scope bits to dump. */
  readonly scopes: number;
  /** "no-maint": leave out servers in maintenance. */
  readonly noMaint: boolean;
}

/** Label values escaped as the exposition format wants (HAProxy's names never need it). */
function labelValue(v: string): string {
  return /["\\\n]/.test(v) ? v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : v;
}

class Exposition implements SampleSink {
  text = '';
  private name = '';
  private header = '';
  private labels = '';
  private lastHeader = '';

  /** Writes `m`'s samples for each object; `labels[i]` are the labels of `objects[i]`. */
  dump<T>(prefix: string, m: Metric<T>, objects: readonly T[], labels: readonly string[]): void {
    this.name = prefix + m.name;
    this.header = `# HELP ${this.name} ${m.help}\n# TYPE ${this.name} ${m.type}\n`;
    for (let i = 0; i < objects.length; i++) {
      this.labels = labels[i]!;
      m.samples(objects[i]!, this);
    }
  }

  sample(labels: string, value: string): void {
    // Metrics sharing a name (the hrsp_* codes) follow each other and share one header.
    if (this.name !== this.lastHeader) {
      this.text += this.header;
      this.lastHeader = this.name;
    }
    const all = this.labels && labels ? `${this.labels},${labels}` : this.labels || labels;
    this.text += all ? `${this.name}{${all}} ${value}\n` : `${this.name} ${value}\n`;
  }
}

function dumpAll<T>(out: Exposition, prefix: string, metrics: readonly Metric<T>[], objects: readonly T[], labels: readonly string[]): void {
  for (const m of metrics) out.dump(prefix, m, objects, labels);
}

const proxyLabel = (o: StatObject): string => `proxy="${labelValue(o.line.proxy.name)}"`;

/** The metrics text for `q`, with the values of the stats at `now`. */
export function renderMetrics(rt: Runtime, q: MetricsQuery, now = Date.now()): string {
  const out = new Exposition();
  const ctx: StatsContext = { rt, now, legends: false, countServers: false };
  const proxies = rt.proxies;
  if (q.scopes & Scope.Global) dumpAll(out, 'haproxy_process_', PROCESS_METRICS, [infoFields(rt, cliStats(), now)], ['']);
  if (q.scopes & Scope.Frontend) {
    const fes = proxies.filter((p) => p.cfg.isFrontend).map((p) => ({ line: frontendLine(ctx, p), server: null }));
    dumpAll(out, 'haproxy_frontend_', FRONTEND_METRICS, fes, fes.map(proxyLabel));
  }
  if (q.scopes & Scope.Listener) {
    // Listeners have counters only with "option socket-stats".
    const lis = proxies.filter((p) => p.cfg.isFrontend && p.cfg.option('socket-stats'))
      .flatMap((p) => p.listeners.map((l) => ({ line: listenerLine(ctx, l), server: null })));
    const labels = lis.map((o) => `${proxyLabel(o)},listener="${labelValue(String(o.line.row[F.svname]!.value))}"`);
    dumpAll(out, 'haproxy_listener_', LISTENER_METRICS, lis, labels);
  }
  if (q.scopes & Scope.Backend) {
    const bes = proxies.filter((p) => p.backend).map((p) => ({ line: backendLine(ctx, p), server: null }));
    dumpAll(out, 'haproxy_backend_', BACKEND_METRICS, bes, bes.map(proxyLabel));
  }
  if (q.scopes & Scope.Server) {
    const srvs = proxies.filter((p) => p.backend).flatMap((p) => p.backend!.servers
      .filter((s) => !(q.noMaint && s.maint))
      .map((s) => ({ line: serverLine(ctx, p, s), server: s })));
    const labels = srvs.map((o) => `${proxyLabel(o)},server="${labelValue(o.server.name)}"`);
    dumpAll(out, 'haproxy_server_', SERVER_METRICS, srvs, labels);
  }
  // Scope.StickTable: Turnpike has no stick tables, so there is nothing to dump.
  return out.text;
}
