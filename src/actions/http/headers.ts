// Header rewriting actions: set-header, add-header, del-header, replace-header, replace-value
// (on the request in http-request rules, on the response in http-response/after-response).
import type { LogFormatLike } from '../../config/model.ts';
import type { HttpHeaders } from '../../protocols/http1/message.ts';
import { renderLogFormat } from '../../sample/logformat.ts';
import { compileRegex, type SafeRegex } from '../../sample/regex.ts';
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import { compileFmt, wordsBeforeCond, type ActionParser } from './env.ts';
import { expandReplacement } from './replace.ts';

function headersOf(t: HttpRuleTarget, response: boolean): HttpHeaders {
  return response ? t.txn.res!.headers : t.txn.req.headers;
}

class SetHeader implements HttpAction {
  readonly name: string;
  private readonly header: string;
  private readonly fmt: LogFormatLike;
  private readonly response: boolean;
  private readonly replace: boolean;

  constructor(name: string, header: string, fmt: LogFormatLike, response: boolean) {
    this.name = name;
    this.header = header;
    this.fmt = fmt;
    this.response = response;
    this.replace = name === 'set-header';
  }

  run(t: HttpRuleTarget): Verdict {
    // The value is computed before the old lines go: it may use them.
    const value = renderLogFormat(this.fmt, t);
    const h = headersOf(t, this.response);
    if (this.replace) h.delete(this.header);
    h.add(this.header, value);
    return Verdict.Continue;
  }
}

const DelMatch = { Str: 0, Beg: 1, End: 2, Sub: 3, Reg: 4 } as const;
type DelMatch = (typeof DelMatch)[keyof typeof DelMatch];
const DEL_METHODS: Readonly<Record<string, DelMatch>> = { str: DelMatch.Str, beg: DelMatch.Beg, end: DelMatch.End, sub: DelMatch.Sub, reg: DelMatch.Reg };

class DelHeader implements HttpAction {
  readonly name = 'del-header';
  private readonly lname: string;
  private readonly method: DelMatch;
  private readonly re: SafeRegex | null;
  private readonly response: boolean;

  constructor(header: string, method: DelMatch, re: SafeRegex | null, response: boolean) {
    this.lname = header.toLowerCase();
    this.method = method;
    this.re = re;
    this.response = response;
  }

  run(t: HttpRuleTarget): Verdict {
    const h = headersOf(t, this.response);
    for (let i = h.length - 1; i >= 0; i--) if (this.matches(h, i)) h.removeAt(i);
    return Verdict.Continue;
  }

  private matches(h: HttpHeaders, i: number): boolean {
    const n = h.lowerName(i);
    switch (this.method) {
      case DelMatch.Str: return n === this.lname;
      case DelMatch.Beg: return n.startsWith(this.lname);
      case DelMatch.End: return n.endsWith(this.lname);
      case DelMatch.Sub: return n.includes(this.lname);
      // HAProxy matches the name as it keeps it: in lower case
      default: return this.re!.test(n);
    }
  }
}

/** replace-header (whole lines) and replace-value (each comma-separated value). */
class ReplaceHeader implements HttpAction {
  readonly name: string;
  private readonly lname: string;
  private readonly re: SafeRegex;
  private readonly fmt: LogFormatLike;
  private readonly response: boolean;
  private readonly perValue: boolean;

  constructor(name: string, header: string, re: SafeRegex, fmt: LogFormatLike, response: boolean) {
    this.name = name;
    this.lname = header.toLowerCase();
    this.re = re;
    this.fmt = fmt;
    this.response = response;
    this.perValue = name === 'replace-value';
  }

  run(t: HttpRuleTarget): Verdict {
    const h = headersOf(t, this.response);
    let replacement: string | null = null;
    for (let i = h.indexOf(this.lname); i >= 0; i = h.indexOf(this.lname, i + 1)) {
      replacement ??= renderLogFormat(this.fmt, t);
      const v = h.values[i]!;
      const nv = this.perValue ? this.replaceValues(v, replacement) : this.replaceOne(v, replacement);
      if (nv !== null) h.setValue(i, nv);
    }
    return Verdict.Continue;
  }

  /** A matching value is replaced as a whole by the expanded replacement. */
  private replaceOne(v: string, replacement: string): string | null {
    const m = this.re.exec(v);
    return m ? expandReplacement(replacement, m) : null;
  }

  private replaceValues(line: string, replacement: string): string | null {
    let out = '';
    let changed = false;
    let start = 0;
    for (;;) {
      const end = valueEnd(line, start);
      // Each value is matched without the blanks around it; as in HAProxy, a replaced value
      // takes the place of its blanks too ("a, b" -> "a,B"), others are kept as they were.
      let vs = start;
      let ve = end;
      while (vs < ve && (line[vs] === ' ' || line[vs] === '\t')) vs++;
      while (ve > vs && (line[ve - 1] === ' ' || line[ve - 1] === '\t')) ve--;
      const nv = this.replaceOne(line.slice(vs, ve), replacement);
      if (nv !== null) changed = true;
      out += nv ?? line.slice(start, end);
      if (end >= line.length) break;
      out += ',';
      start = end + 1;
    }
    return changed ? out : null;
  }
}

/** End of a comma-separated value starting at `i`, skipping commas inside quoted strings. */
function valueEnd(s: string, i: number): number {
  let quoted = false;
  for (; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') return i;
  }
  return s.length;
}

const parseSetHeader: ActionParser = (args, i, env) => {
  const name = args[i - 1]!;
  if (wordsBeforeCond(args, i) < 2) return 'expects exactly 2 arguments';
  const fmt = compileFmt(args[i + 1]!, env);
  if (typeof fmt === 'string') return fmt;
  return { action: new SetHeader(name, args[i]!, fmt, env.response), next: i + 2 };
};

const parseDelHeader: ActionParser = (args, i, env) => {
  if (wordsBeforeCond(args, i) < 1) return 'expects at least 1 argument';
  const header = args[i]!;
  let next = i + 1;
  let method: DelMatch = DelMatch.Str;
  let re: SafeRegex | null = null;
  if (args[next] === '-m') {
    const m = args[next + 1];
    if (m === undefined || m === 'if' || m === 'unless') return '-m flag expects exactly 1 argument';
    const found = DEL_METHODS[m];
    if (found === undefined) return `-m with unsupported matching method '${m}'`;
    method = found;
    next += 2;
  }
  if (method === DelMatch.Reg) {
    const r = compileRegex(header, false);
    if (typeof r === 'string') return r;
    re = r;
  }
  return { action: new DelHeader(header, method, re, env.response), next };
};

const parseReplaceHeader: ActionParser = (args, i, env) => {
  const name = args[i - 1]!;
  if (wordsBeforeCond(args, i) < 3) return 'expects exactly 3 arguments';
  const re = compileRegex(args[i + 1]!, false);
  if (typeof re === 'string') return re;
  const fmt = compileFmt(args[i + 2]!, env);
  if (typeof fmt === 'string') return fmt;
  return { action: new ReplaceHeader(name, args[i]!, re, fmt, env.response), next: i + 3 };
};

export const HEADER_ACTIONS: Readonly<Record<string, ActionParser>> = {
  'set-header': parseSetHeader,
  'add-header': parseSetHeader,
  'del-header': parseDelHeader,
  'replace-header': parseReplaceHeader,
  'replace-value': parseReplaceHeader,
};

