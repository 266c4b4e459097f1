// How HAProxy reads values out of HTTP messages (http.c, http_htx.c): comma-separated header
// values, request-target parts, cookies, URL/body parameters and its lenient number parsers.
// Inputs and outputs are byte strings (latin1), as everywhere in the sample engine.
import type { HttpHeaders } from '../protocols/http1/message.ts';
import { isSpHt } from '../protocols/http1/chars.ts';

/** http_find_hdr_value_end(): the next comma of a header value outside double quotes, or <end>. */
export function headerValueEnd(s: string, from: number, end: number): number {
  return unquotedDelimiter(s, from, end, false);
}

/** The next ',' (or ';' too with <semicolon>) outside double quotes (a backslash escapes in them), or <end>. */
function unquotedDelimiter(s: string, from: number, end: number, semicolon: boolean): number {
  let quoted = false;
  let escaped = false;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (escaped) escaped = false;
    else if (quoted) {
      if (c === 92) escaped = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44 || (semicolon && c === 59)) return i;
  }
  return end;
}

/**
 * Appends the comma-separated values of one header line to <out> (http_find_header() with
 * full=0): commas inside double quotes do not split, and each value is trimmed of blanks.
 */
export function pushHeaderValues(line: string, out: string[]): void {
  let start = 0;
  const n = line.length;
  for (;;) {
    const end = headerValueEnd(line, start, n);
    let b = start;
    let e = end;
    while (b < e && isSpHt(line.charCodeAt(b))) b++;
    while (e > b && isSpHt(line.charCodeAt(e - 1))) e--;
    out.push(line.slice(b, e));
    if (end >= n) return;
    start = end + 1;
  }
}

/**
 * Every value of header <lname> (lower case), in order; an empty name stands for every header
 * (HAProxy matches all headers when the name is empty). With <full>, one value per line.
 */
export function headerValues(h: HttpHeaders, lname: string, full: boolean): string[] {
  const out: string[] = [];
  const all = lname === '';
  for (let i = 0; i < h.length; i++) {
    if (!all && h.lowerName(i) !== lname) continue;
    if (full) out.push(h.values[i]!);
    else pushHeaderValues(h.values[i]!, out);
  }
  return out;
}

/** How many values of <lname> exist (headers counted as lines when <full>). */
export function headerCount(h: HttpHeaders, lname: string, full: boolean): number {
  if (full) {
    if (lname === '') return h.length;
    let n = 0;
    for (let i = 0; i < h.length; i++) if (h.lowerName(i) === lname) n++;
    return n;
  }
  return headerValues(h, lname, false).length;
}

/** HAProxy keeps this many values when walking back from the last occurrence. */
export const MAX_HDR_HISTORY = 10;

/**
 * http_get_htx_hdr(): occurrence <occ> of a value list, 1 being the first and -1 the last
 * (0 means the last, as for a single fetch). Negative positions beyond the history fail.
 */
export function pickOccurrence(values: readonly string[], occ: number): string | undefined {
  if (occ === 0) occ = -1;
  if (occ > 0) return values[occ - 1];
  if (-occ > MAX_HDR_HISTORY) return undefined;
  return values[values.length + occ];
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || (c >= 48 && c <= 57);
}

/**
 * http_get_path(): where the path starts in a request target (after "scheme://authority"
 * in absolute form), or -1 for "*", authority form and absolute URIs without a path.
 */
export function pathStart(uri: string): number {
  const n = uri.length;
  if (n === 0 || uri[0] === '*') return -1;
  let i = 0;
  if (isAlpha(uri.charCodeAt(0))) {
    i = 1;
    while (i < n) {
      const c = uri.charCodeAt(i);
      if (!isAlnum(c) && c !== 43 && c !== 45 && c !== 46) break;
      i++;
    }
    if (uri[i] !== ':' || uri[i + 1] !== '/' || uri[i + 2] !== '/') return -1;
    i += 3;
  }
  const slash = uri.indexOf('/', i);
  return slash;
}

/** The path with its query string (pathq), or null. */
export function uriPathQuery(uri: string): string | null {
  const p = pathStart(uri);
  return p < 0 ? null : uri.slice(p);
}

/** The path without its query string, or null. */
export function uriPath(uri: string): string | null {
  const p = pathStart(uri);
  if (p < 0) return null;
  const q = uri.indexOf('?', p);
  return q < 0 ? uri.slice(p) : uri.slice(p, q);
}

