// The TLS settings of "server" and "default-server" lines (configuration.txt 5.2), parsed
// into ServerTls. The server parser (runtime/server-keywords.ts) hands every word to
// parseTlsServerOption() first.
import type { ServerConfig } from '../../config/model.ts';
import type { ParseContext } from '../../config/registry.ts';
import { parseSampleExpr } from '../../sample/expr.ts';
import { loadPemBundle, statCertPath, withBase } from './certs.ts';
import { parseAlpn, versionOption, type ServerTls } from './settings.ts';

type Parsed = { used: number } | string;
type OptionParser = (t: ServerTls, value: string | undefined, ctx: ParseContext, proxyName: string) => Parsed;

function flag(set: (t: ServerTls) => void): OptionParser {
  return (t) => {
    set(t);
    return { used: 0 };
  };
}

function text(opt: string, missing: string, set: (t: ServerTls, v: string) => void): OptionParser {
  return (t, v) => {
    if (v === undefined) return `'${opt}' : ${missing}.`;
    set(t, v);
    return { used: 1 };
  };
}

function alpn(opt: string, set: (t: ServerTls, protos: string[]) => void): OptionParser {
  return (t, v) => {
    const p = parseAlpn(opt, v);
    if (typeof p === 'string') return `${p}.`;
    set(t, p);
    return { used: 1 };
  };
}

function bundle(opt: 'ca-file' | 'crl-file', missing: string, set: (t: ServerTls, b: NonNullable<ServerTls['ca']>) => void): OptionParser {
  return (t, v, ctx) => {
    if (v === undefined) return `'${opt}' : ${missing}.`;
    const path = withBase(ctx.config.global.tls.caBase, v);
    const b = loadPemBundle(path, opt === 'ca-file' ? 'ca' : 'crl');
    if ('error' in b) return `Couldn't open the ca-file '${path}' ${b.error}.`;
    set(t, b);
    return { used: 1 };
  };
}

const OPTIONS: ReadonlyMap<string, OptionParser> = new Map<string, OptionParser>([
  ['ssl', flag((t) => { t.ssl = true; })],
  ['no-ssl', flag((t) => { t.ssl = false; })],
  ['verify', (t, v) => {
    if (v === undefined) return `'verify' : missing verify method.`;
    if (v !== 'none' && v !== 'required') return `'verify' : unknown verify method '${v}', only 'none' and 'required' are supported.`;
    t.verify = v;
    return { used: 1 };
  }],
  ['verifyhost', text('verifyhost', 'missing hostname to verify against', (t, v) => { t.verifyHost = v; })],
  ['ca-file', bundle('ca-file', 'missing CAfile path', (t, b) => { t.ca = b; })],
  ['crl-file', bundle('crl-file', 'missing CRLfile path', (t, b) => { t.crl = b; })],
  ['crt', (t, v, ctx) => {
    if (v === undefined) return `'crt' : missing certificate file path.`;
    const path = withBase(ctx.config.global.tls.crtBase, v);
    const isDir = statCertPath(path);
    if (typeof isDir === 'string') return isDir;
    // A directory is no certificate file (HAProxy's text, errno being 0 then).
    const store = isDir ? `unable to stat SSL certificate from file '${path}' : Success.` : ctx.config.global.tls.store.load(path);
    if (typeof store === 'string') return store;
    t.crt = store;
    return { used: 1 };
  }],
  ['sni', (t, v, _ctx, proxyName) => {
    if (v === undefined) return `'sni' : missing sni expression.`;
    const expr = parseSampleExpr(v, { proxyName });
    if (typeof expr === 'string') return `error detected while parsing sni expression : ${expr}`;
    t.sni = expr;
    return { used: 1 };
  }],
  ['alpn', alpn('alpn', (t, p) => { t.alpn = p; })],
  ['check-ssl', flag((t) => { t.checkSsl = 1; })],
  ['no-check-ssl', flag((t) => { t.checkSsl = -1; })],
  ['check-sni', text('check-sni', 'missing SNI', (t, v) => { t.checkSni = v; })],
  ['check-alpn', alpn('check-alpn', (t, p) => { t.checkAlpn = p; })],
  ['ciphers', text('ciphers', 'missing cipher suite', (t, v) => { t.ciphers = v; })],
  ['ciphersuites', text('ciphersuites', 'missing cipher suite', (t, v) => { t.ciphersuites = v; })],
  ['no-ssl-reuse', flag((t) => { t.reuse = false; })],
  ['ssl-reuse', flag((t) => { t.reuse = true; })],
  ['no-tls-tickets', flag((t) => { t.noTlsTickets = true; })],
  ['tls-tickets', flag((t) => { t.noTlsTickets = false; })],
  ['npn', (_t, v) => (v === undefined
    ? `'npn' : missing the comma-delimited NPN protocol suite.`
    : `'npn' : library does not support TLS NPN extension.`)],
]);

/**
 * Parses the TLS option at args[i] into s.tls. Returns the index of its last word, an error
 * text (after "<label> : "), or null when the word is not a TLS option.
 */
export function parseTlsServerOption(
  s: ServerConfig, args: readonly string[], i: number, ctx: ParseContext, proxyName: string,
): number | string | null {
  const opt = args[i]!;
  const value = args[i + 1];
  const parser = OPTIONS.get(opt);
  const r = parser ? parser(s.tls, value, ctx, proxyName) : versionOption(s.tls.versions, opt, value);
  if (r === null) return null;
  s.tls.global = ctx.config.global.tls;
  if (typeof r === 'string') return r;
  return 'error' in r ? `${r.error}.` : i + r.used;
}

/** HAProxy refuses these on default-server lines (they would not be inherited). */
export function refusedOnDefaultServer(opt: string): boolean {
  return /^no-(sslv3|tlsv1[0-3])$/.test(opt);
}
