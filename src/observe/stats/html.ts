// The HTML statistics page, in the spirit of HAProxy's: a process summary, then one table per
// proxy (frontend, listeners, servers, backend) with the same column groups and state
// colours, and the admin form when "stats admin" allows it.
import { hostname } from 'node:os';
import type { Runtime } from '../../runtime/runtime.ts';
import type { StatsConfig } from '../../config/model.ts';
import { PRODUCT, RELEASE_DATE, VERSION } from '../../version.ts';
import { processCounters } from '../counters.ts';
import { threads } from '../../runtime/threads/context.ts';
import { F } from './field-names.ts';
import type { Field, Row } from './fields.ts';
import { formatUptime } from './info.ts';
import { ObjType, type StatLine } from './rows.ts';
import { serverStatsState } from './status.ts';

export interface PageOptions {
  readonly uri: string;
  readonly stats: StatsConfig;
  readonly admin: boolean;
  readonly refresh: boolean;
  readonly hideDown: boolean;
  readonly scopeText: string;
  /** Result of the last admin action (";st=DONE"...). */
  readonly status: string | null;
}

const STATUS_TEXT: Readonly<Record<string, string>> = {
  DONE: 'Action processed successfully.',
  PART: 'Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).',
  NONE: 'Nothing has changed.',
  DENY: 'Action denied.',
  EXCD: 'Action not processed : the buffer couldn\'t store all the data.<br>You should retry with less servers at a time.',
  ERRP: 'Action not processed because of invalid parameters.<br>The action expected and the parameters did not match.',
  UNKN: 'Unexpected result.',
  IVAL: 'Invalid requests (unsupported method or chunked encoded request).',
};

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function v(f: Field | null | undefined): string {
  return f ? escapeHtml(String(f.value)) : '';
}

function cell(f: Field | null | undefined): string {
  return `<td>${v(f)}</td>`;
}

const STYLE = `body { font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal; color: black; background: white;}
th,td { font-size: 10px;}
h1 { font-size: x-large; margin-bottom: 0.5em;}
h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em;}
h3 { font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040; background: #e8e8d0; margin-top: 0em; margin-bottom: 0em;}
.hr {margin-top: 0.25em; border-color: black; border-bottom-style: solid;}
.titre	{background: #20D0D0;color: #000000; font-weight: bold; text-align: center;}
.frontend	{background: #e8e8d0;}
.socket	{background: #d0d0d0;}
.backend	{background: #e8e8d0;}
.active_down		{background: #ff9090;}
.active_going_up		{background: #ffd020;}
.active_going_down	{background: #ffffa0;}
.active_up		{background: #c0ffc0;}
.active_nolb		{background: #20a0ff;}
.active_draining		{background: #20a0FF;}
.active_no_check		{background: #e0e0e0;}
.backup_down		{background: #ff9090;}
.backup_going_up		{background: #ff80ff;}
.backup_going_down	{background: #c060ff;}
.backup_up		{background: #b0d0ff;}
.backup_nolb		{background: #90b0e0;}
.backup_draining		{background: #cc9900;}
.backup_no_check		{background: #e0e0e0;}
.maintain	{background: #c07820;}
table.tbl { border-collapse: collapse; border-style: none;}
table.tbl td { text-align: right; border-width: 1px 1px 1px 1px; border-style: solid solid solid solid; padding: 2px 3px; border-color: gray; white-space: nowrap;}
table.tbl td.ac { text-align: center;}
table.tbl th { border-width: 1px; border-style: solid solid solid solid; border-color: gray;}
table.tbl th.pxname { background: #b00040; color: #ffff40; font-weight: bold; border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap;}
table.tbl th.empty { border-style: none; empty-cells: hide; background: white;}
table.lgd { border-collapse: collapse; border-width: 1px; border-style: none none none solid; border-color: black;}
table.lgd td { border-width: 1px; border-style: solid solid solid solid; border-color: gray; padding: 2px;}
table.lgd td.noborder { border-style: none; padding: 2px; white-space: nowrap;}
`;

/** The CSS class HAProxy gives a server line. */
function serverClass(line: StatLine): string {
  const s = line.proxy.backend!.servers.find((x) => x.id === line.sid)!;
  const state = serverStatsState(s);
  if (state === 'maint') return 'maintain';
  const side = s.backup ? 'backup' : 'active';
  const map: Readonly<Record<string, string>> = {
    up: 'up', 'going-down': 'going_down', down: 'down', 'going-up': 'going_up', nolb: 'nolb', 'nolb-going-down': 'going_down',
    drain: 'draining', 'drain-going-down': 'going_down', 'no-check': 'no_check',
  };
  return `${side}_${map[state]}`;
}

