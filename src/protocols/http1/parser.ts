// HTTP/1.1 message heads, parsed as strictly as HAProxy 2.6 does (src/h1.c, h1_htx.c, mux_h1.c),
// with `acceptInvalid` relaxing exactly what "option accept-invalid-http-request/-response"
// relaxes. Behaviour was measured against haproxy 2.6.12 (see test/unit/protocols/http1-*.test.ts).
//
// A head is parsed once it is complete (findHeadEnd), in one pass of byte loops; the request line
// is checked as soon as it is complete so that garbage and HTTP/0.9 get their answer at once.
// The parsers never throw.
import { HttpHeaders, HttpRequest, HttpResponse, BodyKind, type HttpVersion } from './message.ts';
import {
  CR, LF, COLON, COMMA, isToken, isVersionChar, isSpHt, isLws, isDigit, bytesEqualLower, equalsLower,
} from './chars.ts';

export interface H1Options {
  /** tune.bufsize: a head (start line + headers + final CRLF) longer than this is an error. */
  readonly maxHead: number;
  /** option accept-invalid-http-request / -response: relax what HAProxy relaxes. */
  readonly acceptInvalid: boolean;
  /** tune.http.maxhdr (default 101): a message carries at most maxHeaders - 1 header fields. */
  readonly maxHeaders?: number;
}

export const DEFAULT_MAX_HEADERS = 101;

export interface H1Error {
  readonly status: number;
  readonly reason: string;
  /** byte offset of the error, for "show errors" */
  readonly offset: number;
}

export type H1Failure = H1Error & { readonly kind: 'error' };

/** Tokens found in Connection headers. "close" and "keep-alive" are removed from the header (as HAProxy does). */
export const H1Conn = { Close: 1, KeepAlive: 2, Upgrade: 4 } as const;

interface HeadCommon {
  readonly kind: 'head';
  /** bytes of the head incl. final CRLF (and any empty lines before the start line) */
  readonly headLen: number;
  readonly body: BodyKind;
  /** Content-Length when body === BodyKind.Length */
  readonly length: number;
  /** H1Conn bits of the Connection header(s). */
  readonly connection: number;
  /** Offset of the first violation let through by acceptInvalid, or -1 (HAProxy's "show errors" capture). */
  readonly invalidAt: number;
}

export interface RequestHead extends HeadCommon {
  readonly req: HttpRequest;
  /**
   * Transfer-Encoding came with Content-Length (which was removed) or in HTTP/1.0: the connection
   * must close after this transaction (RFC 9112 section 6.1; HAProxy 2.6 closes it).
   */
  readonly mustClose: boolean;
}

export interface ResponseHead extends HeadCommon {
  readonly res: HttpResponse;
}

// Message flags gathered while parsing the header fields.
const F_CLEN = 1;
const F_XFER = 2;
/** "chunked" is the last transfer coding seen. */
const F_CHNK = 4;
/** "chunked" was seen at all. */
const F_TE_CHUNKED = 8;
/** A transfer coding other than chunked was seen. */
const F_TE_OTHER = 16;
/** The last Upgrade header names websocket. */
const F_UPG_WS = 32;

/** Mode of a header block: which special fields apply and how strict names are. */
const M_REQUEST = 0;
const M_RESPONSE = 1;
const M_TRAILERS = 2;

const MAX_CONTENT_LENGTH = '9223372036854775807';

/** Per-parse state; one per call, so the module keeps no state between calls. */
class Scan {
  readonly buf: Buffer;
  readonly acc: boolean;
  readonly mode: number;
  readonly maxHeaders: number;
  /** The head as a latin1 string: substrings are sliced from it, cheaper than one decode per field. */
  text = '';
  flags = 0;
  conn = 0;
  /** Content-Length digits without leading zeros (for comparing duplicates exactly), or null. */
  clDigits: string | null = null;
  /** The Content-Length value to keep (last list member, as HAProxy rewrites "3, 3" to "3"). */
  clText = '';
  hostIdx = -1;
  invalidAt = -1;
  error: H1Failure | null = null;
  // Start line fields (offsets into buf).
  a0 = 0; a1 = 0; b0 = 0; b1 = 0; c0 = 0; c1 = 0;

