// Redirects: the "redirect" proxy keyword and the http-request/http-response "redirect"
// action (configuration.txt 4.2 "redirect"), with HAProxy's 30x response layout.
import type { LogFormatLike } from '../../config/model.ts';
import { HttpHeaders, HttpResponse } from '../../protocols/http1/message.ts';
import { renderLogFormat } from '../../sample/logformat.ts';
import { toByteString } from '../../sample/casts.ts';
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import { pathStart } from './uri.ts';

const RedirectType = { Location: 0, Prefix: 1, Scheme: 2 } as const;
type RedirectType = (typeof RedirectType)[keyof typeof RedirectType];

const REASONS: Readonly<Record<number, string>> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
};
const EMPTY = Buffer.alloc(0);

export class RedirectAction implements HttpAction {
  readonly name = 'redirect';
  private readonly type: RedirectType;
  /** A log-format (http-request/http-response redirect) or a literal ("redirect" keyword). */
  private readonly dest: LogFormatLike | string;
  /** A literal "/" prefix: redirect to the same URI (e.g. only to set a cookie). */
  private readonly samePrefix: boolean;
  private readonly code: number;
  private readonly dropQuery: boolean;
  private readonly appendSlash: boolean;
  private readonly ignoreEmpty: boolean;
  private readonly cookie: string | null;
  private readonly response: boolean;

  constructor(o: {
    type: RedirectType; dest: LogFormatLike | string; code: number; dropQuery: boolean; appendSlash: boolean;
    ignoreEmpty: boolean; cookie: string | null; response: boolean;
  }) {
    this.type = o.type;
    this.dest = o.dest;
    this.samePrefix = o.type === RedirectType.Prefix && (typeof o.dest === 'string' ? o.dest : o.dest.text) === '/';
    this.code = o.code;
    this.dropQuery = o.dropQuery;
    this.appendSlash = o.appendSlash;
    this.ignoreEmpty = o.ignoreEmpty;
    this.cookie = o.cookie;
    this.response = o.response;
  }

  private destination(t: HttpRuleTarget): string {
    return typeof this.dest === 'string' ? this.dest : renderLogFormat(this.dest, t);
  }

  run(t: HttpRuleTarget): Verdict {
    let location: string;
    if (this.type === RedirectType.Location) {
      location = this.destination(t);
      if (location === '' && this.ignoreEmpty) return Verdict.Continue;
    } else {
      const req = t.txn.req;
      const ps = pathStart(req.uri);
      let path = ps < 0 ? '/' : req.uri.slice(ps);
      if (this.dropQuery) {
        const q = path.indexOf('?');
        if (q >= 0) path = path.slice(0, q);
      }
      if (this.type === RedirectType.Prefix) location = (this.samePrefix ? '' : this.destination(t)) + path;
      else location = `${this.destination(t)}://${req.headers.get('host') ?? ''}${path}`;
      if (this.appendSlash && location.length > 0 && location[location.length - 1] !== '/') location += '/';
    }
    const h = new HttpHeaders();
    h.add('content-length', '0');
    h.add('location', location);
    if (this.code === 302 || this.code === 303 || this.code === 307) h.add('cache-control', 'no-cache');
    if (this.cookie !== null) h.add('set-cookie', this.cookie);
    t.reply = { res: new HttpResponse('HTTP/1.1', this.code, REASONS[this.code]!, h), body: EMPTY };
    t.setTermination('L', this.response ? 'H' : 'R');
    return Verdict.Reply;
  }
}

export interface RedirectParseEnv {
  /** http-request/http-response: destinations are log-format strings; the "redirect" keyword: literal. */
  compile: ((text: string) => LogFormatLike | string) | null;
  readonly response: boolean;
}

/**
 * Parses "<type> <dest> [code <c>] [options...]" from args[i], up to "if"/"unless" or the end.
 * Returns the action and the index of the condition, or HAProxy's error text.
 */
export function parseRedirect(args: readonly string[], i: number, env: RedirectParseEnv): { action: RedirectAction; next: number } | string {
  let type: RedirectType | null = null;
  let dest = '';
  let code = 302;
  let dropQuery = false;
  let appendSlash = false;
  let ignoreEmpty = false;
  let cookie: string | null = null;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'if' || a === 'unless') break;
    const v = args[i + 1];
    if (a === 'location' || a === 'prefix' || a === 'scheme') {
      if (v === undefined) return `missing argument for '${a}'`;
      type = a === 'location' ? RedirectType.Location : a === 'prefix' ? RedirectType.Prefix : RedirectType.Scheme;
      dest = v;
      i++;
    } else if (a === 'code') {
      if (v === undefined) return `missing argument for '${a}'`;
      const c = /^\d+/.exec(v);
      code = c ? Number(c[0]) : 0;
      if (code < 301 || code > 308 || (code > 303 && code < 307)) {
        return `'${a}': unsupported HTTP code '${v}' (must be one of 301, 302, 303, 307 or 308)`;
      }
      i++;
    } else if (a === 'set-cookie' || a === 'clear-cookie') {
      if (v === undefined) return `missing argument for '${a}'`;
      cookie = a === 'set-cookie' ? `${v}; path=/;` : `${v}; path=/; Max-Age=0;`;
      i++;
    } else if (a === 'drop-query') dropQuery = true;
    else if (a === 'append-slash') appendSlash = true;
    else if (a === 'ignore-empty') ignoreEmpty = true;
    else {
      return `expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '${a}')`;
    }
  }
  if (type === null) return "redirection type expected ('prefix', 'location', or 'scheme')";
  if (env.response && type !== RedirectType.Location) return "response only supports redirect type 'location'";
  let fmt: LogFormatLike | string = toByteString(dest);
  if (env.compile) {
    const f = env.compile(dest);
    if (typeof f === 'string') return f;
    fmt = f;
  }
  return {
    action: new RedirectAction({
      type, dest: fmt, code, dropQuery, appendSlash, ignoreEmpty,
      cookie: cookie === null ? null : toByteString(cookie), response: env.response,
    }),
    next: i,
  };
}
