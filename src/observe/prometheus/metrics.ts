// The metrics of HAProxy 2.6's Prometheus exporter (addons/promex) that Turnpike measures:
// names, types and help texts in the exporter's order, and how each value is read from the
// "show info" fields and the stats lines (observe/stats), so that /metrics agrees with them.
//
// Left out, because Turnpike has no such feature or does not count the events (a constant 0
// would be a fake measurement): the process's TLS, pipe/splice, compression, zlib, task and
// run-queue, peer, busy-polling, resolver, log-receiver, pool-failure, unstoppable-job and
// bytes-out-rate figures; the compression and cache counters of frontends and backends; the
// failed-header-rewrite and internal-error counters; the idle-connection gauges of servers.
import type { Server } from '../../runtime/server.ts';
import { VERSION } from '../../version.ts';
import { checkStatusHasCode, type CheckStatus } from '../../checks/health.ts';
import { checkViewOf } from '../../checks/check-view.ts';
import { F, STAT_FIELDS } from '../stats/field-names.ts';
import { INFO_FIELDS } from '../stats/info.ts';
import type { Field } from '../stats/fields.ts';
import type { StatLine } from '../stats/rows.ts';
import { shownCheck } from '../stats/status.ts';

export type MetricType = 'gauge' | 'counter';

/** Where a metric writes its samples; the renderer adds the name and the object's labels. */
export interface SampleSink {
  /** `labels`: `name="value"` pairs after the object's own ('' for none). */
  sample(labels: string, value: string): void;
}

export interface Metric<T> {
  /** The name after the scope's prefix ("haproxy_frontend_"...). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Writes the samples of one object: none when the metric does not apply to it. */
  readonly samples: (o: T, sink: SampleSink) => void;
}

/** A frontend, listener, backend or server: its stats line, and the server for server lines. */
export interface StatObject {
  readonly line: StatLine;
  readonly server: Server | null;
}

/** The "show info" values, by position. */
export type InfoValues = readonly (Field | null)[];

const G = 'gauge';
const C = 'counter';

/** promex_metric_to_str(): numbers as they are; empty and text fields are NaN. */
function num(f: Field | null | undefined): string {
  return f == null || f.type === 'str' ? 'NaN' : String(f.value);
}

/** Milliseconds as seconds, printed as C's "%f". */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(6);
}

// ---- haproxy_process_* ------------------------------------------------------------------

function info(field: string, name: string, type: MetricType): Metric<InfoValues> {
  const i = INFO_FIELDS.findIndex(([n]) => n === field);
  if (i < 0) throw new Error(`no "show info" field ${field}`);
  return { name, type, help: INFO_FIELDS[i]![1], samples: (v, s) => s.sample('', num(v[i])) };
}

export const PROCESS_METRICS: readonly Metric<InfoValues>[] = [
  info('Nbthread', 'nbthread', G),
  info('Nbproc', 'nbproc', G),
  info('Process_num', 'relative_process_id', G),
  info('Uptime_sec', 'uptime_seconds', G),
  info('Ulimit-n', 'max_fds', G),
  info('Maxsock', 'max_sockets', G),
  info('Maxconn', 'max_connections', G),
  info('Hard_maxconn', 'hard_max_connections', G),
  info('CurrConns', 'current_connections', G),
  info('CumConns', 'connections_total', C),
  info('CumReq', 'requests_total', C),
  info('ConnRate', 'current_connection_rate', G),
  info('ConnRateLimit', 'limit_connection_rate', G),
  info('MaxConnRate', 'max_connection_rate', G),
  info('SessRate', 'current_session_rate', G),
  info('SessRateLimit', 'limit_session_rate', G),
  info('MaxSessRate', 'max_session_rate', G),
  info('Idle_pct', 'idle_time_percent', G),
  info('Stopping', 'stopping', G),
  info('Jobs', 'jobs', G),
  info('Listeners', 'listeners', G),
  info('DroppedLogs', 'dropped_logs_total', C),
  info('TotalBytesOut', 'bytes_out_total', C),
  { ...info('Build info', 'build_info', G), samples: (_v, s) => s.sample(`version="${VERSION}"`, '1') },
  info('Memmax_bytes', 'max_memory_bytes', G),
  info('PoolAlloc_bytes', 'pool_allocated_bytes', G),
  info('PoolUsed_bytes', 'pool_used_bytes', G),
  info('Start_time_sec', 'start_time_seconds', G),
];

// ---- stats fields ------------------------------------------------------------------------

