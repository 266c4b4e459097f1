// Complete HTTP responses kept in memory and sent as they are: HAProxy's built-in error
// messages (http_err_msgs of 2.6's src/http.c) and the files of "errorfile" / "errorloc",
// parsed and checked once at load time as HAProxy does (http_str_to_htx).
import { readFileSync, statSync } from 'node:fs';
import { HttpHeaders, HttpResponse, type HttpVersion } from './message.ts';
import type { HttpReply } from '../../actions/http-rule-target.ts';

/** The status codes HAProxy 2.6 can produce itself, so the only ones error pages exist for. */
export const HTTP_ERR_CODES: readonly number[] = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

export function isErrCode(status: number): boolean {
  return HTTP_ERR_CODES.includes(status);
}

/** A response page: the head is cloned for every use (rules may rewrite it), the body is shared. */
export interface ErrorPage {
  readonly res: HttpResponse;
  readonly body: Buffer;
  /** An empty file (errorfile 408 /dev/null): nothing is sent, the connection is closed. */
  readonly silent: boolean;
}

function page(head: string, body: string): string {
  return `${head}\r\nContent-length: ${body.length}\r\nCache-Control: no-cache\r\n`;
}

// Byte for byte as HAProxy 2.6 sends them (the Connection: close of 400 and 408 comes last on
// the wire: HAProxy's HTTP/1 output writes connection headers after the others).
const BUILTIN_TEXT: Readonly<Record<number, string>> = (() => {
  const m = (status: string, title: string, text: string, close = false): string => {
    const body = `<html><body><h1>${title}</h1>\n${text}\n</body></html>\n`;
    return `${page(`HTTP/1.1 ${status}`, body)}Content-Type: text/html\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`;
  };
  return {
    200: m('200 OK', '200 OK', 'Service ready.'),
    400: m('400 Bad request', '400 Bad request', 'Your browser sent an invalid request.', true),
    401: m('401 Unauthorized', '401 Unauthorized', 'You need a valid user and password to access this content.'),
    403: m('403 Forbidden', '403 Forbidden', 'Request forbidden by administrative rules.'),
    404: m('404 Not Found', '404 Not Found', 'The resource could not be found.'),
    405: m('405 Method Not Allowed', '405 Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'),
    407: m('407 Unauthorized', '407 Unauthorized', 'You need a valid user and password to access this content.'),
    408: m('408 Request Time-out', '408 Request Time-out', "Your browser didn't send a complete request in time.", true),
    410: m('410 Gone', '410 Gone', 'The resource is no longer available and will not be available again.'),
    413: m('413 Payload Too Large', '413 Payload Too Large', 'The request entity exceeds the maximum allowed.'),
    // Not an error-page code (no errorfile for it), but HAProxy 2.6 sends it for a request whose
    // transfer codings it cannot process.
    422: m('422 Unprocessable Content', '422 Unprocessable Content', 'The server cannot process the contained instructions.'),
    425: m('425 Too Early', '425 Too Early', 'Your browser sent early data.'),
    429: m('429 Too Many Requests', '429 Too Many Requests', 'You have sent too many requests in a given amount of time.'),
    500: m('500 Internal Server Error', '500 Internal Server Error', 'An internal server error occurred.'),
    501: m('501 Not Implemented', '501 Not Implemented', '.The server does not support the functionality required to fulfill the request.'),
    502: m('502 Bad Gateway', '502 Bad Gateway', 'The server returned an invalid or incomplete response.'),
    503: m('503 Service Unavailable', '503 Service Unavailable', 'No server is available to handle this request.'),
    504: m('504 Gateway Time-out', '504 Gateway Time-out', "The server didn't respond in time."),
  };
})();

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BUILTIN = new Map<number, ErrorPage>();
const BUILTIN_BYTES = new Map<number, Buffer>();

/** HAProxy's message index: unknown statuses use the 500 message (http_get_status_idx). */
function errIndex(status: number): number {
  return BUILTIN.has(status) ? status : 500;
}

export function builtinPage(status: number): ErrorPage {
  return BUILTIN.get(errIndex(status))!;
}

/**
 * The built-in page for `status` as HAProxy writes it on the wire to an HTTP/1.1 client
 * (header names in lower case), computed once: the fast path for errors under load.
 */
export function builtinErrorBytes(status: number): Buffer {
  return BUILTIN_BYTES.get(errIndex(status))!;
}

