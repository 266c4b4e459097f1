// HTTP sample fetches (HAProxy's http_fetch.c, configuration.txt 7.3.6), with HAProxy 2.6's
// names, argument lists, output types and sources (so that e.g. res.hdr in an http-request
// rule is refused at load time), and the ACL keywords derived from them (http_acl.c).
//
// They read the stream's HTTP transaction. Without one (a TCP frontend's tcp-request content
// rules, where HAProxy would parse the buffered bytes as an HTTP/1 request), they return no
// sample. "hdr" and "cookie" read the response once there is one, the request before.
import type { HttpHeaders, HttpRequest, HttpResponse } from '../protocols/http1/message.ts';
import type { Sample, SampleStream, SampleUserlist } from './types.ts';
import type { Arg, ArgSpec } from './arg.ts';
import { bool, PENDING, registerFetches, sint, str, type FetchDef, type SampleSource } from './fetch.ts';
import { registerAclKeywords } from './acl.ts';
import type { MatchMethod } from './pattern.ts';
import { formatIPv4, formatIPv6, parseIPv6 } from './ip.ts';
import { fullHash, sdbm } from '../lb/hash.ts';
import { checkUserlist } from '../config/crypt.ts';
import {
  cookieValues, headerCount, headerValues, MAX_HDR_HISTORY, paramListStart, paramValues, pickOccurrence, strl2ic,
  url2ipv4, urlIPv4, uriPath, uriPathQuery,
} from './http-values.ts';

// ---- where the data is -----------------------------------------------------------------------

function request(s: SampleStream): HttpRequest | null {
  return s.txn ? s.txn.req : null;
}

function response(s: SampleStream): HttpResponse | null {
  return s.txn ? s.txn.res : null;
}

type Dir = 'req' | 'res' | 'auto';

/** The headers a fetch reads: "auto" follows the direction being processed. */
function headersOf(s: SampleStream, dir: Dir): HttpHeaders | null {
  const txn = s.txn;
  if (!txn) return null;
  if (dir === 'req') return txn.req.headers;
  if (dir === 'res') return txn.res ? txn.res.headers : null;
  return (txn.res ?? txn.req).headers;
}

/** Whether "auto" reads a response now (Set-Cookie rather than Cookie). */
function inResponse(s: SampleStream, dir: Dir): boolean {
  return dir === 'res' || (dir === 'auto' && s.txn?.res != null);
}

function nameArg(a: readonly Arg[]): string | null {
  return a[0] ? a[0].str.toLowerCase() : null;
}

function occArg(a: readonly Arg[]): number {
  return a[1] ? a[1].int : 0;
}

function hostHeader(req: HttpRequest): string | undefined {
  return headerValues(req.headers, 'host', false)[0];
}

// ---- headers ----------------------------------------------------------------------------------

/** val_hdr(): the occurrence may not reach further back than the history HAProxy keeps. */
function validateOcc(a: Arg[]): string | null {
  const occ = a[1];
  if (occ && occ.int < -MAX_HDR_HISTORY) return `header occurrence must be >= ${-MAX_HDR_HISTORY}`;
  return null;
}

const HDR_ARGS: ArgSpec = { types: ['str', 'sint'], min: 0 };
const NAME_ARG: ArgSpec = { types: ['str'], min: 0 };

function hdrFetch(s: SampleStream, a: readonly Arg[], dir: Dir, full: boolean): string | null {
  const h = headersOf(s, dir);
  const name = nameArg(a);
  if (!h || name === null) return null;
  return pickOccurrence(headerValues(h, name, full), occArg(a)) ?? null;
}

/** ACLs try every value when no occurrence is given, else only that one. */
function* hdrIterate(s: SampleStream, a: readonly Arg[], dir: Dir, full: boolean): Iterable<string> {
  const h = headersOf(s, dir);
  const name = nameArg(a);
  if (!h || name === null) return;
  const values = headerValues(h, name, full);
  if (occArg(a) !== 0) {
    const v = pickOccurrence(values, occArg(a));
    if (v !== undefined) yield v;
    return;
  }
  yield* values;
}

function strOrNull(v: string | null): Sample | null {
  return v === null ? null : str(v);
}

/**
 * hdr_ip: an IPv4 address, optionally followed by ":<port>" (dropped), or an IPv6 address.
 * Values that are not addresses are skipped when iterating, and give nothing otherwise.
 */
