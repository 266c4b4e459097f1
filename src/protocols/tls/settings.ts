// TLS settings as parsed from bind lines, server lines and the global section (HAProxy's
// ssl_bind_conf, a server's ssl_ctx and global_ssl), and the protocol version range they
// select (ssl_sock_prepare_ctx()'s rules, messages included).
import type { SampleExpr } from '../../sample/types.ts';
import type { ServerConfig } from '../../config/model.ts';
import type { PemBundle } from './certs.ts';
import { CertStore, type StoredCert } from './cert-store.ts';
import type { CrtList } from './crt-list.ts';

/** Versions in HAProxy's order; "SSLv3" is accepted but no OpenSSL 3 build (nor Node) offers it. */
export const TLS_VERSIONS = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Node's names for minVersion/maxVersion. */
export const NODE_VERSION: Readonly<Record<TlsVersion, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = {
  SSLv3: 'TLSv1', 'TLSv1.0': 'TLSv1', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3',
};

/** The default lowest version of bind and server lines since HAProxy 2.2. */
const DEFAULT_MIN: TlsVersion = 'TLSv1.2';

export function parseVersion(v: string): TlsVersion | null {
  return (TLS_VERSIONS as readonly string[]).includes(v) ? (v as TlsVersion) : null;
}

/** ssl-min-ver / ssl-max-ver and the no-sslv3/no-tlsv1x/force-* flags of one line. */
export interface VersionConfig {
  min: TlsVersion | null;
  max: TlsVersion | null;
  /** Versions disabled by no-sslv3 / no-tlsv1x. */
  disabled: TlsVersion[];
}

export function newVersionConfig(): VersionConfig {
  return { min: null, max: null, disabled: [] };
}

/** Parses the version options shared by bind lines, servers and ssl-default-*-options; null when `opt` is not one. */
export function versionOption(v: VersionConfig, opt: string, value: string | undefined): { used: number } | { error: string } | null {
  if (opt === 'ssl-min-ver' || opt === 'ssl-max-ver') {
    if (value === undefined) return { error: `'${opt}' : missing the ssl/tls version` };
    const ver = parseVersion(value);
    if (!ver) return { error: `'${value}' : unknown ssl/tls version` };
    if (opt === 'ssl-min-ver') v.min = ver;
    else v.max = ver;
    return { used: 1 };
  }
  const m = /^(no|force)-(sslv3|tlsv1[0-3])$/.exec(opt);
  if (!m) return null;
  const ver: TlsVersion = m[2] === 'sslv3' ? 'SSLv3' : (`TLSv1.${m[2]!.slice(5)}` as TlsVersion);
  if (m[1] === 'no') {
    if (!v.disabled.includes(ver)) v.disabled.push(ver);
  } else {
    v.min = ver;
    v.max = ver;
  }
  return { used: 0 };
}

/** Line settings over the ssl-default-*-options ones. */
export function mergeVersions(line: VersionConfig, dflt: VersionConfig): VersionConfig {
  return {
    min: line.min ?? dflt.min,
    max: line.max ?? dflt.max,
    disabled: [...new Set([...dflt.disabled, ...line.disabled])],
  };
}

export interface VersionRange {
  readonly min: TlsVersion;
  readonly max: TlsVersion;
}

/**
 * The enabled range, with HAProxy's warnings: the no-sslv3/no-tlsv1x flags are ignored once a
 * min or max is set, and a max below the default min without a min sets the min to the max.
 * (With TLSv1.2 as the default min, the flags alone cannot leave a hole in the range.)
 * Returns null when every version is disabled.
 */
