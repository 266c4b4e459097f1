// Sample expressions: "fetch(args),conv(args),..." compiled once at load time (HAProxy's
// sample_parse_expr / sample_parse_expr_cnv), then evaluated per stream.
import type { Phase, Sample, SampleExpr, SampleStream } from './types.ts';
import { parseArgList, type Arg } from './arg.ts';
import { canCast, castSample, type CastType } from './casts.ts';
import { findFetch, PENDING, type FetchResult, type ResolvedFetchDef } from './fetch.ts';
import { findConverter, type ConvDef } from './converters.ts';

/** Characters of fetch and converter names (is_idchar; '+' as in "base32+src"). */
export function isIdChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9._+-]/.test(c);
}

export function idEnd(text: string, start: number): number {
  let i = start;
  while (isIdChar(text[i])) i++;
  return i;
}

export interface ConvStep {
  readonly def: ConvDef;
  readonly args: readonly Arg[];
}

/** A fetch or converter argument naming a proxy or server, checked once the whole configuration is known. */
export interface SampleRef {
  readonly kind: 'frontend' | 'backend' | 'server' | 'userlist';
  /** Proxy name; for servers, the backend part ('' when the server is looked up in <proxy>). */
  readonly name: string;
  readonly server?: string;
  /** The proxy the expression was written in, when known. */
  readonly proxy?: string;
  /** 1-based argument position */
  readonly pos: number;
  /** Fetch (or converter) keyword, as written. */
  readonly kw: string;
  readonly isConverter: boolean;
}

export class SampleExprImpl implements SampleExpr {
  readonly text: string;
  /** The keyword as written: the fetch name, or the ACL keyword that selected it. */
  readonly kw: string;
  readonly fetch: ResolvedFetchDef;
  readonly args: readonly Arg[];
  readonly convs: readonly ConvStep[];

  constructor(text: string, kw: string, fetch: ResolvedFetchDef, args: readonly Arg[], convs: readonly ConvStep[]) {
    this.text = text;
    this.kw = kw;
    this.fetch = fetch;
    this.args = args;
    this.convs = convs;
  }

  get usable(): Phase {
    return this.fetch.usable;
  }

  /** Output type known at load time: the last converter's, or the fetch's. */
  get outType(): CastType {
    return this.convs.length ? this.convs[this.convs.length - 1]!.def.out : this.fetch.out;
  }

  private convert(r: FetchResult, s: SampleStream): FetchResult {
    if (r === null || r === PENDING) return r;
    let smp: Sample = r;
    for (const c of this.convs) {
      const input = castSample(smp, c.def.in);
      const res = input ? c.def.fn(input, c.args, s) : null;
      if (!res) return smp.mayChange ? PENDING : null;
      smp = smp.mayChange && !res.mayChange ? { ...res, mayChange: true } : res;
    }
    return smp;
  }

  /** The sample, null when there is none, or PENDING when it may come with more data. */
  evalRaw(s: SampleStream): FetchResult {
    return this.convert(this.fetch.fn(s, this.args), s);
  }

  eval(s: SampleStream): Sample | null {
    const r = this.evalRaw(s);
    return r === PENDING ? null : r;
  }

  /** Every value of the expression, for ACL matching (multi-valued fetches give several). */
  *values(s: SampleStream): Iterable<FetchResult> {
    if (!this.fetch.iterate) {
      yield this.evalRaw(s);
      return;
    }
    for (const r of this.fetch.iterate(s, this.args)) yield this.convert(r, s);
  }

  refs(): SampleRef[] {
    const out: SampleRef[] = [];
    const scan = (args: readonly Arg[], kw: string, isConverter: boolean): void => {
      args.forEach((a, i) => {
        // a userlist argument must name one, even when empty ("missing userlist name")
        if (a.type === 'usr') {
          out.push({ kind: 'userlist', name: a.str, pos: i + 1, kw, isConverter });
          return;
        }
        if (a.str === '') return;
        if (a.type === 'fe' || a.type === 'be') {
          out.push({ kind: a.type === 'fe' ? 'frontend' : 'backend', name: a.str, pos: i + 1, kw, isConverter });
        } else if (a.type === 'srv') {
          const slash = a.str.indexOf('/');
          out.push({
            kind: 'server', name: slash < 0 ? '' : a.str.slice(0, slash), server: slash < 0 ? a.str : a.str.slice(slash + 1),
            ...(a.proxy !== undefined ? { proxy: a.proxy } : {}), pos: i + 1, kw, isConverter,
          });
        }
      });
    };
    scan(this.args, this.fetch.name, false);
    for (const c of this.convs) scan(c.args, c.def.name, true);
    return out;
  }
}