function header(): string {
  return '<tr class="titre"><th rowspan=2></th><th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th>'
    + '<th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th>'
    + '<th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n'
    + '<tr class="titre"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>'
    + '<th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th>'
    + '<th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th>'
    + '<th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th></tr>\n';
}

function age(f: Field | null | undefined): string {
  if (!f || typeof f.value !== 'number' || f.value < 0) return '';
  return formatUptime(f.value).replace(/^0d /, '').replace(/^0h/, '').replace(/^00m/, '');
}

function lineHtml(line: StatLine, admin: boolean): string {
  const r: Row = line.row;
  const name = v(r[F.svname]);
  const px = escapeHtml(line.proxy.name);
  const check = admin && line.type === ObjType.Server
    ? `<td><input class='be-checkbox' type="checkbox" name="s" value="${name}"></td>` : '<td></td>';
  const title = line.type === ObjType.Frontend ? 'Frontend' : line.type === ObjType.Backend ? 'Backend' : name;
  const anchor = `<td class=ac><a name="${px}/${title}"></a><a class=lfsb href="#${px}/${title}">${title}</a></td>`;
  const cls = line.type === ObjType.Frontend ? 'frontend' : line.type === ObjType.Backend ? 'backend'
    : line.type === ObjType.Listener ? 'socket' : serverClass(line);
  const lastchg = age(r[F.lastchg]);
  const status = v(r[F.status]);
  return `<tr class="${cls}">${check}${anchor}`
    + cell(r[F.qcur]) + cell(r[F.qmax]) + `<td>${v(r[F.qlimit]) || (line.type === ObjType.Server ? '-' : '')}</td>`
    + cell(r[F.rate]) + cell(r[F.rate_max]) + `<td>${v(r[F.rate_lim])}</td>`
    + cell(r[F.scur]) + cell(r[F.smax]) + cell(r[F.slim]) + cell(r[F.stot]) + cell(r[F.lbtot]) + `<td>${age(r[F.lastsess])}</td>`
    + cell(r[F.bin]) + cell(r[F.bout]) + cell(r[F.dreq]) + cell(r[F.dresp])
    + cell(r[F.ereq]) + cell(r[F.econ]) + cell(r[F.eresp]) + cell(r[F.wretr]) + cell(r[F.wredis])
    + `<td class=ac>${lastchg ? `${lastchg} ` : ''}${status}</td>`
    + `<td class=ac>${v(r[F.check_status])}${r[F.check_code] ? `/${v(r[F.check_code])}` : ''}${r[F.check_duration] ? ` in ${v(r[F.check_duration])}ms` : ''}</td>`
    + `<td class=ac>${v(r[F.weight])}${r[F.uweight] ? `/${v(r[F.uweight])}` : ''}</td>`
    + `<td class=ac>${line.type === ObjType.Server ? (r[F.act]?.value ? 'Y' : '-') : v(r[F.act])}</td>`
    + `<td class=ac>${line.type === ObjType.Server ? (r[F.bck]?.value ? 'Y' : '-') : v(r[F.bck])}</td>`
    + cell(r[F.chkfail]) + cell(r[F.chkdown]) + `<td>${age(r[F.downtime])}</td>`
    + `<td class=ac>${r[F.throttle] ? `${v(r[F.throttle])} %` : '-'}</td></tr>\n`;
}

const ACTIONS: readonly [string, string][] = [
  ['', ''], ['ready', 'Set state to READY'], ['drain', 'Set state to DRAIN'], ['maint', 'Set state to MAINT'],
  ['dhlth', 'Health: disable checks'], ['ehlth', 'Health: enable checks'], ['hrunn', 'Health: force UP'],
  ['hnolb', 'Health: force NOLB'], ['hdown', 'Health: force DOWN'], ['shutdown', 'Kill Sessions'],
];

