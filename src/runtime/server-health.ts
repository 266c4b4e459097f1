// Wires each checked server of a backend to its health check and its agent check: transitions
// change the server's state, print HAProxy's messages, requeue or shut down sessions as
// configured; agent replies change the administrative state, weight and maxconn.
//
// The server runs when the health check (if any) and the agent (if any) both agree, as
// HAProxy's check_notify_success(): a health check coming back up leaves the server down while
// the agent says down, and only the agent's "up" brings it back.
import { hostname } from 'node:os';
import { HealthCheck, checkProxySettings, startDelays, type CheckTarget } from '../checks/check.ts';
import { getTcpCheckRules } from '../checks/tcp-check.ts';
import { getHttpCheckRules, httpCheckEnabled } from '../checks/http-check.ts';
import { serverStateHeader } from '../checks/http-check-run.ts';
import { AgentCheck, type AgentEffects } from '../checks/agent-check.ts';
import { formatCheckReason, type CheckStatus, type TransitionEvent } from '../checks/health.ts';
import { changeWeight, enterMaintenance, leaveMaintenance, onlineText, setDrain } from '../observe/cli/server-admin.ts';
import type { Backend } from './backend.ts';
import type { Server } from './server.ts';
import { events } from './events.ts';
import { checkUsesTls } from '../protocols/tls/settings.ts';

const running = new WeakMap<Backend, { stop(): void }[]>();
const byServer = new WeakMap<Server, HealthCheck>();
/** Servers whose agent last said down (HAProxy's agent health below rise). */
const agentDown = new WeakSet<Server>();

/** Main thread with nbthread: told after each health check, to send the other threads their copy soon (threads/pool.ts). */
export const checkResults = { notify: null as (() => void) | null };

/** The health check of a server with "check", for stats and the CLI. */
export function serverHealthCheck(s: Server): HealthCheck | undefined {
  return byServer.get(s);
}

