// Serving a proxy's statistics page (HAProxy's http_handle_stats() and stats applet): access
// rules and Basic authentication, the ";csv", ";json", ";typed", ";up", ";no-maint",
// ";norefresh" options and the scope filter, and the admin form's POST actions.
import type { Runtime } from '../../runtime/runtime.ts';
import type { Proxy } from '../../runtime/proxy.ts';
import type { StatsConfig } from '../../config/model.ts';
import type { SampleStream } from '../../sample/types.ts';
import type { HttpReply } from '../../actions/http-rule-target.ts';
import { HttpHeaders, HttpResponse, type HttpRequest } from '../../protocols/http1/message.ts';
import { serverHealthCheck } from '../../runtime/server-health.ts';
import { statLines, type StatsFilter } from './dump.ts';
import { renderCsv } from './csv.ts';
import { renderJson } from './json.ts';
import { renderTyped } from './typed.ts';
import { renderStatsPage } from './html.ts';
import { STATS_DEFAULT_REALM } from './stats-keywords.ts';
import {
  enterMaintenance, forceHealth, killServerSessions, leaveMaintenance, setAdminState,
} from '../cli/server-admin.ts';
import { threads } from '../../runtime/threads/context.ts';

/** The path of a request target (origin-form or absolute-form). */
function pathOf(uri: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(uri);
  return m ? (m[1] ?? '/') : uri;
}

/** Whether the request is for this stats page: its target starts with the "stats uri". */
export function isStatsRequest(stats: StatsConfig, req: HttpRequest): boolean {
  return pathOf(req.uri).startsWith(stats.uri);
}

function reply(status: number, reason: string, headers: [string, string][], body: string): HttpReply {
  const h = new HttpHeaders();
  for (const [n, val] of headers) h.add(n, val);
  const buf = Buffer.from(body, 'latin1');
  h.add('content-length', String(buf.length));
  return { res: new HttpResponse('HTTP/1.1', status, reason, h), body: buf };
}

function unauthorized(realm: string): HttpReply {
  return reply(401, 'Unauthorized', [
    ['cache-control', 'no-cache'], ['content-type', 'text/html'], ['www-authenticate', `Basic realm="${realm}"`],
  ], '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n');
}

function forbidden(): HttpReply {
  return reply(403, 'Forbidden', [['cache-control', 'no-cache'], ['content-type', 'text/html']],
    '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n');
}

/** The "user:password" of a Basic Authorization header, or null. */
function basicCredentials(req: HttpRequest): string | null {
  const h = req.headers.get('authorization');
  const m = h ? /^Basic\s+(\S+)\s*$/i.exec(h) : null;
  return m ? Buffer.from(m[1]!, 'base64').toString('latin1') : null;
}

/** Access control: "stats http-request" rules first, then "stats auth" accounts. Null when allowed. */
function checkAccess(stats: StatsConfig, req: HttpRequest, stream: SampleStream): HttpReply | null {
  const realm = stats.realm ?? STATS_DEFAULT_REALM;
  for (const r of stats.httpRules) {
    if (r.cond && r.cond.eval(stream) !== true) continue;
    if (r.action === 'allow') return null;
    if (r.action === 'deny') return forbidden();
    return unauthorized(r.realm ?? realm);
  }
  if (stats.auths.length === 0) return null;
  const cred = basicCredentials(req);
  return cred !== null && stats.auths.includes(cred) ? null : unauthorized(realm);
}

interface PageRequest {
  readonly base: string;
  readonly format: 'html' | 'csv' | 'json' | 'typed';
  readonly hideDown: boolean;
  readonly hideMaint: boolean;
  readonly noRefresh: boolean;
  readonly status: string | null;
  readonly scope: string;
}

function parseTarget(stats: StatsConfig, uri: string): PageRequest {
  const path = pathOf(uri);
  const rest = path.slice(stats.uri.length);
  let format: PageRequest['format'] = 'html';
  let status: string | null = null;
  let scope = '';
  for (const opt of rest.split(/[;?&]/)) {
    if (opt === 'csv') format = 'csv';
    else if (opt === 'json') format = 'json';
    else if (opt === 'typed') format = 'typed';
    else if (opt.startsWith('st=')) status = opt.slice(3, 7);
    else if (opt.startsWith('scope=')) scope = decodeURIComponent(opt.slice(6).replace(/\+/g, ' '));
  }
  return {
    base: stats.uri, format, status, scope,
    hideDown: /;up(;|$)/.test(rest), hideMaint: /;no-maint(;|$)/.test(rest), noRefresh: /;norefresh(;|$)/.test(rest),
  };
}