/** The exporter's own texts for the fields whose value it converts or splits by state. */
const HELP: Readonly<Partial<Record<number, string>>> = {
  [F.status]: 'Current status of the service, per state label value.',
  [F.check_status]: 'Status of last health check, per state label value.',
  [F.check_code]: 'layer5-7 code, if available of the last health check.',
  [F.check_duration]: 'Total duration of the latest server health check, in seconds.',
  [F.qtime]: 'Avg. queue time for last 1024 successful connections.',
  [F.ctime]: 'Avg. connect time for last 1024 successful connections.',
  [F.rtime]: 'Avg. response time for last 1024 successful connections.',
  [F.ttime]: 'Avg. total time for last 1024 successful connections.',
  [F.qtime_max]: 'Maximum observed time spent in the queue',
  [F.ctime_max]: 'Maximum observed time spent waiting for a connection to complete',
  [F.rtime_max]: 'Maximum observed time spent waiting for a server response',
  [F.ttime_max]: 'Maximum observed total request+response time (request+queue+connect+response+processing)',
};

function helpOf(field: number): string {
  return HELP[field] ?? STAT_FIELDS[field]![1];
}

/** A field's value as the stats line has it. */
function stat(field: number, name: string, type: MetricType): Metric<StatObject> {
  return { name, type, help: helpOf(field), samples: (o, s) => s.sample('', num(o.line.row[field])) };
}

/** A field only HTTP proxies have (requests, interceptions). */
function httpStat(field: number, name: string, type: MetricType): Metric<StatObject> {
  return {
    name, type, help: helpOf(field),
    samples: (o, s) => {
      if (o.line.proxy.mode === 'http') s.sample('', num(o.line.row[field]));
    },
  };
}

/** An average or maximum time (milliseconds in the stats) in seconds. */
function time(field: number, name: string): Metric<StatObject> {
  return { name, type: G, help: helpOf(field), samples: (o, s) => s.sample('', seconds(Number(o.line.row[field]!.value))) };
}

const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/** The hrsp_* fields: one metric name with a "code" label, HTTP proxies only, described as hrsp_1xx. */
const RESPONSES: readonly Metric<StatObject>[] = CODES.map((code, i) => ({
  name: 'http_responses_total',
  type: C,
  help: STAT_FIELDS[F.hrsp_1xx]![1],
  samples: (o: StatObject, s: SampleSink) => {
    if (o.line.proxy.mode === 'http') s.sample(`code="${code}"`, num(o.line.row[F.hrsp_1xx + i]));
  },
}));

/** A gauge per state, 1 for the object's current state and 0 for the others. */
function stateSet(states: readonly string[], current: (o: StatObject) => string): Metric<StatObject> {
  return {
    name: 'status', type: G, help: helpOf(F.status),
    samples: (o, s) => {
      const cur = current(o);
      for (const st of states) s.sample(`state="${st}"`, st === cur ? '1' : '0');
    },
  };
}

const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;

/** promex_srv_status(): maintenance first, then running (or draining), soft-stopping, stopped. */
export function serverState(s: Server): (typeof SERVER_STATES)[number] {
  if (s.maint) return 'MAINT';
  if (!s.up) return 'DOWN';
  if (s.stopping) return 'NOLB';
  return s.drain ? 'DRAIN' : 'UP';
}

/** The check statuses the exporter lists: those of finished checks, in HAProxy's enum order. */
const CHECK_STATES: readonly CheckStatus[] = [
  'HANA', 'SOCKERR', 'L4OK', 'L4TOUT', 'L4CON', 'L6OK', 'L6TOUT', 'L6RSP', 'L7TOUT', 'L7RSP',
  'L7OK', 'L7OKC', 'L7STS', 'PROCERR', 'PROCTOUT', 'PROCOK',
];

/** A finished check has left a status (HAProxy's status >= HCHK_STATUS_CHECKED). */
function checked(status: CheckStatus): boolean {
  return status !== 'UNK' && status !== 'INI';
}

/** agg_*: per state, how many servers of the backend are in it; backends without servers have none. */
function aggregate(field: number, states: readonly string[], stateOf: (s: Server) => string | null): Metric<StatObject> {
  return {
    name: STAT_FIELDS[field]![0], type: G, help: helpOf(field),
    samples: (o, s) => {
      const servers = o.line.proxy.backend!.servers;
      if (servers.length === 0) return;
      const counts = new Map<string, number>();
      for (const srv of servers) {
        const st = stateOf(srv);
        if (st !== null) counts.set(st, (counts.get(st) ?? 0) + 1);
      }
      for (const st of states) s.sample(`state="${st}"`, String(counts.get(st) ?? 0));
    },
  };
}