export function renderStatsPage(rt: Runtime, lines: readonly StatLine[], o: PageOptions): string {
  const g = rt.config.global;
  const now = Date.now();
  const node = o.stats.showNode !== null ? (o.stats.showNode || g.node || hostname()) : null;
  const desc = o.stats.showDesc !== null ? (o.stats.showDesc || g.description || '') : '';
  const product = o.stats.hideVersion ? PRODUCT : `${PRODUCT} version ${VERSION}, released ${RELEASE_DATE}`;
  let out = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"\n"http://www.w3.org/TR/html4/loose.dtd">\n'
    + `<html><head><title>Statistics Report for ${PRODUCT}${node ? ` on ${escapeHtml(node)}` : ''}</title>\n`
    + '<link rel="icon" href="data:,">\n<meta http-equiv="content-type" content="text/html; charset=iso-8859-1">\n'
    + `<style type="text/css"><!--\n${STYLE}-->\n</style></head>\n<body>`
    + `<h1>${escapeHtml(product)}</h1>\n`
    + `<h2>Statistics Report for pid ${process.pid}${node ? ` on ${escapeHtml(node)}` : ''}${desc ? `: ${escapeHtml(desc)}` : ''}</h2>\n`
    + '<hr width="100%" class="hr">\n<h3>&gt; General process information</h3>\n'
    + '<table border=0><tr><td align="left" nowrap width="1%"><p>\n'
    + `<b>pid = </b> ${process.pid} (process #1, nbproc = 1, nbthread = ${threads.count})<br>\n`
    + `<b>uptime = </b> ${formatUptime(Math.floor((now - rt.startedAt) / 1000))}<br>\n`
    + `<b>system limits:</b> memmax = unlimited; ulimit-n = ${rt.fdLimit}<br>\n`
    + `<b>maxsock = </b> ${rt.maxsock}; <b>maxconn = </b> ${rt.maxconn}; <b>maxpipes = </b> 0<br>\n`
    + `current conns = ${processCounters.curConns}; current pipes = 0/0; conn rate = ${processCounters.connRate.rate(now)}/sec<br>\n`
    + `Running tasks: ${rt.streams.size}/${rt.streams.size + rt.listeners.length}<br>\n</td>`
    + '<td align="center" nowrap><table class="lgd"><tr>'
    + '<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr>\n'
    + '<tr><td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr>\n'
    + '<tr><td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr>\n'
    + '<tr><td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr>\n'
    + '<tr><td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr>\n'
    + '<tr><td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr>\n'
    + '</table>\nNote: "NOLB"/"DRAIN" = UP with load-balancing disabled.</td>'
    + '<td align="left" valign="top" nowrap width="1%"><b>Display option:</b><ul style="margin-top: 0.25em;">\n'
    + `<li><form method="GET">Scope : <input value="${escapeHtml(o.scopeText)}" name="scope" size="8" maxlength="20" tabindex="1"/></form>\n`
    + `<li><a href="${escapeHtml(o.uri)}${o.hideDown ? '' : ';up'}">${o.hideDown ? "Show all servers" : "Hide 'DOWN' servers"}</a><br>\n`
    + (o.stats.refresh ? `<li><a href="${escapeHtml(o.uri)}${o.refresh ? ';norefresh' : ''}">${o.refresh ? 'Disable refresh' : 'Enable refresh'}</a><br>\n` : '')
    + `<li><a href="${escapeHtml(o.uri)}">Refresh now</a><br>\n`
    + `<li><a href="${escapeHtml(o.uri)};csv;norefresh">CSV export</a><br>\n`
    + `<li><a href="${escapeHtml(o.uri)};json;norefresh">JSON export</a><br>\n`
    + '</ul></td></tr></table>\n';
  if (o.status && STATUS_TEXT[o.status]) {
    const ok = o.status === 'DONE';
    out += `<p><div class=${ok ? 'active_up' : 'active_down'}><a class=lfsb href="${escapeHtml(o.uri)}" title="Remove this message">[X]</a> ${STATUS_TEXT[o.status]}</div>\n`;
  }
  let i = 0;
  while (i < lines.length) {
    const px = lines[i]!.proxy;
    const group: StatLine[] = [];
    while (i < lines.length && lines[i]!.proxy === px) group.push(lines[i++]!);
    const name = escapeHtml(px.name);
    const admin = o.admin && !!px.backend;
    if (admin) out += '<form method="post">';
    out += `<table class="tbl" width="100%"><tr class="titre"><th class="pxname" width="10%"><a name="${name}"></a><a class=px href="#${name}">${name}</a></th>`
      + '<th class="empty" width="90%"></th></tr>\n</table>\n<table class="tbl" width="100%">\n' + header();
    for (const l of group) out += lineHtml(l, admin);
    out += '</table>';
    if (admin) {
      out += 'Choose the action to perform on the checked servers : <select name=action>'
        + ACTIONS.map(([val, label]) => `<option value="${val}">${label}</option>`).join('')
        + `</select><input type="hidden" name="b" value="#${px.id}">&nbsp;<input type="submit" value="Apply"></form>`;
    }
    out += '<p>\n';
  }
  return `${out}</body></html>\n`;
}
