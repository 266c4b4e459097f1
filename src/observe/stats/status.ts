// A server's state as the stats show it (HAProxy's stats_fill_sv_stats() status logic): the
// status word ("UP 1/3", "DRAIN", "no check"...), and the state class the HTML page colours.
import type { Server } from '../../runtime/server.ts';
import { checkViewOf, type CheckView } from '../../checks/check-view.ts';

export type ServerStatsState =
  | 'maint' | 'up' | 'going-down' | 'down' | 'going-up' | 'nolb' | 'nolb-going-down' | 'drain' | 'drain-going-down' | 'no-check';

/** The check of `s` when it runs: configured and not disabled by "disable health". */
export function enabledCheck(s: Server): CheckView | null {
  const c = checkViewOf(s);
  return c && c.isEnabled ? c : null;
}

/** The check whose results the stats show: enabled and not paused by maintenance. */
export function shownCheck(s: Server): CheckView | null {
  const c = enabledCheck(s);
  return c && !c.health.maintenance ? c : null;
}

export function serverStatsState(s: Server): ServerStatsState {
  if (s.maint) return 'maint';
  const check = enabledCheck(s);
  const h = check?.health;
  if (!s.up) {
    if (!h || h.health === 0) return 'down';
    return 'going-up';
  }
  if (s.stopping) return !h || h.full ? 'nolb' : 'nolb-going-down';
  const goingDown = h !== undefined && !h.full;
  if (s.drain) return goingDown ? 'drain-going-down' : 'drain';
  if (goingDown) return 'going-down';
  return check ? 'up' : 'no-check';
}

/** The "status" column of a server line. */
export function serverStatusText(s: Server): string {
  const state = serverStatsState(s);
  const h = enabledCheck(s)?.health;
  const down = h ? `${h.health - h.rise + 1}/${h.fall}` : '';
  switch (state) {
    case 'maint': return 'MAINT';
    case 'up': return 'UP';
    case 'going-down': return `UP ${down}`;
    case 'down': return 'DOWN';
    case 'going-up': return `DOWN ${h!.health}/${h!.rise}`;
    case 'nolb': return 'NOLB';
    case 'nolb-going-down': return `NOLB ${down}`;
    case 'drain': return 'DRAIN';
    case 'drain-going-down': return `DRAIN ${down}`;
    case 'no-check': return 'no check';
  }
}
