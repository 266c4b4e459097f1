// Which stats lines a dump contains, in HAProxy's order: for each proxy, its frontend line,
// its listener lines ("option socket-stats"), its server lines, then its backend line; with
// the "show stat" selectors (proxy id, object types, server id) and the up/no-maint filters.
import type { Proxy } from '../../runtime/proxy.ts';
import type { Server } from '../../runtime/server.ts';
import { enabledCheck } from './status.ts';
import { backendLine, frontendLine, listenerId, listenerLine, serverLine, type StatLine, type StatsContext } from './rows.ts';

export interface StatsFilter {
  /** Proxy id, or -1 for all. */
  readonly iid: number;
  /** Bit mask: 1 frontends, 2 backends, 4 servers, 8 listeners; -1 for all. */
  readonly types: number;
  /** Server or listener id, or -1 for all. */
  readonly sid: number;
  /** "up": hide servers in maintenance and servers down without a check bringing them back. */
  readonly hideDown: boolean;
  /** "no-maint": hide servers in maintenance. */
  readonly hideMaint: boolean;
  /** The page's "stats scope" and ";scope=": proxy names to show (null: all). */
  readonly scope: ((px: Proxy) => boolean) | null;
}

export const ALL_STATS: StatsFilter = { iid: -1, types: -1, sid: -1, hideDown: false, hideMaint: false, scope: null };

function hidden(f: StatsFilter, s: Server): boolean {
  if (s.maint) return f.hideMaint || f.hideDown;
  if (!f.hideDown || s.up) return false;
  const h = enabledCheck(s)?.health;
  return !h || h.health === 0;
}

/** The lines of one proxy, in output order. */
export function proxyLines(ctx: StatsContext, px: Proxy, f: StatsFilter): StatLine[] {
  const out: StatLine[] = [];
  if (f.iid !== -1 && px.id !== f.iid) return out;
  if (f.scope && !f.scope(px)) return out;
  const want = (bit: number): boolean => f.types === -1 || (f.types & bit) !== 0;
  if (px.cfg.isFrontend && want(1)) out.push(frontendLine(ctx, px));
  if (px.cfg.isFrontend && want(8) && px.cfg.option('socket-stats')) {
    for (const l of px.listeners) if (f.sid === -1 || listenerId(l) === f.sid) out.push(listenerLine(ctx, l));
  }
  if (px.backend && want(4)) {
    for (const s of px.backend.servers) {
      if (f.sid !== -1 && s.id !== f.sid) continue;
      if (hidden(f, s)) continue;
      out.push(serverLine(ctx, px, s));
    }
  }
  if (px.backend && want(2)) out.push(backendLine(ctx, px));
  return out;
}

export function statLines(ctx: StatsContext, f: StatsFilter): StatLine[] {
  const out: StatLine[] = [];
  for (const px of ctx.rt.proxies) out.push(...proxyLines(ctx, px, f));
  return out;
}
