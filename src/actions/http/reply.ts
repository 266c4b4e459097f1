// HTTP replies configured with HAProxy's reply syntax (http_parse_http_reply), shared by
// http-request/http-response deny, tarpit and return, and by "http-error":
//   [status <code>] [content-type <type>]
//   [default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | lf-file <file>
//    | string <str> | lf-string <fmt>] [hdr <name> <fmt>]*
// Parsed once; build() makes the response of one transaction.
import { readFileSync, statSync } from 'node:fs';
import type { Loc } from '../../config/diagnostics.ts';
import type { LogFormatLike } from '../../config/model.ts';
import type { Phase, SampleStream } from '../../sample/types.ts';
import { compileLogFormat, renderLogFormat } from '../../sample/logformat.ts';
import { HttpHeaders, HttpResponse } from '../../protocols/http1/message.ts';
import { httpReason } from '../../protocols/http1/reason.ts';
import { isErrCode, loadErrorfile, pageReply, type ErrorPage } from '../../protocols/http1/error-pages.ts';
import type { HttpReply } from '../http-rule-target.ts';

export const ReplyKind = {
  /** The proxy's error page for the status, chosen per stream (deny without payload, default-errorfiles). */
  Default: 0,
  /** A complete response from a file (errorfile, or an http-errors section once resolved). */
  Page: 1,
  /** Status line and headers only (no payload given). */
  Empty: 2,
  /** A fixed payload (string, file). */
  Raw: 3,
  /** A log-format payload (lf-string, lf-file). */
  LogFormat: 4,
  /** "errorfiles <name>": the section's page for the status, resolved after parsing. */
  ErrorFiles: 5,
} as const;
export type ReplyKind = (typeof ReplyKind)[keyof typeof ReplyKind];

export interface ReplyHeader {
  /** Lower case: HAProxy emits header names in lower case. */
  readonly name: string;
  readonly value: LogFormatLike;
}

export class ReplyTemplate {
  kind: ReplyKind;
  readonly status: number;
  readonly ctype: string | null;
  readonly hdrs: readonly ReplyHeader[];
  readonly raw: Buffer;
  readonly fmt: LogFormatLike | null;
  page: ErrorPage | null;
  /** For ErrorFiles: the http-errors section name. */
  readonly section: string | null;
  /** Where it was written, for messages about the section reference. */
  readonly loc: Loc;

  constructor(o: {
    kind: ReplyKind; status: number; ctype: string | null; hdrs: readonly ReplyHeader[]; raw: Buffer;
    fmt: LogFormatLike | null; page: ErrorPage | null; section: string | null; loc: Loc;
  }) {
    this.kind = o.kind;
    this.status = o.status;
    this.ctype = o.ctype;
    this.hdrs = o.hdrs;
    this.raw = o.raw;
    this.fmt = o.fmt;
    this.page = o.page;
    this.section = o.section;
    this.loc = o.loc;
  }

  /** Points an ErrorFiles reply at its page, or (status not in the section) at an empty reply. */
  resolve(page: ErrorPage | null): void {
    this.page = page;
    this.kind = page ? ReplyKind.Page : ReplyKind.Empty;
  }

  /**
   * The response for one transaction. Not for ReplyKind.Default, which the stream resolves
   * (HttpRuleTarget.errorReply).
   */
  build(s: SampleStream): HttpReply {
    if (this.kind === ReplyKind.Page) {
      const r = pageReply(this.page!);
      return r.silent ? { res: withStatus(r.res, this.status), body: r.body, silent: true } : r;
    }
    const res = new HttpResponse('HTTP/1.1', this.status, httpReason(this.status), new HttpHeaders());
    for (const h of this.hdrs) res.headers.add(h.name, renderLogFormat(h.value, s));
    const body = this.kind === ReplyKind.Raw ? this.raw
      : this.kind === ReplyKind.LogFormat ? Buffer.from(renderLogFormat(this.fmt!, s), 'latin1')
        : EMPTY;
    res.headers.add('content-length', String(body.length));
    if (body.length > 0 && this.ctype !== null) res.headers.add('content-type', this.ctype);
    return { res, body };
  }
}

const EMPTY = Buffer.alloc(0);

function withStatus(res: HttpResponse, status: number): HttpResponse {
  res.status = status;
  return res;
}

export interface ReplyParseEnv {
  readonly loc: Loc;
  readonly proxyName: string;
  /** Phases where log-format fetches must work (the rule set's, or request|response for http-error). */
  readonly phase: Phase;
  readonly bufsize: number;
  warn(text: string): void;
}

/**
 * Parses reply arguments from args[start]; stops at the first word that is not one of them.
 * Returns the template and where parsing stopped, or an error text in HAProxy's words.
 * `defaultStatus` 0 leaves the status unset (http-error requires one).
 */
