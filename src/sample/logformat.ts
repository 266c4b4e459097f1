// Log-format strings (configuration.txt 8.2.6): literal text, %-variables with {flags} and
// "%[expr]" sample parts, compiled once at load into a flat node list, as HAProxy's
// parse_logformat_string(). Rendering walks the list with one switch: no closure per log.
// Used by log-format/log-format-sd/error-log-format, and by use_backend names.
import { hostname } from 'node:os';
import type { Mode, LogFormatLike } from '../config/model.ts';
import type { Phase, SampleStream } from './types.ts';
import type { Loggable } from '../observe/log/loggable.ts';
import { processCounters } from '../observe/counters.ts';
import { logDate, gmtDate, localDate } from '../observe/log/dates.ts';
import { parseExprAt, SampleExprImpl } from './expr.ts';
import { SOURCE_NAMES } from './fetch.ts';
import { sampleToString, toByteString } from './casts.ts';

/** Node options (HAProxy's LOG_OPT_*): set per variable with %{+X,-Q}, for all that follow with %{...}o. */
export const LogOpt = {
  /** An empty value prints "-". */
  Mandatory: 1,
  /** Strings within double quotes. */
  Quote: 2,
  /** Addresses, ports and counters in hexadecimal. */
  Hexa: 4,
  /** '"', '\' and ']' escaped with '\' (RFC 5424 structured data). */
  Esc: 8,
} as const;

const FLAG_NAMES: Readonly<Record<string, number>> = { M: LogOpt.Mandatory, Q: LogOpt.Quote, X: LogOpt.Hexa, E: LogOpt.Esc };

/** Node kinds: text, separator, sample expression, then one per variable. */
const V = {
  Text: 0, Sep: 1, Expr: 2,
  ClientIp: 3, ClientPort: 4, FrontIp: 5, FrontPort: 6, BackIp: 7, BackPort: 8, ServerIp: 9, ServerPort: 10,
  Date: 11, DateGmt: 12, DateLocal: 13, ReqDate: 14, ReqDateGmt: 15, ReqDateLocal: 16, Ts: 17, Ms: 18,
  Frontend: 19, FrontendXprt: 20, Backend: 21, Server: 22,
  Th: 23, Ti: 24, TR: 25, Tq: 26, Tw: 27, Tc: 28, Tr: 29, Td: 30, Ta: 31, Tt: 32, Tu: 33,
  Status: 34, Bytes: 35, BytesUp: 36, CookieCli: 37, CookieSrv: 38, TermState: 39, TermStateCk: 40,
  ActConn: 41, FeConn: 42, BeConn: 43, SrvConn: 44, Retries: 45, SrvQueue: 46, BeQueue: 47,
  HdrReq: 48, HdrReqList: 49, HdrRes: 50, HdrResList: 51, Request: 52, HttpMethod: 53, HttpUri: 54,
  HttpPath: 55, HttpPathOnly: 56, HttpQuery: 57, HttpVersion: 58, Counter: 59, LogCount: 60,
  Hostname: 61, Pid: 62, UniqueId: 63, SslCipher: 64, SslVersion: 65, Global: 66,
} as const;