function hdrIp(v: string): Sample | null {
  const ip = url2ipv4(v);
  if (ip && ip.len === v.length) return { type: 'ipv4', value: formatIPv4(ip.addr) };
  if (ip && v[ip.len] === ':') {
    const port = v.slice(ip.len + 1);
    if (/^\d+$/.test(port) && Number(port) <= 65535) return { type: 'ipv4', value: formatIPv4(ip.addr) };
  }
  const v6 = v.length < 46 ? parseIPv6(v) : null;
  return v6 === null ? null : { type: 'ipv6', value: formatIPv6(v6) };
}

function headerFetches(prefix: string, dir: Dir, use: SampleSource): FetchDef[] {
  return [
    {
      name: `${prefix}hdr`, args: HDR_ARGS, validate: validateOcc, out: 'str', use,
      fn: (s, a) => strOrNull(hdrFetch(s, a, dir, false)),
      iterate: function* (s, a) {
        for (const v of hdrIterate(s, a, dir, false)) yield str(v);
      },
    },
    {
      name: `${prefix}hdr_cnt`, args: NAME_ARG, out: 'sint', use,
      fn: (s, a) => {
        const h = headersOf(s, dir);
        return h ? sint(headerCount(h, nameArg(a) ?? '', false)) : null;
      },
    },
    {
      name: `${prefix}hdr_ip`, args: HDR_ARGS, validate: validateOcc, out: 'ipv4', use,
      fn: (s, a) => {
        const v = hdrFetch(s, a, dir, false);
        return v === null ? null : hdrIp(v);
      },
      iterate: function* (s, a) {
        for (const v of hdrIterate(s, a, dir, false)) {
          const ip = hdrIp(v);
          if (ip) yield ip;
        }
      },
    },
    {
      name: `${prefix}hdr_val`, args: HDR_ARGS, validate: validateOcc, out: 'sint', use,
      fn: (s, a) => {
        const v = hdrFetch(s, a, dir, false);
        return v === null ? null : sint(strl2ic(v));
      },
      iterate: function* (s, a) {
        for (const v of hdrIterate(s, a, dir, false)) yield sint(strl2ic(v));
      },
    },
  ];
}

function fullHeaderFetches(prefix: string, dir: Dir, use: SampleSource): FetchDef[] {
  return [
    {
      name: `${prefix}fhdr`, args: HDR_ARGS, validate: validateOcc, out: 'str', use,
      fn: (s, a) => strOrNull(hdrFetch(s, a, dir, true)),
      iterate: function* (s, a) {
        for (const v of hdrIterate(s, a, dir, true)) yield str(v);
      },
    },
    {
      name: `${prefix}fhdr_cnt`, args: NAME_ARG, out: 'sint', use,
      fn: (s, a) => {
        const h = headersOf(s, dir);
        return h ? sint(headerCount(h, nameArg(a) ?? '', true)) : null;
      },
    },
    {
      // lower-case names, as HAProxy stores them, joined by the first character of the argument
      name: `${prefix}hdr_names`, args: NAME_ARG, out: 'str', use,
      fn: (s, a) => {
        const h = headersOf(s, dir);
        if (!h) return null;
        const delim = a[0] ? (a[0].str[0] ?? '\0') : ',';
        let out = '';
        for (let i = 0; i < h.length; i++) out += i === 0 ? h.lowerName(i) : delim + h.lowerName(i);
        return str(out);
      },
    },
    {
      name: `${prefix}hdrs`, out: 'bin', use,
      fn: (s) => {
        const h = headersOf(s, dir);
        if (!h) return null;
        let out = '';
        for (let i = 0; i < h.length; i++) out += `${h.lowerName(i)}: ${h.values[i]!}\r\n`;
        return { type: 'bin', value: Buffer.from(out + '\r\n', 'latin1') };
      },
    },
    {
      name: `${prefix}hdrs_bin`, out: 'bin', use,
      fn: (s) => {
        const h = headersOf(s, dir);
        return h ? { type: 'bin', value: headersBin(h) } : null;
      },
    },
  ];
}

/** SPOE's variable-length integer encoding (encode_varint). */
function pushVarint(out: number[], n: number): void {
  if (n < 240) {
    out.push(n);
    return;
  }
  out.push((n & 0xff) | 240);
  n = Math.floor((n - 240) / 16);
  while (n >= 128) {
    out.push((n & 0xff) | 128);
    n = Math.floor((n - 128) / 128);
  }
  out.push(n);
}