export function versionRange(v: VersionConfig, warn: (kind: 'ignored' | 'ambiguous') => void): VersionRange | null {
  let disabled = v.disabled;
  if (disabled.length > 0 && (v.min || v.max)) {
    warn('ignored');
    disabled = [];
  }
  let min = v.min;
  if (!min) {
    if (v.max && TLS_VERSIONS.indexOf(v.max) < TLS_VERSIONS.indexOf(DEFAULT_MIN)) {
      warn('ambiguous');
      min = v.max;
    } else {
      min = DEFAULT_MIN;
    }
  }
  const hi = v.max ? TLS_VERSIONS.indexOf(v.max) : TLS_VERSIONS.length - 1;
  let first = -1;
  let last = -1;
  // SSLv3 (index 0) is never available: OpenSSL 3 is built without it.
  for (let i = Math.max(TLS_VERSIONS.indexOf(min), 1); i <= hi; i++) {
    if (disabled.includes(TLS_VERSIONS[i]!)) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) return null;
  return { min: TLS_VERSIONS[first]!, max: TLS_VERSIONS[last]! };
}

/** Where a bind line's certificates come from, in declaration order ("crt" file, "crt" directory or "crt-list"). */
export type CertSource =
  | { readonly kind: 'cert'; readonly store: StoredCert }
  | { readonly kind: 'list'; readonly list: CrtList };

/** ca-ignore-err / crt-ignore-err: every error, or the X509_V_ERR_* codes listed. */
export type IgnoredErrors = 'all' | ReadonlySet<number>;

/** Settings of a bind line (5.1). `ssl` is the "ssl" keyword: without it the line is plain TCP. */
export interface BindTls {
  /** The global section's defaults, applied when the contexts are built. */
  global: GlobalTls;
  ssl: boolean;
  sources: CertSource[];
  /** ALPN protocols offered, in preference order. */
  alpn: string[] | null;
  versions: VersionConfig;
  ciphers: string | null;
  ciphersuites: string | null;
  curves: string | null;
  ca: PemBundle | null;
  crl: PemBundle | null;
  verify: 'none' | 'optional' | 'required' | null;
  noTlsTickets: boolean;
  strictSni: boolean;
  preferClientCiphers: boolean;
  /** Verification errors accepted above the client's certificate (ca-ignore-err) and on it (crt-ignore-err). */
  caIgnoreErr: IgnoredErrors | null;
  crtIgnoreErr: IgnoredErrors | null;
}

export function newBindTls(global: GlobalTls): BindTls {
  return {
    global, ssl: false, sources: [], alpn: null, versions: newVersionConfig(), ciphers: null, ciphersuites: null, curves: null,
    ca: null, crl: null, verify: null, noTlsTickets: false, strictSni: false, preferClientCiphers: false, caIgnoreErr: null, crtIgnoreErr: null,
  };
}

/**
 * The options of one crt-list line ("[alpn h2 verify none]"), over the bind line's for the
 * certificate of that line; null fields keep the bind line's value.
 */
export interface LineConf {
  alpn: string[] | null;
  verify: 'none' | 'optional' | 'required' | null;
  ca: PemBundle | null;
  crl: PemBundle | null;
  ciphers: string | null;
  ciphersuites: string | null;
  curves: string | null;
  min: TlsVersion | null;
  max: TlsVersion | null;
}

/** The settings a certificate of a crt-list line is served with: its line's options over the bind line's. */
export function lineSettings(b: BindTls, l: LineConf): BindTls {
  return {
    ...b,
    alpn: l.alpn ?? b.alpn, verify: l.verify ?? b.verify, ca: l.ca ?? b.ca, crl: l.crl ?? b.crl,
    ciphers: l.ciphers ?? b.ciphers, ciphersuites: l.ciphersuites ?? b.ciphersuites, curves: l.curves ?? b.curves,
    versions: { ...b.versions, min: l.min ?? b.versions.min, max: l.max ?? b.versions.max },
  };
}

