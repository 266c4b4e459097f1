// The TLS settings of "bind" lines (configuration.txt 5.1), parsed into BindTls. Certificates
// and CA/CRL files are read here, at parse time, as HAProxy does, so that their errors point
// at the bind line. The bind parser (runtime/bind-keywords.ts) hands every word it meets to
// parseTlsBindOption() first; crt-list lines use the same parsers for their options.
import type { BindConfig } from '../../config/model.ts';
import type { ParseContext } from '../../config/registry.ts';
import { loadPemBundle, statCertPath, withBase } from './certs.ts';
import { crtListOf } from './crt-list.ts';
import { newBindTls, parseAlpn, versionOption, type BindTls, type GlobalTls, type IgnoredErrors } from './settings.ts';

type Parsed = { used: number } | string;

/** What option parsers need besides the option: the global settings, and where to report a file on a line of its own. */
export interface OptionEnv {
  readonly global: GlobalTls;
  alert(text: string): void;
}

type OptionParser = (t: BindTls, value: string | undefined, env: OptionEnv) => Parsed;

function flag(set: (t: BindTls) => void): OptionParser {
  return (t) => {
    set(t);
    return { used: 0 };
  };
}

function text(opt: string, missing: string, set: (t: BindTls, v: string) => void): OptionParser {
  return (t, v) => {
    if (v === undefined) return `'${opt}' : ${missing}`;
    set(t, v);
    return { used: 1 };
  };
}

function bundle(opt: 'ca-file' | 'crl-file', missing: string, set: (t: BindTls, b: NonNullable<BindTls['ca']>) => void): OptionParser {
  return (t, v, env) => {
    if (v === undefined) return `'${opt}' : ${missing}`;
    const path = withBase(env.global.caBase, v);
    const b = loadPemBundle(path, opt === 'ca-file' ? 'ca' : 'crl');
    if ('error' in b) {
      // HAProxy reports the file first, on a line of its own.
      env.alert(`Couldn't open the ca-file '${path}' ${b.error}.`);
      return `'${opt}' : unable to load ${path}`;
    }
    set(t, b);
    return { used: 1 };
  };
}

/** Highest X509_V_ERR_* code HAProxy 2.6 (with OpenSSL 3) accepts in an ignore list. */
const MAX_ERROR_ID = 94;

/** "ca-ignore-err" / "crt-ignore-err": "all" or comma-separated error IDs (atoi() of each, as HAProxy reads them). */
function ignoreErrors(opt: string, set: (t: BindTls, e: IgnoredErrors) => void): OptionParser {
  return (t, v) => {
    if (v === undefined) return `'${opt}' : missing error IDs list`;
    if (v === 'all') {
      set(t, 'all');
      return { used: 1 };
    }
    const ids = new Set<number>();
    for (const part of v.split(',')) {
      const code = Number(/^\s*[+-]?\d*/.exec(part)![0].trim() || 0) || 0;
      if (code <= 0 || code > MAX_ERROR_ID) return `'${opt}' : ID '${code}' out of range (1..${MAX_ERROR_ID}) in error IDs list '${v}'`;
      ids.add(code);
    }
    set(t, ids);
    return { used: 1 };
  };
}

