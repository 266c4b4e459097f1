// Cookie-based persistence in HTTP mode, as HAProxy 2.6's http_ana.c does it:
// - on the request (http_manage_client_side_cookies()): find the backend's cookie in the
//   Cookie headers, pick the server it designates (when usable, or with "option persist" /
//   force-persist), strip the server part ("prefix") or the whole cookie ("insert indirect"),
//   and check "maxidle"/"maxlife" dates;
// - on the response (http_manage_server_side_cookies() and http_process_res_common()): delete,
//   rewrite or prefix the server's own Set-Cookie, insert ours, and mark cacheable responses
//   "Cache-control: private" with "nocache";
// - the two cookie characters of the log's termination state (doc 8.5).
//
// Header values are byte strings. The algorithms rewrite header values in place as HAProxy
// does, including its quirks (spaces around '=' removed, "$" attributes following a removed
// cookie removed with it).
import type { CookieConfig, ProxyConfig } from '../config/model.ts';
import type { HttpRequest, HttpResponse } from '../protocols/http1/message.ts';
import type { SampleStream } from '../sample/types.ts';
import { headerValueEnd, pushHeaderValues, scanCookiePair, type CookiePair } from '../sample/http-values.ts';
import { isSpHt } from '../protocols/http1/chars.ts';
import { xxh64 } from '../sample/xxhash.ts';
import type { Backend } from './backend.ts';
import type { Server } from './server.ts';

/** Third log character: what the request's cookie did (N none, I invalid, D down, V valid, E expired, O old, U unused). */
export type RequestCookieState = 'N' | 'I' | 'D' | 'V' | 'E' | 'O' | 'U';
/** Fourth log character: what happened to the response's cookie (N none, P provided, D deleted, I inserted, R rewritten, U updated). */
export type ResponseCookieState = 'N' | 'P' | 'D' | 'I' | 'R' | 'U';

/** One transaction's persistence state (HAProxy's TX_CK/TX_SCK flags, SF_DIRECT and the persist rules). */
export class PersistState {
  ck: RequestCookieState = 'N';
  sck: ResponseCookieState = 'N';
  /** The server comes from the cookie (SF_DIRECT): no load balancing. */
  direct = false;
  /** A force-persist rule matched: a cookie designating a down server is still followed. */
  force = false;
  /** An ignore-persist rule matched: cookies are neither used nor set. */
  ignore = false;
  /** Dates carried by the request's cookie, seconds since the epoch (0: none). */
  firstDate = 0;
  lastDate = 0;
}

/**
 * Applies the backend's force-persist / ignore-persist rules (the first matching one wins), as
 * HAProxy does once the backend is known. A condition that cannot tell (missing data) does not match.
 */
export function applyPersistRules(cfg: ProxyConfig, s: SampleStream, state: PersistState): void {
  for (const r of cfg.persistRules) {
    if (r.cond.eval(s) !== true) continue;
    if (r.kind === 'force') state.force = true;
    else state.ignore = true;
    return;
  }
}

const COOKIE_DELIM = 0x7e; // '~' in prefix mode
const COOKIE_DATE = 0x7c; // '|' before each date

const dynamicCookies = new WeakMap<Server, string | null>();

/**
 * The cookie value of a server: its "cookie" option, else with "cookie ... dynamic" and a
 * dynamic-cookie-key, 16 hex digits of XXH64(key, address bytes, port as 32 bits big-endian)
 * (srv_set_dyncookie()); null when it has none (IPv4/IPv6 addresses only).
 */
export function serverCookie(cfg: ProxyConfig, s: Server): string | null {
  if (s.cfg.cookie !== null) return s.cfg.cookie;
  if (!cfg.cookie?.dynamic || cfg.dynamicCookieKey === null) return null;
  const cached = dynamicCookies.get(s);
  if (cached !== undefined) return cached;
  const t = s.target;
  const addr = t && !('path' in t) ? ipBytes(t.host) : null;
  const a = s.cfg.addr;
  const v = addr === null ? null : dynamicCookie(cfg.dynamicCookieKey, addr, a && 'port' in a ? a.port : 0);
  dynamicCookies.set(s, v);
  return v;
}