/** Settings of a server line (5.2); default-server lines hold the same and servers copy them. */
export interface ServerTls {
  /** The global section's defaults (set with the first TLS option of the line). */
  global: GlobalTls | null;
  /** "ssl" / "no-ssl". */
  ssl: boolean;
  /** null: the global ssl-server-verify (required unless set to none). */
  verify: 'none' | 'required' | null;
  verifyHost: string | null;
  ca: PemBundle | null;
  crl: PemBundle | null;
  /** Client certificate presented to the server, from the certificate store ("set ssl cert" replaces it). */
  crt: StoredCert | null;
  /** "sni <expr>": evaluated on each connection. */
  sni: SampleExpr | null;
  alpn: string[] | null;
  /** check-ssl: 1, no-check-ssl: -1, unset: 0 (checks then follow the server's "ssl" when they use its address). */
  checkSsl: -1 | 0 | 1;
  checkSni: string | null;
  checkAlpn: string[] | null;
  versions: VersionConfig;
  ciphers: string | null;
  ciphersuites: string | null;
  /** Keep the last session to resume it (no-ssl-reuse clears it). */
  reuse: boolean;
  noTlsTickets: boolean;
}

export function newServerTls(): ServerTls {
  return {
    global: null, ssl: false, verify: null, verifyHost: null, ca: null, crl: null, crt: null, sni: null, alpn: null,
    checkSsl: 0, checkSni: null, checkAlpn: null, versions: newVersionConfig(), ciphers: null, ciphersuites: null,
    reuse: true, noTlsTickets: false,
  };
}

/** Whether health checks of the server run over TLS (check-ssl, or the server's own "ssl" when the checks use its address). */
export function checkUsesTls(s: ServerConfig): boolean {
  const t = s.tls;
  if (t.checkSsl !== 0) return t.checkSsl === 1;
  return t.ssl && s.check.port === null && s.check.addr === null;
}

export function cloneServerTls(t: ServerTls): ServerTls {
  return { ...t, versions: { ...t.versions, disabled: [...t.versions.disabled] } };
}

/** ssl-default-bind-options and ssl-default-server-options. */
export interface DefaultTlsOptions {
  versions: VersionConfig;
  noTlsTickets: boolean;
  /** Bind lines only. */
  preferClientCiphers: boolean;
}

/** The global section's TLS settings (3.1, 3.2). */
export interface GlobalTls {
  bind: DefaultTlsOptions;
  server: DefaultTlsOptions;
  bindCiphers: string | null;
  bindCiphersuites: string | null;
  bindCurves: string | null;
  serverCiphers: string | null;
  serverCiphersuites: string | null;
  caBase: string | null;
  crtBase: string | null;
  /** ssl-server-verify: the default of servers without "verify". */
  serverVerify: 'none' | 'required';
  /** The certificates and crt-lists loaded by the configuration, which the runtime API updates. */
  store: CertStore;
  /**
   * tune.ssl.default-dh-param: accepted for compatibility. Node lets OpenSSL pick the DHE
   * group from the certificate's key size (dhparam "auto") unless the PEM file carries DH
   * parameters, so the value does not change the group used.
   */
  dhParamBits: number;
}

export function newGlobalTls(): GlobalTls {
  const opts = (): DefaultTlsOptions => ({ versions: newVersionConfig(), noTlsTickets: false, preferClientCiphers: false });
  return {
    bind: opts(), server: opts(), bindCiphers: null, bindCiphersuites: null, bindCurves: null,
    serverCiphers: null, serverCiphersuites: null, caBase: null, crtBase: null, serverVerify: 'required', store: new CertStore(), dhParamBits: 2048,
  };
}

/** "alpn h2,http/1.1": the protocols, or HAProxy's error text (empty names are skipped as HAProxy does). */
export function parseAlpn(opt: string, value: string | undefined): string[] | string {
  if (value === undefined) return `'${opt}' : missing the comma-delimited ALPN protocol suite`;
  const out: string[] = [];
  for (const p of value.split(',')) {
    if (p.length > 255) return `'${opt}' : ALPN protocol name too long : '${p}'`;
    if (p !== '') out.push(p);
  }
  return out;
}