export function parseHttpReply(
  args: readonly string[], start: number, env: ReplyParseEnv, defaultStatus: number,
): { tpl: ReplyTemplate; next: number } | string {
  let status = defaultStatus;
  let ctype: string | null = null;
  let kind: ReplyKind | null = null;
  let actArg = '';
  let raw = EMPTY;
  let fmtText: string | null = null;
  let page: ErrorPage | null = null;
  let section: string | null = null;
  let hdrs: ReplyHeader[] = [];
  let i = start;
  const payload = (word: string): string | null => {
    if (kind !== null) return `unexpected '${word}' argument, '${actArg}' already defined`;
    actArg = word;
    return null;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    const v = args[i + 1];
    if (a === 'status') {
      if (!v) return `'${a}' expects <status_code> as argument`;
      status = atol(v);
      if (status < 200 || status > 599) return `Unexpected status code '${status}'`;
      i++;
    } else if (a === 'content-type') {
      if (!v) return `'${a}' expects <ctype> as argument`;
      ctype = v;
      i++;
    } else if (a === 'errorfiles') {
      const e = payload(a);
      if (e) return e;
      if (!v) return `'${a}' expects <name> as argument`;
      section = v;
      kind = ReplyKind.ErrorFiles;
      i++;
    } else if (a === 'default-errorfiles') {
      const e = payload(a);
      if (e) return e;
      kind = ReplyKind.Default;
    } else if (a === 'errorfile') {
      const e = payload(a);
      if (e) return e;
      if (!v) return `'${a}' expects <fmt> as argument`;
      const p = loadErrorfile(v, env.bufsize, env.warn);
      if (typeof p === 'string') return p;
      page = p;
      kind = ReplyKind.Page;
      i++;
    } else if (a === 'file' || a === 'lf-file') {
      const e = payload(a);
      if (e) return e;
      if (!v) return `'${a}' expects <file> as argument`;
      let size: number;
      try {
        size = statSync(v).size;
        if (size > env.bufsize) return `file '${v}' exceeds the buffer size (${size} > ${env.bufsize})`;
        raw = readFileSync(v);
      } catch {
        return `error opening file '${v}'`;
      }
      if (a === 'file') kind = ReplyKind.Raw;
      else {
        fmtText = raw.toString('latin1');
        kind = ReplyKind.LogFormat;
      }
      i++;
    } else if (a === 'string' || a === 'lf-string') {
      const e = payload(a);
      if (e) return e;
      if (!v) return `'${a}' expects ${a === 'string' ? '<str>' : '<fmt>'} as argument`;
      if (a === 'string') {
        raw = Buffer.from(v, 'latin1');
        kind = ReplyKind.Raw;
      } else {
        fmtText = v;
        raw = Buffer.from(v, 'latin1');
        kind = ReplyKind.LogFormat;
      }
      i++;
    } else if (a === 'hdr') {
      const value = args[i + 2];
      if (!v || !value) return `'${a}' expects <name> and <value> as arguments`;
      i += 2;
      const lname = v.toLowerCase();
      if (lname === 'content-length' || lname === 'transfer-encoding' || lname === 'content-type') {
        env.warn(`header '${v}' always ignored by the http reply.`);
        continue;
      }
      const lf = compileLogFormat(value, { proxyName: env.proxyName, options: 0 }, env.phase);
      if (typeof lf === 'string') return lf;
      hdrs.push({ name: lname, value: lf });
    } else break;
  }

  kind ??= ReplyKind.Empty;
  let fmt: LogFormatLike | null = null;
  if (kind === ReplyKind.Empty) {
    if (ctype !== null) {
      env.warn(`content-type '${ctype}' ignored by the http reply because neither errorfile nor payload defined.`);
      ctype = null;
    }
  } else if (kind === ReplyKind.ErrorFiles || kind === ReplyKind.Page || kind === ReplyKind.Default) {
    if (kind !== ReplyKind.Page && !isErrCode(status)) return `status code '${status}' not handled by default with '${actArg}' argument.`;
    if (ctype !== null) {
      env.warn(`content-type '${ctype}' ignored by the http reply when used with an erorrfile.`);
      ctype = null;
    }
    if (hdrs.length > 0) {
      env.warn('hdr parameters ignored by the http reply when used with an erorrfile.');
      hdrs = [];
    }
  } else if (kind === ReplyKind.Raw) {
    if ((status === 204 || status === 304) && raw.length > 0) return `No body expected for ${status} responses`;
    if (ctype === null && raw.length > 0) return 'a content type must be defined when non-empty payload is configured';
    if (ctype !== null && raw.length === 0) {
      env.warn(`content-type '${ctype}' ignored by the http reply when used with an empty payload.`);
      ctype = null;
    }
  } else {
    if (status === 204 || status === 304) return `No body expected for ${status} responses`;
    if (ctype === null) return 'a content type must be defined with a log-format payload';
    const lf = compileLogFormat(fmtText!, { proxyName: env.proxyName, options: 0 }, env.phase);
    if (typeof lf === 'string') return lf;
    fmt = lf;
    raw = EMPTY;
  }
  const tpl = new ReplyTemplate({ kind, status, ctype, hdrs, raw, fmt, page, section, loc: env.loc });
  return { tpl, next: i };
}

/** C's atol(): leading blanks, optional sign, digits; 0 when there are none. */
export function atol(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