/** srv_set_dyncookie(): the cookie of a server at `addr` (4 or 16 bytes) and `port`. */
export function dynamicCookie(key: string, addr: Uint8Array, port: number): string {
  const k = Buffer.from(key, 'latin1');
  const buf = Buffer.alloc(k.length + addr.length + 4);
  k.copy(buf, 0);
  buf.set(addr, k.length);
  buf.writeUInt32BE(port >>> 0, k.length + addr.length);
  return xxh64(buf, 0n).toString(16).padStart(16, '0');
}

function ipBytes(host: string): Uint8Array | null {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) return Uint8Array.from(v4.slice(1).map(Number));
  if (!host.includes(':')) return null;
  const parts = host.split('::');
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length > 1 && parts[1] ? parts[1].split(':') : [];
  const groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** s30tob64(): the low 30 bits as 5 base64 characters, most significant first. */
export function s30tob64(v: number): string {
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += B64[(v >> 24) & 0x3f];
    v <<= 6;
  }
  return out;
}

/** b64tos30(): the 30-bit value of 5 base64 characters at `at`, -1 on a foreign character. */
export function b64tos30(s: string, at: number): number {
  let out = 0;
  for (let i = 0; i < 5; i++) {
    const d = B64.indexOf(s[at + i] ?? '=');
    if (d < 0) return -1;
    out = out * 64 + d;
  }
  return out | 0;
}

/** Signed 32-bit difference, as HAProxy compares its dates. */
function sdiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Removes a cookie from a header value (http_del_hdr_value()): from `from` (the position of the
 * delimiter before it, or 0 for the first one) to `next` (the delimiter after it). Returns the
 * new value, where the removal started and the length change.
 */
function delHdrValue(s: string, end: number, from: number, next: number): { s: string; from: number; delta: number } {
  let prev = from;
  let ins = '';
  if (prev === 0) {
    if (next < end) next++;
    while (next < end && isSpHt(s.charCodeAt(next))) next++;
  } else {
    while (prev > 0 && isSpHt(s.charCodeAt(prev - 1))) prev--;
    from = prev;
    if (next < end) {
      ins = s[next]!;
      next++;
      // a space after the delimiter when there was room for one
      if (prev + 2 < next) ins += ' ';
      while (next < end && isSpHt(s.charCodeAt(next))) next++;
    }
  }
  const out = s.slice(0, prev) + ins + s.slice(next, end);
  return { s: out, from, delta: prev + ins.length - next };
}

/**
 * Request side: looks for the backend's cookie in the Cookie headers of `req`, rewrites them
 * as the cookie mode requires and returns the server the cookie designates (then
 * `state.direct` is set and no load balancing must take place), or null. `assigned`: a server
 * was already chosen (use-server rule): cookies are then left unused. `now`: seconds since the epoch.
 */
export function persistServer(be: Backend, req: HttpRequest, state: PersistState, now: number, assigned = false): Server | null {
  const ck = be.cfg.cookie;
  if (!ck) return null;
  const h = req.headers;
  let chosen: Server | null = null;
  for (let i = h.indexOf('cookie'); i >= 0; i = h.indexOf('cookie', i + 1)) {
    const out = clientCookieLine(be, ck, h.values[i]!, state, now, assigned || chosen !== null);
    if (out.server) chosen = out.server;
    if (out.value === null) {
      h.removeAt(i);
      i--;
    } else if (out.value !== h.values[i]) {
      h.setValue(i, out.value);
    }
  }
  return chosen;
}

const pair: CookiePair = { attBeg: 0, attEnd: 0, equal: 0, valBeg: 0, valEnd: 0, next: 0 };

/**
 * Removes the blanks around the '=' of a cookie in s[..end) (HAProxy does it to every cookie
 * it parses and keeps): the new header value; p's positions from the '=' on follow.
 */