/** The variables of HAProxy 2.6 (log.c logformat_keywords): kind and whether HTTP mode is required. */
const VARIABLES: ReadonlyMap<string, readonly [number, boolean]> = new Map<string, readonly [number, boolean]>([
  ['o', [V.Global, false]],
  ['B', [V.Bytes, false]], ['CC', [V.CookieCli, true]], ['CS', [V.CookieSrv, true]], ['H', [V.Hostname, false]],
  ['ID', [V.UniqueId, false]], ['ST', [V.Status, false]], ['T', [V.DateGmt, false]], ['Ta', [V.Ta, true]],
  ['Tc', [V.Tc, false]], ['Th', [V.Th, false]], ['Ti', [V.Ti, true]], ['Tl', [V.DateLocal, false]],
  ['Tq', [V.Tq, true]], ['Tr', [V.Tr, true]], ['TR', [V.TR, true]], ['Td', [V.Td, false]], ['Ts', [V.Ts, false]],
  ['Tt', [V.Tt, false]], ['Tu', [V.Tu, false]], ['Tw', [V.Tw, false]], ['U', [V.BytesUp, false]],
  ['ac', [V.ActConn, false]], ['b', [V.Backend, false]], ['bc', [V.BeConn, false]], ['bi', [V.BackIp, false]],
  ['bp', [V.BackPort, false]], ['bq', [V.BeQueue, false]], ['ci', [V.ClientIp, false]], ['cp', [V.ClientPort, false]],
  ['f', [V.Frontend, false]], ['fc', [V.FeConn, false]], ['fi', [V.FrontIp, false]], ['fp', [V.FrontPort, false]],
  ['ft', [V.FrontendXprt, false]], ['hr', [V.HdrReq, false]], ['hrl', [V.HdrReqList, false]], ['hs', [V.HdrRes, false]],
  ['hsl', [V.HdrResList, false]], ['HM', [V.HttpMethod, true]], ['HP', [V.HttpPath, true]], ['HPO', [V.HttpPathOnly, true]],
  ['HQ', [V.HttpQuery, true]], ['HU', [V.HttpUri, true]], ['HV', [V.HttpVersion, true]], ['lc', [V.LogCount, false]],
  ['ms', [V.Ms, false]], ['pid', [V.Pid, false]], ['r', [V.Request, true]], ['rc', [V.Retries, false]],
  ['rt', [V.Counter, false]], ['s', [V.Server, false]], ['sc', [V.SrvConn, false]], ['si', [V.ServerIp, false]],
  ['sp', [V.ServerPort, false]], ['sq', [V.SrvQueue, false]], ['sslc', [V.SslCipher, false]], ['sslv', [V.SslVersion, false]],
  ['t', [V.Date, false]], ['tr', [V.ReqDate, true]], ['trg', [V.ReqDateGmt, true]], ['trl', [V.ReqDateLocal, true]],
  ['ts', [V.TermState, false]], ['tsc', [V.TermStateCk, false]],
]);

/** One compiled element. Every node has the same shape (kind, options, text, expression). */
interface LogNode {
  readonly kind: number;
  readonly opts: number;
  readonly text: string;
  readonly expr: SampleExprImpl | null;
}

export interface LogFormat extends LogFormatLike {
  readonly nodes: readonly LogNode[];
}

export interface LogFormatContext {
  readonly proxyName?: string;
  /** The proxy's mode: HTTP-only variables are refused in TCP proxies. Unchecked when absent. */
  readonly mode?: Mode;
  /** Options applied to every node (LogOpt bits); Mandatory by default. */
  readonly options?: number;
  /** Spaces separate fields and merge (log-format, log-format-sd, error-log-format). */
  readonly mergeSpaces?: boolean;
}

function isAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function isAlnum(c: string | undefined): boolean {
  return isAlpha(c) || (c !== undefined && c >= '0' && c <= '9');
}

/** Applies "+Q,-X,..." to `opts`; unknown names are ignored, as HAProxy does. */
function applyFlags(arg: string, opts: number): number {
  for (const tok of arg.split(',')) {
    const at = Math.max(tok.lastIndexOf('+'), tok.lastIndexOf('-'));
    if (at < 0) continue;
    const bit = FLAG_NAMES[tok.slice(at + 1)];
    if (bit === undefined) continue;
    opts = tok[at] === '+' ? opts | bit : opts & ~bit;
  }
  return opts;
}

/**
 * Compiles <text>. With <phase>, every fetch must be available there (e.g. use_backend names are
 * checked against PhaseBit.UseBackend, log formats against PhaseBit.Log). Returns the compiled
 * format or an error text in HAProxy's words.
 */