export interface ExprParseOptions {
  /** Stop at the first character that cannot continue the expression (log-format "%[...]"). */
  readonly allowTrailing?: boolean;
  readonly proxyName?: string;
}

export type ExprParse =
  | { readonly ok: true; readonly expr: SampleExprImpl; readonly end: number }
  | { readonly ok: false; readonly error: string };

function fixServerArgs(args: Arg[], proxyName: string | undefined): void {
  if (proxyName === undefined) return;
  for (const a of args) if (a.type === 'srv' && !a.str.includes('/')) a.proxy = proxyName;
}

/**
 * Parses the converter chain starting at text[start] (just after the fetch and its arguments).
 * Returns the converters and where parsing stopped, or an error.
 */
export function parseConverters(
  text: string, start: number, fetchKw: string, fetchOut: CastType, opts: ExprParseOptions,
): { ok: true; convs: ConvStep[]; end: number } | { ok: false; error: string } {
  const convs: ConvStep[] = [];
  let i = start;
  let prevType: CastType = fetchOut;
  let ckw: string | null = null;
  for (;;) {
    if (i < text.length && text[i] !== ',') {
      if (opts.allowTrailing) break;
      return { ok: false, error: ckw ? `missing comma after converter '${ckw}'` : `missing comma after fetch keyword '${fetchKw}'` };
    }
    while (text[i] === ',') i++;
    if (i >= text.length) break;
    const e = idEnd(text, i);
    ckw = text.slice(i, e);
    const def = findConverter(ckw);
    if (!def) return { ok: false, error: `unknown converter '${ckw}'` };
    if (!canCast(prevType, def.in)) return { ok: false, error: `converter '${ckw}' cannot be applied` };
    const parsed = parseArgList(text, e, def.args);
    if (!parsed.ok) return { ok: false, error: `invalid arg ${parsed.pos + 1} in converter '${ckw}' : ${parsed.error}` };
    const args = parsed.args;
    fixServerArgs(args, opts.proxyName);
    if (def.validate) {
      const err = def.validate(args);
      if (err) return { ok: false, error: `invalid args in converter '${ckw}' : ${err}` };
    }
    convs.push({ def, args });
    prevType = def.out;
    i = parsed.end;
  }
  return { ok: true, convs, end: i };
}

/** Parses "fetch(args),conv(args),..." starting at text[start]. */
export function parseExprAt(text: string, start: number, opts: ExprParseOptions = {}): ExprParse {
  const e = idEnd(text, start);
  if (e === start) return { ok: false, error: 'missing fetch method' };
  const kw = text.slice(start, e);
  const fetch = findFetch(kw);
  if (!fetch) return { ok: false, error: `unknown fetch method '${kw}'` };
  const parsed = parseArgList(text, e, fetch.args);
  if (!parsed.ok) return { ok: false, error: `fetch method '${kw}' : ${parsed.error}` };
  const args = parsed.args;
  fixServerArgs(args, opts.proxyName);
  if (fetch.validate) {
    const err = fetch.validate(args);
    if (err) return { ok: false, error: `invalid args in fetch method '${kw}' : ${err}` };
  }
  const cv = parseConverters(text, parsed.end, kw, fetch.out, opts);
  if (!cv.ok) return cv;
  return { ok: true, expr: new SampleExprImpl(text.slice(start, cv.end), kw, fetch, args, cv.convs), end: cv.end };
}

/**
 * Compiles a sample expression such as "src,ipmask(24)". Returns the expression or an error
 * text in HAProxy's words ("unknown fetch method 'x'", "invalid arg 2 in converter 'y' : ...").
 */
export function parseSampleExpr(text: string, ctx?: { readonly proxyName?: string }): SampleExprImpl | string {
  const r = parseExprAt(text, 0, ctx?.proxyName !== undefined ? { proxyName: ctx.proxyName } : {});
  return r.ok ? r.expr : r.error;
}
