// The "prometheus-exporter" service (http-request use-service): the query string's "scope"
// and "no-maint" parameters as HAProxy's promex_parse_uri() reads them, and the response.
import type { Runtime } from '../../runtime/runtime.ts';
import type { HttpReply } from '../../actions/http-rule-target.ts';
import { HttpHeaders, HttpResponse, type HttpRequest } from '../../protocols/http1/message.ts';
import { builtinPage, pageReply } from '../../protocols/http1/error-pages.ts';
import { ALL_SCOPES, Scope, renderMetrics, type MetricsQuery } from './render.ts';

const SCOPE_NAMES: Readonly<Record<string, number>> = {
  global: Scope.Global, frontend: Scope.Frontend, listener: Scope.Listener,
  backend: Scope.Backend, server: Scope.Server, sticktable: Scope.StickTable,
};

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/**
 * HAProxy's url_decode() for form data: "%XX" escapes and "+" as a space; null on a bad
 * escape. The result ends at a decoded NUL, as the C string it becomes does.
 */
export function formDecode(s: string): string | null {
  if (!s.includes('%') && !s.includes('+')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) out += ' ';
    else if (c === 0x25) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      const b = (hi << 4) | lo;
      if (b === 0) return out;
      out += String.fromCharCode(b);
      i += 2;
    } else out += s[i];
  }
  return out;
}

/** The end of a key or value: the next '=', '&' or '#' from `i`. */
function wordEnd(q: string, i: number): number {
  while (i < q.length) {
    const c = q[i];
    if (c === '=' || c === '&' || c === '#') break;
    i++;
  }
  return i;
}

/**
 * What the query string of the request target `q` asks for; null when HAProxy answers 400: a bad escape, a
 * value holding '=', "scope" without a value, or an unknown scope. Without any "scope", all
 * scopes; "scope=" clears those named before it; "scope=*" names them all.
 */
export function parseMetricsQuery(q: string): MetricsQuery | null {
  const start = q.indexOf('?');
  if (start < 0) return { scopes: ALL_SCOPES, noMaint: false };
  let scopes = 0;
  let sawScope = false;
  let noMaint = false;
  let p = start + 1;
  while (p < q.length && q[p] !== '#') {
    const keyEnd = wordEnd(q, p);
    const rawKey = q.slice(p, keyEnd);
    p = keyEnd;
    let rawValue: string | null = null;
    if (q[p] === '=') {
      const valueEnd = wordEnd(q, p + 1);
      if (q[valueEnd] === '=') return null;
      rawValue = q.slice(p + 1, valueEnd);
      p = valueEnd;
    }
    if (q[p] === '&') p++;
    const key = formDecode(rawKey);
    const value = rawValue === null ? null : formDecode(rawValue);
    if (key === null || (value === null && rawValue !== null)) return null;
    if (key === 'scope') {
      sawScope = true;
      if (value === null) return null;
      if (value === '') scopes = 0;
      else if (value[0] === '*') scopes = ALL_SCOPES;
      else if (Object.hasOwn(SCOPE_NAMES, value)) scopes |= SCOPE_NAMES[value]!;
      else return null;
    } else if (key === 'no-maint') {
      noMaint = true;
    }
  }
  return { scopes: sawScope ? scopes : ALL_SCOPES, noMaint };
}

/** The exporter's answer to `req`: the metrics, or HAProxy's built-in 400 page for a bad query. */
export function prometheusReply(rt: Runtime, req: HttpRequest): HttpReply {
  const q = parseMetricsQuery(req.uri);
  if (!q) return pageReply(builtinPage(400));
  const body = Buffer.from(renderMetrics(rt, q), 'latin1');
  const h = new HttpHeaders();
  h.add('cache-control', 'no-cache');
  h.add('content-type', 'text/plain; version=0.0.4');
  h.add('content-length', String(body.length));
  return { res: new HttpResponse('HTTP/1.1', 200, 'OK', h), body };
}