/** req.hdrs_bin: each name and value as <varint length><bytes>, then two empty strings. */
function headersBin(h: HttpHeaders): Buffer {
  const out: number[] = [];
  const push = (s: string): void => {
    pushVarint(out, s.length);
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  };
  for (let i = 0; i < h.length; i++) {
    push(h.lowerName(i));
    push(h.values[i]!);
  }
  out.push(0, 0);
  return Buffer.from(out);
}

// ---- cookies ------------------------------------------------------------------------------------

function cookies(s: SampleStream, a: readonly Arg[], dir: Dir): string[] | null {
  const h = headersOf(s, dir);
  if (!h) return null;
  return cookieValues(h, a[0]?.str ?? '', !inResponse(s, dir));
}

/** The last value of a named cookie, the first cookie when no name is given. */
function cookieFetch(s: SampleStream, a: readonly Arg[], dir: Dir): string | null {
  const v = cookies(s, a, dir);
  if (!v || v.length === 0) return null;
  return a[0] && a[0].str !== '' ? v[v.length - 1]! : v[0]!;
}

function cookieFetches(names: readonly [string, string, string], dir: Dir, use: SampleSource): FetchDef[] {
  const [cook, cnt, val] = names;
  return [
    {
      name: cook, args: NAME_ARG, out: 'str', use,
      fn: (s, a) => strOrNull(cookieFetch(s, a, dir)),
      iterate: function* (s, a) {
        for (const v of cookies(s, a, dir) ?? []) yield str(v);
      },
    },
    {
      name: cnt, args: NAME_ARG, out: 'sint', use,
      fn: (s, a) => {
        const v = cookies(s, a, dir);
        return v ? sint(v.length) : null;
      },
    },
    {
      name: val, args: NAME_ARG, out: 'sint', use,
      fn: (s, a) => {
        const v = cookieFetch(s, a, dir);
        return v === null ? null : sint(strl2ic(v));
      },
      iterate: function* (s, a) {
        for (const v of cookies(s, a, dir) ?? []) yield sint(strl2ic(v));
      },
    },
  ];
}

// ---- request line and URL ------------------------------------------------------------------------

/** The version number after "HTTP/" ("1.1"). */
function versionNumber(v: string): string | null {
  const slash = v.indexOf('/');
  return slash < 0 || slash === v.length - 1 ? null : v.slice(slash + 1);
}

/** base / baseq: the first Host value then the path (with the query for baseq). */
function base(req: HttpRequest, withQuery: boolean): string | null {
  const path = withQuery ? uriPathQuery(req.uri) : uriPath(req.uri);
  const host = hostHeader(req);
  if (host === undefined) return path;
  return path !== null && path.length > 0 && path[0] === '/' ? host + path : host;
}

/** base32 / url32: SDBM of the first Host value and the path, with full avalanche. */
function hash32(req: HttpRequest, withQuery: boolean): number {
  const host = hostHeader(req) ?? '';
  const path = (withQuery ? uriPathQuery(req.uri) : uriPath(req.uri)) ?? '';
  const key = Buffer.from(path[0] === '/' ? host + path : host, 'latin1');
  return fullHash(sdbm(key));
}

/** "<hash>+src": the 32-bit hash then the source address, as binary. */
function withSrc(s: SampleStream, hash: number): Sample | null {
  const src = s.family === 'ipv4' ? url2ipv4(s.srcAddr) : null;
  const b = Buffer.alloc(src ? 8 : 20);
  b.writeUInt32BE(hash >>> 0, 0);
  if (src) b.writeUInt32BE(src.addr, 4);
  else {
    const v6 = s.family === 'ipv6' ? parseIPv6(s.srcAddr) : null;
    if (v6 === null) return null;
    b.writeBigUInt64BE(v6 >> 64n, 4);
    b.writeBigUInt64BE(v6 & 0xffffffffffffffffn, 12);
  }
  return { type: 'bin', value: b };
}

/** url_param / urlp: the parameter list starts after the first <delim> ('?' by default). */
function urlParams(s: SampleStream, a: readonly Arg[]): string[] | null {
  const req = request(s);
  if (!req) return null;
  const delim = a[1] ? (a[1].str[0] ?? '\0') : '?';
  const start = paramListStart(req.uri, delim);
  if (start < 0) return null;
  return paramValues(req.uri.slice(start), a[0]?.str ?? '', delim);
}

