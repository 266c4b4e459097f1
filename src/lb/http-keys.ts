// The hashing key of each request for the hash-based algorithms, taken from the request as
// HAProxy 2.6's assign_server() and get_server_uh/ph/hh/rch() do (backend.c). The stream calls
// balanceKey() (HTTP) or tcpBalanceKey() (TCP) and hands the result to Backend.assign(); a
// null key makes the algorithm fall back to round-robin, as HAProxy does when the data is
// missing. Keys are byte strings (latin1) cut out of the request without copying bytes.
import type { BalanceConfig } from '../config/model.ts';
import type { HttpRequest } from '../protocols/http1/message.ts';
import { rdpCookie } from './rdp-cookie.ts';
import { isLws } from '../protocols/http1/chars.ts';
import { headerValueEnd } from '../sample/http-values.ts';

/**
 * The key for an HTTP request. `srcAddr` is the client address text ('' for a UNIX socket
 * client). `body` is the request body received so far (latin1), or null: "url_param" looks
 * for the parameter in a POST body when the query string has none (HAProxy reads the first
 * body block it has, without waiting for more).
 */
export function balanceKey(cfg: BalanceConfig, req: HttpRequest, srcAddr: string, body: string | null = null): string | null {
  switch (cfg.algo) {
    case 'source': return srcAddr === '' ? null : srcAddr;
    case 'uri': return uriKey(cfg, req.uri);
    case 'url_param': {
      const v = queryParam(req.uri, cfg.arg!);
      if (v !== null || body === null || req.method !== 'POST') return v;
      return bodyParam(body, cfg.arg!);
    }
    case 'hdr': return headerKey(req, cfg.arg!, cfg.domainOnly === true);
    // The RDP cookie is read from raw TCP payload; an HTTP request has none.
    default: return null;
  }
}

/** The key for a TCP stream: the client address (source) or the RDP cookie in `data`. */
export function tcpBalanceKey(cfg: BalanceConfig, data: Buffer | null, srcAddr: string): string | null {
  if (cfg.algo === 'source') return srcAddr === '' ? null : srcAddr;
  if (cfg.algo === 'rdp-cookie') return data === null ? null : rdpCookie(data, cfg.arg!);
  return null;
}

/**
 * "balance uri": the URI (with "path-only", from the first '/' of the path, '' when there is
 * none) up to the '?' unless "whole", at most "len" bytes, and stopping before the slash
 * that would exceed "depth" directories.
 */
export function uriKey(cfg: BalanceConfig, uri: string): string {
  let start = 0;
  if (cfg.pathOnly) {
    start = pathStart(uri);
    if (start < 0) return '';
  }
  let n = uri.length - start;
  const len = cfg.len ?? 0;
  if (len > 0 && len < n) n = len;
  const stopAt = (cfg.depth ?? 0) > 0 ? cfg.depth! + 1 : -1;
  const whole = cfg.whole === true;
  let slashes = 0;
  let end = start;
  for (const limit = start + n; end < limit; end++) {
    const c = uri.charCodeAt(end);
    if (c === 0x2f) {
      if (++slashes === stopAt) break;
    } else if (c === 0x3f && !whole) {
      break;
    }
  }
  return start === 0 && end === uri.length ? uri : uri.slice(start, end);
}

/**
 * Where the path of a request target starts (http_get_path()): after "scheme://authority"
 * for an absolute URI; -1 for "*" or when there is no '/'.
 */
function pathStart(uri: string): number {
  const n = uri.length;
  if (n === 0 || uri.charCodeAt(0) === 0x2a) return -1;
  let i = 0;
  if (isAlpha(uri.charCodeAt(0))) {
    i++;
    while (i < n) {
      const c = uri.charCodeAt(i);
      if (!isAlpha(c) && !(c >= 0x30 && c <= 0x39) && c !== 0x2b && c !== 0x2d && c !== 0x2e) break;
      i++;
    }
    if (uri.charCodeAt(i) !== 0x3a || uri.charCodeAt(i + 1) !== 0x2f || uri.charCodeAt(i + 2) !== 0x2f) return -1;
    i += 3;
  }
  return uri.indexOf('/', i);
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * "balance url_param": the value of the first "<name>=" parameter of the query string (up
 * to the next '&'; possibly empty), or null when there is none. Names are case-sensitive.
 */
export function queryParam(uri: string, name: string): string | null {
  const q = uri.indexOf('?');
  if (q < 0) return null;
  return findParam(uri, q + 1, name, false);
}

/**
 * The same in a POST body, with HAProxy's check that the body is URL-encoded: the value
 * must start with a token character (a blank start gives an empty value; anything else
 * means the body holds no parameters).
 */
export function bodyParam(body: string, name: string): string | null {
  return findParam(body, 0, name, true);
}

function findParam(s: string, from: number, name: string, checkToken: boolean): string | null {
  const plen = name.length;
  let params = from;
  while (s.length - params > plen) {
    if (s.charCodeAt(params + plen) === 0x3d && s.startsWith(name, params)) {
      const start = params + plen + 1;
      let end = s.indexOf('&', start);
      if (end < 0) end = s.length;
      if (checkToken && end > start) {
        // HAProxy tests the value's first character only (for every character it scans).
        const c = s.charCodeAt(start);
        if (!isToken(c)) {
          if (isLws(c)) return '';
          return null;
        }
      }
      return s.slice(start, end);
    }
    const amp = s.indexOf('&', params);
    if (amp < 0) return null;
    params = amp + 1;
  }
  return null;
}

/**
 * "balance hdr(<name>)": the first value of the first <name> header (up to an unquoted comma,
 * blanks trimmed), or null when absent or empty. With "use_domain_only", only the label before
 * the last dot-separated one ("1wt" in "haproxy.1wt.eu"; the whole value without a dot).
 */
export function headerKey(req: HttpRequest, lname: string, domainOnly: boolean): string | null {
  const h = req.headers;
  const i = h.indexOf(lname);
  if (i < 0) return null;
  const v = h.values[i]!;
  let start = 0;
  while (start < v.length && isLws(v.charCodeAt(start))) start++;
  let end = headerValueEnd(v, start, v.length);
  while (end > start && isLws(v.charCodeAt(end - 1))) end--;
  if (end === start) return null;
  if (domainOnly) {
    // Scan back for the dot before the top-level label (a dot in first position does not
    // count), then to the dot before the domain label.
    let dot = -1;
    for (let p = end - 1; p > start; p--) {
      if (v.charCodeAt(p) === 0x2e) {
        dot = p;
        break;
      }
    }
    if (dot >= 0) {
      let from = dot - 1;
      while (from > start && v.charCodeAt(from - 1) !== 0x2e) from--;
      start = from;
      end = dot;
    }
  }
  return start === 0 && end === v.length ? v : v.slice(start, end);
}

/** RFC 9110 tchar. */
function isToken(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

const TOKEN = (() => {
  const t = new Uint8Array(128);
  for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") t[ch.charCodeAt(0)] = 1;
  return t;
})();
