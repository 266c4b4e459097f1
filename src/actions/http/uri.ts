// Request line rewriting: set-method, set-path, set-pathq, set-query, set-uri and the regex
// forms replace-path, replace-pathq, replace-uri (http-request only).
import type { LogFormatLike } from '../../config/model.ts';
import type { HttpRequest } from '../../protocols/http1/message.ts';
import { renderLogFormat } from '../../sample/logformat.ts';
import { compileRegex, type SafeRegex } from '../../sample/regex.ts';
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import { compileFmt, wordsBeforeCond, type ActionParser } from './env.ts';
import { expandReplacement } from './replace.ts';

/**
 * Where the path starts in a request target, as HAProxy's http_get_path() finds it: the first
 * '/' after an optional "scheme://" and authority; -1 when there is none ("*", authority-form,
 * or an absolute URI without a path).
 */
export function pathStart(uri: string): number {
  if (uri.length === 0 || uri[0] === '*') return -1;
  let i = 0;
  if (/[A-Za-z]/.test(uri[0]!)) {
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
    if (!m) return -1;
    i = m[0].length;
  }
  return uri.indexOf('/', i);
}

/** End of the path (the '?' starting the query, or the end). */
function pathEnd(uri: string, start: number): number {
  const q = uri.indexOf('?', start);
  return q < 0 ? uri.length : q;
}

/** Replaces the path (with its query string when `withQuery`); the whole target when it has no path. */
export function replacePath(req: HttpRequest, path: string, withQuery: boolean): void {
  const uri = req.uri;
  const ps = pathStart(uri);
  if (ps < 0) {
    req.uri = path;
    return;
  }
  const pe = withQuery ? uri.length : pathEnd(uri, ps);
  req.uri = uri.slice(0, ps) + path + uri.slice(pe);
}

/** set-query: the part after the first '?' (which is added only for a non-empty query, never removed). */
export function replaceQuery(req: HttpRequest, query: string): void {
  const uri = req.uri;
  const q = uri.indexOf('?');
  if (q < 0) {
    if (query.length > 0) req.uri = `${uri}?${query}`;
    return;
  }
  req.uri = uri.slice(0, q + 1) + query;
}

const Target = { Method: 0, Path: 1, PathQ: 2, Query: 3, Uri: 4 } as const;
type Target = (typeof Target)[keyof typeof Target];

const SET_TARGETS: Readonly<Record<string, Target>> = {
  'set-method': Target.Method, 'set-path': Target.Path, 'set-pathq': Target.PathQ, 'set-query': Target.Query, 'set-uri': Target.Uri,
};
const REPLACE_TARGETS: Readonly<Record<string, Target>> = {
  'replace-path': Target.Path, 'replace-pathq': Target.PathQ, 'replace-uri': Target.Uri,
};

function apply(req: HttpRequest, target: Target, value: string): void {
  switch (target) {
    case Target.Method: req.method = value; break;
    case Target.Path: replacePath(req, value, false); break;
    case Target.PathQ: replacePath(req, value, true); break;
    case Target.Query: replaceQuery(req, value); break;
    default: req.uri = value;
  }
}

class SetLine implements HttpAction {
  readonly name: string;
  private readonly target: Target;
  private readonly fmt: LogFormatLike;

  constructor(name: string, target: Target, fmt: LogFormatLike) {
    this.name = name;
    this.target = target;
    this.fmt = fmt;
  }

  run(t: HttpRuleTarget): Verdict {
    apply(t.txn.req, this.target, renderLogFormat(this.fmt, t));
    return Verdict.Continue;
  }
}

class ReplaceLine implements HttpAction {
  readonly name: string;
  private readonly target: Target;
  private readonly re: SafeRegex;
  private readonly fmt: LogFormatLike;

  constructor(name: string, target: Target, re: SafeRegex, fmt: LogFormatLike) {
    this.name = name;
    this.target = target;
    this.re = re;
    this.fmt = fmt;
  }

  run(t: HttpRuleTarget): Verdict {
    const req = t.txn.req;
    const uri = req.uri;
    let subject = uri;
    if (this.target !== Target.Uri) {
      const ps = pathStart(uri);
      if (ps < 0) return Verdict.Continue;
      subject = uri.slice(ps, this.target === Target.PathQ ? uri.length : pathEnd(uri, ps));
    }
    const m = this.re.exec(subject);
    if (!m) return Verdict.Continue;
    const out = expandReplacement(renderLogFormat(this.fmt, t), m);
    if (out !== null) apply(req, this.target, out);
    return Verdict.Continue;
  }
}

const parseSet: ActionParser = (args, i, env) => {
  const name = args[i - 1]!;
  if (wordsBeforeCond(args, i) !== 1) return 'expects exactly 1 argument <format>';
  const fmt = compileFmt(args[i]!, env);
  if (typeof fmt === 'string') return fmt;
  return { action: new SetLine(name, SET_TARGETS[name]!, fmt), next: i + 1 };
};

const parseReplace: ActionParser = (args, i, env) => {
  const name = args[i - 1]!;
  if (wordsBeforeCond(args, i) !== 2) return 'expects exactly 2 arguments <match-regex> and <replace-format>';
  const re = compileRegex(args[i]!, false);
  if (typeof re === 'string') return `failed to parse the regex : ${re}`;
  const fmt = compileFmt(args[i + 1]!, env);
  if (typeof fmt === 'string') return fmt;
  return { action: new ReplaceLine(name, REPLACE_TARGETS[name]!, re, fmt), next: i + 2 };
};

export const URI_ACTIONS: Readonly<Record<string, ActionParser>> = {
  'set-method': parseSet, 'set-path': parseSet, 'set-pathq': parseSet, 'set-query': parseSet, 'set-uri': parseSet,
  'replace-path': parseReplace, 'replace-pathq': parseReplace, 'replace-uri': parseReplace,
};