// ---- haproxy_frontend_* -----------------------------------------------------------------

export const FRONTEND_METRICS: readonly Metric<StatObject>[] = [
  stat(F.scur, 'current_sessions', G),
  stat(F.smax, 'max_sessions', G),
  stat(F.slim, 'limit_sessions', G),
  stat(F.stot, 'sessions_total', C),
  stat(F.bin, 'bytes_in_total', C),
  stat(F.bout, 'bytes_out_total', C),
  stat(F.dreq, 'requests_denied_total', C),
  stat(F.dresp, 'responses_denied_total', C),
  stat(F.ereq, 'request_errors_total', C),
  // Up unless stopped (a paused frontend is up).
  stateSet(['DOWN', 'UP'], (o) => (o.line.row[F.status]!.value === 'STOP' ? 'DOWN' : 'UP')),
  stat(F.rate_lim, 'limit_session_rate', G),
  stat(F.rate_max, 'max_session_rate', G),
  ...RESPONSES,
  httpStat(F.req_rate_max, 'http_requests_rate_max', G),
  httpStat(F.req_tot, 'http_requests_total', C),
  stat(F.conn_rate_max, 'connections_rate_max', G),
  stat(F.conn_tot, 'connections_total', C),
  httpStat(F.intercepted, 'intercepted_requests_total', C),
  stat(F.dcon, 'denied_connections_total', C),
  stat(F.dses, 'denied_sessions_total', C),
];

// ---- haproxy_listener_* (frontends with "option socket-stats") ----------------------------

export const LISTENER_METRICS: readonly Metric<StatObject>[] = [
  stat(F.scur, 'current_sessions', G),
  stat(F.smax, 'max_sessions', G),
  stat(F.slim, 'limit_sessions', G),
  stat(F.stot, 'sessions_total', C),
  stat(F.bin, 'bytes_in_total', C),
  stat(F.bout, 'bytes_out_total', C),
  stat(F.dreq, 'requests_denied_total', C),
  stat(F.dresp, 'responses_denied_total', C),
  stat(F.ereq, 'request_errors_total', C),
  stateSet(['WAITING', 'OPEN', 'FULL'], (o) => String(o.line.row[F.status]!.value)),
  stat(F.dcon, 'denied_connections_total', C),
  stat(F.dses, 'denied_sessions_total', C),
];

// ---- haproxy_backend_* ------------------------------------------------------------------

export const BACKEND_METRICS: readonly Metric<StatObject>[] = [
  stat(F.qcur, 'current_queue', G),
  stat(F.qmax, 'max_queue', G),
  stat(F.scur, 'current_sessions', G),
  stat(F.smax, 'max_sessions', G),
  stat(F.slim, 'limit_sessions', G),
  stat(F.stot, 'sessions_total', C),
  stat(F.bin, 'bytes_in_total', C),
  stat(F.bout, 'bytes_out_total', C),
  stat(F.dreq, 'requests_denied_total', C),
  stat(F.dresp, 'responses_denied_total', C),
  stat(F.econ, 'connection_errors_total', C),
  stat(F.eresp, 'response_errors_total', C),
  stat(F.wretr, 'retry_warnings_total', C),
  stat(F.wredis, 'redispatch_warnings_total', C),
  // Up while some server carries weight, or when it has no server at all.
  stateSet(['DOWN', 'UP'], (o) => (String(o.line.row[F.status]!.value).startsWith('UP') ? 'UP' : 'DOWN')),
  stat(F.weight, 'weight', G),
  stat(F.act, 'active_servers', G),
  stat(F.bck, 'backup_servers', G),
  stat(F.chkdown, 'check_up_down_total', C),
  stat(F.lastchg, 'check_last_change_seconds', G),
  stat(F.downtime, 'downtime_seconds_total', C),
  stat(F.lbtot, 'loadbalanced_total', C),
  stat(F.rate_max, 'max_session_rate', G),
  ...RESPONSES,
  httpStat(F.req_tot, 'http_requests_total', C),
  stat(F.cli_abrt, 'client_aborts_total', C),
  stat(F.srv_abrt, 'server_aborts_total', C),
  stat(F.lastsess, 'last_session_seconds', G),
  time(F.qtime, 'queue_time_average_seconds'),
  time(F.ctime, 'connect_time_average_seconds'),
  time(F.rtime, 'response_time_average_seconds'),
  time(F.ttime, 'total_time_average_seconds'),
  stat(F.connect, 'connection_attempts_total', C),
  stat(F.reuse, 'connection_reuses_total', C),
  time(F.qtime_max, 'max_queue_time_seconds'),
  time(F.ctime_max, 'max_connect_time_seconds'),
  time(F.rtime_max, 'max_response_time_seconds'),
  time(F.ttime_max, 'max_total_time_seconds'),
  stat(F.uweight, 'uweight', G),
  aggregate(F.agg_server_status, SERVER_STATES, serverState),
  // HAProxy 2.6 keeps this older name for the same figure.
  aggregate(F.agg_server_check_status, SERVER_STATES, serverState),
  // Every server with a check counts, even one in maintenance or with checks disabled.
  aggregate(F.agg_check_status, CHECK_STATES, (s) => checkViewOf(s)?.health.status ?? null),
];

