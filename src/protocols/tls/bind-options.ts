// The TLS settings of "bind" lines (configuration.txt 5.1), parsed into BindTls. Certificates
// and CA/CRL files are read here, at parse time, as HAProxy does, so that their errors point
// at the bind line. The bind parser (runtime/bind-keywords.ts) hands every word it meets to
// parseTlsBindOption() first.
import type { BindConfig } from '../../config/model.ts';
import type { ParseContext } from '../../config/registry.ts';
import { loadCerts, loadPemBundle, withBase } from './certs.ts';
import { newBindTls, parseAlpn, versionOption, type BindTls } from './settings.ts';

type Parsed = { used: number } | string;
type OptionParser = (t: BindTls, value: string | undefined, ctx: ParseContext) => Parsed;

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
  return (t, v, ctx) => {
    if (v === undefined) return `'${opt}' : ${missing}`;
    const path = withBase(ctx.config.global.tls.caBase, v);
    const b = loadPemBundle(path, opt === 'ca-file' ? 'ca' : 'crl');
    if ('error' in b) {
      // HAProxy reports the file first, on a line of its own.
      ctx.diag.alert(null, `Couldn't open the ca-file '${path}' ${b.error}.`);
      return `'${opt}' : unable to load ${path}`;
    }
    set(t, b);
    return { used: 1 };
  };
}

const OPTIONS: ReadonlyMap<string, OptionParser> = new Map<string, OptionParser>([
  ['ssl', flag((t) => { t.ssl = true; })],
  ['crt', (t, v, ctx) => {
    if (v === undefined) return `'crt' : missing certificate location`;
    const certs = loadCerts(withBase(ctx.config.global.tls.crtBase, v));
    if (typeof certs === 'string') return certs;
    t.certs.push(...certs);
    return { used: 1 };
  }],
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

/**
 * Parses the TLS option at args[i] into b.tls. Returns the index of its last word, an error
 * text (after "'bind <addr>' in section '<kind>' : "), or null when the word is not a TLS option.
 */
export function parseTlsBindOption(b: BindConfig, args: readonly string[], i: number, ctx: ParseContext): number | string | null {
  const opt = args[i]!;
  const value = args[i + 1];
  const parser = OPTIONS.get(opt);
  if (parser) {
    const r = parser((b.tls ??= newBindTls(ctx.config.global.tls)), value, ctx);
    return typeof r === 'string' ? r : i + r.used;
  }
  const t = b.tls ?? newBindTls(ctx.config.global.tls);
  const r = versionOption(t.versions, opt, value);
  if (!r) return null;
  if ('error' in r) return r.error;
  b.tls = t;
  return i + r.used;
}