/** strl2ic(): HAProxy's lenient 32-bit decimal reader; characters below '0' are not rejected. */
export function strl2ic(s: string): number {
  let i = 0;
  const n = s.length;
  if (n === 0) return 0;
  if (s[0] !== '-') {
    for (let k = 0; k < n; k++) {
      const j = s.charCodeAt(k) - 48;
      if (j > 9) break;
      i = (Math.imul(i, 10) + j) | 0;
    }
  } else {
    for (let k = 1; k < n; k++) {
      const j = s.charCodeAt(k) - 48;
      if (j > 9) break;
      i = (Math.imul(i, 10) - j) | 0;
    }
  }
  return i;
}

/**
 * url2ipv4(): a dotted quad at the start of <s>. Returns the address (unsigned 32-bit) and
 * how many characters it used, or null. It stops at the first character that is neither a
 * digit nor a dot.
 */
export function url2ipv4(s: string): { addr: number; len: number } | null {
  const parts = [0, 0, 0, 0];
  let octets = 0;
  let sawDigit = false;
  let tp = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const digit = c - 48;
    if (digit >= 0 && digit <= 9) {
      const v = parts[tp]! * 10 + digit;
      if (v > 255) return null;
      parts[tp] = v;
      if (!sawDigit) {
        if (++octets > 4) return null;
        sawDigit = true;
      }
    } else if (c === 46) {
      if (!sawDigit || octets === 4) return null;
      tp++;
      sawDigit = false;
    } else break;
  }
  if (octets < 4) return null;
  return { addr: ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0, len: i };
}

/**
 * url2sa() on an absolute http:// or https:// target whose host is an IPv4 address: the
 * address and port (the scheme's default when absent). Host names and IPv6 give null, as
 * the url_ip and url_port fetches return nothing for them.
 */
export function urlIPv4(uri: string): { addr: number; port: number } | null {
  const sep = uri.indexOf('://');
  if (sep < 0) return null;
  const scheme = uri.slice(0, sep).toLowerCase();
  let port: number;
  if (scheme === 'http') port = 80;
  else if (scheme === 'https') port = 443;
  else return null;
  const rest = uri.slice(sep + 3);
  if (rest[0] === '[') return null;
  const ip = url2ipv4(rest);
  if (!ip) return null;
  if (rest[ip.len] === ':') {
    // read_uint(): digits up to the first non-digit, 0 when none
    let v = 0;
    for (let k = ip.len + 1; k < rest.length; k++) {
      const d = rest.charCodeAt(k) - 48;
      if (d < 0 || d > 9) break;
      v = (v * 10 + d) >>> 0;
    }
    port = v & 0xffff;
  }
  return { addr: ip.addr, port };
}

// ---- cookies ---------------------------------------------------------------------------

/** A cookie found in a header value: its value and where to resume the scan. */
export interface CookieHit {
  readonly value: string;
  readonly next: number;
}

/** http_find_cookie_value_end(): where a cookie value ends (',' or ';' outside quotes), or <end>. */
export function cookieValueEnd(s: string, from: number, end: number): number {
  return unquotedDelimiter(s, from, end, true);
}

/**
 * Where one cookie's parts lie in a header value. The name is s[attBeg..attEnd) (trailing
 * blanks excluded); `equal` is the '=' or, without one, the delimiter that ended the name;
 * the value is s[valBeg..valEnd) (blanks trimmed); `next` is the delimiter after the value.
 */
export interface CookiePair {
  attBeg: number;
  attEnd: number;
  equal: number;
  valBeg: number;
  valEnd: number;
  next: number;
}

/**
 * Locates the cookie starting at <from> (leading blanks skipped) in s[..end) into <p>, without
 * allocating. The name stops at '=', ';' or, in a Cookie header (<list>), ','.
 */
