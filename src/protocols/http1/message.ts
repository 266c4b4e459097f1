// The HTTP message model shared by codecs and rules (HAProxy's HTX in spirit): a start line
// and an ordered header list. Codecs fill it, rules read and rewrite it, the serializer writes
// it out. Strings are byte strings (latin1, one char per byte) as in the sample engine.

/** An ordered header list with case-insensitive lookup; names keep the case they arrived with. */
export class HttpHeaders {
  readonly names: string[] = [];
  readonly values: string[] = [];
  /** Lower-cased names, kept in step with `names` so that lookups do not allocate. */
  private readonly lnames: string[] = [];

  get length(): number {
    return this.names.length;
  }

  /** Index of the first header named `lname` (lower case) at or after `from`, or -1. */
  indexOf(lname: string, from = 0): number {
    const l = this.lnames;
    for (let i = from; i < l.length; i++) if (l[i] === lname) return i;
    return -1;
  }

  has(name: string): boolean {
    return this.indexOf(name.toLowerCase()) >= 0;
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    const i = this.indexOf(name.toLowerCase());
    return i < 0 ? undefined : this.values[i];
  }

  /** Every value of every line named `name`, in order (lines, not comma-split). */
  getAll(name: string): string[] {
    const l = name.toLowerCase();
    const out: string[] = [];
    for (let i = this.indexOf(l); i >= 0; i = this.indexOf(l, i + 1)) out.push(this.values[i]!);
    return out;
  }

  lowerName(i: number): string {
    return this.lnames[i]!;
  }

  add(name: string, value: string): void {
    this.addNamed(name, name.toLowerCase(), value);
  }

  /** add() for a caller that already has the lower-case name (a parser that saw no upper case: the same string). */
  addNamed(name: string, lname: string, value: string): void {
    this.names.push(name);
    this.lnames.push(lname);
    this.values.push(value);
  }

  /** Replaces every `name` line with one line holding `value`. */
  set(name: string, value: string): void {
    this.delete(name);
    this.add(name, value);
  }

  setValue(i: number, value: string): void {
    this.values[i] = value;
  }

  removeAt(i: number): void {
    this.names.splice(i, 1);
    this.lnames.splice(i, 1);
    this.values.splice(i, 1);
  }

  /** Removes every `name` line; returns how many were removed. */
  delete(name: string): number {
    const l = name.toLowerCase();
    let n = 0;
    for (let i = this.lnames.length - 1; i >= 0; i--) {
      if (this.lnames[i] === l) {
        this.removeAt(i);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.names.length = 0;
    this.lnames.length = 0;
    this.values.length = 0;
  }
}

/** HTTP version: 1.0 and 1.1 on HTTP/1 start lines (HTTP/0.9 is refused), 2.0 for HTTP/2 streams. */
export type HttpVersion = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2.0';

export class HttpRequest {
  method: string;
  /** Request target as received: origin-form "/p?q", absolute-form "http://h/p", "*" or authority (CONNECT). */
  uri: string;
  version: HttpVersion;
  readonly headers: HttpHeaders;

  constructor(method: string, uri: string, version: HttpVersion, headers = new HttpHeaders()) {
    this.method = method;
    this.uri = uri;
    this.version = version;
    this.headers = headers;
  }
}

export class HttpResponse {
  version: HttpVersion;
  status: number;
  reason: string;
  readonly headers: HttpHeaders;

  constructor(version: HttpVersion, status: number, reason: string, headers = new HttpHeaders()) {
    this.version = version;
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }
}

/** How a message's body is delimited (RFC 9112 section 6). */
export const BodyKind = {
  /** No body (GET without length, HEAD/204/304 responses, 1xx). */
  None: 0,
  /** Content-Length bytes. */
  Length: 1,
  /** Transfer-Encoding ending in chunked. */
  Chunked: 2,
  /** Response read until the server closes. */
  UntilClose: 3,
} as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

/** The origin form of a request target: an absolute-form URI ("http://h/p?q") gives its path and query. */
export function originForm(uri: string): string {
  if (uri.charCodeAt(0) === 0x2f || uri === '*') return uri;
  const scheme = uri.indexOf('://');
  if (scheme < 0) return uri;
  const slash = uri.indexOf('/', scheme + 3);
  return slash < 0 ? '/' : uri.slice(slash);
}