export function compileLogFormat(text: string, ctx?: LogFormatContext, phase?: Phase): LogFormat | string {
  const nodes: LogNode[] = [];
  const parts: (string | SampleExprImpl)[] = [];
  const merge = ctx?.mergeSpaces === true;
  let opts = ctx?.options ?? LogOpt.Mandatory;
  let lit = '';
  const flushText = (): void => {
    if (!lit) return;
    const t = toByteString(lit);
    nodes.push({ kind: V.Text, opts: 0, text: t, expr: null });
    parts.push(t);
    lit = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' && merge) {
      flushText();
      nodes.push({ kind: V.Sep, opts: 0, text: ' ', expr: null });
      i++;
      continue;
    }
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    let j = i + 1;
    const n = text[j];
    if (n === undefined) return `truncated line after '%'`;
    if (n === '%') {
      lit += '%';
      i = j + 1;
      continue;
    }
    if ((n >= '0' && n <= '9') || n === ' ' || n === '\t') {
      return `unexpected variable name near '${n}' at position ${j} line : '${text}'. Maybe you want to write a single '%', use the syntax '%%'`;
    }
    let arg: string | null = null;
    if (n === '{') {
      const close = text.indexOf('}', j + 1);
      if (close < 0) return `truncated line after '${text.slice(j + 1)}'`;
      arg = text.slice(j + 1, close);
      j = close + 1;
      if (text[j] !== '[' && !isAlnum(text[j])) return `parse argument modifier without variable name near '%{${arg}}'`;
    } else if (n !== '[' && !isAlpha(n)) {
      // "%" before any other character is dropped and the character kept as text.
      i = j;
      continue;
    }
    flushText();
    if (text[j] === '[') {
      const start = j + 1;
      const rest = text.slice(start);
      const r = parseExprAt(text, start, { allowTrailing: true, ...(ctx?.proxyName !== undefined ? { proxyName: ctx.proxyName } : {}) });
      if (!r.ok) return `failed to parse sample expression <${rest}> : ${r.error}`;
      if (phase !== undefined && !(r.expr.usable & phase)) {
        return `sample fetch <${rest}> may not be reliably used here because it needs '${SOURCE_NAMES[r.expr.fetch.use]}' which is not available here`;
      }
      const after = text[r.end];
      if (after !== ']') {
        const shown = text.slice(start, r.end);
        return after !== undefined && after >= ' ' && after <= '~'
          ? `expected ']' after '${shown}', but found '${after}'`
          : `missing ']' after '${shown}'`;
      }
      nodes.push({ kind: V.Expr, opts: arg === null ? opts : applyFlags(arg, opts), text: '', expr: r.expr });
      parts.push(r.expr);
      i = r.end + 1;
      continue;
    }
    let e = j;
    while (isAlnum(text[e])) e++;
    const name = text.slice(j, e);
    const v = VARIABLES.get(name);
    if (!v) return `no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`;
    if (v[1] && ctx?.mode !== undefined && ctx.mode !== 'http') return `format variable '${name}' is reserved for HTTP mode`;
    const nodeOpts = arg === null ? opts : applyFlags(arg, opts);
    if (v[0] === V.Global) opts = nodeOpts;
    else nodes.push({ kind: v[0], opts: nodeOpts, text: '', expr: null });
    i = e;
  }
  flushText();
  return { text, parts, nodes };
}

// ---- rendering ------------------------------------------------------------------------------

const HEX = '0123456789ABCDEF';
const HOSTNAME = hostname();

/** Characters written as "#XX" in captured headers (HAProxy's hdr_encode_map) and in URIs (url_encode_map). */
const HDR_ENCODE = new Uint8Array(256);
const URL_ENCODE = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const ctl = b < 32 || b >= 127;
  HDR_ENCODE[b] = ctl || '"#{|}'.includes(String.fromCharCode(b)) ? 1 : 0;
  URL_ENCODE[b] = ctl || b === 0x22 || b === 0x23 ? 1 : 0;
}

function hex2(b: number): string {
  return HEX[(b >> 4) & 15]! + HEX[b & 15]!;
}

/** Escapes '"', '\' and ']' with a backslash (option E). */
function escapeSd(s: string): string {
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    out += c === '"' || c === '\\' || c === ']' ? '\\' + c : c;
  }
  return out;
}