  constructor(buf: Buffer, acc: boolean, mode: number, maxHeaders: number) {
    this.buf = buf;
    this.acc = acc;
    this.mode = mode;
    this.maxHeaders = maxHeaders;
  }

  fail(offset: number, reason: string, status = this.mode === M_RESPONSE ? 502 : 400): -1 {
    this.error = { kind: 'error', status, reason, offset };
    return -1;
  }

  /** Records a violation that acceptInvalid lets through; false when it must be rejected. */
  tolerate(offset: number): boolean {
    if (!this.acc) return false;
    if (this.invalidAt < 0) this.invalidAt = offset;
    return true;
  }
}

function failure(status: number, reason: string, offset: number): H1Failure {
  return { kind: 'error', status, reason, offset };
}

/** A head that does not fit in tune.bufsize: 400 for a request, 502 for a response. */
function tooLarge(status: 400 | 502, n: number, opts: H1Options): H1Failure {
  return failure(status, status === 400 ? 'request head too large' : 'response head too large', Math.min(n, opts.maxHead));
}

/** Skips the empty lines HAProxy tolerates before a start line; -1 on a CR without LF, buf.length if none yet. */
function skipEmptyLines(buf: Buffer): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const c = buf[i]!;
    if (c === LF) i++;
    else if (c === CR) {
      if (i + 1 >= n) return n;
      if (buf[i + 1] !== LF) return -1;
      i += 2;
    } else break;
  }
  return i;
}

/**
 * Index just past the blank line ending the head, searching from `from`, or -1. Lines may end
 * in CRLF or a bare LF. `from` may be the previous buffer length: the search backs up over a
 * terminator split between two reads.
 */
export function findHeadEnd(buf: Buffer, from: number): number {
  const n = buf.length;
  let start = 0;
  while (start < n && (buf[start] === CR || buf[start] === LF)) start++;
  let p = Math.max(start, from - 2);
  for (;;) {
    const lf = buf.indexOf(LF, p);
    if (lf < 0 || lf + 1 >= n) return -1;
    const c = buf[lf + 1];
    if (c === LF) return lf + 2;
    if (c === CR) {
      if (lf + 2 >= n) return -1;
      if (buf[lf + 2] === LF) return lf + 3;
    }
    p = lf + 1;
  }
}

// ---------------------------------------------------------------------------------------
// Requests

/**
 * Returns null when more bytes are needed (and buf.length < maxHead), an error or the head.
 * `scanFrom` is how many bytes were already searched for the end of the head (the previous
 * buffer length), so that a head arriving byte by byte is not rescanned each time.
 */
export function parseRequestHead(buf: Buffer, opts: H1Options, scanFrom = 0): RequestHead | H1Failure | null {
  try {
    return parseRequest(buf, opts, scanFrom);
  } catch (e) {
    // Defensive: the parser does not throw, but a bug must not take a connection down.
    return failure(400, `internal parser error (${(e as Error).message})`, 0);
  }
}