/**
 * Applies the admin form ("s=<server>&...&action=<a>&b=#<id>") and returns the ";st=" status.
 * On a thread other than the main one (nbthread), the form goes to the main thread, where the
 * checks run and from where server state reaches every thread.
 */
function adminAction(rt: Runtime, body: Buffer | null): string {
  const text = body ? body.toString('latin1') : '';
  if (threads.toMain) {
    threads.toMain({ type: 'stats-admin', form: text });
    return 'DONE';
  }
  return applyAdminForm(rt, text);
}

/** Runs the admin form on this thread; "shutdown" also reaches the other threads' sessions. */
export function applyAdminForm(rt: Runtime, text: string): string {
  const form = new URLSearchParams(text);
  const action = form.get('action');
  const b = form.get('b');
  const names = form.getAll('s');
  if (!action || !b || names.length === 0) return 'NONE';
  const id = b.startsWith('#') ? Number(b.slice(1)) : NaN;
  const px = rt.proxies.find((p) => p.backend && (p.id === id || p.name === b));
  if (!px) return 'ERRP';
  const be = px.backend!;
  let done = 0;
  for (const name of names) {
    const s = be.byName.get(name);
    if (!s) continue;
    switch (action) {
      case 'ready': case 'drain': setAdminState(be, s, action); break;
      case 'maint': enterMaintenance(be, s); break;
      case 'dhlth': serverHealthCheck(s)?.setEnabled(false); break;
      case 'ehlth': serverHealthCheck(s)?.setEnabled(true); break;
      case 'hrunn': forceHealth(be, s, 'up'); break;
      case 'hnolb': forceHealth(be, s, 'stopping'); break;
      case 'hdown': forceHealth(be, s, 'down'); break;
      case 'shutdown':
        killServerSessions(s);
        rt.relay?.({ op: 'kill-sessions', backend: px.name, server: s.name });
        break;
      case 'enable': leaveMaintenance(be, s); break;
      case 'disable': enterMaintenance(be, s); break;
      default: return 'ERRP';
    }
    done++;
  }
  return done === names.length ? 'DONE' : done > 0 ? 'PART' : 'NONE';
}

/**
 * Serves a request for `px`'s statistics page (the caller checked isStatsRequest()).
 * `stream` evaluates "stats admin" and "stats http-request" conditions.
 */
export function handleStatsRequest(
  rt: Runtime, px: Proxy, stats: StatsConfig, req: HttpRequest, body: Buffer | null, stream: SampleStream,
): HttpReply {
  const denied = checkAccess(stats, req, stream);
  if (denied) return denied;
  const admin = stats.admin.some((c) => c.eval(stream) === true);
  const p = parseTarget(stats, req.uri);
  if (req.method === 'POST') {
    const st = admin ? adminAction(rt, body) : 'DENY';
    return reply(303, 'See Other', [
      ['cache-control', 'no-cache'], ['content-type', 'text/plain'], ['location', `${stats.uri};st=${st}`],
    ], '');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return reply(405, 'Method Not Allowed', [['cache-control', 'no-cache'], ['content-type', 'text/html']],
      '<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n');
  }
  const scopes = stats.scopes;
  const filter: StatsFilter = {
    iid: -1, types: -1, sid: -1, hideDown: p.hideDown, hideMaint: p.hideMaint,
    scope: scopes.length || p.scope
      ? (x) => (scopes.length === 0 || scopes.some((n) => n === x.name || (n === '.' && x === px))) && (!p.scope || x.name.includes(p.scope))
      : null,
  };
  const ctx = { rt, now: Date.now(), legends: stats.showLegends, countServers: p.hideDown || p.hideMaint };
  const lines = statLines(ctx, filter);
  const headers: [string, string][] = [['cache-control', 'no-cache']];
  let text: string;
  switch (p.format) {
    case 'csv': headers.push(['content-type', 'text/plain']); text = renderCsv(lines); break;
    case 'typed': headers.push(['content-type', 'text/plain']); text = renderTyped(lines); break;
    case 'json': headers.push(['content-type', 'application/json']); text = renderJson(lines); break;
    default:
      headers.push(['content-type', 'text/html']);
      text = renderStatsPage(rt, lines, {
        uri: stats.uri, stats, admin, refresh: !p.noRefresh, hideDown: p.hideDown, scopeText: p.scope, status: p.status,
      });
  }
  if (stats.refresh > 0 && !p.noRefresh) headers.push(['refresh', String(stats.refresh)]);
  return reply(200, 'OK', headers, req.method === 'HEAD' ? '' : text);
}