function stripBlanksAroundEqual(s: string, end: number, p: CookiePair): string {
  let stripped = 0;
  if (p.attEnd !== p.equal) {
    s = s.slice(0, p.attEnd) + s.slice(p.equal, end);
    stripped = p.attEnd - p.equal;
    p.equal += stripped;
    p.valBeg += stripped;
  }
  if (p.valBeg > p.equal + 1) {
    const after = p.equal + 1 - p.valBeg;
    s = s.slice(0, p.equal + 1) + s.slice(p.valBeg, end + stripped);
    p.valBeg += after;
    stripped += after;
  }
  p.valEnd += stripped;
  p.next += stripped;
  return s;
}

/** One Cookie header line: the server found (if any) and the new value (null: remove the header). */
function clientCookieLine(be: Backend, ck: CookieConfig, value: string, state: PersistState, now: number, assigned: boolean): { server: Server | null; value: string | null } {
  let s = value;
  let hdrEnd = s.length;
  let isFirst = true;
  let delFrom = -1;
  let preserveHdr = false;
  let server: Server | null = null;
  const name = ck.name;
  const p = pair;
  for (let prev = 0, next = 0; prev < hdrEnd; prev = next) {
    scanCookiePair(s, isFirst ? prev : prev + 1, hdrEnd, true, p);
    isFirst = false;
    next = p.next;
    // "$" attributes stay (and go away with a cookie removed before them).
    if (s.charCodeAt(p.attBeg) === 0x24) continue;
    if (p.equal === next) {
      // no '=': not a cookie we know, it stays
      preserveHdr = true;
      if (delFrom >= 0) {
        const d = delHdrValue(s, hdrEnd, delFrom, prev);
        s = d.s;
        next += d.delta;
        hdrEnd += d.delta;
        prev = d.from;
        delFrom = -1;
      }
      continue;
    }
    s = stripBlanksAroundEqual(s, hdrEnd, p);
    hdrEnd += p.next - next;
    next = p.next;
    const valBeg = p.valBeg;
    let valEnd = p.valEnd;
    if (p.attEnd - p.attBeg === name.length && s.startsWith(name, p.attBeg)) {
      let delim: number;
      if (ck.prefix) {
        for (delim = valBeg; delim < valEnd; delim++) if (s.charCodeAt(delim) === COOKIE_DELIM) break;
      } else {
        delim = valEnd;
        let bar = s.indexOf('|', valBeg);
        if (bar >= 0 && bar < valEnd) {
          delim = bar++;
          if (valEnd - bar >= 5) {
            const v = b64tos30(s, bar);
            if (v > 0) state.lastDate = v << 2;
          }
          const bar2 = s.indexOf('|', bar);
          if (bar2 >= 0 && bar2 < valEnd && valEnd - bar2 > 5) {
            const v = b64tos30(s, bar2 + 1);
            if (v > 0) state.firstDate = v << 2;
          }
        }
      }
      // Too old or idle for too long: as if there were no cookie.
      if (state.firstDate && ck.maxlife && (sdiff(now, state.firstDate) > ck.maxlife || sdiff(state.firstDate, now) > 86400)) {
        state.ck = 'O';
        delim = valBeg;
        state.firstDate = 0;
        state.lastDate = 0;
      } else if (state.lastDate && ck.maxidle && (sdiff(now, state.lastDate) > ck.maxidle || sdiff(state.lastDate, now) > 86400)) {
        state.ck = 'E';
        delim = valBeg;
        state.firstDate = 0;
        state.lastDate = 0;
      }
      let found: Server | null = null;
      // Empty values never match (a cookie-less backup server must not attract them).
      if (delim !== valBeg && !state.ignore && !assigned && server === null) {
        const id = s.slice(valBeg, delim);
        for (const srv of be.servers) {
          if (serverCookie(be.cfg, srv) !== id) continue;
          if (!srv.stopped || be.cfg.option('persist') || state.force) {
            state.ck = srv.stopped ? 'D' : 'V';
            state.direct = true;
            found = srv;
            server = srv;
            break;
          }
          state.ck = 'D';
        }
      }
      if (!found && state.ck !== 'D' && state.ck !== 'E' && state.ck !== 'O') {
        state.ck = state.ignore || assigned || server !== null ? 'U' : 'I';
      }
      if (ck.prefix && delim !== valEnd) {
        // the server part goes, the application's cookie stays
        s = s.slice(0, valBeg) + s.slice(delim + 1, hdrEnd);
        const delta = valBeg - (delim + 1);
        valEnd += delta;
        next += delta;
        hdrEnd += delta;
        delFrom = -1;
        preserveHdr = true;
      } else if (delFrom < 0 && ck.insert && ck.indirect) {
        delFrom = prev;
      }
    } else {
      preserveHdr = true;
      if (delFrom >= 0) {
        const d = delHdrValue(s, hdrEnd, delFrom, prev);
        s = d.s;
        valEnd += d.delta;
        next += d.delta;
        hdrEnd += d.delta;
        prev = d.from;
        delFrom = -1;
      }
    }
  }
  if (delFrom >= 0) hdrEnd = preserveHdr ? delFrom : 0;
  if (hdrEnd === 0) return { server, value: null };
  return { server, value: s.slice(0, hdrEnd) };
}

