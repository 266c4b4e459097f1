// Running HTTP health checks: the request of a send rule as HAProxy's H1 multiplexer writes it,
// a small reader for the response (status line, headers, body by length, chunks or close),
// the evaluation of expect rules with HAProxy's statuses and texts (tcpcheck_eval_expect_http()),
// and the "X-Haproxy-Server-State" header of "http-check send-state".
//
// The response is read from the check's receive buffer each time more data arrives; checks
// read small responses (at most tune.bufsize bytes), so re-reading the head is cheap.
import { HttpHeaders } from '../protocols/http1/message.ts';
import type { CheckStatus } from './health.ts';
import type { HttpCheckExpectRule, HttpCheckSendRule, HttpHeaderPattern, HttpMatch } from './http-check.ts';

/** HTTP/1.1 or above, as HAProxy decides it from the version string of the request. */
function isHttp11(ver: string): boolean {
  return (ver.length === 6 && ver[5] === '2') || (ver.length === 8 && (ver[5]! > '1' || (ver[5] === '1' && ver[7]! >= '1')));
}

/**
 * The request bytes: header names in lower case, the state header after the configured
 * ones, then content-length (with a body) and the connection header the mode needs
 * (closed unless a configured Connection header asks for keep-alive).
 */
export function buildHttpCheckRequest(rule: HttpCheckSendRule, stateHeader: string | null): Buffer {
  const method = rule.method ?? 'OPTIONS';
  const uri = rule.uri ?? '/';
  const ver = rule.version ?? 'HTTP/1.0';
  let head = `${method} ${uri} ${ver}\r\n`;
  let keepAlive = false;
  for (const h of rule.headers) {
    const name = h.name.toLowerCase();
    if (name === 'connection') {
      const v = h.value.toLowerCase();
      if (v.includes('close')) keepAlive = false;
      else if (v.includes('keep-alive')) keepAlive = true;
      continue;
    }
    head += `${name}: ${h.value}\r\n`;
  }
  if (stateHeader !== null) head += `x-haproxy-server-state: ${stateHeader}\r\n`;
  const body = rule.body ?? '';
  if (body !== '') head += `content-length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
  if (isHttp11(ver)) {
    if (!keepAlive) head += 'connection: close\r\n';
  } else if (keepAlive) {
    head += 'connection: keep-alive\r\n';
  }
  return Buffer.from(head + '\r\n' + body, 'latin1');
}

export interface HttpCheckResponse {
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
  /** The body received so far (de-chunked). */
  readonly body: Buffer;
  /** The whole message was received. */
  readonly complete: boolean;
}

/** Not enough data for the status line and headers yet. */
export const INCOMPLETE = 0;
/** Not an HTTP response (HAProxy's parsing error). */
export const INVALID = 1;

export type ReadResult = HttpCheckResponse | typeof INCOMPLETE | typeof INVALID;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/;

/**
 * Reads the response in `buf`. `eos`: the server closed (a body delimited by the close is then
 * complete). `head`: the request was HEAD, the response has no body.
 */
export function readHttpCheckResponse(buf: Buffer, eos: boolean, head: boolean): ReadResult {
  let end = buf.indexOf('\r\n\r\n');
  let sep = 4;
  const lf = buf.indexOf('\n\n');
  if (lf >= 0 && (end < 0 || lf < end)) {
    end = lf;
    sep = 2;
  }
  if (end < 0) return eos ? INVALID : INCOMPLETE;
  const lines = buf.toString('latin1', 0, end).split(/\r?\n/);
  const m = STATUS_LINE.exec(lines[0]!);
  if (!m) return INVALID;
  const status = Number(m[1]);
  const headers = new HttpHeaders();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return INVALID;
    headers.add(line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  const rest = buf.subarray(end + sep);
  const reason = m[2] ?? '';
  if (head || status < 200 || status === 204 || status === 304) {
    return { status, reason, headers, body: Buffer.alloc(0), complete: true };
  }
  const te = headers.get('transfer-encoding');
  if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) {
    const r = dechunk(rest);
    if (r === null) return INVALID;
    return { status, reason, headers, body: r.body, complete: r.complete };
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) return INVALID;
    const len = Number(cl);
    return { status, reason, headers, body: rest.subarray(0, len), complete: rest.length >= len };
  }
  return { status, reason, headers, body: rest, complete: eos };
}

/** The data of the chunks received so far; null on a malformed chunk size. */
function dechunk(data: Buffer): { body: Buffer; complete: boolean } | null {
  const parts: Buffer[] = [];
  let p = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', p);
    if (eol < 0) return { body: Buffer.concat(parts), complete: false };
    const sizeText = data.toString('latin1', p, eol).replace(/;.*$/, '').trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return null;
    const size = parseInt(sizeText, 16);
    p = eol + 2;
    if (size === 0) return { body: Buffer.concat(parts), complete: data.indexOf('\r\n', p) >= 0 };
    parts.push(data.subarray(p, Math.min(p + size, data.length)));
    if (p + size + 2 > data.length) return { body: Buffer.concat(parts), complete: false };
    p += size + 2;
  }
}

export type ExpectResult =
  | { readonly kind: 'continue' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'stop'; readonly status: CheckStatus; readonly info: string };

const CONTINUE: ExpectResult = { kind: 'continue' };
const WAIT: ExpectResult = { kind: 'wait' };

/**
 * Evaluates an expect rule on the response read so far. `lastRead`: no more data will come
 * (close, error or full buffer). `soft404`: "http-check disable-on-404" applies (the server is
 * not down), a 404 then skips the rule.
 */
export function evalHttpExpect(rule: HttpCheckExpectRule, res: ReadResult, lastRead: boolean, soft404: boolean): ExpectResult {
  if (res === INVALID) return fail(rule, 'L7RSP', '');
  if (res === INCOMPLETE) return lastRead ? fail(rule, 'L7RSP', '') : WAIT;
  lastRead ||= res.complete;
  if (soft404 && res.status === 404) return CONTINUE;
  let match: boolean;
  let status: CheckStatus;
  let desc = rule.onError === null ? res.reason : '';
  switch (rule.type) {
    case 'status':
      match = rule.codes.some(([a, b]) => res.status >= a && res.status <= b);
      status = rule.errorStatus ?? 'L7STS';
      break;
    case 'rstatus':
      match = rule.regex!.test(String(res.status).padStart(3, '0'));
      status = rule.errorStatus ?? 'L7STS';
      break;
    case 'hdr':
      match = headerMatches(rule.header!, res.headers);
      status = rule.errorStatus ?? 'L7STS';
      break;
    default: {
      const body = res.body;
      status = rule.errorStatus ?? 'L7RSP';
      if (body.length === 0) {
        if (!lastRead) return WAIT;
        return fail(rule, status, rule.onError === null ? 'HTTP content check could not find a response body' : '');
      }
      if (!lastRead && ((rule.data !== null && body.length < rule.data.length) || (rule.minRecv > 0 && body.length < rule.minRecv))) return WAIT;
      match = rule.data !== null ? body.indexOf(rule.data) >= 0 : rule.regex!.test(body.toString('latin1'));
      // Without min-recv, a mismatch is not conclusive until the last read.
      if (!match && !lastRead && rule.minRecv === -1) return WAIT;
      desc = rule.onError !== null ? '' : rule.inverse ? 'HTTP check matched unwanted content' : 'HTTP content check did not match';
    }
  }
  return match !== rule.inverse ? CONTINUE : fail(rule, status, desc);
}

/**
 * The failure's info (tcpcheck_expect_onerror_message()): the description, else the
 * "on-error" text, then the rule's comment.
 */
function fail(rule: HttpCheckExpectRule, status: CheckStatus, desc: string): ExpectResult {
  let info = desc !== '' ? desc : (rule.onError ?? '');
  if (rule.comment !== null) info += ` comment: ${rule.comment}`;
  return { kind: 'stop', status, info };
}

function headerMatches(p: HttpHeaderPattern, headers: HttpHeaders): boolean {
  for (let i = 0; i < headers.length; i++) {
    if (!nameMatches(p, headers.names[i]!)) continue;
    if (p.value === null) return true;
    const v = headers.values[i]!;
    if (p.full) {
      if (valueMatches(p, v)) return true;
      continue;
    }
    for (const part of splitValues(v)) if (valueMatches(p, part)) return true;
  }
  return false;
}

function nameMatches(p: HttpHeaderPattern, name: string): boolean {
  if (p.nameMatch === 'reg') return p.nameRegex!.test(name);
  return matches(p.nameMatch, name.toLowerCase(), p.name.toLowerCase());
}

function valueMatches(p: HttpHeaderPattern, value: string): boolean {
  if (p.valueMatch === 'reg') return p.valueRegex!.test(value);
  return matches(p.valueMatch, value, p.value!);
}

function matches(how: Exclude<HttpMatch, 'reg'>, s: string, pat: string): boolean {
  switch (how) {
    case 'str': return s === pat;
    case 'beg': return s.startsWith(pat);
    case 'end': return s.endsWith(pat);
    case 'sub': return s.includes(pat);
  }
}

/** The comma-separated elements of a header value (commas in quotes do not split), trimmed. */
function splitValues(v: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let escaped = false;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v[i] : ',';
    if (escaped) escaped = false;
    else if (quoted) {
      if (c === '\\') escaped = true;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(v.slice(start, i).replace(/^[ \t]+|[ \t]+$/g, ''));
      start = i + 1;
    }
  }
  return out;
}

/** What "http-check send-state" reports about a server. */
export interface ServerStateInfo {
  readonly checkEnabled: boolean;
  /** Operational state of the server. */
  readonly state: 'up' | 'stopping' | 'down';
  readonly health: number;
  readonly rise: number;
  readonly fall: number;
  /** The server's address and port ('' for a UNIX socket port). */
  readonly address: string;
  readonly port: string;
  readonly backend: string;
  readonly server: string;
  readonly node: string;
  readonly weight: number;
  readonly totalWeight: number;
  readonly serverConns: number;
  readonly backendConns: number;
  readonly queued: number;
}

/** The X-Haproxy-Server-State value (httpchk_build_status_header(); without the slowstart "throttle"). */
export function serverStateHeader(s: ServerStateInfo): string {
  let head: string;
  if (!s.checkEnabled) head = 'no check';
  else if (s.state !== 'down') {
    const word = s.state === 'stopping' ? 'NOLB' : 'UP';
    head = s.health === s.rise + s.fall - 1 ? word : `${word} ${s.health - s.rise + 1}/${s.fall}`;
  } else {
    head = s.health ? `DOWN ${s.health}/${s.rise}` : 'DOWN';
  }
  return `${head}; address=${s.address}; port=${s.port}; name=${s.backend}/${s.server}; node=${s.node}; weight=${s.weight}/${s.totalWeight}; scur=${s.serverConns}/${s.backendConns}; qcur=${s.queued}`;
}
