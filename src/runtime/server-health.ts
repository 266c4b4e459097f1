// Wires each checked server of a backend to its health check: transitions change the
// server's state, print HAProxy's messages, requeue or shut down sessions as configured.
import { HealthCheck, checkProxySettings, startDelays, type CheckTarget } from '../checks/check.ts';
import { getTcpCheckRules } from '../checks/tcp-check.ts';
import { formatCheckReason, type TransitionEvent } from '../checks/health.ts';
import type { Backend } from './backend.ts';
import type { Server } from './server.ts';
import { events } from './events.ts';

const running = new WeakMap<Backend, HealthCheck[]>();
const byServer = new WeakMap<Server, HealthCheck>();

/** The health check of a server with "check", for stats and the CLI. */
export function serverHealthCheck(s: Server): HealthCheck | undefined {
  return byServer.get(s);
}

export function startServerChecks(be: Backend, spreadChecks: number, bufsize: number): void {
  const checks: HealthCheck[] = [];
  const rules = getTcpCheckRules(be.cfg);
  const t = be.cfg.timeouts;
  for (const s of be.servers) {
    if (!s.cfg.check.enabled) continue;
    const proxy = checkProxySettings(s.cfg);
    const check = new HealthCheck({
      proxyName: be.name,
      serverName: s.name,
      target: () => serverAddress(s),
      settings: s.cfg.check,
      timeoutConnect: t.connect,
      timeoutCheck: t.check,
      rules,
      sendProxy: proxy.sendProxy,
      proxyVersion: proxy.proxyVersion,
      observe: s.cfg.observe,
      errorLimit: s.cfg.errorLimit,
      onError: s.cfg.onError,
      spreadChecks,
      maintenance: s.maint,
      source: s.cfg.source ?? be.cfg.source,
      bufsize,
      onTransition: (ev: TransitionEvent) => transition(be, s, ev),
    });
    if (s.cfg.observe === 'layer4') s.check = check;
    byServer.set(s, check);
    checks.push(check);
  }
  // First checks are spread over the smallest interval, as HAProxy's start_checks().
  const delays = startDelays(checks.map((c) => c.currentInter()), spreadChecks);
  checks.forEach((c, i) => c.start(delays[i]));
  running.set(be, checks);
}

export function stopServerChecks(be: Backend): void {
  for (const c of running.get(be) ?? []) c.stop();
  running.delete(be);
}

/** The server's resolved address; the check applies its own "addr"/"port" on top. */
function serverAddress(s: Server): CheckTarget {
  const t = s.target!;
  return 'path' in t ? t : { host: t.host, port: t.port };
}

function transition(be: Backend, s: Server, ev: TransitionEvent): void {
  const why = formatCheckReason(ev);
  if (ev.up) {
    const queuedBefore = be.queue.length;
    s.setOpState(ev.stopping ? 'stopping' : 'up');
    events.serverUp(be, s, why, Math.max(0, queuedBefore - be.queue.length));
    if (s.cfg.onMarkedUp === 'shutdown-backup-sessions' && !s.backup) {
      for (const other of be.servers) if (other.backup) for (const st of [...other.streams]) st.shutdownByServerState('backup server replaced');
    }
    return;
  }
  const active = s.streams.size;
  const queued = s.queue.length;
  s.setUp(false);
  events.serverDown(be, s, why, active, queued);
  if (s.cfg.onMarkedDown === 'shutdown-sessions') for (const st of [...s.streams]) st.shutdownByServerState('server down');
}
