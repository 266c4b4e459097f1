// Statistics commands: "show info", "show stat", "show servers state|conn", "show backend",
// "clear counters".
import { processCounters } from '../counters.ts';
import { infoFields, renderInfoJson, renderInfoPlain, renderInfoTyped } from '../stats/info.ts';
import { statLines, type StatsFilter } from '../stats/dump.ts';
import { renderCsv } from '../stats/csv.ts';
import { renderTyped } from '../stats/typed.ts';
import { renderJson } from '../stats/json.ts';
import type { StatsContext } from '../stats/rows.ts';
import { checkStatusResult, type CheckStatus } from '../../checks/health.ts';
import { serverHealthCheck } from '../../runtime/server-health.ts';
import type { Server } from '../../runtime/server.ts';
import type { Proxy } from '../../runtime/proxy.ts';
import { Level, err, needLevel, registerCliCommands, type CliSession } from './registry.ts';
import { findBackend, findProxy } from './lookup.ts';
import { cliStats } from './sessions.ts';
import { atoi } from '../../config/units.ts';
import { idleConnRows, showServersConn } from './server-conns.ts';
import type { IdleConnRow } from '../../runtime/threads/messages.ts';
import { threads } from '../../runtime/threads/context.ts';

function statsContext(s: CliSession, countServers: boolean): StatsContext {
  return { rt: s.rt, now: Date.now(), legends: s.level >= Level.Operator, countServers };
}

/** HAProxy's check status numbers (enum healthcheck_status), for "show servers state". */
const CHECK_STATUS_CODES: Readonly<Record<CheckStatus, number>> = {
  UNK: 0, INI: 1, HANA: 4, SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11, L7TOUT: 12, L7RSP: 13,
  L7OK: 15, L7OKC: 16, L7STS: 17, PROCERR: 18, PROCTOUT: 19, PROCOK: 20,
};
const CHECK_RESULT_CODES = { unknown: 0, neutral: 1, failed: 2, passed: 3, condpass: 4 } as const;

function serverStateLine(px: Proxy, s: Server, now: number): string {
  const check = serverHealthCheck(s);
  const opState = s.stopped ? 0 : s.stopping ? 3 : s.warmingUp ? 1 : 2;
  let admin = 0;
  if (s.maint) admin |= s.cfg.disabled ? 0x05 : 0x01;
  if (s.drain) admin |= 0x08;
  const h = check?.health;
  const status = h ? CHECK_STATUS_CODES[h.status] : 1;
  const result = h ? CHECK_RESULT_CODES[checkStatusResult(h.status)] : 0;
  const health = h ? h.health : s.maint ? 0 : s.cfg.check.rise;
  // CHK_ST_INPROGRESS 0x1, CONFIGURED 0x2, ENABLED 0x4, PAUSED 0x8.
  let chkState = check ? 0x2 | (check.isEnabled ? 0x4 : 0) | (check.running ? 0x1 : 0) : 0;
  if (s.maint) chkState |= 0x8;
  const t = s.target;
  const addr = t && 'host' in t ? t.host : '-';
  const port = t && 'port' in t ? t.port : 0;
  return [
    px.id, px.name, s.id, s.name, addr, opState, admin, s.uweight, s.cfg.weight, Math.floor((now - s.lastChange) / 1000),
    status, result, health, chkState, 0, 0, 0, '-', port, '-', 0, s.cfg.check.port ?? 0,
    s.cfg.check.addr ?? '-', '-', 0,
  ].join(' ');
}

function backendsArg(s: CliSession, ref: string | undefined): Proxy[] | string {
  if (!ref) return s.rt.proxies.filter((p) => p.backend);
  const px = findBackend(s.rt, ref);
  return px ? [px] : "Can't find backend.\n";
}

registerCliCommands(
  {
    words: ['show', 'info'],
    usage: 'show info [desc|json|typed|float]*      : report information about the running process',
    run(args, s) {
      const opts = new Set(args.slice(2));
      const v = infoFields(s.rt, cliStats());
      if (opts.has('json')) return renderInfoJson(v);
      if (opts.has('typed')) return renderInfoTyped(v, opts.has('desc'));
      return renderInfoPlain(v, opts.has('desc'));
    },
  },
  {
    words: ['show', 'stat'],
    usage: 'show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server',
    run(args, s) {
      let i = 2;
      let iid = -1;
      let types = -1;
      let sid = -1;
      if (args[i] === 'domain') i += 2;
      // "{<iid>|<proxy>} <type> <sid>" selects objects; a name stands for its proxy's id.
      if (args[i] && args[i + 1] && args[i + 2]) {
        const px = findProxy(s.rt, args[i]!);
        iid = px ? px.id : atoi(args[i]!);
        if (!iid) return err('No such proxy.\n');
        types = atoi(args[i + 1]!);
        sid = atoi(args[i + 2]!);
        i += 3;
      }
      const opts = new Set(args.slice(i));
      const filter: StatsFilter = {
        iid, types, sid, hideDown: opts.has('up'), hideMaint: opts.has('no-maint'), scope: null,
      };
      const lines = statLines(statsContext(s, filter.hideDown || filter.hideMaint), filter);
      if (opts.has('json')) return renderJson(lines);
      if (opts.has('typed')) return renderTyped(lines, opts.has('desc'));
      return renderCsv(lines);
    },
  },
  {
    words: ['show', 'servers', 'state'],
    usage: 'show servers state [<backend>]          : dump volatile server information (all or for a single backend)',
    run(args, s) {
      const pxs = backendsArg(s, args[3]);
      if (typeof pxs === 'string') return err(pxs);
      const now = Date.now();
      let out = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n';
      for (const px of pxs) for (const sv of px.backend!.servers) out += `${serverStateLine(px, sv, now)}\n`;
      return out;
    },
  },
  {
    words: ['show', 'servers', 'conn'],
    usage: 'show servers conn [<backend>]           : dump server connections status (all or for a single backend)',
    async run(args, s) {
      const pxs = backendsArg(s, args[3]);
      if (typeof pxs === 'string') return err(pxs);
      const others = s.rt.peers ? await s.rt.peers.idleConns() : new Map<number, readonly IdleConnRow[]>();
      const perThread: (readonly IdleConnRow[])[] = [idleConnRows(s.rt)];
      for (let i = 1; i < threads.count; i++) perThread.push(others.get(i) ?? []);
      return showServersConn(pxs, perThread);
    },
  },
  {
    words: ['show', 'backend'],
    usage: 'show backend                            : list backends in the current running config',
    run(_args, s) {
      let out = '# name\n';
      for (const px of s.rt.proxies) if (px.backend) out += `${px.name}\n`;
      return out;
    },
  },
  {
    words: ['clear', 'counters'],
    usage: 'clear counters [all]                    : clear max statistics counters (or all counters)',
    run(args, s) {
      const all = args[2] === 'all';
      const denied = needLevel(s, all ? Level.Admin : Level.Operator);
      if (denied) return denied;
      for (const px of s.rt.proxies) {
        px.counters.clear(all);
        for (const l of px.listeners) l.counters.clear(all);
        for (const sv of px.backend?.servers ?? []) sv.counters.clear(all);
      }
      processCounters.maxConnsSeen = 0;
      processCounters.connRate.max = 0;
      return '';
    },
  },
);
