// Checks that need the whole configuration (HAProxy's check_config_validity()): ids,
// references between proxies, missing binds and timeouts, server ports for checks.
import type { Diagnostics } from './diagnostics.ts';
import type { Config, ProxyConfig } from './model.ts';
import { checkSampleRefs } from '../sample/refs.ts';
import { serverCheckPortError, validateTcpChecks } from '../checks/tcp-check.ts';
import { checkProxyLogging } from '../observe/log/keywords.ts';
import { checkUniqueIds } from '../observe/log/unique-id.ts';
import { validateBalance } from '../lb/keywords.ts';
import { validateHttpChecks } from '../checks/http-check.ts';
import { validateServerAgents } from '../runtime/server-keywords.ts';
import { validatePersistence } from '../runtime/persistence-keywords.ts';
import { checkStatsMode } from '../observe/stats/stats-keywords.ts';
import { checkHttpConfig } from '../actions/http-rules.ts';
import { validateTls } from '../protocols/tls/validate.ts';

export function validateConfig(config: Config, diag: Diagnostics): void {
  assignProxyIds(config, diag);
  for (const px of config.proxies) {
    if (px.disabled) continue;
    if (px.isFrontend) checkFrontend(px, config, diag);
    if (px.isBackend) checkBackend(px, diag);
    checkTimeouts(px, diag);
    checkStatsMode(px, diag);
    validateTls(px, diag);
    // Backend and server names in fetch arguments (nbsrv(bk), srv_is_up(bk/s1)) must exist.
    const refs = checkSampleRefs(px, config);
    if (refs) diag.alert(null, `Proxy '${px.name}': ${refs}`);
  }
  checkProxyLogging(config, diag);
  checkUniqueIds(config, diag);
  // As HAProxy, HTTP rules and error pages are resolved only in a configuration without errors.
  if (diag.alerts === 0) checkHttpConfig(config, diag);
}

function assignProxyIds(config: Config, diag: Diagnostics): void {
  const used = new Map<number, ProxyConfig>();
  for (const px of config.proxies) {
    if (px.id === null) continue;
    const other = used.get(px.id);
    if (other) {
      diag.alert(null, `parsing [${px.loc.file}:${px.loc.line}]: ${px.kind} ${px.name} reuses same custom id as ${other.kind} ${other.name} (declared at ${other.loc.file}:${other.loc.line}).`);
    }
    used.set(px.id, px);
  }
  // HAProxy's CLI frontend ("GLOBAL"), created by any global "stats" keyword, takes id 1.
  let next = config.global.cliFrontend ? 2 : 1;
  for (const px of config.proxies) {
    if (px.id !== null) continue;
    while (used.has(next)) next++;
    px.id = next;
    used.set(next, px);
  }
}

function findBackend(config: Config, name: string): ProxyConfig | undefined {
  return config.proxies.find((p) => p.isBackend && p.name === name);
}

function checkFrontend(px: ProxyConfig, config: Config, diag: Diagnostics): void {
  if (px.binds.length === 0) {
    diag.warning(null, `${px.kind} '${px.name}' has no 'bind' directive. Please declare it as a backend if this was intended.`);
  }
  for (const b of px.binds) {
    // h1 and h2 multiplex HTTP; fcgi only talks to servers.
    const mux = b.proto;
    if (mux !== null && (px.mode !== 'http' || mux === 'fcgi')) {
      diag.alert(null, `frontend '${px.name}' : MUX protocol '${mux}' is not usable for 'bind ${b.text}' at [${b.loc.file}:${b.loc.line}].`);
    }
  }
  if (px.defaultBackend) {
    const be = findBackend(config, px.defaultBackend.name);
    if (!be) diag.alert(null, `Proxy '${px.name}': unable to find required default_backend: '${px.defaultBackend.name}'.`);
    else checkModes(px, be, 'as its default backend', diag);
  }
  for (const rule of px.useBackends) {
    if (rule.dynamic) continue;
    const be = findBackend(config, rule.name);
    if (!be) diag.alert(null, `Proxy '${px.name}': unable to find required use_backend: '${rule.name}'.`);
    else checkModes(px, be, "in a 'use_backend' rule", diag);
  }
}

/** An HTTP frontend cannot hand its requests to a TCP backend. */
function checkModes(fe: ProxyConfig, be: ProxyConfig, how: string, diag: Diagnostics): void {
  if (fe.mode === 'http' && be.mode !== 'http') {
    diag.alert(null, `http frontend '${fe.name}' (${fe.loc.file}:${fe.loc.line}) tries to use incompatible tcp backend '${be.name}' (${be.loc.file}:${be.loc.line}) ${how} (see 'mode').`);
  } else if (fe.mode === 'tcp' && be.mode === 'http' && fe !== be) {
    diag.alert(null, `tcp frontend '${fe.name}' (${fe.loc.file}:${fe.loc.line}) uses http backend '${be.name}' (${be.loc.file}:${be.loc.line}) ${how}: the TCP to HTTP upgrade is not supported by Turnpike yet.`);
  }
}

function checkBackend(px: ProxyConfig, diag: Diagnostics): void {
  const ids = new Map<number, string>();
  for (const s of px.servers) {
    if (s.id === null) continue;
    const other = ids.get(s.id);
    if (other) {
      diag.alert(null, `[${s.loc.file}:${s.loc.line}] : 'server ${px.name}/${s.name}' : 'id' : custom id ${s.id} already used at ${other}.`);
    }
    ids.set(s.id, `${s.loc.file}:${s.loc.line} ('server ${s.name}')`);
  }
  let next = 1;
  for (const s of px.servers) {
    if (s.id !== null) continue;
    while (ids.has(next)) next++;
    s.id = next;
    ids.set(next, `${s.loc.file}:${s.loc.line} ('server ${s.name}')`);
  }
  for (const s of px.servers) {
    const err = serverCheckPortError(px, s);
    if (err) diag.alert(null, err);
  }
  validateTcpChecks(px, diag);
  validateHttpChecks(px, diag);
  validateServerAgents(px, diag);
  validatePersistence(px, diag);
  validateBalance(px, diag);
}

function checkTimeouts(px: ProxyConfig, diag: Diagnostics): void {
  const t = px.timeouts;
  const missing = (px.isFrontend && !t.client) || (px.isBackend && (!t.connect || !t.server));
  if (!missing) return;
  diag.warning(null, `missing timeouts for ${px.kind} '${px.name}'.
   | While not properly invalid, you will certainly encounter various problems
   | with such a configuration. To fix this, please ensure that all following
   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.`);
}
