// The open-file budget checked at start-up, in HAProxy 2.6's terms. HAProxy computes "maxsock",
// the descriptors the process may need, raises RLIMIT_NOFILE to it and complains when it cannot.
// Node has no setrlimit(), so Turnpike always takes the "cannot raise" branch when the limit is
// short: with strict-limits (the default) it refuses to start, with "no strict-limits" it warns
// and runs (then accepts may hit EMFILE; libuv closes what it cannot accept, see listener.ts).
import type { Config } from '../config/model.ts';

/**
 * HAProxy's maxsock: a reserve of 10, one per listener and per health check (two per agent
 * check), the CLI's own connections, two per connection (client and server side) and three per
 * thread (poller and wake-up pipe). The figures were read from HAProxy 2.6.12's messages.
 */
export function maxsock(config: Config, maxconn: number, nbthread: number): number {
  const g = config.global;
  let n = 10 + 2 * maxconn + 3 * nbthread;
  if (g.cliFrontend) n += g.statsMaxconn + g.statsSockets.length;
  for (const p of config.proxies) {
    if (p.disabled) continue;
    n += p.binds.length;
    for (const s of p.servers) n += (s.check.enabled ? 1 : 0) + (s.agent.enabled ? 2 : 0);
  }
  return n;
}

export interface FdLimitCheck {
  /** Printed as [WARNING]. */
  warnings: string[];
  /** Printed as [ALERT]. */
  alerts: string[];
  /** strict-limits: print `alerts` and exit with status 1. */
  fatal: boolean;
}

/**
 * The start-up messages HAProxy 2.6.12 prints for this configuration when its FD limit is
 * `current` and cannot be raised (Node already raised the soft limit to the hard one). As
 * measured with it: "ulimit-n" above the limit cannot be had; below it, the limit is not lowered
 * (so it changes nothing); maxsock matters only when maxconn is set, since otherwise maxconn is
 * derived from the limit.
 */
export function checkFdLimit(config: Config, current: number, nbthread: number): FdLimitCheck {
  const g = config.global;
  const out: FdLimitCheck = { warnings: [], alerts: [], fatal: false };
  const need = g.maxconn ? maxsock(config, g.maxconn, nbthread) : 0;
  const wanted = g.ulimitN ?? need;
  if (wanted > current) {
    const text = `[haproxy.main()] Cannot raise FD limit to ${wanted}, limit is ${current}.`;
    if (g.strictLimits) return { warnings: [], alerts: [text], fatal: true };
    out.warnings.push(text);
  }
  if (need > current) {
    out.alerts.push(`[haproxy.main()] FD limit (${current}) too low for maxconn=${g.maxconn}/maxsock=${need}. Please raise 'ulimit-n' to ${need} or more to avoid any trouble.`);
    out.fatal = g.strictLimits;
  }
  return out;
}
