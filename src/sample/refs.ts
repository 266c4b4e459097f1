// Proxy, server and userlist names in fetch arguments ("nbsrv(app)", "srv_is_up(app/s1)",
// "http_auth(users)") are checked once the whole configuration is parsed, as HAProxy's
// smp_resolve_args() does.
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
    if (r.kind === 'userlist') {
      if (r.name === '') out.push(`${at}missing userlist name in ${of}`);
      else if (!config.userlists.some((u) => u.name === r.name)) out.push(`${at}unable to find userlist '${r.name}' referenced in ${of}`);
      continue;
    }
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

/** The patterns of an ACL line as written: the words after the criterion and its flags. */
function aclPatterns(text: string): string[] {
  const words = text.split(' ').slice(1);
  let i = 0;
  while (i < words.length && words[i]![0] === '-') {
    if (words[i] === '--') return words.slice(i + 1);
    i += words[i] === '-m' || words[i] === '-u' || words[i] === '-f' ? 2 : 1;
  }
  return words.slice(i);
}

/** acl_find_targets(): http_auth_group patterns must be groups of the userlist. */
function authGroupErrors(acl: AclDef, t: AclTermImpl, px: ProxyConfig, config: Config): string[] {
  const ul = config.userlists.find((u) => u.name === t.expr.args[0]?.str);
  if (!ul) return [];
  const at = `proxy ${px.name}: acl ${acl.name} http_auth_group(): `;
  const groups = aclPatterns(t.text);
  if (groups.length === 0) return [`${at}no groups specified.`];
  return groups.filter((g) => !ul.groups.has(g)).map((g) => `${at}invalid group '${g}'.`);
}

function aclErrors(acl: AclDef, px: ProxyConfig, config: Config): string[] {
  const out: string[] = [];
  for (const t of acl.terms) {
    if (!(t instanceof AclTermImpl)) continue;
    out.push(...refErrors(t.expr.refs(), "ACL keyword '%s'", t.loc, px, config));
    if (t.expr.fetch.name === 'http_auth_group' && t.expr.convs.length === 0) out.push(...authGroupErrors(acl, t, px, config));
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