// ---- haproxy_server_* -------------------------------------------------------------------

export const SERVER_METRICS: readonly Metric<StatObject>[] = [
  stat(F.qcur, 'current_queue', G),
  stat(F.qmax, 'max_queue', G),
  stat(F.scur, 'current_sessions', G),
  stat(F.smax, 'max_sessions', G),
  stat(F.slim, 'limit_sessions', G),
  stat(F.stot, 'sessions_total', C),
  stat(F.bin, 'bytes_in_total', C),
  stat(F.bout, 'bytes_out_total', C),
  stat(F.dresp, 'responses_denied_total', C),
  stat(F.econ, 'connection_errors_total', C),
  stat(F.eresp, 'response_errors_total', C),
  stat(F.wretr, 'retry_warnings_total', C),
  stat(F.wredis, 'redispatch_warnings_total', C),
  stateSet(SERVER_STATES, (o) => serverState(o.server!)),
  stat(F.weight, 'weight', G),
  stat(F.chkfail, 'check_failures_total', C),
  stat(F.chkdown, 'check_up_down_total', C),
  stat(F.lastchg, 'check_last_change_seconds', G),
  stat(F.downtime, 'downtime_seconds_total', C),
  stat(F.qlimit, 'queue_limit', G),
  stat(F.throttle, 'current_throttle', G),
  stat(F.lbtot, 'loadbalanced_total', C),
  stat(F.rate_max, 'max_session_rate', G),
  {
    // Status and code are shown for a check that runs: enabled and not paused by maintenance.
    name: 'check_status', type: G, help: helpOf(F.check_status),
    samples: (o, s) => {
      const c = shownCheck(o.server!);
      if (!c) return;
      for (const st of CHECK_STATES) s.sample(`state="${st}"`, st === c.health.status ? '1' : '0');
    },
  },
  {
    name: 'check_code', type: G, help: helpOf(F.check_code),
    samples: (o, s) => {
      const c = shownCheck(o.server!);
      if (c) s.sample('', String(checkStatusHasCode(c.health.status) ? c.health.code : 0));
    },
  },
  {
    // Shown once a check has finished, even if checks were disabled since.
    name: 'check_duration_seconds', type: G, help: helpOf(F.check_duration),
    samples: (o, s) => {
      const h = checkViewOf(o.server!)?.health;
      if (h && checked(h.status)) s.sample('', seconds(Math.max(h.durationMs, 0)));
    },
  },
  ...RESPONSES,
  stat(F.cli_abrt, 'client_aborts_total', C),
  stat(F.srv_abrt, 'server_aborts_total', C),
  stat(F.lastsess, 'last_session_seconds', G),
  time(F.qtime, 'queue_time_average_seconds'),
  time(F.ctime, 'connect_time_average_seconds'),
  time(F.rtime, 'response_time_average_seconds'),
  time(F.ttime, 'total_time_average_seconds'),
  stat(F.connect, 'connection_attempts_total', C),
  stat(F.reuse, 'connection_reuses_total', C),
  time(F.qtime_max, 'max_queue_time_seconds'),
  time(F.ctime_max, 'max_connect_time_seconds'),
  time(F.rtime_max, 'max_response_time_seconds'),
  time(F.ttime_max, 'max_total_time_seconds'),
  stat(F.used_conn_cur, 'used_connections_current', G),
  stat(F.need_conn_est, 'need_connections_current', G),
  stat(F.uweight, 'uweight', G),
];