const URLP_ARGS: ArgSpec = { types: ['str', 'str'], min: 0 };

function urlpFetch(name: string): FetchDef {
  return {
    name, args: URLP_ARGS, out: 'str', use: 'hrqhv',
    fn: (s, a) => {
      const v = urlParams(s, a);
      return v && v.length > 0 ? str(v[0]!) : null;
    },
    iterate: function* (s, a) {
      for (const v of urlParams(s, a) ?? []) yield str(v);
    },
  };
}

// ---- body ---------------------------------------------------------------------------------------

function bodyOf(s: SampleStream): { data: Buffer; final: boolean } | null {
  const txn = s.txn;
  if (!txn) return null;
  return { data: txn.reqBody ?? Buffer.alloc(0), final: txn.reqBodyFinal };
}

/** The response body buffered by wait-for-body (empty and not final when it was not waited for). */
function resBodyOf(s: SampleStream): { data: Buffer; final: boolean } | null {
  const txn = s.txn;
  if (!txn || !txn.res) return null;
  return { data: txn.resBody ?? Buffer.alloc(0), final: txn.resBodyFinal ?? false };
}

/** body_size: the advertised Content-Length, or what is buffered of a chunked body. */
function bodySize(headers: HttpHeaders, body: { data: Buffer; final: boolean }): Sample {
  const cl = headerValues(headers, 'content-length', false)[0];
  if (cl !== undefined && /^\d+$/.test(cl) && !headers.has('transfer-encoding')) return sint(Number(cl));
  return bodySample('sint', body.data.length, body.final);
}

function bodySample(type: 'bin' | 'sint', value: Buffer | number, final: boolean): Sample {
  return final ? { type, value } : { type, value, mayChange: true };
}

/** req.body_param: the body as "name=value&..." (delimiters '&' and ';'). */
function bodyParams(s: SampleStream, a: readonly Arg[]): { values: string[]; final: boolean } | null {
  const body = bodyOf(s);
  if (!body) return null;
  return { values: paramValues(body.data.toString('latin1'), a[0]?.str ?? '', '&'), final: body.final };
}

// ---- authentication ------------------------------------------------------------------------------

interface AuthData {
  readonly method: 'Basic' | 'Bearer';
  /** What follows the scheme and one space. */
  readonly data: string;
  readonly user: string | null;
  readonly pass: string | null;
}