/** `node`: the global "node" name (HAProxy defaults it to the host name), for send-state. */
export function startServerChecks(be: Backend, spreadChecks: number, bufsize: number, node: string = hostname()): void {
  const started: { start(delay: number): void; stop(): void }[] = [];
  const inters: number[] = [];
  const cfg = be.cfg;
  const http = httpCheckEnabled(cfg);
  const rules = http ? getHttpCheckRules(cfg) : getTcpCheckRules(cfg);
  const t = cfg.timeouts;
  for (const s of be.servers) {
    if (s.cfg.check.enabled) {
      const proxy = checkProxySettings(s.cfg);
      const check: HealthCheck = new HealthCheck({
        proxyName: be.name,
        serverName: s.name,
        target: () => serverAddress(s),
        settings: s.cfg.check,
        timeoutConnect: t.connect,
        timeoutCheck: t.check,
        rules,
        http,
        disable404: cfg.httpCheckDisable404,
        stateHeader: cfg.httpCheckSendState ? () => stateHeader(be, s, check, node) : null,
        sendProxy: proxy.sendProxy,
        proxyVersion: proxy.proxyVersion,
        observe: s.cfg.observe,
        errorLimit: s.cfg.errorLimit,
        onError: s.cfg.onError,
        spreadChecks,
        maintenance: s.maint,
        source: s.cfg.source ?? cfg.source,
        bufsize,
        tls: checkUsesTls(s.cfg) ? s.cfg.tls : null,
        onTransition: (ev: TransitionEvent) => transition(be, s, ev),
        onResult: () => checkResults.notify?.(),
      });
      if (s.cfg.observe === 'layer4') s.check = check;
      byServer.set(s, check);
      started.push(check);
      inters.push(check.currentInter());
    }
    if (s.cfg.agent.enabled) {
      const a = s.cfg.agent;
      const agent = new AgentCheck({
        target: () => agentAddress(s),
        inter: a.inter,
        timeoutConnect: t.connect,
        timeoutCheck: t.check,
        send: a.send,
        source: s.cfg.source ?? cfg.source,
        bufsize,
        effects: agentEffects(be, s),
      });
      started.push(agent);
      inters.push(agent.inter);
    }
  }
  // First checks are spread over the smallest interval, as HAProxy's start_checks().
  const delays = startDelays(inters, spreadChecks);
  started.forEach((c, i) => c.start(delays[i]!));
  running.set(be, started);
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

/** agent-addr (or the server's address) and agent-port. */
function agentAddress(s: Server): CheckTarget {
  const a = s.cfg.agent;
  const t = s.target!;
  const host = a.addr ?? ('path' in t ? '127.0.0.1' : t.host);
  return { host, port: a.port & 0xffff };
}

function transition(be: Backend, s: Server, ev: TransitionEvent): void {
  const why = formatCheckReason(ev);
  if (ev.up) {
    // The agent must agree before the server runs again.
    if (agentDown.has(s)) return;
    const queuedBefore = be.queue.length;
    if (ev.stopping) {
      s.setOpState('stopping');
      events.warning(`${label(s)} ${be.name}/${s.name} is stopping${why}. ${onlineText(be, Math.max(0, queuedBefore - be.queue.length))}`);
      return;
    }
    s.setOpState('up');
    events.serverUp(be, s, why, Math.max(0, queuedBefore - be.queue.length));
    shutdownBackupSessions(be, s);
    return;
  }
  markDown(be, s, why);
}

/** on-marked-up shutdown-backup-sessions: an active server back up ends this thread's streams on the backup servers. */
export function shutdownBackupSessions(be: Backend, s: Server): void {
  if (s.cfg.onMarkedUp !== 'shutdown-backup-sessions' || s.backup) return;
  for (const other of be.servers) if (other.backup) for (const st of [...other.streams]) st.shutdownByServerState('backup server replaced');
}

function markDown(be: Backend, s: Server, why: string): void {
  const active = s.streams.size;
  const queued = s.queue.length;
  s.setUp(false);
  events.serverDown(be, s, why, active, queued);
  if (s.cfg.onMarkedDown === 'shutdown-sessions') for (const st of [...s.streams]) st.shutdownByServerState('server down');
}

function label(s: Server): string {
  return s.backup ? 'Backup Server' : 'Server';
}

/** What agent replies do to the server (tcpcheck_agent_expect_reply() and the check notifications). */
function agentEffects(be: Backend, s: Server): AgentEffects {
  return {
    admin(state) {
      if (state === 'maint') enterMaintenance(be, s);
      else if (state === 'drain') setDrain(be, s, true);
      else {
        leaveMaintenance(be, s);
        setDrain(be, s, false);
      }
    },
    weight: (text) => changeWeight(be, s, text),
    maxconn: (n) => s.setMaxconn(n),
    health(up: boolean, status: CheckStatus, info: string, durationMs: number) {
      const check = byServer.get(s);
      const why = formatCheckReason({ status, info, checkDurationMs: durationMs, code: 0 });
      if (!up) {
        // "down" also resets the health check, which then has to rise again.
        agentDown.add(s);
        check?.forceState('down');
        if (s.up && !s.maint) markDown(be, s, why);
        else if (s.up) s.setUp(false);
        return;
      }
      agentDown.delete(s);
      if (check) {
        if (check.state === 'down') check.forceState('up');
        else check.health.health = check.health.max;
      }
      if (s.up || s.maint) return;
      const queuedBefore = be.queue.length;
      s.setOpState('up');
      events.serverUp(be, s, why, Math.max(0, queuedBefore - be.queue.length));
    },
  };
}

/** The X-Haproxy-Server-State value for a check of `s`. */
function stateHeader(be: Backend, s: Server, check: HealthCheck, node: string): string {
  const t = s.target;
  const inet = t !== null && !('path' in t);
  let total = 0;
  let active = false;
  for (const o of be.servers) if (o.eligible && !o.backup) active = true;
  for (const o of be.servers) if (o.eligible && o.backup !== active) total += Math.ceil(o.eweight);
  return serverStateHeader({
    checkEnabled: check.isEnabled,
    state: !s.up ? 'down' : s.stopping ? 'stopping' : 'up',
    health: check.health.health,
    rise: check.health.rise,
    fall: check.health.fall,
    address: inet ? t.host : 'unix',
    port: inet ? String(t.port) : '',
    backend: be.name,
    server: s.name,
    node,
    weight: Math.ceil(s.eweight),
    totalWeight: total,
    serverConns: s.curConns,
    backendConns: be.beCur - be.queue.length,
    queued: s.queue.length,
  });
}
