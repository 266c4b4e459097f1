// The TLS sample fetches (configuration.txt 7.3.4): the client connection (ssl_fc*), its
// client certificate (ssl_c_*) and our own certificate on it (ssl_f_*), the server connection
// (ssl_bc*) and the server's certificate (ssl_s_*). Values come from the stream's TlsInfo.
// A certificate that fails verification aborts the handshake (there is no crt-ignore-err nor
// ca-ignore-err), so the error fetches of an established connection read 0.
import type { Arg, ArgSpec } from './arg.ts';
import { bool, registerFetches, sint, str, type FetchDef, type FetchResult, type SampleSource } from './fetch.ts';
import { registerAclKeywords } from './acl.ts';
import type { SampleStream, SampleType } from './types.ts';
import type { TlsInfo } from '../protocols/tls/info.ts';
import { certSha1 } from '../protocols/tls/info.ts';
import { asn1TimeText, dnEntry, dnOneline, dnRfc2253, type CertInfo, type NameEntry } from '../protocols/tls/x509.ts';

const DN_ARGS: ArgSpec = { types: ['str', 'sint', 'str'], min: 0 };

/** val_dnfmt() */
function validateDnFormat(a: Arg[]): string | null {
  const f = a[2];
  if (f && f.str !== '' && f.str !== 'rfc2253') return 'only rfc2253 or a blank value are currently supported as the format argument.';
  return null;
}

/** ssl_x_s_dn / ssl_x_i_dn: one entry ("CN", occurrence), the RFC 2253 form, or the one-line form. */
function dnSample(entries: readonly NameEntry[], a: readonly Arg[]): FetchResult {
  const entry = a[0]?.str ?? '';
  if (entry !== '') {
    const v = dnEntry(entries, entry, a[1]?.type === 'sint' ? a[1].int : 1);
    return v === null ? null : str(v);
  }
  if (a[2] && a[2].str !== '') return entries.length > 0 ? str(dnRfc2253(entries)) : null;
  return entries.length > 0 ? str(dnOneline(entries)) : null;
}

type Side = 'client' | 'server';
type Which = 'peer' | 'local';

function conn(s: SampleStream, side: Side): TlsInfo | null {
  return (side === 'client' ? s.tls : s.srvTls) ?? null;
}

function cert(s: SampleStream, side: Side, which: Which): CertInfo | null {
  const t = conn(s, side);
  if (!t) return null;
  return which === 'peer' ? t.peerCert() : t.localCert();
}

/** The certificate fetches of one prefix: ssl_c_ (client's), ssl_f_ (ours, client side), ssl_s_ (server's). */
function certFetches(prefix: string, side: Side, which: Which, use: SampleSource): FetchDef[] {
  const def = (name: string, out: SampleType, fn: (c: CertInfo, a: readonly Arg[]) => FetchResult, args?: ArgSpec): FetchDef => ({
    name: prefix + name, out, use, ...(args ? { args, validate: validateDnFormat } : {}),
    fn: (s, a) => {
      const c = cert(s, side, which);
      return c ? fn(c, a) : null;
    },
  });
  const time = (t: string, tag: number): FetchResult => {
    const v = asn1TimeText(t, tag);
    return v === null ? null : str(v);
  };
  return [
    def('s_dn', 'str', (c, a) => dnSample(c.subject, a), DN_ARGS),
    def('i_dn', 'str', (c, a) => dnSample(c.issuer, a), DN_ARGS),
    def('serial', 'bin', (c) => ({ type: 'bin', value: c.serial })),
    def('sha1', 'bin', (c) => ({ type: 'bin', value: certSha1(c) })),
    def('der', 'bin', (c) => ({ type: 'bin', value: c.der })),
    def('notafter', 'str', (c) => time(c.notAfter, c.notAfterTag)),
    def('notbefore', 'str', (c) => time(c.notBefore, c.notBeforeTag)),
    def('version', 'sint', (c) => sint(c.version)),
  ];
}

/** A fetch reading a TLS connection: no sample when the connection is not TLS. */
function connFetch(name: string, out: SampleType, use: SampleSource, side: Side, fn: (t: TlsInfo) => FetchResult): FetchDef {
  return {
    name, out, use,
    fn: (s) => {
      const t = conn(s, side);
      return t ? fn(t) : null;
    },
  };
}

function optStr(v: string | null): FetchResult {
  return v === null ? null : str(v);
}

registerFetches(
  // ---- client connection ----
  { name: 'ssl_fc', out: 'bool', use: 'l5cli', fn: (s) => bool(conn(s, 'client') !== null) },
  { name: 'ssl_fc_has_sni', out: 'bool', use: 'l5cli', fn: (s) => bool(conn(s, 'client')?.sni != null) },
  { name: 'ssl_fc_is_resumed', out: 'bool', use: 'l5cli', fn: (s) => bool(conn(s, 'client')?.resumed ?? false) },
  connFetch('ssl_fc_sni', 'str', 'l5cli', 'client', (t) => optStr(t.sni)),
  connFetch('ssl_fc_protocol', 'str', 'l5cli', 'client', (t) => optStr(t.protocol)),
  connFetch('ssl_fc_cipher', 'str', 'l5cli', 'client', (t) => optStr(t.cipher)),
  connFetch('ssl_fc_alpn', 'str', 'l5cli', 'client', (t) => optStr(t.alpn)),
  // A certificate sent in this handshake (a resumed session carries it without sending it).
  connFetch('ssl_fc_has_crt', 'bool', 'l5cli', 'client', (t) => bool(!t.resumed && t.peerCert() !== null)),
  connFetch('ssl_fc_err', 'sint', 'l5cli', 'client', () => sint(0)),
  connFetch('ssl_c_used', 'bool', 'l5cli', 'client', (t) => bool(t.peerCert() !== null)),
  connFetch('ssl_c_verify', 'sint', 'l5cli', 'client', (t) => sint(t.verifyResult)),
  connFetch('ssl_c_err', 'sint', 'l5cli', 'client', () => sint(0)),
  connFetch('ssl_c_ca_err', 'sint', 'l5cli', 'client', () => sint(0)),
  connFetch('ssl_c_ca_err_depth', 'sint', 'l5cli', 'client', () => sint(0)),
  ...certFetches('ssl_c_', 'client', 'peer', 'l5cli'),
  ...certFetches('ssl_f_', 'client', 'local', 'l5cli'),
  // ---- server connection ----
  { name: 'ssl_bc', out: 'bool', use: 'l5srv', fn: (s) => bool(conn(s, 'server') !== null) },
  { name: 'ssl_bc_is_resumed', out: 'bool', use: 'l5srv', fn: (s) => bool(conn(s, 'server')?.resumed ?? false) },
  connFetch('ssl_bc_protocol', 'str', 'l5srv', 'server', (t) => optStr(t.protocol)),
  connFetch('ssl_bc_cipher', 'str', 'l5srv', 'server', (t) => optStr(t.cipher)),
  connFetch('ssl_bc_alpn', 'str', 'l5srv', 'server', (t) => optStr(t.alpn)),
  // HAProxy declares the server certificate fetches with the client-side source.
  ...certFetches('ssl_s_', 'server', 'peer', 'l5cli'),
);

registerAclKeywords(
  { name: 'ssl_fc_sni_end', fetch: 'ssl_fc_sni', match: 'end' },
  { name: 'ssl_fc_sni_reg', fetch: 'ssl_fc_sni', match: 'reg' },
);