function serializePage(p: ErrorPage): Buffer {
  let head = `${p.res.version} ${p.res.status} ${p.res.reason}\r\n`;
  const h = p.res.headers;
  for (let i = 0; i < h.length; i++) head += `${h.names[i]}: ${h.values[i]}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), p.body]);
}

/** A reply built from a page: a fresh head the caller may rewrite, the shared body. */
export function pageReply(p: ErrorPage): HttpReply {
  const src = p.res.headers;
  const headers = new HttpHeaders();
  for (let i = 0; i < src.length; i++) headers.add(src.names[i]!, src.values[i]!);
  const res = new HttpResponse(p.res.version, p.res.status, p.res.reason, headers);
  return p.silent ? { res, body: p.body, silent: true } : { res, body: p.body };
}


/**
 * Parses a complete HTTP/1 response as HAProxy checks errorfiles (http_str_to_htx): valid
 * head, no chunked body, a body only where one may be, matching Content-Length. Header names
 * are stored in lower case, as HAProxy emits them. Returns an error text in HAProxy's words.
 */
export function parseErrorMessage(raw: Buffer): ErrorPage | string {
  if (raw.length === 0) {
    return { res: new HttpResponse('HTTP/1.1', 0, '', new HttpHeaders()), body: raw, silent: true };
  }
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const headEnd = end < 0 ? -1 : end + 4;
  const lines = (end < 0 ? text : text.slice(0, end)).split('\r\n');
  const sl = /^(HTTP\/\d\.\d) (\d{3})(?: ([^\r\n]*))?$/.exec(lines[0]!);
  if (!sl) return `unable to parse headers (error offset: 0)`;
  const headers = new HttpHeaders();
  let offset = lines[0]!.length + 2;
  let clen = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return `unable to parse headers (error offset: ${offset})`;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value) || (clen >= 0 && Number(value) !== clen)) return `unable to parse headers (error offset: ${offset})`;
      clen = Number(value);
    } else if (name === 'transfer-encoding' && /(^|,)\s*chunked\s*$/i.test(value)) chunked = true;
    headers.add(name, value);
    offset += line.length + 2;
  }
  if (headEnd < 0) return `unable to parse headers (error offset: ${raw.length})`;
  const status = Number(sl[2]);
  const version: HttpVersion = sl[1] === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
  if (status < 200 && (status === 100 || status >= 102)) return `invalid http status code for an error message (${status})`;
  const bodyLen = raw.length - headEnd;
  const bodiless = status === 204 || status === 304;
  if (!bodiless && chunked) return 'chunk-encoded payload not supported';
  if ((bodiless || clen === 0) && bodyLen > 0) return 'message payload not expected';
  if (!bodiless && clen >= 0 && clen !== bodyLen) {
    return `payload size does not match the announced content-length (${bodyLen} != ${clen})`;
  }
  const res = new HttpResponse(version, status, sl[3] ?? '', headers);
  return { res, body: Buffer.from(raw.subarray(headEnd)), silent: false };
}

/**
 * Reads and parses an errorfile. Files are cached by name, as HAProxy shares one copy between
 * every proxy naming it. `warn` receives HAProxy's truncation warning for files over bufsize.
 */
export function loadErrorfile(file: string, bufsize: number, warn: (text: string) => void): ErrorPage | string {
  const key = `${bufsize}\0${file}`;
  const cached = fileCache.get(key);
  if (cached) return cached;
  let raw: Buffer;
  try {
    statSync(file);
    raw = readFileSync(file);
  } catch {
    return `error opening file '${file}'.`;
  }
  if (raw.length > bufsize) {
    warn(`custom error message file '${file}' larger than ${bufsize} bytes. Truncating.`);
    raw = raw.subarray(0, bufsize);
  }
  const p = parseErrorMessage(raw);
  if (typeof p === 'string') return `'${file}': ${p}`;
  fileCache.set(key, p);
  return p;
}
const fileCache = new Map<string, ErrorPage>();

/** The 302/303 page of "errorloc <code> <url>" / "errorloc303". */
export function errorlocPage(code: 302 | 303, url: string): ErrorPage | string {
  const head = code === 302 ? 'HTTP/1.1 302 Found' : 'HTTP/1.1 303 See Other';
  const p = parseErrorMessage(Buffer.from(`${head}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ${url}\r\n\r\n`, 'latin1'));
  return typeof p === 'string' ? `invalid error message: ${p}` : p;
}

for (const code of Object.keys(BUILTIN_TEXT).map(Number)) {
  const p = parseErrorMessage(Buffer.from(BUILTIN_TEXT[code]!, 'latin1'));
  if (typeof p === 'string') throw new Error(`built-in error message ${code}: ${p}`);
  BUILTIN.set(code, p);
  BUILTIN_BYTES.set(code, serializePage(p));
}