function parseRequest(buf: Buffer, opts: H1Options, scanFrom: number): RequestHead | H1Failure | null {
  const n = buf.length;
  const start = skipEmptyLines(buf);
  if (start < 0) return failure(400, 'CR not followed by LF before the request line', 1);
  if (start >= n) return n >= opts.maxHead ? tooLarge(400, n, opts) : null;
  if (!isToken(buf[start]!)) return failure(400, 'invalid character at the start of the request', start);
  const firstLf = buf.indexOf(LF, start);
  if (firstLf < 0) return n >= opts.maxHead ? tooLarge(400, n, opts) : null;

  const s = new Scan(buf, opts.acceptInvalid, M_REQUEST, opts.maxHeaders ?? DEFAULT_MAX_HEADERS);
  const afterLine = parseRequestLine(s, start);
  if (afterLine < 0) return s.error!;

  if (s.c0 === s.c1) {
    // HTTP/0.9: refused, or with accept-invalid-http-request turned into HTTP/1.0 (GET only).
    if (!s.tolerate(s.c0) || buf.toString('latin1', s.a0, s.a1) !== 'GET' || s.b0 === s.b1) return failure(400, 'HTTP/0.9 request', s.c0);
    if (afterLine > opts.maxHead) return tooLarge(400, n, opts);
    const req = new HttpRequest('GET', buf.toString('latin1', s.b0, s.b1), 'HTTP/1.0');
    return { kind: 'head', req, headLen: afterLine, body: BodyKind.None, length: 0, connection: 0, invalidAt: s.invalidAt, mustClose: false };
  }

  const end = findHeadEnd(buf, scanFrom);
  if (end < 0) return n >= opts.maxHead ? tooLarge(400, n, opts) : null;
  if (end > opts.maxHead) return tooLarge(400, n, opts);
  s.text = buf.toString('latin1', 0, end);
  const method = s.text.slice(s.a0, s.a1);
  const uri = s.text.slice(s.b0, s.b1);

  const version = requestVersion(s);
  if (version === null) return s.error!;
  const headers = new HttpHeaders();
  if (parseFields(s, afterLine, end, headers) < 0) return s.error!;
  const req = new HttpRequest(method, uri, version, headers);
  if (!checkTarget(s, req)) return s.error!;

  const connect = method === 'CONNECT';
  let body: BodyKind = BodyKind.None;
  let length = 0;
  let mustClose = false;
  if (s.flags & F_XFER) {
    if (s.flags & F_CLEN) {
      headers.delete('content-length');
      mustClose = true;
    } else if (version === 'HTTP/1.0') mustClose = true;
    if (!(s.flags & F_CHNK)) return failure(400, 'Transfer-Encoding in a request must end with chunked', s.c1);
    if (s.flags & F_TE_OTHER) return failure(422, 'unsupported transfer coding', s.c1);
    body = BodyKind.Chunked;
  } else if (s.flags & F_CLEN) {
    body = BodyKind.Length;
    length = Number(s.clDigits);
  }
  if (connect) {
    // A CONNECT request has no body; what follows the head is tunnelled (and HAProxy drops Content-Length).
    if (s.flags & F_CLEN) headers.delete('content-length');
    body = BodyKind.None;
    length = 0;
  }
  if ((s.conn & H1Conn.Upgrade) && (s.flags & F_UPG_WS)) {
    const k = headers.indexOf('sec-websocket-key');
    if (k < 0 || headers.values[k] === '') return failure(400, 'WebSocket upgrade without Sec-WebSocket-Key', s.c1);
  }
  return { kind: 'head', req, headLen: end, body, length, connection: s.conn, invalidAt: s.invalidAt, mustClose };
}

/** Method (a0..a1), URI (b0..b1), version (c0..c1, empty for HTTP/0.9); returns the offset after the line. */
function parseRequestLine(s: Scan, p: number): number {
  const buf = s.buf;
  s.a0 = p;
  while (isToken(buf[p]!)) p++;
  s.a1 = p;
  let c = buf[p]!;
  if (isSpHt(c)) {
    while (isSpHt(buf[p]!)) p++;
    c = buf[p]!;
  } else if (c !== CR && c !== LF) return s.fail(p, 'invalid character in method');
  s.b0 = p;
  if (c !== CR && c !== LF) {
    for (;;) {
      c = buf[p]!;
      if (c >= 0x21 && c <= 0x7e) {
        if (c === 0x23 && !s.tolerate(p)) return s.fail(p, "'#' in URI");
      } else if (c >= 0x80) {
        if (!s.tolerate(p)) return s.fail(p, 'non-ASCII character in URI');
      } else break;
      p++;
    }
    if (c !== CR && c !== LF && !isSpHt(c)) return s.fail(p, 'invalid character in URI');
  }
  s.b1 = p;
  while (isSpHt(buf[p]!)) p++;
  s.c0 = p;
  while (isVersionChar(buf[p]!)) p++;
  s.c1 = p;
  c = buf[p]!;
  if (c !== CR && c !== LF) return s.fail(p, 'invalid character in version');
  if (c === CR) {
    if (buf[p + 1] !== LF) return s.fail(p + 1, 'CR not followed by LF');
    return p + 2;
  }
  return p + 1;
}