export function scanCookiePair(s: string, from: number, end: number, list: boolean, p: CookiePair): void {
  let attBeg = from;
  while (attBeg < end && isSpHt(s.charCodeAt(attBeg))) attBeg++;
  let equal = attBeg;
  let attEnd = attBeg;
  while (equal < end) {
    const c = s.charCodeAt(equal);
    if (c === 61 || c === 59 || (list && c === 44)) break;
    equal++;
    if (isSpHt(c)) continue;
    attEnd = equal;
  }
  p.attBeg = attBeg;
  p.attEnd = attEnd;
  p.equal = equal;
  if (equal < end && s.charCodeAt(equal) === 61) {
    let valBeg = equal + 1;
    while (valBeg < end && isSpHt(s.charCodeAt(valBeg))) valBeg++;
    const next = cookieValueEnd(s, valBeg, end);
    let valEnd = next;
    while (valEnd > valBeg && isSpHt(s.charCodeAt(valEnd - 1))) valEnd--;
    p.valBeg = valBeg;
    p.valEnd = valEnd;
    p.next = next;
  } else {
    p.valBeg = p.valEnd = p.next = equal;
  }
}

const pair: CookiePair = { attBeg: 0, attEnd: 0, equal: 0, valBeg: 0, valEnd: 0, next: 0 };

/**
 * http_extract_cookie_value(): the next cookie named <name> (any cookie when empty) in
 * s[from..], for a Cookie header (<list>: every "name=value" pair counts) or a Set-Cookie
 * header (only the first pair names a cookie, the scan stops at the first other name).
 * Cookies without '=' and "$attributes" are skipped.
 */
export function extractCookie(s: string, from: number, name: string, list: boolean): CookieHit | null {
  const end = s.length;
  const nl = name.length;
  const p = pair;
  for (let at = from; at + nl + 1 < end; at = p.next + 1) {
    scanCookiePair(s, at, end, list, p);
    if (s[p.attBeg] === '$') continue;
    if (p.equal === p.next) continue;
    if (nl === 0 || (p.attEnd - p.attBeg === nl && s.startsWith(name, p.attBeg))) {
      return { value: s.slice(p.valBeg, p.valEnd), next: p.next + 1 };
    }
    if (!list) break;
  }
  return null;
}

/**
 * Every value of cookie <name> (any cookie when empty) in the Cookie (<list>) or Set-Cookie
 * header values, in order, as smp_fetch_cookie() iterates them.
 */
export function cookieValues(h: HttpHeaders, name: string, list: boolean): string[] {
  const lname = list ? 'cookie' : 'set-cookie';
  const out: string[] = [];
  const vals: string[] = [];
  for (let i = 0; i < h.length; i++) {
    if (h.lowerName(i) !== lname) continue;
    vals.length = 0;
    pushHeaderValues(h.values[i]!, vals);
    for (const v of vals) {
      // values too short to hold "<name>=" are skipped
      if (v.length < name.length + 1) continue;
      let pos = 0;
      for (;;) {
        const hit = extractCookie(v, pos, name, list);
        if (!hit) break;
        out.push(hit.value);
        pos = hit.next;
      }
    }
  }
  return out;
}

// ---- URL and body parameters ------------------------------------------------------------

function isParamDelimiter(c: string, delim: string): boolean {
  return c === '&' || c === ';' || c === delim;
}

/**
 * The values of parameter <name> (every parameter when empty) in a parameter list such as
 * a query string, in order (http_find_next_url_param()). Names are case-sensitive; values
 * end at '&', ';' or <delim>. Without a name, a value starts after the next '=' wherever
 * it is, as in HAProxy.
 */
export function paramValues(list: string, name: string, delim: string): string[] {
  const out: string[] = [];
  const end = list.length;
  const nl = name.length;
  let pos = 0;
  while (pos < end) {
    let vstart: number;
    if (nl === 0) {
      const eq = list.indexOf('=', pos);
      if (eq < 0) break;
      vstart = eq + 1;
    } else {
      let found = -1;
      let p = pos;
      while (p < end) {
        if (p + nl >= end) break;
        if (list[p + nl] === '=' && list.startsWith(name, p)) {
          found = p;
          break;
        }
        while (p < end && !isParamDelimiter(list[p]!, delim)) p++;
        p++;
      }
      if (found < 0) break;
      vstart = found + nl + 1;
    }
    let vend = vstart;
    while (vend < end && !isParamDelimiter(list[vend]!, delim)) vend++;
    out.push(list.slice(vstart, vend));
    pos = vend;
  }
  return out;
}

/** http_find_param_list(): where the parameters of a request target start, or -1. */
export function paramListStart(uri: string, delim: string): number {
  const p = uri.indexOf(delim);
  return p < 0 ? -1 : p + 1;
}
