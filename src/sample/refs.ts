// Proxy and server names in fetch arguments ("nbsrv(app)", "srv_is_up(app/s1)") are checked
// once the whole configuration is parsed, as HAProxy's smp_resolve_args() does.
import type { Config, ProxyConfig } from '../config/model.ts';
import type { AclDef, Condition } from './types.ts';
import { AclTermImpl } from './acl.ts';
import { ConditionImpl } from './cond.ts';
import { SampleExprImpl, type SampleRef } from './expr.ts';

function refErrors(refs: readonly SampleRef[], where: string, loc: { file: string; line: number }, px: ProxyConfig, config: Config): string[] {
  const out: string[] = [];
  const at = `parsing [${loc.file}:${loc.line}]: `;
  for (const r of refs) {
    const of = `arg ${r.pos} of ${where.replace('%s', r.kw)} in proxy '${px.name}'.`;
    if (r.kind === 'frontend' || r.kind === 'backend') {
      const ok = config.proxies.some((p) => p.name === r.name && (r.kind === 'frontend' ? p.isFrontend : p.isBackend));
      if (!ok) out.push(`${at}unable to find ${r.kind} '${r.name}' referenced in ${of}`);
      continue;
    }
    const pxName = r.name || r.proxy;
    if (pxName === undefined) continue; // resolved against the stream's backend at run time
    const target = pxName === px.name ? px : config.proxies.find((p) => p.name === pxName && p.isBackend);
    if (!target) {
      out.push(`${at}unable to find backend '${pxName}' referenced in ${of}`);
      continue;
    }
    if (!target.servers.some((s) => s.name === r.server)) {
      out.push(`${at}unable to find server '${r.server}' in proxy '${target.name}', referenced in ${of}`);
    }
  }
  return out;
}

function aclErrors(acl: AclDef, px: ProxyConfig, config: Config): string[] {
  const out: string[] = [];
  for (const t of acl.terms) {
    if (t instanceof AclTermImpl) out.push(...refErrors(t.expr.refs(), "ACL keyword '%s'", t.loc, px, config));
  }
  return out;
}

function condErrors(cond: Condition | null, px: ProxyConfig, config: Config): string[] {
  if (!(cond instanceof ConditionImpl)) return [];
  return cond.anonymousAcls().flatMap((a) => aclErrors(a, px, config));
}

/**
 * Checks the proxy, backend and server names used by the sample expressions of <px> (its
 * ACLs, rule conditions and dynamic use_backend names). Returns null, or the alert text in
 * HAProxy's shape (several errors are grouped under "multiple argument resolution errors:").
 */
export function checkSampleRefs(px: ProxyConfig, config: Config): string | null {
  const errs: string[] = [];
  for (const acl of px.acls.values()) errs.push(...aclErrors(acl, px, config));
  for (const r of [...px.tcpRequestConnection, ...px.tcpRequestContent]) errs.push(...condErrors(r.cond, px, config));
  for (const u of px.useBackends) {
    errs.push(...condErrors(u.cond, px, config));
    for (const p of u.dynamic?.parts ?? []) {
      if (p instanceof SampleExprImpl) errs.push(...refErrors(p.refs(), "sample fetch keyword '%s' in use_backend expression", u.loc, px, config));
    }
  }
  return formatRefErrors(errs);
}

export function formatRefErrors(errs: readonly string[]): string | null {
  if (errs.length === 0) return null;
  if (errs.length === 1) return errs[0]!;
  return `multiple argument resolution errors:\n        ${errs.join('\n        ')}`;
}