/** "HTTP/d.d" (any version token with acceptInvalid); 1.1 and above are HTTP/1.1. */
function requestVersion(s: Scan): HttpVersion | null {
  const buf = s.buf;
  const v = s.c0;
  const exact = s.c1 - v === 8 && buf[v] === 0x48 && buf[v + 1] === 0x54 && buf[v + 2] === 0x54 && buf[v + 3] === 0x50
    && buf[v + 4] === 0x2f && isDigit(buf[v + 5]!) && buf[v + 6] === 0x2e && isDigit(buf[v + 7]!);
  if (!exact && !s.tolerate(v)) {
    s.fail(v, 'invalid HTTP version');
    return null;
  }
  return versionOf(buf, v, s.c1);
}

function versionOf(buf: Buffer, v: number, e: number): HttpVersion {
  if (e - v === 8 && (buf[v + 5]! > 0x31 || (buf[v + 5] === 0x31 && buf[v + 7]! >= 0x31))) return 'HTTP/1.1';
  return 'HTTP/1.0';
}

// ---------------------------------------------------------------------------------------
// Request target checks (h1_headers_to_hdr_list's end of headers) and scheme-based normalization

/** Port of an authority ("host:port"): the digits after the last colon, '' for "host:", null without. */
function portOf(a: string): string | null {
  let i = a.length - 1;
  while (i >= 0 && isDigit(a.charCodeAt(i))) i--;
  return i >= 0 && a.charCodeAt(i) === COLON ? a.slice(i + 1) : null;
}

function hostOf(a: string, port: string | null): string {
  return port === null ? a : a.slice(0, a.length - port.length - 1);
}

/** http_is_default_port: with a scheme, no port or its own; without, 80 or 443. */
function isDefaultPort(scheme: string | null, port: string): boolean {
  if (scheme === null) return port === '80' || port === '443';
  return port === '' || (equalsLower(scheme, 'http') && port === '80') || (equalsLower(scheme, 'https') && port === '443');
}