const OPTIONS: ReadonlyMap<string, OptionParser> = new Map<string, OptionParser>([
  ['ssl', flag((t) => { t.ssl = true; })],
  ['crt', (t, v, env) => {
    if (v === undefined) return `'crt' : missing certificate location`;
    const path = withBase(env.global.crtBase, v);
    const isDir = statCertPath(path);
    if (typeof isDir === 'string') return isDir;
    if (isDir) {
      const list = crtListOf(path, true, env);
      if (typeof list === 'string') return list;
      t.sources.push({ kind: 'list', list });
    } else {
      const store = env.global.store.load(path);
      if (typeof store === 'string') return store;
      t.sources.push({ kind: 'cert', store });
    }
    return { used: 1 };
  }],
  ['crt-list', (t, v, env) => {
    if (v === undefined) return `'crt-list' : missing certificate location`;
    const list = crtListOf(v, false, env);
    if (typeof list === 'string') return `'crt-list' : ${list}`;
    t.sources.push({ kind: 'list', list });
    return { used: 1 };
  }],
  ['ca-ignore-err', ignoreErrors('ca-ignore-err', (t, e) => { t.caIgnoreErr = e; })],
  ['crt-ignore-err', ignoreErrors('crt-ignore-err', (t, e) => { t.crtIgnoreErr = e; })],
  ['alpn', (t, v) => {
    const p = parseAlpn('alpn', v);
    if (typeof p === 'string') return p;
    t.alpn = p;
    return { used: 1 };
  }],
  ['ciphers', text('ciphers', 'missing cipher suite', (t, v) => { t.ciphers = v; })],
  ['ciphersuites', text('ciphersuites', 'missing cipher suite', (t, v) => { t.ciphersuites = v; })],
  ['curves', text('curves', 'missing curve suite', (t, v) => { t.curves = v; })],
  ['ca-file', bundle('ca-file', 'missing CAfile path', (t, b) => { t.ca = b; })],
  ['crl-file', bundle('crl-file', 'missing CRLfile path', (t, b) => { t.crl = b; })],
  ['verify', (t, v) => {
    if (v === undefined) return `'verify' : missing verify method`;
    if (v !== 'none' && v !== 'optional' && v !== 'required') {
      return `'verify' : unknown verify method '${v}', only 'none', 'optional', and 'required' are supported`;
    }
    t.verify = v;
    return { used: 1 };
  }],
  ['no-tls-tickets', flag((t) => { t.noTlsTickets = true; })],
  ['strict-sni', flag((t) => { t.strictSni = true; })],
  ['prefer-client-ciphers', flag((t) => { t.preferClientCiphers = true; })],
  // Node has no NPN (superseded by ALPN): HAProxy's own text for a library without it.
  ['npn', (_t, v) => (v === undefined
    ? `'npn' : missing the comma-delimited NPN protocol suite`
    : `'npn' : library does not support TLS NPN extension`)],
]);

/** The options a crt-list line may set (HAProxy's ssl_bind_kws) and how many values each takes. */
export const LINE_OPTIONS: ReadonlyMap<string, number> = new Map([
  ['allow-0rtt', 0], ['alpn', 1], ['ca-file', 1], ['ca-verify-file', 1], ['ciphers', 1], ['ciphersuites', 1], ['crl-file', 1],
  ['curves', 1], ['ecdhe', 1], ['no-ca-names', 0], ['npn', 1], ['ssl-min-ver', 1], ['ssl-max-ver', 1], ['verify', 1],
]);

/**
 * Parses a crt-list line option (one of LINE_OPTIONS) into `t`: the number of values used, an
 * error text, or null for one of HAProxy's options Turnpike does not implement.
 */
export function parseLineOption(t: BindTls, opt: string, value: string | undefined, env: OptionEnv): number | string | null {
  const parser = OPTIONS.get(opt);
  if (parser) {
    const r = parser(t, value, env);
    return typeof r === 'string' ? r : r.used;
  }
  const r = versionOption(t.versions, opt, value);
  if (!r) return null;
  return 'error' in r ? r.error : r.used;
}

/**
 * Parses the TLS option at args[i] into b.tls. Returns the index of its last word, an error
 * text (after "'bind <addr>' in section '<kind>' : "), or null when the word is not a TLS option.
 */
export function parseTlsBindOption(b: BindConfig, args: readonly string[], i: number, ctx: ParseContext): number | string | null {
  const opt = args[i]!;
  const value = args[i + 1];
  const parser = OPTIONS.get(opt);
  if (parser) {
    const env: OptionEnv = { global: ctx.config.global.tls, alert: (text) => ctx.diag.alert(null, text) };
    const r = parser((b.tls ??= newBindTls(ctx.config.global.tls)), value, env);
    return typeof r === 'string' ? r : i + r.used;
  }
  const t = b.tls ?? newBindTls(ctx.config.global.tls);
  const r = versionOption(t.versions, opt, value);
  if (!r) return null;
  if ('error' in r) return r.error;
  b.tls = t;
  return i + r.used;
}
