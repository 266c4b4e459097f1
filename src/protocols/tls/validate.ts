// The TLS checks HAProxy runs once the configuration is read (ssl_sock_prepare_bind_conf(),
// ssl_sock_prepare_srv_ctx()), with its messages: certificates present, CA files where
// verification needs them, cipher/suite/curve lists and version ranges usable. Building the
// contexts here is what validates the lists; the runtime reuses them.
import type { Diagnostics } from '../../config/diagnostics.ts';
import type { BindConfig, ProxyConfig, ServerConfig } from '../../config/model.ts';
import { bindOptions, serverContext, type ContextProblem } from './context.ts';
import { bindCerts } from './bind-certs.ts';
import { checkUsesTls, type BindTls } from './settings.ts';

/** Checks the TLS settings of a proxy's bind lines and servers. */
export function validateTls(px: ProxyConfig, diag: Diagnostics): void {
  const seen = new Set<BindTls>();
  for (const b of px.binds) {
    // The addresses of one bind line share their settings: checked once, as HAProxy does.
    if (!b.tls?.ssl || seen.has(b.tls)) continue;
    seen.add(b.tls);
    validateBind(px, b, b.tls, diag);
  }
  for (const s of px.servers) {
    if (s.tls.ssl || (s.check.enabled && checkUsesTls(s))) validateServer(px, s, diag);
  }
}

function problemText(p: ContextProblem): string {
  switch (p.kind) {
    case 'ciphers': return `unable to set SSL cipher list to '${p.value}'`;
    case 'ciphersuites': return `unable to set TLS 1.3 cipher suites to '${p.value}'`;
    case 'curves': return `unable to set SSL curves list to '${p.value}'`;
    case 'versions': return 'all SSL/TLS versions are disabled';
  }
}

function validateBind(px: ProxyConfig, b: BindConfig, t: BindTls, diag: Diagnostics): void {
  const g = t.global;
  const where = `for bind '${b.text}' at [${b.loc.file}:${b.loc.line}]`;
  const proxy = `Proxy '${px.name}'`;
  const count = t.sources.reduce((n, s) => n + (s.kind === 'cert' ? 1 : s.list.entries.length), 0);
  if (count === 0) {
    diag.alert(null, `${proxy}: no SSL certificate specified ${where} (use 'crt').`);
    return;
  }
  const opts = bindOptions(t);
  for (const w of opts.warnings) {
    if (w === 'ignored') diag.warning(null, `${proxy}: no-sslv3/no-tlsv1x are ignored ${where}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.`);
    else {
      const max = t.versions.max ?? g.bind.versions.max;
      diag.warning(null, `${proxy}: Ambiguous configuration ${where}: the ssl-min-ver value is not configured and the ssl-max-ver value is lower than the default ssl-min-ver value (TLSv1.2). Setting the ssl-min-ver to ${max}. Use 'ssl-min-ver' to fix this.`);
    }
  }
  if (!opts.ok && opts.problems.some((p) => p.kind === 'versions')) diag.alert(null, `${proxy}: ${problemText({ kind: 'versions' })} ${where}.`);
  // HAProxy prepares the default context then one per certificate, reporting each time.
  const r = bindCerts(t);
  const lines: string[] = [];
  r.contexts.forEach((s, i) => {
    if ((s.verify ?? 'none') !== 'none' && !s.ca) lines.push(`${proxy}: verify is enabled but no CA file specified ${where}.`);
    if (!r.ok) for (const p of r.problems[i]!) if (p.kind !== 'versions') lines.push(`${proxy}: ${problemText(p)} ${where}.`);
  });
  if (lines.length > 0) diag.alert(null, lines.join('\n'));
}

function validateServer(px: ProxyConfig, s: ServerConfig, diag: Diagnostics): void {
  const label = `[${s.loc.file}:${s.loc.line}] : 'server ${px.name}/${s.name}'`;
  const t = s.tls;
  const g = t.global!;
  if ((t.verify ?? g.serverVerify) === 'required' && !t.ca) {
    diag.alert(null, `${label} : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.`);
    return;
  }
  const r = serverContext(t);
  if (r.ignoredFlags) diag.warning(null, `${label} : no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.`);
  if (r.ok) return;
  const kind = px.kind === 'listen' ? 'proxy' : px.kind;
  for (const p of r.problems) {
    if (p.kind === 'versions') diag.alert(null, `${label} : ${kind} '${px.name}': ${problemText(p)} for server '${s.name}'.`);
    else diag.alert(null, `${label} : ${problemText(p)}.`);
  }
}
