// The stats lines of frontends, listeners, backends and servers, field by field as HAProxy
// 2.6's stats_fill_{fe,li,be,sv}_stats() fill them: which columns a line type has, their
// types and tags, and the runtime values behind them. Counters are those of every thread
// (nbthread) added up: counters.aggregate().
import type { Runtime } from '../../runtime/runtime.ts';
import type { Proxy } from '../../runtime/proxy.ts';
import type { Listener } from '../../runtime/listener.ts';
import type { Server } from '../../runtime/server.ts';
import type { Address } from '../../config/model.ts';
import { checkStatusDescription, checkStatusHasCode } from '../../checks/health.ts';
import { processCounters, type TimeStats } from '../counters.ts';
import { F, STAT_FIELDS } from './field-names.ts';
import { s32, str, u32, u64, type Row } from './fields.ts';
import { serverStatusText, shownCheck } from './status.ts';

export const ObjType = { Frontend: 0, Backend: 1, Server: 2, Listener: 3 } as const;
export type ObjType = (typeof ObjType)[keyof typeof ObjType];

export interface StatsContext {
  readonly rt: Runtime;
  readonly now: number;
  /** Addresses and algorithms are shown (CLI levels operator and admin, "stats show-legends"). */
  readonly legends: boolean;
  /** "up"/"no-maint" modifiers: backends show "(up/total)" after their status. */
  readonly countServers: boolean;
}

/** A stats line with what identifies it. */
export interface StatLine {
  readonly type: ObjType;
  readonly proxy: Proxy;
  /** 0 for frontends and backends, the listener or server id otherwise. */
  readonly sid: number;
  readonly row: Row;
}