/** Length of "scheme" when `uri` starts with scheme "://", else 0. */
function schemeLength(uri: string): number {
  const c0 = uri.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return 0;
  let i = 1;
  for (; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    const lc = c | 0x20;
    if (!((lc >= 0x61 && lc <= 0x7a) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) break;
  }
  return uri.startsWith('://', i) ? i : 0;
}

/** A target violation: let through with acceptInvalid (true), else recorded as the error (false). */
function targetViolation(s: Scan, reason: string): boolean {
  if (s.tolerate(s.b0)) return true;
  s.fail(s.b0, reason);
  return false;
}

function checkTarget(s: Scan, req: HttpRequest): boolean {
  const uri = req.uri;
  const connect = req.method === 'CONNECT';
  const c0 = uri.charCodeAt(0);
  if (c0 === 0x2a) { // '*' (HAProxy 2.6 takes anything starting with it, for any method but CONNECT)
    return connect ? targetViolation(s, 'CONNECT with an asterisk-form target') : true;
  }
  if (c0 === 0x2f) { // '/'
    return connect ? targetViolation(s, 'CONNECT with an origin-form target') : true;
  }
  const h = req.headers;
  const slen = schemeLength(uri);
  const scheme = slen > 0 ? uri.slice(0, slen) : null;
  // The authority runs to the first '/', without any userinfo.
  const aStart = slen > 0 ? slen + 3 : 0;
  let aEnd = uri.indexOf('/', aStart);
  if (aEnd < 0) aEnd = uri.length;
  const userinfo = uri.lastIndexOf('@', aEnd - 1);
  const hStart = userinfo >= aStart ? userinfo + 1 : aStart;
  const authority = uri.slice(hStart, aEnd);
  const uriPort = portOf(authority);
  const uriHost = hostOf(authority, uriPort);
  const hostIdx = s.hostIdx;

  if (connect) {
    if (!uriPort) return targetViolation(s, 'CONNECT target without port');
    if (hostIdx < 0) return true;
    const host = h.values[hostIdx]!;
    const hostPort = portOf(host);
    const hostHost = hostOf(host, hostPort);
    if (hostPort) {
      if (!equalsIgnoreCase(hostHost, uriHost) || hostPort !== uriPort) return targetViolation(s, 'Host does not match the CONNECT target');
      if (isDefaultPort(null, uriPort)) h.setValue(hostIdx, hostHost);
    } else if (!isDefaultPort(null, uriPort) || !equalsIgnoreCase(hostHost, uriHost)) {
      return targetViolation(s, 'Host does not match the CONNECT target');
    }
    return true;
  }

  if (scheme === null) return targetViolation(s, 'invalid request target');
  if (hostIdx >= 0) {
    const host = h.values[hostIdx]!;
    if (!equalsIgnoreCase(authority, host) && authorityMismatch(scheme, uriHost, uriPort, host)
      && !targetViolation(s, 'Host does not match the absolute URI')) return false;
  }
  // Scheme-based normalization (RFC 3986 6.2.3): drop an empty or default port from an http(s)
  // target, and make Host the normalized authority.
  if (uriPort !== null && (equalsLower(scheme, 'http') || equalsLower(scheme, 'https')) && isDefaultPort(scheme, uriPort)) {
    req.uri = uri.slice(0, hStart + uriHost.length) + uri.slice(aEnd);
    if (hostIdx >= 0) h.setValue(hostIdx, uriHost);
  }
  return true;
}

/** h1_validate_mismatch_authority: true when authority and Host differ beyond a default port. */
function authorityMismatch(scheme: string, uriHost: string, uriPort: string | null, host: string): boolean {
  const hostPort = portOf(host);
  const hostHost = hostOf(host, hostPort);
  if (uriPort === null && hostPort === null) return true;
  if (uriPort !== null && !isDefaultPort(scheme, uriPort)) return true;
  if (hostPort !== null && !isDefaultPort(scheme, hostPort)) return true;
  return !equalsIgnoreCase(uriHost, hostHost);
}

/** ASCII case-insensitive equality (HAProxy's isteqi). */
function equalsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Responses

/**
 * Returns null when more bytes are needed, an error (status 502) or the head. `reqMethod`
 * decides HEAD (no body) and CONNECT 2xx (tunnel: BodyKind.UntilClose); 101 is a tunnel too;
 * 1xx/204/304 have no body; a response without length/TE is UntilClose.
 */
export function parseResponseHead(buf: Buffer, opts: H1Options, reqMethod: string, scanFrom = 0): ResponseHead | H1Failure | null {
  try {
    return parseResponse(buf, opts, reqMethod, scanFrom);
  } catch (e) {
    return failure(502, `internal parser error (${(e as Error).message})`, 0);
  }
}

function parseResponse(buf: Buffer, opts: H1Options, reqMethod: string, scanFrom: number): ResponseHead | H1Failure | null {
  const n = buf.length;
  const start = skipEmptyLines(buf);
  if (start < 0) return failure(502, 'CR not followed by LF before the status line', 1);
  if (start >= n) return n >= opts.maxHead ? tooLarge(502, n, opts) : null;
  if (!isToken(buf[start]!)) return failure(502, 'invalid character at the start of the response', start);
  const end = findHeadEnd(buf, scanFrom);
  if (end < 0) return n >= opts.maxHead ? tooLarge(502, n, opts) : null;
  if (end > opts.maxHead) return tooLarge(502, n, opts);

  const s = new Scan(buf, opts.acceptInvalid, M_RESPONSE, opts.maxHeaders ?? DEFAULT_MAX_HEADERS);
  s.text = buf.toString('latin1', 0, end);
  const afterLine = parseStatusLine(s, start);
  if (afterLine < 0) return s.error!;
  const v = s.a0;
  const exact = s.a1 - v === 8 && buf[v + 4] === 0x2f && isDigit(buf[v + 5]!) && buf[v + 6] === 0x2e && isDigit(buf[v + 7]!);
  if (!exact && !s.tolerate(v)) return failure(502, 'invalid HTTP version', v);
  let status = 0;
  for (let i = s.b0; i < s.b1; i++) status = status * 10 + buf[i]! - 0x30;
  const headers = new HttpHeaders();
  if (parseFields(s, afterLine, end, headers) < 0) return s.error!;
  const res = new HttpResponse(versionOf(buf, v, s.a1), status, s.text.slice(s.c0, s.c1), headers);

  if (s.flags & F_XFER) {
    if (s.flags & F_TE_OTHER) return failure(502, 'unsupported transfer coding', s.c1);
    if (s.flags & F_CLEN) {
      headers.delete('content-length');
      s.flags &= ~F_CLEN;
    }
  }
  let body: BodyKind;
  let length = 0;
  if ((reqMethod === 'CONNECT' && status >= 200 && status < 300) || status === 101) body = BodyKind.UntilClose;
  else if (reqMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) body = BodyKind.None;
  else if (s.flags & F_CHNK) body = BodyKind.Chunked;
  else if (s.flags & F_CLEN) {
    body = BodyKind.Length;
    length = Number(s.clDigits);
  } else body = BodyKind.UntilClose;
  return { kind: 'head', res, headLen: end, body, length, connection: s.conn, invalidAt: s.invalidAt };
}

/** Version (a0..a1), status code (b0..b1), reason (c0..c1); returns the offset after the line. */
function parseStatusLine(s: Scan, p: number): number {
  const buf = s.buf;
  s.a0 = p;
  while (isVersionChar(buf[p]!)) p++;
  s.a1 = p;
  if (!isSpHt(buf[p]!)) return s.fail(p, 'invalid character in version');
  while (isSpHt(buf[p]!)) p++;
  s.b0 = p;
  while (isDigit(buf[p]!)) p++;
  s.b1 = p;
  let c = buf[p]!;
  if (p === s.b0 || (!isSpHt(c) && c !== CR && c !== LF)) return s.fail(p, 'invalid status code');
  while (isSpHt(buf[p]!)) p++;
  s.c0 = p;
  const n = buf.length;
  for (c = buf[p]!; c !== CR && c !== LF && p < n; c = buf[++p]!);
  s.c1 = p;
  if (c === CR) {
    if (buf[p + 1] !== LF) return s.fail(p + 1, 'CR not followed by LF');
    return p + 2;
  }
  return p + 1;
}

// ---------------------------------------------------------------------------------------
// Header fields

/**
 * Parses the trailer section of a chunked message: `block` holds the trailer lines and the final
 * empty line. Trailers are plain fields (no Content-Length/Host/Connection processing) with token
 * names even under acceptInvalid, as HAProxy parses them. Returns null or the error (offsets
 * relative to `block`).
 */
export function parseTrailerBlock(block: Buffer, headers: HttpHeaders, maxHeaders = DEFAULT_MAX_HEADERS, status = 400): H1Error | null {
  const s = new Scan(block, false, M_TRAILERS, maxHeaders);
  s.text = block.toString('latin1');
  try {
    if (parseFields(s, 0, block.length, headers) >= 0) return null;
    const e = s.error!;
    return { status, reason: e.reason, offset: e.offset };
  } catch (e) {
    return { status, reason: `internal parser error (${(e as Error).message})`, offset: 0 };
  }
}

const FOLD = /[\r\n]/g;

/** Header lines from `p` to the empty line ending at `end`; returns `end`, or -1 with s.error. */
function parseFields(s: Scan, p: number, end: number, headers: HttpHeaders): number {
  const buf = s.buf;
  for (;;) {
    let c = buf[p]!;
    if (c === CR) {
      if (buf[p + 1] !== LF) return s.fail(p + 1, 'CR not followed by LF');
      return p + 2;
    }
    if (c === LF) return p + 1;
    if (p >= end) return s.fail(p, 'truncated header block');

    const ns = p;
    let upper = false;
    for (;;) {
      c = buf[p]!;
      if (isToken(c)) {
        if (c <= 0x5a && c >= 0x41) upper = true;
        p++;
        continue;
      }
      if (c === COLON) break;
      if (c === LF || p >= end) return s.fail(p, 'header line without colon');
      if (!s.tolerate(p)) return s.fail(p, 'invalid character in header name');
      p++;
    }
    if (p === ns) return s.fail(p, 'empty header name');
    const ne = p++;

    while (isSpHt(buf[p]!)) p++;
    let vs = p;
    let ve: number;
    let folded = false;
    for (;;) {
      c = buf[p]!;
      while (p < end && c !== CR && c !== LF) c = buf[++p]!;
      if (p >= end) return s.fail(p, 'truncated header line');
      ve = p;
      if (c === CR) {
        if (buf[p + 1] !== LF) return s.fail(p + 1, 'CR not followed by LF');
        p++;
      }
      p++;
      // obs-fold: a line starting with SP/HT continues the value; CR and LF become spaces.
      if (!isSpHt(buf[p]!)) break;
      folded = true;
    }
    while (vs < ve && isLws(buf[vs]!)) vs++;
    while (ve > vs && isLws(buf[ve - 1]!)) ve--;

    let value: string | null = null;
    if (s.mode !== M_TRAILERS) {
      const len = ne - ns;
      if (len === 14 && bytesEqualLower(buf, ns, ne, 'content-length')) {
        const r = parseContentLength(s, vs, ve);
        if (r < 0) return s.fail(vs, 'invalid Content-Length');
        if (r === 0) continue; // an identical duplicate: dropped
        value = s.clText;
      } else if (len === 17 && bytesEqualLower(buf, ns, ne, 'transfer-encoding')) {
        if (!parseTransferEncoding(s, vs, ve)) return s.fail(vs, 'invalid Transfer-Encoding');
      } else if (len === 10 && bytesEqualLower(buf, ns, ne, 'connection')) {
        value = cleanConnection(s, vs, ve);
        if (value.length === 0) continue;
      } else if (s.mode === M_REQUEST) {
        if (len === 7 && bytesEqualLower(buf, ns, ne, 'upgrade')) {
          s.flags &= ~F_UPG_WS;
          if (hasToken(buf, vs, ve, 'websocket')) s.flags |= F_UPG_WS;
        } else if (len === 4 && bytesEqualLower(buf, ns, ne, 'host')) {
          if (s.hostIdx >= 0) {
            if (!bytesEqualString(buf, vs, ve, headers.values[s.hostIdx]!)) return s.fail(vs, 'conflicting Host headers');
            continue; // the same host again: dropped
          }
          s.hostIdx = headers.length;
        }
      }
    }
    if (value === null) value = folded ? s.text.slice(vs, ve).replace(FOLD, ' ') : s.text.slice(vs, ve);
    if (headers.length + 1 >= s.maxHeaders) return s.fail(ns, 'too many headers');
    const name = s.text.slice(ns, ne);
    headers.addNamed(name, upper ? name.toLowerCase() : name, value);
  }
}

/**
 * A comma-separated list of identical decimal values. Returns 1 for the first Content-Length
 * (s.clText holds the value to keep), 0 for a duplicate equal to it, -1 when invalid, different
 * or above 2^63-1 (the largest value HAProxy's signed 64-bit length holds).
 */
function parseContentLength(s: Scan, p: number, e: number): number {
  const buf = s.buf;
  const first = s.clDigits === null;
  for (;;) {
    if (p >= e) return -1;
    if (isLws(buf[p]!)) {
      p++;
      continue;
    }
    const ds = p;
    while (p < e && isDigit(buf[p]!)) p++;
    if (p === ds) return -1;
    const de = p;
    while (p < e && isLws(buf[p]!)) p++;
    if (p < e && buf[p] !== COMMA) return -1;
    let z = ds;
    while (z < de - 1 && buf[z] === 0x30) z++;
    const digits = s.text.slice(z, de);
    if (digits.length > 19 || (digits.length === 19 && digits > MAX_CONTENT_LENGTH)) return -1;
    if (s.clDigits !== null && digits !== s.clDigits) return -1;
    s.clDigits = digits;
    s.clText = s.text.slice(ds, de);
    s.flags |= F_CLEN;
    if (p === e) break;
    p++;
  }
  return first ? 1 : 0;
}

/** End of the list member starting at `p`: the next comma outside a quoted string, or `e`. */
function memberEnd(buf: Buffer, p: number, e: number): number {
  let quoted = false;
  for (; p < e; p++) {
    const c = buf[p];
    if (quoted) {
      if (c === 0x5c) p++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === COMMA) return p;
  }
  return e;
}

/**
 * Transfer codings: "chunked" must come once and, in a request, last. Sets F_CHNK when
 * chunked is the last coding so far and F_TE_OTHER for any other (even empty) member.
 */
function parseTransferEncoding(s: Scan, p: number, e: number): boolean {
  const buf = s.buf;
  s.flags |= F_XFER;
  while (p < e) {
    if (isLws(buf[p]!)) {
      p++;
      continue;
    }
    const n = memberEnd(buf, p, e);
    let we = n;
    while (we > p && isLws(buf[we - 1]!)) we--;
    s.flags &= ~F_CHNK;
    if (bytesEqualLower(buf, p, we, 'chunked')) {
      if (s.flags & F_TE_CHUNKED) return false;
      s.flags |= F_TE_CHUNKED | F_CHNK;
    } else {
      if (s.mode === M_REQUEST && (s.flags & F_TE_CHUNKED)) return false;
      s.flags |= F_TE_OTHER;
    }
    p = n + 1;
  }
  return true;
}

/**
 * Records close/keep-alive/upgrade and returns the value without close and keep-alive, keeping
 * the untouched leading part verbatim as HAProxy's in-place rewrite does.
 */
function cleanConnection(s: Scan, p: number, e: number): string {
  const buf = s.buf;
  const vs = p;
  let rawEnd = vs; // the value is buf[vs, rawEnd) until a member is dropped...
  let out: string | null = null; // ...then it is rebuilt here
  let consumed = vs;
  while (p < e) {
    if (isLws(buf[p]!)) {
      p++;
      continue;
    }
    const n = memberEnd(buf, p, e);
    let we = n;
    while (we > p && isLws(buf[we - 1]!)) we--;
    let drop = false;
    if (bytesEqualLower(buf, p, we, 'keep-alive')) {
      s.conn |= H1Conn.KeepAlive;
      drop = true;
    } else if (bytesEqualLower(buf, p, we, 'close')) {
      s.conn |= H1Conn.Close;
      drop = true;
    } else if (bytesEqualLower(buf, p, we, 'upgrade')) s.conn |= H1Conn.Upgrade;
    if (!drop) {
      if (out === null && rawEnd === consumed) rawEnd = n;
      else {
        if (out === null) out = s.text.slice(vs, rawEnd);
        out += (out.length > 0 ? ',' : '') + s.text.slice(p, we);
      }
    }
    consumed = n;
    p = n + 1;
  }
  return out ?? s.text.slice(vs, rawEnd);
}

/** Whether the comma-separated list in buf[p, e) has member `lower` (case-insensitive). */
function hasToken(buf: Buffer, p: number, e: number, lower: string): boolean {
  while (p < e) {
    if (isLws(buf[p]!)) {
      p++;
      continue;
    }
    const n = memberEnd(buf, p, e);
    let we = n;
    while (we > p && isLws(buf[we - 1]!)) we--;
    if (bytesEqualLower(buf, p, we, lower)) return true;
    p = n + 1;
  }
  return false;
}

/** buf[p, e) equals `str` ignoring ASCII case. */
function bytesEqualString(buf: Buffer, p: number, e: number, str: string): boolean {
  if (e - p !== str.length) return false;
  for (let i = 0; i < str.length; i++) {
    let x = buf[p + i]!;
    let y = str.charCodeAt(i);
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}