/** HAProxy's lf_text_len(): quoted/escaped as asked, "-" for nothing when mandatory and unquoted. */
function lfText(v: string | null, opts: number): string {
  const q = (opts & LogOpt.Quote) !== 0;
  let body: string;
  if (v) body = opts & LogOpt.Esc ? escapeSd(v) : v;
  else body = !q && opts & LogOpt.Mandatory ? '-' : '';
  return q ? '"' + body + '"' : body;
}

/** HAProxy's lf_encode_string(): bytes of `map` as '#XX', plus the E escapes. */
function lfEncode(v: string, map: Uint8Array, opts: number): string {
  const esc = (opts & LogOpt.Esc) !== 0;
  let out = '';
  for (let k = 0; k < v.length; k++) {
    const b = v.charCodeAt(k) & 0xff;
    if (map[b]) out += '#' + hex2(b);
    else if (esc && (b === 0x22 || b === 0x5c || b === 0x5d)) out += '\\' + v[k];
    else out += v[k];
  }
  return out;
}

function hexPad4(n: number): string {
  const h = (n >>> 0).toString(16).toUpperCase();
  return h.length < 4 ? h.padStart(4, '0') : h;
}

function ipHex(addr: string): string | null {
  if (addr.indexOf(':') < 0) {
    const p = addr.split('.');
    if (p.length !== 4) return null;
    let out = '';
    for (const x of p) out += hex2(Number(x));
    return out;
  }
  // Expand "::" then print the 16 bytes.
  const [head, tail] = addr.includes('::') ? addr.split('::') as [string, string] : [addr, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let out = '';
  for (const g of groups) {
    const n = parseInt(g || '0', 16);
    out += hex2(n >> 8) + hex2(n & 0xff);
  }
  return out;
}

function lfIp(addr: string | null, family: string, opts: number): string {
  if (addr === null) return lfText(null, opts);
  if (family === 'unix') return lfText('unix', opts);
  if (opts & LogOpt.Hexa) return ipHex(addr) ?? '';
  return lfText(addr, opts);
}

function lfPort(port: number, opts: number): string {
  return opts & LogOpt.Hexa ? hex2(port >> 8) + hex2(port & 0xff) : String(port);
}

/** The request line (HAProxy's txn->uri) split as %HM/%HU/%HP/%HPO/%HQ/%HV read it. */
function uriField(kind: number, line: string | null): string {
  if (line === null) return '<BADREQ>';
  const end = line.length;
  let p = 0;
  while (p < end && line[p] !== ' ' && line[p] !== '\t') p++;
  if (kind === V.HttpMethod) return p === end ? '<BADREQ>' : line.slice(0, p);
  if (kind === V.HttpQuery) {
    const q = line.indexOf('?');
    if (q < 0) return '';
    let e = q;
    while (e < end && line[e] !== ' ' && line[e] !== '\t') e++;
    return line.slice(q, e);
  }
  let spaces = 0;
  while (p < end && (line[p] === ' ' || line[p] === '\t')) {
    p++;
    spaces++;
  }
  if (spaces === 0) return '<BADREQ>';
  let e = p;
  if (kind === V.HttpPath) {
    while (e < end && line[e] !== '?' && line[e] !== ' ' && line[e] !== '\t') e++;
    return line.slice(p, e);
  }
  while (e < end && line[e] !== ' ' && line[e] !== '\t') e++;
  if (kind === V.HttpUri) return line.slice(p, e);
  if (kind === V.HttpPathOnly) return pathOnly(line.slice(p, e));
  // HttpVersion
  while (e < end && (line[e] === ' ' || line[e] === '\t')) e++;
  return e === end ? 'HTTP/0.9' : line.slice(e);
}

/** The path of a URI without scheme, authority or query (http_parse_path + stop at '?'). */
function pathOnly(uri: string): string {
  let p = uri;
  if (p[0] !== '/' && p !== '*') {
    const scheme = p.indexOf('://');
    if (scheme > 0) {
      const slash = p.indexOf('/', scheme + 3);
      p = slash < 0 ? '' : p.slice(slash);
    }
  }
  const q = p.indexOf('?');
  return q < 0 ? p : p.slice(0, q);
}

function captures(caps: readonly (string | null)[] | undefined, opts: number, list: boolean): string {
  if (!caps || caps.length === 0) return '';
  const q = (opts & LogOpt.Quote) !== 0;
  let out = '';
  if (!list) {
    out = (q ? '"' : '') + '{';
    for (let k = 0; k < caps.length; k++) {
      if (k) out += '|';
      const c = caps[k];
      if (c != null) out += lfEncode(c, HDR_ENCODE, opts);
    }
    return out + '}' + (q ? '"' : '');
  }
  for (let k = 0; k < caps.length; k++) {
    if (k) out += ' ';
    const c = caps[k];
    if (q) out += '"';
    if (c != null) out += lfEncode(c, HDR_ENCODE, opts);
    else if (!q) out += '-';
    if (q) out += '"';
  }
  return out;
}

/** Renders one variable for a stream that keeps a log record. */
function renderVar(n: LogNode, s: Loggable): string {
  const L = s.logs;
  const o = n.opts;
  const tReq = L.tRequest;
  switch (n.kind) {
    case V.ClientIp: return lfIp(s.srcAddr, s.family, o);
    case V.ClientPort: return s.family === 'unix' ? String(L.listenerId) : lfPort(s.srcPort, o);
    case V.FrontIp: return lfIp(s.dstAddr, s.family, o);
    case V.FrontPort: return s.family === 'unix' ? String(L.listenerId) : lfPort(s.dstPort, o);
    case V.BackIp: return lfIp(L.connAddr, '', o);
    case V.BackPort: return L.connAddr === null ? lfText(null, o) : lfPort(L.connPort, o);
    case V.ServerIp: return lfIp(L.srvAddr, L.srvAddr !== null && L.srvAddr.startsWith('/') ? 'unix' : '', o);
    case V.ServerPort: return L.srvAddr === null ? lfText(null, o) : lfPort(L.srvPort, o);
    case V.Date: return logDate(L.acceptDate);
    case V.DateGmt: return gmtDate(L.acceptDate);
    case V.DateLocal: return localDate(L.acceptDate);
    case V.ReqDate: return logDate(requestDate(s));
    case V.ReqDateGmt: return gmtDate(requestDate(s));
    case V.ReqDateLocal: return localDate(requestDate(s));
    case V.Ts: {
      const sec = Math.floor(L.acceptDate / 1000);
      return o & LogOpt.Hexa ? hexPad4(sec) : String(sec);
    }
    case V.Ms: {
      const ms = L.acceptDate % 1000;
      return o & LogOpt.Hexa ? ms.toString(16).toUpperCase().padStart(2, '0') : String(ms).padStart(3, '0');
    }
    case V.Frontend: return lfText(s.frontend.name, o);
    case V.FrontendXprt: {
      const t = s.frontend.name + (L.clientTls ? '~' : '');
      return o & LogOpt.Quote ? '"' + t + '"' : t;
    }
    case V.Backend: return lfText((s.backend ?? s.frontend).name, o);
    case V.Server: return lfText(L.server ? L.server.name : '<NOSRV>', o);
    case V.Th: return String(L.tHandshake);
    case V.Ti: return String(L.tIdle);
    case V.TR: return String(tReq >= 0 ? tReq - L.tIdle - L.tHandshake : -1);
    case V.Tq: return String(tReq);
    case V.Tw: return String(L.tQueue >= 0 ? L.tQueue - tReq : -1);
    case V.Tc: return String(L.tConnect >= 0 ? L.tConnect - L.tQueue : -1);
    case V.Tr: return String(L.tData >= 0 ? L.tData - L.tConnect : -1);
    case V.Td:
      // HAProxy measures the data phase from the response headers in HTTP, from the connection in TCP.
      if ((s.backend ?? s.frontend).mode === 'http') return String(L.tData >= 0 ? L.tClose - L.tData : -1);
      return String(L.tConnect >= 0 ? L.tClose - L.tConnect : -1);
    case V.Ta: return String(L.tClose - (L.tIdle >= 0 ? L.tIdle + L.tHandshake : 0));
    case V.Tt: return String(L.tClose);
    case V.Tu: return String(L.tClose - (L.tIdle >= 0 ? L.tIdle : 0));
    case V.Status: return String(L.status);
    case V.Bytes: return String(L.bytesOut);
    case V.BytesUp: return String(L.bytesIn);
    case V.CookieCli: return lfText(L.capturedReqCookie, o);
    case V.CookieSrv: return lfText(L.capturedResCookie, o);
    case V.TermState: return L.termCause + L.termPhase;
    case V.TermStateCk: return L.termCause + L.termPhase + L.cookieClient + L.cookieServer;
    case V.ActConn: return String(processCounters.curConns);
    case V.FeConn: return String(s.frontend.feConn);
    case V.BeConn: return String((s.backend ?? s.frontend).beConn);
    case V.SrvConn: return String(L.serverConns >= 0 ? L.serverConns : L.server ? L.server.curConns : 0);
    case V.Retries: return (L.redispatched ? '+' : '') + L.retries;
    case V.SrvQueue: return String(L.srvQueuePos);
    case V.BeQueue: return String(L.beQueuePos);
    case V.HdrReq: return captures(s.txn?.reqCaptures, o, false);
    case V.HdrReqList: return captures(s.txn?.reqCaptures, o, true);
    case V.HdrRes: return captures(s.txn?.resCaptures, o, false);
    case V.HdrResList: return captures(s.txn?.resCaptures, o, true);
    case V.Request: {
      const q = o & LogOpt.Quote ? '"' : '';
      return q + lfEncode(L.requestLine ?? '<BADREQ>', URL_ENCODE, o) + q;
    }
    case V.HttpMethod: case V.HttpUri: case V.HttpPath: case V.HttpPathOnly: case V.HttpQuery: case V.HttpVersion: {
      const q = o & LogOpt.Quote ? '"' : '';
      return q + lfEncode(uriField(n.kind, L.requestLine), URL_ENCODE, o) + q;
    }
    case V.Counter: return o & LogOpt.Hexa ? hexPad4(L.requestId) : String(L.requestId);
    case V.LogCount: {
      const c = s.frontend.counters.logCount >>> 0;
      return o & LogOpt.Hexa ? hexPad4(c) : String(c);
    }
    case V.Hostname: return lfText(HOSTNAME, o);
    case V.Pid: return o & LogOpt.Hexa ? hexPad4(process.pid) : String(process.pid);
    case V.UniqueId: return lfText(L.uniqueId, o);
    case V.SslCipher: return lfText(L.tlsCipher, o);
    case V.SslVersion: return lfText(L.tlsVersion, o);
  }
  return '';
}

/** %tr: the accept date plus handshake and idle time, when a request came. */
function requestDate(s: Loggable): number {
  const L = s.logs;
  return L.acceptDate + (L.tIdle >= 0 ? L.tIdle + L.tHandshake : 0);
}

function isLoggable(s: SampleStream): s is Loggable {
  return (s as Partial<Loggable>).logs !== undefined;
}

/**
 * Builds the (byte) string. Sample parts print as text, or "-" when there is none and the node
 * is mandatory; variables read the stream's log record (a stream without one prints them as
 * absent). Separators merge and never lead, as HAProxy's last_isspace logic.
 */
export function renderLogFormat(lf: LogFormatLike, s: SampleStream): string {
  // Every LogFormatLike is made by compileLogFormat.
  const nodes = (lf as LogFormat).nodes;
  const ls = isLoggable(s) ? s : null;
  let out = '';
  let lastSpace = true;
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k]!;
    switch (n.kind) {
      case V.Sep:
        if (!lastSpace) {
          out += ' ';
          lastSpace = true;
        }
        continue;
      case V.Text:
        out += n.text;
        break;
      case V.Expr: {
        const smp = n.expr!.eval(s);
        out += lfText(smp ? sampleToString(smp) : null, n.opts);
        break;
      }
      default: {
        const v = ls ? renderVar(n, ls) : lfText(null, n.opts);
        // Captures print nothing when none is configured; the spacing then stays as it was.
        if (v === '') {
          if (n.kind >= V.HdrReq && n.kind <= V.HdrResList) continue;
        }
        out += v;
      }
    }
    lastSpace = false;
  }
  return out;
}