function emptyRow(): Row {
  return new Array(STAT_FIELDS.length).fill(null);
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function age(now: number, at: number): number {
  return at === 0 ? -1 : seconds(now - at);
}

/** "ip:port", "[ip6]:port", or "unix" as HAProxy prints addresses in stats. */
export function addressText(a: Address | { host: string; port: number } | { path: string }): string {
  if ('path' in a) return 'unix';
  if ('fd' in a) return '-';
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function addModuleFields(row: Row, kind: 'fe' | 'be' | 'srv' | 'li', px: Proxy, h1: readonly number[] | null): void {
  // ssl: no TLS in Turnpike, so no session was ever established on any side.
  for (let i = F.ssl_sess; i <= F.ssl_failed_handshake; i++) row[i] = u64('MCP', 0);
  if (kind === 'srv' || kind === 'li') return;
  // h2: Turnpike speaks HTTP/1 only.
  const gauges: readonly number[] = [F.h2_open_connections, F.h2_backend_open_streams];
  for (let i: number = F.h2_headers_rcvd; i <= F.h2_backend_total_streams; i++) row[i] = u64(gauges.includes(i) ? 'MGP' : 'MCP', 0);
  const v = px.mode === 'http' && h1 ? h1 : [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 8; i++) row[F.h1_open_connections + i] = u64(i < 2 ? 'MGP' : 'MCP', v[i]!);
}

export function frontendLine(ctx: StatsContext, px: Proxy): StatLine {
  const c = px.counters.aggregate();
  const r = emptyRow();
  const http = px.mode === 'http';
  r[F.pxname] = str('KNS', px.name);
  r[F.svname] = str('KNS', 'FRONTEND');
  r[F.scur] = u32('MGP', c.feCur);
  r[F.smax] = u32('MMP', c.feMax);
  r[F.slim] = u32('CLP', px.maxconn || ctx.rt.maxconn);
  // Sessions are the connections that passed the "tcp-request connection" rules.
  r[F.stot] = u64('MCP', c.feTotal - c.deniedConn);
  r[F.bin] = u64('MCP', c.bytesIn);
  r[F.bout] = u64('MCP', c.bytesOut);
  r[F.dreq] = u64('MCP', c.deniedReq);
  r[F.dresp] = u64('MCP', c.deniedResp);
  r[F.ereq] = u64('MCP', c.reqErrors);
  r[F.status] = str('SGP', px.stopped ? 'STOP' : px.paused ? 'PAUSED' : 'OPEN');
  r[F.pid] = u32('KGP', 1);
  r[F.iid] = u32('KGS', px.id);
  r[F.sid] = u32('KGS', 0);
  r[F.type] = u32('CGS', ObjType.Frontend);
  r[F.rate] = u32('MRP', c.feRate.rate(ctx.now));
  r[F.rate_lim] = u32('CLP', 0);
  r[F.rate_max] = u32('MMP', c.feRate.max);
  if (http) {
    for (let i = 0; i < 6; i++) r[F.hrsp_1xx + i] = u64('MCP', c.hrsp[i]!);
    r[F.intercepted] = u64('MCP', c.intercepted);
    r[F.cache_lookups] = u64('MCP', c.cacheLookups);
    r[F.cache_hits] = u64('MCP', c.cacheHits);
  }
  r[F.req_rate] = u32('MRP', c.reqRate.rate(ctx.now));
  r[F.req_rate_max] = u32('MMP', c.reqRate.max);
  r[F.req_tot] = u64('MCP', c.reqTotal);
  r[F.comp_in] = u64('MCP', c.compIn);
  r[F.comp_out] = u64('MCP', c.compOut);
  r[F.comp_byp] = u64('MCP', c.compByp);
  r[F.comp_rsp] = u64('MCP', c.compRsp);
  r[F.mode] = str('CGS', px.mode);
  r[F.conn_rate] = u32('MRP', c.feRate.rate(ctx.now));
  r[F.conn_rate_max] = u32('MMP', c.feRate.max);
  r[F.conn_tot] = u64('MCP', c.feTotal);
  r[F.dcon] = u64('MCP', c.deniedConn);
  r[F.dses] = u64('MCP', c.deniedSess);
  r[F.wrew] = u64('MCP', c.failedRewrites);
  r[F.eint] = u64('MCP', c.internalErrors);
  addModuleFields(r, 'fe', px, [c.feCur, c.feCur, c.feTotal, c.reqTotal, c.bytesIn, c.bytesOut, 0, 0]);
  return { type: ObjType.Frontend, proxy: px, sid: 0, row: r };
}

/** Listener ids: "id" when set, else their rank in the proxy; names default to "sock-<id>". */
export function listenerId(l: Listener): number {
  return l.bind.id ?? l.proxy.listeners.indexOf(l) + 1;
}

export function listenerName(l: Listener): string {
  return l.bind.name ?? `sock-${listenerId(l)}`;
}

function listenerStatus(ctx: StatsContext, l: Listener): string {
  if (l.bind.maxconn && l.cur >= l.bind.maxconn) return 'FULL';
  // Limited by the global or the frontend maxconn: connections wait (HAProxy's LI_LIMITED).
  const globalFull = processCounters.curConns >= ctx.rt.maxconn;
  const feFull = l.proxy.maxconn > 0 && l.proxy.counters.feCur >= l.proxy.maxconn;
  return globalFull || feFull ? 'WAITING' : 'OPEN';
}

export function listenerLine(ctx: StatsContext, l: Listener): StatLine {
  const c = l.counters.aggregate();
  const px = l.proxy;
  const r = emptyRow();
  const sid = listenerId(l);
  r[F.pxname] = str('KNS', px.name);
  r[F.svname] = str('KNS', listenerName(l));
  r[F.scur] = u32('MGP', l.cur);
  r[F.smax] = u32('MMP', c.max);
  r[F.slim] = u32('CLP', l.bind.maxconn);
  r[F.stot] = u64('MCP', c.total);
  r[F.bin] = u64('MCP', c.bytesIn);
  r[F.bout] = u64('MCP', c.bytesOut);
  r[F.dreq] = u64('MCP', c.deniedReq);
  r[F.dresp] = u64('MCP', c.deniedResp);
  r[F.ereq] = u64('MCP', c.reqErrors);
  r[F.status] = str('SGP', listenerStatus(ctx, l));
  r[F.pid] = u32('KGP', 1);
  r[F.iid] = u32('KGS', px.id);
  r[F.sid] = u32('KGS', sid);
  r[F.type] = u32('CGS', ObjType.Listener);
  if (ctx.legends) r[F.addr] = str('CGS', addressText(l.bind.addr));
  r[F.mode] = str('CGS', px.mode);
  r[F.dcon] = u64('MCP', c.deniedConn);
  r[F.dses] = u64('MCP', c.deniedSess);
  r[F.wrew] = u64('MCP', c.failedRewrites);
  r[F.eint] = u64('MCP', c.internalErrors);
  addModuleFields(r, 'li', px, null);
  return { type: ObjType.Listener, proxy: px, sid, row: r };
}

function addTimes(r: Row, t: TimeStats): void {
  r[F.qtime] = u32('MaP', t.queue.avg);
  r[F.ctime] = u32('MaP', t.connect.avg);
  r[F.rtime] = u32('MaP', t.response.avg);
  r[F.ttime] = u32('MaP', t.total.avg);
  r[F.qtime_max] = u32('MMP', t.queue.max);
  r[F.ctime_max] = u32('MMP', t.connect.max);
  r[F.rtime_max] = u32('MMP', t.response.max);
  r[F.ttime_max] = u32('MMP', t.total.max);
}

export function serverLine(ctx: StatsContext, px: Proxy, s: Server): StatLine {
  const c = s.counters.aggregate();
  const r = emptyRow();
  const now = ctx.now;
  const check = shownCheck(s);
  r[F.pxname] = str('KNS', px.name);
  r[F.svname] = str('KNS', s.name);
  r[F.qcur] = u32('MGP', s.queue.globalLength);
  r[F.qmax] = u32('MMP', c.queueMax);
  r[F.scur] = u32('MGP', s.curConns);
  r[F.smax] = u32('MMP', c.max);
  if (s.maxconnLimit) r[F.slim] = u32('CLP', s.maxconnLimit);
  r[F.stot] = u64('MCP', c.total);
  r[F.bin] = u64('MCP', c.bytesIn);
  r[F.bout] = u64('MCP', c.bytesOut);
  r[F.dresp] = u64('MCP', c.deniedResp);
  r[F.econ] = u64('MCP', c.connErrors);
  r[F.eresp] = u64('MCP', c.respErrors);
  r[F.wretr] = u64('MCP', c.retries);
  r[F.wredis] = u64('MCP', c.redispatches);
  r[F.status] = str('SGP', serverStatusText(s));
  r[F.weight] = u32('MaP', s.eweight);
  r[F.act] = u32('SGP', s.backup ? 0 : 1);
  r[F.bck] = u32('SGP', s.backup ? 1 : 0);
  if (check) {
    r[F.chkfail] = u64('MCP', check.failedChecks);
    r[F.chkdown] = u64('MCP', c.downTransitions);
    r[F.downtime] = u32('MCP', seconds(s.downTimeAt(now)));
  }
  r[F.lastchg] = u32('MAP', seconds(now - s.lastChange));
  if (s.cfg.maxqueue) r[F.qlimit] = u32('CGS', s.cfg.maxqueue);
  r[F.pid] = u32('KGP', 1);
  r[F.iid] = u32('KGS', px.id);
  r[F.sid] = u32('KGS', s.id);
  if (s.warmingUp && s.up && !s.maint && !s.drain) {
    r[F.throttle] = u32('MaP', s.uweight ? Math.ceil((100 * s.eweight) / s.uweight) : 100);
  }
  r[F.lbtot] = u64('MCP', c.lbTotal);
  r[F.type] = u32('CGS', ObjType.Server);
  r[F.rate] = u32('MRP', c.rate.rate(now));
  r[F.rate_max] = u32('MMP', c.rate.max);
  if (check) {
    const h = check.health;
    r[F.check_status] = str('MOP', `${check.running ? '* ' : ''}${h.status}`);
    if (checkStatusHasCode(h.status)) r[F.check_code] = u32('MOP', h.code);
    if (h.status !== 'INI' && h.status !== 'UNK') r[F.check_duration] = u64('MDP', Math.max(h.durationMs, 0));
    r[F.last_chk] = str('MOP', h.info);
    r[F.check_desc] = str('MOP', checkStatusDescription(h.status));
    r[F.check_rise] = u32('CGS', h.rise);
    r[F.check_fall] = u32('CGS', h.fall);
    r[F.check_health] = u32('CGS', h.health);
  }
  if (px.mode === 'http') {
    for (let i = 0; i < 6; i++) r[F.hrsp_1xx + i] = u64('MCP', c.hrsp[i]!);
    r[F.req_tot] = u64('MCP', c.reqTotal);
  }
  if (s.cfg.observe) {
    const hc = shownCheck(s);
    if (hc) r[F.hanafail] = u64('MCP', hc.failedHana);
  }
  r[F.cli_abrt] = u64('MCP', c.clientAborts);
  r[F.srv_abrt] = u64('MCP', c.serverAborts);
  r[F.lastsess] = s32('MAP', age(now, c.lastSess));
  addTimes(r, c.times);
  if (ctx.legends && s.cfg.addr) r[F.addr] = str('CGS', addressText(s.target ?? s.cfg.addr));
  r[F.mode] = str('CGS', px.mode);
  r[F.wrew] = u64('MCP', c.failedRewrites);
  r[F.connect] = u64('MCP', c.connects);
  r[F.reuse] = u64('MCP', c.reuses);
  // Idle HTTP connections kept for reuse: "safe" once they carried more than one request.
  const pool = s.pool;
  r[F.srv_icur] = u32('MGP', pool ? pool.idleCount : 0);
  if (s.cfg.poolMaxConn >= 0) r[F.src_ilim] = u32('MGP', s.cfg.poolMaxConn);
  r[F.eint] = u64('MCP', c.internalErrors);
  r[F.idle_conn_cur] = u32('MGP', pool ? pool.idleCount - pool.safeCount : 0);
  r[F.safe_conn_cur] = u32('MGP', pool ? pool.safeCount : 0);
  r[F.used_conn_cur] = u32('MGP', s.curConns);
  r[F.need_conn_est] = u32('MGP', pool ? pool.estNeed : s.curConns);
  r[F.uweight] = u32('MaP', s.uweight);
  addModuleFields(r, 'srv', px, null);
  return { type: ObjType.Server, proxy: px, sid: s.id, row: r };
}

export function backendLine(ctx: StatsContext, px: Proxy): StatLine {
  const be = px.backend!;
  const c = px.counters.aggregate();
  const r = emptyRow();
  const now = ctx.now;
  const http = px.mode === 'http';
  let act = 0;
  let bck = 0;
  let weight = 0;
  let uweight = 0;
  for (const s of be.usable) {
    weight += s.eweight;
    uweight += s.uweight;
  }
  let nbup = 0;
  let open = 0;
  for (const s of be.servers) {
    if (s.eligible) {
      if (s.backup) bck++;
      else act++;
    }
    if (s.isUp) nbup++;
    open += s.curConns;
  }
  r[F.pxname] = str('KNS', px.name);
  r[F.svname] = str('KNS', 'BACKEND');
  r[F.qcur] = u32('MGP', be.queue.globalLength);
  r[F.qmax] = u32('MMP', c.queueMax);
  r[F.scur] = u32('MGP', c.beCur);
  r[F.smax] = u32('MMP', c.beMax);
  r[F.slim] = u32('CLP', be.fullconn);
  r[F.stot] = u64('MCP', c.beTotal);
  r[F.bin] = u64('MCP', c.bytesIn);
  r[F.bout] = u64('MCP', c.bytesOut);
  r[F.dreq] = u64('MCP', c.deniedReq);
  r[F.dresp] = u64('MCP', c.deniedResp);
  r[F.econ] = u64('MCP', c.connErrors);
  r[F.eresp] = u64('MCP', c.respErrors);
  r[F.wretr] = u64('MCP', c.retries);
  r[F.wredis] = u64('MCP', c.redispatches);
  const up = be.usable.length > 0 || be.servers.length === 0;
  r[F.status] = str('SGP', `${up ? 'UP' : 'DOWN'}${ctx.countServers ? ` (${nbup}/${be.servers.length})` : ''}`);
  r[F.weight] = u32('MaP', weight);
  r[F.act] = u32('MGP', act);
  r[F.bck] = u32('MGP', bck);
  r[F.chkdown] = u64('MCP', c.beDownTransitions);
  r[F.lastchg] = u32('MAP', seconds(now - be.lastChange));
  if (be.servers.length) r[F.downtime] = u32('MCP', seconds(be.downTimeAt(now)));
  r[F.pid] = u32('KGP', 1);
  r[F.iid] = u32('KGS', px.id);
  r[F.sid] = u32('KGS', 0);
  r[F.lbtot] = u64('MCP', c.lbTotal);
  r[F.type] = u32('CGS', ObjType.Backend);
  r[F.rate] = u32('MGP', c.beRate.rate(now));
  r[F.rate_max] = u32('MGP', c.beRate.max);
  if (http) {
    for (let i = 0; i < 6; i++) r[F.hrsp_1xx + i] = u64('MCP', c.hrsp[i]!);
    r[F.req_tot] = u64('MCP', c.beReqTotal);
    r[F.cache_lookups] = u64('MCP', c.cacheLookups);
    r[F.cache_hits] = u64('MCP', c.cacheHits);
  }
  r[F.cli_abrt] = u64('MCP', c.clientAborts);
  r[F.srv_abrt] = u64('MCP', c.serverAborts);
  r[F.comp_in] = u64('MCP', c.compIn);
  r[F.comp_out] = u64('MCP', c.compOut);
  r[F.comp_byp] = u64('MCP', c.compByp);
  r[F.comp_rsp] = u64('MCP', c.compRsp);
  r[F.lastsess] = s32('MAP', age(now, c.lastSess));
  addTimes(r, c.times);
  r[F.mode] = str('CGS', px.mode);
  if (ctx.legends) r[F.algo] = str('CGS', px.cfg.balance.algo);
  r[F.wrew] = u64('MCP', c.failedRewrites);
  r[F.connect] = u64('MCP', c.connects);
  r[F.reuse] = u64('MCP', c.reuses);
  r[F.eint] = u64('MCP', c.internalErrors);
  r[F.uweight] = u32('MaP', uweight);
  // Aggregated statuses are only computed by HAProxy's Prometheus exporter; the stats print 0.
  r[F.agg_server_status] = u32('MGP', 0);
  r[F.agg_server_check_status] = u32('MGP', 0);
  r[F.agg_check_status] = u32('MGP', 0);
  addModuleFields(r, 'be', px, [open, c.beCur, c.connects, c.beReqTotal, c.bytesOut, c.bytesIn, 0, 0]);
  return { type: ObjType.Backend, proxy: px, sid: 0, row: r };
}
