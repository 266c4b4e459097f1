// HTTP/1.1 heads out, as HAProxy 2.x's H1 multiplexer writes them: header names in lower case
// (unless h1-case-adjust maps them), "name: value" lines, one Buffer per head.
import { originForm, type HttpHeaders, type HttpRequest, type HttpResponse } from './message.ts';

export interface CaseAdjust {
  /** lower-case name -> name to emit (h1-case-adjust) */
  readonly map: ReadonlyMap<string, string>;
}

/** "name: value\r\n" for every header; `skipBodyFraming` leaves out Content-Length and Transfer-Encoding. */
export function headerLines(headers: HttpHeaders, adjust: CaseAdjust | null, skipBodyFraming = false): string {
  let out = '';
  const n = headers.length;
  for (let i = 0; i < n; i++) {
    const lname = headers.lowerName(i);
    if (skipBodyFraming && (lname === 'content-length' || lname === 'transfer-encoding')) continue;
    const name = adjust === null ? lname : (adjust.map.get(lname) ?? lname);
    out += `${name}: ${headers.values[i]!}\r\n`;
  }
  return out;
}

/**
 * The length of a head as HTTP/1.1 would carry it: an HTTP/2 stream counts its heads that way
 * in the logs and byte counters, so that %B and %U compare with HTTP/1's (HAProxy also counts
 * HTTP/2 messages in its internal, HTTP/1-like form).
 */
export function headLength(startLineLength: number, headers: HttpHeaders): number {
  let n = startLineLength + 4; // CRLF after the start line and after the headers
  for (let i = 0; i < headers.length; i++) n += headers.lowerName(i).length + headers.values[i]!.length + 4; // ": " and CRLF
  return n;
}

export function serializeRequestHead(req: HttpRequest, adjust: CaseAdjust | null): Buffer {
  // An HTTP/2 request (absolute URI from :scheme and :authority) goes to HTTP/1 servers in origin form, as HTTP/1.1.
  const h2 = req.version === 'HTTP/2.0';
  const uri = h2 && req.method !== 'CONNECT' ? originForm(req.uri) : req.uri;
  return Buffer.from(`${req.method} ${uri} ${h2 ? 'HTTP/1.1' : req.version}\r\n${headerLines(req.headers, adjust)}\r\n`, 'latin1');
}

/** Interim (1xx) and 204 responses are written without Content-Length and Transfer-Encoding, as HAProxy does. */
export function serializeResponseHead(res: HttpResponse, adjust: CaseAdjust | null): Buffer {
  const bodyless = res.status < 200 || res.status === 204;
  const version = res.version === 'HTTP/2.0' ? 'HTTP/1.1' : res.version;
  return Buffer.from(`${version} ${res.status} ${res.reason}\r\n${headerLines(res.headers, adjust, bodyless)}\r\n`, 'latin1');
}
