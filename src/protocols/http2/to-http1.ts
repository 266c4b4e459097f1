// An HTTP/2 request (a header list validated by validate.ts) as the HTTP/1 message the rest of
// the proxy handles, the way HAProxy 2.6 converts it (h2_make_htx_request):
// - the target is absolute ("scheme://authority/path") when :authority is present, else :path;
//   it loses an empty port, and http(s) ones their default port, in the URI and in Host
//   (scheme-based normalization);
// - :authority becomes Host, placed first (before the first regular field, other Host fields
//   dropped) or last when the request has no regular field; cookie crumbs are joined at the end
//   (RFC 9113 8.2.3);
// - CONNECT (RFC 9113 8.5) keeps its authority-form target "host:port";
// - an extended CONNECT (RFC 8441, :protocol) becomes the HTTP/1.1 upgrade it stands for:
//   GET with "upgrade: <protocol>" and "connection: upgrade" after the regular fields.
import { HttpHeaders, HttpRequest } from '../http1/message.ts';

/** What a request's stream becomes once answered: a tunnel after 2xx (CONNECT) or 101 (an upgrade). */
export const Tunnel = { None: 0, Connect: 1, Upgrade: 2 } as const;
export type Tunnel = (typeof Tunnel)[keyof typeof Tunnel];

export interface Http1Request {
  req: HttpRequest;
  /** The content-length, -1 when absent. */
  length: number;
  tunnel: Tunnel;
}

/**
 * Converts a validated request list; null when its content-length is not a plain number (or
 * values disagree): the request is answered 400.
 */
export function toHttp1Request(fields: readonly string[]): Http1Request | null {
  let method = '';
  let scheme = '';
  let path = '';
  let authority: string | null = null;
  let protocol: string | null = null;
  let i = 0;
  for (; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) !== 0x3a) break;
    const value = fields[i + 1]!;
    if (name === ':method') method = value;
    else if (name === ':scheme') scheme = value;
    else if (name === ':path') path = value;
    else if (name === ':authority') authority = value;
    else if (name === ':protocol') protocol = value;
  }
  const headers = new HttpHeaders();
  const hostFirst = authority !== null && i < fields.length;
  if (hostFirst) headers.add('host', authority!);
  let cookie: string | null = null;
  let length = -1;
  for (; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name === 'cookie') {
      cookie = cookie === null ? value : `${cookie}; ${value}`;
      continue;
    }
    if (name === 'host' && authority !== null) continue;
    if (name === 'content-length') {
      const n = parseLength(value);
      if (n < 0 || (length >= 0 && n !== length)) return null;
      if (length >= 0) continue;
      length = n;
    }
    headers.add(name, value);
  }
  let tunnel: Tunnel = Tunnel.None;
  if (method === 'CONNECT') {
    if (protocol === null) {
      tunnel = Tunnel.Connect;
    } else {
      tunnel = Tunnel.Upgrade;
      method = 'GET';
      headers.add('upgrade', protocol);
      headers.add('connection', 'upgrade');
    }
  }
  if (authority !== null && !hostFirst) headers.add('host', authority);
  if (cookie !== null) headers.add('cookie', cookie);
  let uri: string;
  if (tunnel === Tunnel.Connect) uri = authority!;
  else if (authority === null) uri = path;
  else {
    const host = normalizedAuthority(scheme, authority);
    if (host !== authority) replaceHost(headers, host);
    uri = path === '*' ? `${scheme}://${host}` : `${scheme}://${host}${path}`;
  }
  return { req: new HttpRequest(method, uri, 'HTTP/2.0', headers), length, tunnel };
}

/** The authority without an empty port, or a default one when the scheme is http or https. */
function normalizedAuthority(scheme: string, authority: string): string {
  let p = authority.length;
  while (p > 0 && isDigit(authority.charCodeAt(p - 1))) p--;
  if (p === 0 || authority.charCodeAt(p - 1) !== 0x3a) return authority;
  const port = authority.slice(p);
  const s = scheme.toLowerCase();
  if (port === '' || (s === 'http' && port === '80') || (s === 'https' && port === '443')) return authority.slice(0, p - 1);
  return authority;
}

/** Host becomes the normalized authority, without any userinfo (as HAProxy rewrites it). */
function replaceHost(headers: HttpHeaders, authority: string): void {
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  for (let i = headers.indexOf('host'); i >= 0; i = headers.indexOf('host', i + 1)) headers.setValue(i, host);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A content-length value (digits only, at most 15 of them), or -1. */
function parseLength(v: string): number {
  if (v.length === 0 || v.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
