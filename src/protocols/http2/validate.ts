// Checks of decoded HTTP/2 header lists (RFC 9113 8.2 and 8.3): field names and values,
// pseudo-header fields, connection-specific fields and content-length. A list failing them
// is malformed (8.1.1): the stream is reset with PROTOCOL_ERROR.
import { isToken } from '../http1/chars.ts';

/** Returned instead of a content-length when the list is malformed. */
export const MALFORMED = -2;
/** Returned when the list has no content-length. */
export const NO_LENGTH = -1;

const PSEUDO_METHOD = 1;
const PSEUDO_SCHEME = 2;
const PSEUDO_AUTHORITY = 4;
const PSEUDO_PATH = 8;
const PSEUDO_PROTOCOL = 16;
const REQUEST_PSEUDO: ReadonlyMap<string, number> = new Map([
  [':method', PSEUDO_METHOD], [':scheme', PSEUDO_SCHEME], [':authority', PSEUDO_AUTHORITY],
  [':path', PSEUDO_PATH], [':protocol', PSEUDO_PROTOCOL],
]);

/** Fields that only make sense on an HTTP/1 connection (8.2.2). */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * A regular field: a lower-case token name (8.2.1 bans upper case, controls, space and DEL; an
 * intermediary forwarding to HTTP/1 needs a token), a value without NUL, CR or LF and without
 * leading or trailing space or tab, not connection-specific, and "te" only as "trailers".
 */
function regularField(name: string, value: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (!isToken(c) || (c >= 0x41 && c <= 0x5a)) return false;
  }
  const m = value.length;
  if (m > 0) {
    let c = value.charCodeAt(0);
    if (c === 0x20 || c === 0x09) return false;
    c = value.charCodeAt(m - 1);
    if (c === 0x20 || c === 0x09) return false;
    for (let i = 0; i < m; i++) {
      c = value.charCodeAt(i);
      if (c === 0 || c === 0x0a || c === 0x0d) return false;
    }
  }
  if (CONNECTION_SPECIFIC.has(name)) return false;
  if (n === 2 && name === 'te' && value.toLowerCase() !== 'trailers') return false;
  return true;
}

/**
 * Content-length value(s): digits, possibly a comma-separated list of one repeated value
 * (RFC 9110 8.6); `prev` is the value of an earlier content-length field or NO_LENGTH.
 */
function contentLength(value: string, prev: number): number {
  let result = NO_LENGTH;
  let i = 0;
  const n = value.length;
  while (i <= n) {
    while (i < n && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    let v = 0;
    const start = i;
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      i++;
    }
    if (i === start || v > Number.MAX_SAFE_INTEGER) return MALFORMED;
    while (i < n && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    if (result !== NO_LENGTH && v !== result) return MALFORMED;
    result = v;
    if (i === n) break;
    if (value.charCodeAt(i) !== 0x2c) return MALFORMED;
    i++;
  }
  if (prev !== NO_LENGTH && prev !== result) return MALFORMED;
  return result;
}

/** Checks the regular fields from `from` on; returns the content-length, NO_LENGTH or MALFORMED. */
function regularFields(fields: readonly string[], from: number): number {
  let length = NO_LENGTH;
  for (let i = from; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (!regularField(name, value)) return MALFORMED;
    if (name === 'content-length') {
      length = contentLength(value, length);
      if (length === MALFORMED) return MALFORMED;
    }
  }
  return length;
}

function isTokenString(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isToken(s.charCodeAt(i))) return false;
  return true;
}

/** A pseudo-header value: no NUL, CR, LF, space or tab anywhere (they become the request line). */
function pseudoValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

/**
 * A request's list (8.3.1): pseudo-header fields first, each at most once, :method, :scheme and
 * :path present (a CONNECT has :authority and neither :scheme nor :path, unless it is an
 * extended CONNECT with :protocol, allowed when `extendedConnect`, RFC 8441 4). Returns the
 * content-length, NO_LENGTH or MALFORMED.
 */
export function validateRequest(fields: readonly string[], extendedConnect: boolean): number {
  let seen = 0;
  let i = 0;
  let method = '';
  let path = '';
  for (; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) !== 0x3a) break;
    const bit = REQUEST_PSEUDO.get(name);
    if (bit === undefined || (seen & bit) !== 0) return MALFORMED;
    const value = fields[i + 1]!;
    if (!pseudoValue(value)) return MALFORMED;
    seen |= bit;
    if (bit === PSEUDO_METHOD) method = value;
    else if (bit === PSEUDO_PATH) path = value;
  }
  // A pseudo-header field after a regular one is malformed: regularField() refuses ':'.
  if (!isTokenString(method)) return MALFORMED;
  if (method === 'CONNECT' && (seen & PSEUDO_PROTOCOL) === 0) {
    if (seen !== (PSEUDO_METHOD | PSEUDO_AUTHORITY)) return MALFORMED;
  } else {
    if ((seen & PSEUDO_PROTOCOL) !== 0 && (!extendedConnect || method !== 'CONNECT' || (seen & PSEUDO_AUTHORITY) === 0)) {
      return MALFORMED;
    }
    if ((seen & (PSEUDO_SCHEME | PSEUDO_PATH)) !== (PSEUDO_SCHEME | PSEUDO_PATH)) return MALFORMED;
    if (path.charCodeAt(0) !== 0x2f && !(path === '*' && method === 'OPTIONS')) return MALFORMED;
  }
  return regularFields(fields, i);
}

/** A response's list (8.3.2): exactly one :status of 3 digits, first. Returns as validateRequest. */
export function validateResponse(fields: readonly string[]): number {
  if (fields[0] !== ':status') return MALFORMED;
  const s = fields[1]!;
  if (s.length !== 3) return MALFORMED;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return MALFORMED;
  }
  return regularFields(fields, 2);
}

/** The status of a response list validateResponse() accepted. */
export function responseStatus(fields: readonly string[]): number {
  const s = fields[1]!;
  return (s.charCodeAt(0) - 0x30) * 100 + (s.charCodeAt(1) - 0x30) * 10 + (s.charCodeAt(2) - 0x30);
}

/** A trailer section: regular fields only (8.1). */
export function validateTrailers(fields: readonly string[]): boolean {
  return regularFields(fields, 0) !== MALFORMED;
}

/** Whether a request list (validated) is for a HEAD request, whose response carries no content. */
export function isHeadRequest(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) !== 0x3a) return false;
    if (name === ':method') return fields[i + 1] === 'HEAD';
  }
  return false;
}