const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

/**
 * Whether a response may be stored by a cache (HAProxy's TX_CACHEABLE after
 * http_check_response_for_cacheability()): safe method, cacheable status, no Pragma: no-cache,
 * Cache-Control not forbidding it, and some freshness information or validator.
 */
export function responseCacheable(method: string, res: HttpResponse): boolean {
  const h = res.headers;
  let cacheable = (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE') && CACHEABLE_STATUS.has(res.status);
  if (res.status < 200) return false;
  const pragma = h.get('pragma');
  if (pragma !== undefined && pragma.toLowerCase() === 'no-cache') return false;
  let fresh = false;
  const values: string[] = [];
  for (let i = h.indexOf('cache-control'); i >= 0; i = h.indexOf('cache-control', i + 1)) pushHeaderValues(h.values[i]!, values);
  for (const v of values) {
    const l = v.toLowerCase();
    if (l === 'public') cacheable = true;
    else if (l === 'private' || l === 'no-cache' || l === 'no-store' || l === 'max-age=0' || l === 's-maxage=0') cacheable = false;
    else if (l.startsWith('no-cache="set-cookie')) continue;
    else if (l.startsWith('s-maxage') || l.startsWith('max-age')) fresh = true;
  }
  if (!fresh && !h.has('expires') && !h.has('etag') && !h.has('last-modified')) return false;
  return cacheable;
}

/**
 * Response side: handles the server's Set-Cookie for our cookie (kept with "preserve",
 * deleted in insert mode or indirect direct access, rewritten or prefixed), then inserts our
 * Set-Cookie when needed (with "Cache-control: private" for a cacheable response and "nocache").
 * `server` is the server that answered (null: none); `method` the request's; `now` seconds.
 */
export function applyResponseCookie(be: Backend, res: HttpResponse, method: string, server: Server | null, state: PersistState, now: number): void {
  const ck = be.cfg.cookie;
  // Nothing more for interim responses (but 101 goes on).
  if (!ck || (res.status < 200 && res.status !== 101)) return;
  const h = res.headers;
  const srvCookie = server ? serverCookie(be.cfg, server) : null;
  for (let i = 0; i < h.length; i++) {
    const ln = h.lowerName(i);
    if (ln !== 'set-cookie' && ln !== 'set-cookie2') continue;
    const r = serverCookieLine(ck, h.values[i]!, ln === 'set-cookie2', server, srvCookie, state);
    if (r === null) {
      h.removeAt(i);
      i--;
    } else if (r !== h.values[i]) {
      h.setValue(i, r);
    }
  }
  if (!server || !ck.insert || state.ignore || (state.sck === 'P' && ck.preserve)) return;
  if (ck.postonly && method !== 'POST') return;
  const refresh = (ck.maxidle || state.lastDate) && (!state.lastDate || sdiff(state.lastDate, now) < 0);
  if (state.direct && !refresh && !(ck.maxlife && !state.firstDate) && !(!ck.maxlife && state.firstDate)) return;
  let v: string;
  if (srvCookie === null) {
    v = `${ck.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
  } else {
    v = `${ck.name}=${srvCookie}`;
    if (ck.maxidle || ck.maxlife) {
      v += '|' + s30tob64(((now + 3) >> 2) & 0x3fffffff);
      if (ck.maxlife) v += '|' + s30tob64((state.firstDate ? state.firstDate >> 2 : (now + 3) >> 2) & 0x3fffffff);
    }
    v += '; path=/';
  }
  if (ck.domain !== null) v += `; domain=${ck.domain}`;
  if (ck.httponly) v += '; HttpOnly';
  if (ck.secure) v += '; Secure';
  if (ck.attrs !== null) v += `; ${ck.attrs}`;
  h.add('Set-Cookie', v);
  state.sck = srvCookie !== null && state.direct ? 'U' : 'I';
  if (ck.nocache && responseCacheable(method, res)) h.add('Cache-control', 'private');
}

/** One Set-Cookie line: the new value, or null to remove it. */
function serverCookieLine(ck: CookieConfig, value: string, cookie2: boolean, server: Server | null, srvCookie: string | null, state: PersistState): string | null {
  let s = value;
  let hdrEnd = s.length;
  let isFirst = true;
  const p = pair;
  for (let prev = 0, next = 0; prev < hdrEnd; prev = next) {
    scanCookiePair(s, isFirst ? prev : prev + 1, hdrEnd, cookie2, p);
    isFirst = false;
    // Set-Cookie holds one cookie (its attributes may contain commas); Set-Cookie2 a list.
    if (p.next < hdrEnd) p.next = cookie2 ? headerValueEnd(s, p.next, hdrEnd) : hdrEnd;
    next = p.next;
    if (p.equal === p.valEnd) continue;
    s = stripBlanksAroundEqual(s, hdrEnd, p);
    hdrEnd += p.next - next;
    next = p.next;
    const valBeg = p.valBeg;
    const valEnd = p.valEnd;
    if (state.ignore || p.attEnd - p.attBeg !== ck.name.length || !s.startsWith(ck.name, p.attBeg)) continue;
    state.sck = 'P';
    if (ck.preserve) continue;
    if ((server && ck.insert) || (state.direct && ck.indirect)) {
      state.sck = 'D';
      if (prev === 0 && next === hdrEnd) return null;
      const d = delHdrValue(s, hdrEnd, prev, next);
      s = d.s;
      next = d.from;
      hdrEnd += d.delta;
    } else if (server && srvCookie !== null && ck.rewrite) {
      s = s.slice(0, valBeg) + srvCookie + s.slice(valEnd, hdrEnd);
      const delta = srvCookie.length - (valEnd - valBeg);
      next += delta;
      hdrEnd += delta;
      state.sck = 'R';
    } else if (server && srvCookie !== null && ck.prefix) {
      s = s.slice(0, valBeg) + srvCookie + '~' + s.slice(valBeg, hdrEnd);
      const delta = srvCookie.length + 1;
      next += delta;
      hdrEnd += delta;
      state.sck = 'R';
    }
  }
  return s.slice(0, hdrEnd);
}

/**
 * The cookie characters of the log's termination state (%tsc): '--' without a cookie mode
 * (no cookie, or a passive one), else the request and response states.
 */
export function cookieLogChars(cfg: ProxyConfig, state: PersistState | null): string {
  const ck = cfg.cookie;
  if (!state || !ck || !(ck.rewrite || ck.insert || ck.prefix || ck.indirect)) return '--';
  return state.ck + state.sck;
}