/** Strict base64 (base64dec()): groups of four, padding only at the end. */
function base64Strict(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/**
 * get_http_auth(): the scheme of the Authorization header and, for Basic, the user and
 * password. HAProxy compares the scheme as a case-insensitive prefix of "Basic" or "Bearer".
 */
function httpAuth(s: SampleStream): AuthData | null {
  const req = request(s);
  if (!req) return null;
  const v = headerValues(req.headers, 'authorization', false)[0];
  if (v === undefined) return null;
  const sp = v.indexOf(' ');
  if (sp <= 0) return null;
  const scheme = v.slice(0, sp).toLowerCase();
  const data = v.slice(sp + 1);
  if ('basic'.startsWith(scheme)) {
    const raw = base64Strict(data);
    if (!raw) return null;
    // the decoded text ends at its first NUL, as a C string
    const nul = raw.indexOf(0);
    const text = (nul < 0 ? raw : raw.subarray(0, nul)).toString('latin1');
    const colon = text.indexOf(':');
    if (colon < 0) return null;
    return { method: 'Basic', data, user: text.slice(0, colon), pass: text.slice(colon + 1) };
  }
  if ('bearer'.startsWith(scheme)) return { method: 'Bearer', data, user: null, pass: null };
  return null;
}

function userlistArg(s: SampleStream, a: readonly Arg[]): SampleUserlist | undefined {
  return s.world.userlist?.(a[0]!.str);
}

/** The authenticated user when its password is valid in the userlist, else null. */
function authenticatedUser(s: SampleStream, a: readonly Arg[]): { user: string; ul: SampleUserlist } | null {
  const auth = httpAuth(s);
  const ul = userlistArg(s, a);
  if (!auth || auth.user === null || !ul) return null;
  return checkUserlist(ul, auth.user, auth.pass!) ? { user: auth.user, ul } : null;
}

/** The groups of <user>: its own "groups" option plus the groups listing it. */
export function userGroups(ul: SampleUserlist, user: string): string[] {
  const out = [...(ul.users.get(user)?.groups ?? [])];
  for (const [g, members] of ul.groups) if (members.includes(user) && !out.includes(g)) out.push(g);
  return out;
}

// ---- registrations ---------------------------------------------------------------------------------

registerFetches(
  ...headerFetches('req.', 'req', 'hrqhv'),
  ...fullHeaderFetches('req.', 'req', 'hrqhv'),
  ...headerFetches('res.', 'res', 'hrshv'),
  ...fullHeaderFetches('res.', 'res', 'hrshv'),
  ...headerFetches('s', 'res', 'hrshv'),
  ...cookieFetches(['req.cook', 'req.cook_cnt', 'req.cook_val'], 'req', 'hrqhv'),
  ...cookieFetches(['cook', 'cook_cnt', 'cook_val'], 'req', 'hrqhv'),
  ...cookieFetches(['res.cook', 'res.cook_cnt', 'res.cook_val'], 'res', 'hrshv'),
  ...cookieFetches(['scook', 'scook_cnt', 'scook_val'], 'res', 'hrshv'),
  {
    // hdr() reads the message being processed; hdr_cnt/hdr_ip/hdr_val are request-only
    name: 'hdr', args: HDR_ARGS, validate: validateOcc, out: 'str', use: 'hrqhv,hrshv',
    fn: (s, a) => strOrNull(hdrFetch(s, a, 'auto', false)),
    iterate: function* (s, a) {
      for (const v of hdrIterate(s, a, 'auto', false)) yield str(v);
    },
  },
  ...headerFetches('', 'req', 'hrqhv').filter((d) => d.name !== 'hdr'),
  {
    name: 'cookie', args: NAME_ARG, out: 'str', use: 'hrqhv,hrshv',
    fn: (s, a) => strOrNull(cookieFetch(s, a, 'auto')),
    iterate: function* (s, a) {
      for (const v of cookies(s, a, 'auto') ?? []) yield str(v);
    },
  },
);

registerFetches(
  {
    name: 'method', out: 'meth', use: 'hrqhp',
    fn: (s) => {
      const req = request(s);
      return req ? { type: 'meth', value: req.method } : null;
    },
  },
  {
    name: 'url', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? str(req.uri) : null;
    },
  },
  {
    name: 'path', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? strOrNull(uriPath(req.uri)) : null;
    },
  },
  {
    name: 'pathq', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? strOrNull(uriPathQuery(req.uri)) : null;
    },
  },
  {
    name: 'query', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      if (!req) return null;
      const q = req.uri.indexOf('?');
      return q < 0 ? null : str(req.uri.slice(q + 1));
    },
  },
  {
    name: 'base', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? strOrNull(base(req, false)) : null;
    },
  },
  {
    name: 'baseq', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? strOrNull(base(req, true)) : null;
    },
  },
  {
    name: 'base32', out: 'sint', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? sint(hash32(req, false)) : null;
    },
  },
  {
    name: 'base32+src', out: 'bin', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? withSrc(s, hash32(req, false)) : null;
    },
  },
  {
    name: 'url32', out: 'sint', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? sint(hash32(req, true)) : null;
    },
  },
  {
    name: 'url32+src', out: 'bin', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? withSrc(s, hash32(req, true)) : null;
    },
  },
  {
    name: 'url_ip', out: 'ipv4', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      const u = req ? urlIPv4(req.uri) : null;
      return u ? { type: 'ipv4', value: formatIPv4(u.addr) } : null;
    },
  },
  {
    name: 'url_port', out: 'sint', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      const u = req ? urlIPv4(req.uri) : null;
      return u ? sint(u.port) : null;
    },
  },
  urlpFetch('url_param'),
  urlpFetch('urlp'),
  {
    name: 'urlp_val', args: URLP_ARGS, out: 'sint', use: 'hrqhv',
    fn: (s, a) => {
      const v = urlParams(s, a);
      return v && v.length > 0 ? sint(strl2ic(v[0]!)) : null;
    },
    iterate: function* (s, a) {
      for (const v of urlParams(s, a) ?? []) yield sint(strl2ic(v));
    },
  },
  ...['req.ver', 'req_ver'].map((name): FetchDef => ({
    name, out: 'str', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      return req ? strOrNull(versionNumber(req.version)) : null;
    },
  })),
  ...['res.ver', 'resp_ver'].map((name): FetchDef => ({
    name, out: 'str', use: 'hrshv',
    fn: (s) => {
      const res = response(s);
      return res ? strOrNull(versionNumber(res.version)) : null;
    },
  })),
  {
    name: 'status', out: 'sint', use: 'hrshp',
    fn: (s) => {
      const res = response(s);
      return res ? sint(res.status) : null;
    },
  },
  ...['req.proto_http', 'req_proto_http'].map((name): FetchDef => ({
    name, out: 'bool', use: 'hrqhp',
    // In tcp-request content rules the buffer may not hold a whole head yet: wait for it.
    fn: (s) => (request(s) ? bool(true) : s.txn === null && s.reqData !== null && !s.reqDataFinal ? PENDING : null),
  })),
  {
    name: 'http_first_req', out: 'bool', use: 'hrqhp',
    fn: (s) => {
      const first = s.txn?.firstReq;
      return first === undefined ? null : bool(first);
    },
  },
);

