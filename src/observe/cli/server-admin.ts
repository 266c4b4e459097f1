// Administrative changes of a server, shared by the CLI and the stats page's admin actions:
// maintenance, drain, forced health, check enabling, weight, and killing its sessions. State
// lives in Server and HealthCheck; this module sequences the changes and prints HAProxy's
// messages for them.
import type { Server } from '../../runtime/server.ts';
import type { Backend } from '../../runtime/backend.ts';
import type { Stream } from '../../runtime/stream.ts';
import { serverHealthCheck } from '../../runtime/server-health.ts';
import { events } from '../../runtime/events.ts';

function label(be: Backend, s: Server): string {
  return `${s.backup ? 'Backup Server' : 'Server'} ${be.name}/${s.name}`;
}

/** Servers taking new traffic, as the counts in HAProxy's state change messages. */
function usableCounts(be: Backend): { active: number; backup: number } {
  let active = 0;
  let backup = 0;
  for (const s of be.servers) {
    if (!s.eligible) continue;
    if (s.backup) backup++;
    else active++;
  }
  return { active, backup };
}

function leftText(be: Backend, s: Server, queuedBefore: number): string {
  const { active, backup } = usableCounts(be);
  const onBackup = active === 0 && backup > 0 ? ' Running on backup.' : '';
  const requeued = Math.max(0, queuedBefore - s.queue.length);
  return `${active} active and ${backup} backup servers left.${onBackup} ${s.streams.size} sessions active, ${requeued} requeued, ${s.queue.length} remaining in queue.`;
}

/** "<n> active and <n> backup servers online. <n> sessions requeued, <n> total in queue." */
export function onlineText(be: Backend, requeued: number): string {
  const { active, backup } = usableCounts(be);
  return `${active} active and ${backup} backup servers online. ${requeued} sessions requeued, ${be.queue.length} total in queue.`;
}

/** "disable server", "set server ... state maint". */
export function enterMaintenance(be: Backend, s: Server): void {
  if (s.maint) return;
  const wasDown = !s.up;
  const queued = s.queue.length;
  serverHealthCheck(s)?.setMaintenance(true);
  s.setMaint(true);
  if (wasDown) events.warning(`${label(be, s)} was DOWN and now enters maintenance.`);
  else events.warning(`${label(be, s)} is going DOWN for maintenance. ${leftText(be, s, queued)}`);
}

/** "enable server", "set server ... state ready": leaving maintenance starts as up, checks at once. */
export function leaveMaintenance(be: Backend, s: Server): void {
  if (!s.maint) return;
  serverHealthCheck(s)?.setMaintenance(false);
  s.setUp(true);
  s.setMaint(false);
  events.warning(`${label(be, s)} is UP/READY (leaving forced maintenance).`);
}

export function setDrain(be: Backend, s: Server, on: boolean): void {
  if (s.drain === on) return;
  const queued = be.queue.length;
  s.setDrain(on);
  if (s.maint) return;
  if (on) events.warning(`${label(be, s)} enters drain state. ${onlineText(be, Math.max(0, be.queue.length - queued))}`);
  else events.warning(`${label(be, s)} is UP (leaving forced drain).`);
}

/** "set server ... state ready|drain|maint". */
export function setAdminState(be: Backend, s: Server, state: 'ready' | 'drain' | 'maint'): void {
  if (state === 'maint') {
    enterMaintenance(be, s);
    return;
  }
  leaveMaintenance(be, s);
  setDrain(be, s, state === 'drain');
}

/** "set server ... health up|stopping|down": forces the operational state and the check counter. */
export function forceHealth(be: Backend, s: Server, state: 'up' | 'stopping' | 'down'): void {
  serverHealthCheck(s)?.forceState(state);
  const was = !s.up ? 'down' : s.stopping ? 'stopping' : 'up';
  if (was === state) return;
  const queued = s.queue.length;
  const beQueued = be.queue.length;
  s.setOpState(state);
  if (s.maint) return;
  if (state === 'down') events.warning(`${label(be, s)} is DOWN, changed from CLI. ${leftText(be, s, queued)}`);
  else {
    const verb = state === 'up' ? 'UP' : 'stopping';
    events.warning(`${label(be, s)} is ${verb}, changed from CLI. ${onlineText(be, Math.max(0, beQueued - be.queue.length))}`);
  }
}

/**
 * HAProxy's server_parse_weight_change_request(): applies "<w>" or "<w>%" (relative to the
 * configured weight) and returns null, or the error message.
 */
export function changeWeight(be: Backend, s: Server, text: string | undefined): string | null {
  if (!text) return 'Require <weight> or <weight%>.\n';
  const m = /^(-?\d+)(.*)$/.exec(text);
  if (!m) return 'Empty weight string empty or preceded by garbage';
  let w = Number(m[1]);
  if (m[2] === '%') {
    if (w < 0) return 'Relative weight must be positive.\n';
    w = Math.floor((s.cfg.weight * Math.min(w, 25600)) / 100);
    if (w > 256) w = 256;
  } else if (w < 0 || w > 256) {
    return 'Absolute weight can only be between 0 and 256 inclusive.\n';
  } else if (m[2] !== '') {
    return 'Trailing garbage in weight string';
  }
  if (w && w !== s.cfg.weight && be.staticWeights) {
    return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
  }
  s.setWeight(w);
  return null;
}

/** "shutdown sessions server": ends every stream on the server, as killed ('K'). */
export function killServerSessions(s: Server): void {
  for (const st of [...s.streams]) (st as Stream).close('K', 'D');
}