// ---- captures (allocated at request time, so also usable in responses and logs) --------------------

/** The request line as received, or as the request stands when the stream keeps no copy. */
function requestLine(s: SampleStream): string | null {
  const txn = s.txn;
  if (!txn) return null;
  if (txn.reqLine != null) return txn.reqLine;
  return `${txn.req.method} ${txn.req.uri} ${txn.req.version}`;
}

registerFetches(
  {
    name: 'capture.req.hdr', args: { types: ['sint'], min: 1 }, out: 'str', use: 'hrqhp',
    fn: (s, a) => {
      const v = s.txn?.reqCaptures[a[0]!.int];
      return v == null ? null : str(v);
    },
  },
  {
    name: 'capture.res.hdr', args: { types: ['sint'], min: 1 }, out: 'str', use: 'hrshp',
    fn: (s, a) => {
      const v = s.txn?.resCaptures[a[0]!.int];
      return v == null ? null : str(v);
    },
  },
  {
    name: 'capture.req.method', out: 'str', use: 'hrqhp',
    fn: (s) => {
      const line = requestLine(s);
      if (line === null) return null;
      const sp = line.indexOf(' ');
      return str(sp < 0 ? line : line.slice(0, sp));
    },
  },
  {
    // the URI from its first slash, without the scheme and authority
    name: 'capture.req.uri', out: 'str', use: 'hrqhp',
    fn: (s) => {
      const line = requestLine(s);
      if (line === null) return null;
      const sp = line.indexOf(' ');
      if (sp < 0) return null;
      const end = line.indexOf(' ', sp + 1);
      return strOrNull(uriPathQuery(line.slice(sp + 1, end < 0 ? line.length : end)));
    },
  },
  {
    name: 'capture.req.ver', out: 'str', use: 'hrqhp',
    fn: (s) => {
      const req = request(s);
      return req ? str(req.version) : null;
    },
  },
  {
    name: 'capture.res.ver', out: 'str', use: 'hrqhp',
    fn: (s) => {
      if (!s.txn) return null;
      const res = response(s);
      return str(res?.version === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0');
    },
  },
);

// ---- body and authentication ------------------------------------------------------------------------

registerFetches(
  {
    name: 'req.body', out: 'bin', use: 'hrqhv',
    fn: (s) => {
      const b = bodyOf(s);
      return b ? bodySample('bin', b.data, b.final) : null;
    },
  },
  {
    name: 'req.body_len', out: 'sint', use: 'hrqhv',
    fn: (s) => {
      const b = bodyOf(s);
      return b ? bodySample('sint', b.data.length, b.final) : null;
    },
  },
  {
    // the advertised Content-Length, or what is buffered of a chunked body
    name: 'req.body_size', out: 'sint', use: 'hrqhv',
    fn: (s) => {
      const req = request(s);
      const b = bodyOf(s);
      return req && b ? bodySize(req.headers, b) : null;
    },
  },
  {
    // HAProxy declares the response body fetches with the response headers' source
    name: 'res.body', out: 'bin', use: 'hrshv',
    fn: (s) => {
      const b = resBodyOf(s);
      return b ? bodySample('bin', b.data, b.final) : null;
    },
  },
  {
    name: 'res.body_len', out: 'sint', use: 'hrshv',
    fn: (s) => {
      const b = resBodyOf(s);
      return b ? bodySample('sint', b.data.length, b.final) : null;
    },
  },
  {
    name: 'res.body_size', out: 'sint', use: 'hrshv',
    fn: (s) => {
      const res = response(s);
      const b = resBodyOf(s);
      return res && b ? bodySize(res.headers, b) : null;
    },
  },
  {
    name: 'req.body_param', args: NAME_ARG, out: 'bin', use: 'hrqhv',
    fn: (s, a) => {
      const p = bodyParams(s, a);
      if (!p) return null;
      // a parameter not found yet may come with more of the body
      if (p.values.length === 0) return p.final ? null : PENDING;
      return bodySample('bin', Buffer.from(p.values[0]!, 'latin1'), p.final);
    },
    iterate: function* (s, a) {
      const p = bodyParams(s, a);
      if (!p) return;
      for (const v of p.values) yield bodySample('bin', Buffer.from(v, 'latin1'), p.final);
      if (!p.final) yield PENDING;
    },
  },
  {
    name: 'http_auth_type', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const auth = httpAuth(s);
      return auth ? str(auth.method) : null;
    },
  },
  {
    name: 'http_auth_user', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const auth = httpAuth(s);
      return auth?.user != null ? str(auth.user) : null;
    },
  },
  {
    name: 'http_auth_pass', out: 'str', use: 'hrqhv',
    fn: (s) => {
      const auth = httpAuth(s);
      return auth?.pass != null ? str(auth.pass) : null;
    },
  },
  {
    // the token of "Bearer <token>" in Authorization, or in the header named by the argument
    name: 'http_auth_bearer', args: NAME_ARG, out: 'str', use: 'hrqhv',
    fn: (s, a) => {
      if (!a[0] || a[0].str === '') {
        const auth = httpAuth(s);
        return auth?.method === 'Bearer' ? str(auth.data) : null;
      }
      const req = request(s);
      if (!req) return null;
      const v = headerValues(req.headers, a[0].str.toLowerCase(), false)[0];
      if (v === undefined) return str('');
      const sp = v.indexOf(' ');
      return sp >= 0 && v.slice(0, sp).toLowerCase() === 'bearer' ? str(v.slice(sp + 1)) : str('');
    },
  },
  {
    name: 'http_auth', args: { types: ['usr'], min: 1 }, out: 'bool', use: 'hrqhv',
    fn: (s, a) => {
      const auth = httpAuth(s);
      const ul = userlistArg(s, a);
      if (!auth || auth.user === null || !ul) return null;
      return bool(checkUserlist(ul, auth.user, auth.pass!));
    },
  },
  {
    // the user name when the credentials are valid; ACLs match its groups against the patterns
    name: 'http_auth_group', args: { types: ['usr'], min: 1 }, out: 'str', use: 'hrqhv',
    fn: (s, a) => {
      const u = authenticatedUser(s, a);
      return u ? str(u.user) : null;
    },
    iterate: function* (s, a) {
      const u = authenticatedUser(s, a);
      if (u) for (const g of userGroups(u.ul, u.user)) yield str(g);
    },
  },
);

// ---- ACL keywords (http_acl.c) ------------------------------------------------------------------------

const DERIVED: readonly (readonly [string, MatchMethod])[] = [
  ['', 'str'], ['_beg', 'beg'], ['_dir', 'dir'], ['_dom', 'dom'], ['_end', 'end'], ['_len', 'len'], ['_reg', 'reg'], ['_sub', 'sub'],
];

for (const [prefix, fetch] of [
  ['base', 'base'], ['cook', 'req.cook'], ['hdr', 'req.hdr'], ['path', 'path'], ['scook', 'res.cook'], ['shdr', 'res.hdr'],
  ['url', 'url'], ['urlp', 'urlp'],
] as const) {
  registerAclKeywords(...DERIVED.map(([suffix, match]) => ({ name: prefix + suffix, fetch, match })));
}

registerAclKeywords(
  { name: 'http_auth_group', fetch: 'http_auth_group', match: 'str' },
  { name: 'method', fetch: 'method', match: 'str' },
  { name: 'req_ver', fetch: 'req.ver', match: 'str' },
  { name: 'resp_ver', fetch: 'res.ver', match: 'str' },
);
