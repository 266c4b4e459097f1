// ACL terms: "<criterion> [flags] [operator] [<value>] ..." (HAProxy's parse_acl_expr), and
// the registry of ACL-specific keywords ("path_beg" = "path -m beg"), which other modules
// extend (the HTTP module registers path_*, hdr_*, url_*...).
import type { AclDef, AclParseContext, AclTerm, Phase, SampleStream } from './types.ts';
import type { Loc } from '../config/diagnostics.ts';
import { canCast, toByteString } from './casts.ts';
import { parseArgList } from './arg.ts';
import { findFetch, PENDING } from './fetch.ts';
import { idEnd, parseConverters, parseExprAt, SampleExprImpl } from './expr.ts';
import {
  isIntMethod, loadPatternFile, MATCH_EXPECT, MATCH_METHODS, Matcher, PatternGroup, type MatchMethod, type PatternFlags,
} from './pattern.ts';

export interface AclKeyword {
  /** The ACL keyword, e.g. "path_beg". */
  readonly name: string;
  /** The sample fetch it relies on, e.g. "path". */
  readonly fetch: string;
  /** Its default matching method. */
  readonly match: MatchMethod;
}

const aclKeywords = new Map<string, AclKeyword>();

export function registerAclKeywords(...kws: AclKeyword[]): void {
  for (const k of kws) {
    if (aclKeywords.has(k.name)) throw new Error(`duplicate ACL keyword registration: ${k.name}`);
    aclKeywords.set(k.name, k);
  }
}

export function findAclKeyword(word: string): AclKeyword | undefined {
  return aclKeywords.get(word.slice(0, idEnd(word, 0)));
}

// The layer 6 ACL keywords (payload.c): binary matching on the request buffer.
registerAclKeywords(
  { name: 'payload', fetch: 'req.payload', match: 'bin' },
  { name: 'payload_lv', fetch: 'req.payload_lv', match: 'bin' },
);

/** 3-state results, with HAProxy's values so that AND/OR/NOT are bit operations. */
export const FAIL = 0;
export const MISS = 1;
export const PASS = 3;
export type AclResult = 0 | 1 | 3;

export function toAclResult(r: boolean | null): AclResult {
  return r === null ? MISS : r ? PASS : FAIL;
}
export function fromAclResult(r: AclResult): boolean | null {
  return r === PASS ? true : r === FAIL ? false : null;
}

/** One compiled ACL line: a sample expression and a matcher. */
export class AclTermImpl implements AclTerm {
  readonly loc: Loc;
  readonly text: string;
  /** Keyword for messages: the ACL keyword, or the fetch name. */
  readonly kw: string;
  readonly expr: SampleExprImpl;
  readonly matcher: Matcher;

  constructor(loc: Loc, text: string, kw: string, expr: SampleExprImpl, matcher: Matcher) {
    this.loc = loc;
    this.text = text;
    this.kw = kw;
    this.expr = expr;
    this.matcher = matcher;
  }

  get usable(): Phase {
    return this.expr.usable;
  }

  /** acl_exec_cond() for one expression: PASS on the first matching value, MISS if data may still change. */
  exec(s: SampleStream): AclResult {
    let res: AclResult = FAIL;
    for (const r of this.expr.values(s)) {
      if (r === PENDING) {
        res = MISS;
        continue;
      }
      if (r === null) continue;
      if (this.matcher.match(r)) return PASS;
      if (r.mayChange) res = MISS;
    }
    return res;
  }

  eval(s: SampleStream): boolean | null {
    return fromAclResult(this.exec(s));
  }
}

/** Result of an ACL (all its lines ORed). */
export function execAcl(acl: AclDef, s: SampleStream): AclResult {
  let res: AclResult = FAIL;
  for (const t of acl.terms) {
    const r = t instanceof AclTermImpl ? t.exec(s) : toAclResult(t.eval(s));
    res = (res | r) as AclResult;
    if (res === PASS) break;
  }
  return res;
}

/** Phases where at least one line of the ACL may be used (acl->val). */
export function aclUsable(acl: AclDef): Phase {
  let u = 0;
  for (const t of acl.terms) u |= t.usable;
  return u;
}

/** The method implied by an output type (none for binary: "-m" is then required). */
function defaultMethod(type: string): MatchMethod | null {
  switch (type) {
    case 'bool': return 'bool';
    case 'sint': return 'int';
    case 'ipv4': case 'ipv6': case 'addr': return 'ip';
    case 'str': return 'str';
    default: return null;
  }
}

const OPERATORS: Readonly<Record<string, 'eq' | 'gt' | 'ge' | 'lt' | 'le'>> = { eq: 'eq', gt: 'gt', ge: 'ge', lt: 'lt', le: 'le' };

/** "-u" ids are unique for a whole configuration load. */
const uniqueIds = new WeakMap<object, Set<number>>();

/**
 * Parses one ACL criterion with its flags and patterns, e.g. ["src", "-f", "blocked.lst"] or
 * ["req.payload(0,2)", "-m", "bin", "1603"]. Returns the term or an error text in HAProxy's
 * words (the caller adds "error detected while parsing ACL '<name>' : ").
 */
export function parseAclTerm(words: readonly string[], ctx: AclParseContext): AclTermImpl | string {
  const crit = words[0] ?? '';
  const opts = ctx.proxyName !== undefined ? { proxyName: ctx.proxyName } : {};
  let expr: SampleExprImpl;
  let kw: string;
  let method: MatchMethod | null;
  const aclkw = findAclKeyword(crit);
  if (aclkw) {
    const fetch = findFetch(aclkw.fetch);
    if (!fetch) return `ACL keyword '${aclkw.name}' is not supported by Turnpike yet (it needs the '${aclkw.fetch}' fetch)`;
    const e = idEnd(crit, 0);
    const parsed = parseArgList(crit, e, fetch.args);
    if (!parsed.ok) return `ACL keyword '${aclkw.name}' : ${parsed.error}`;
    const args = parsed.args;
    if (ctx.proxyName !== undefined) for (const a of args) if (a.type === 'srv' && !a.str.includes('/')) a.proxy = ctx.proxyName;
    if (fetch.validate) {
      const err = fetch.validate(args);
      if (err) return `in argument to '${aclkw.name}', ${err}`;
    }
    const cv = parseConverters(crit, parsed.end, aclkw.name, fetch.out, opts);
    if (!cv.ok) return `ACL keyword '${aclkw.name}' : ${cv.error}`;
    expr = new SampleExprImpl(crit, aclkw.name, fetch, args, cv.convs);
    kw = cv.convs.length ? fetch.name : aclkw.name;
    method = cv.convs.length ? defaultMethod(expr.outType) : aclkw.match;
  } else {
    const r = parseExprAt(crit, 0, opts);
    if (!r.ok) return `${r.error} in ACL expression '${crit}'`;
    expr = r.expr;
    kw = r.expr.fetch.name;
    method = defaultMethod(expr.outType);
  }
  const curType = expr.outType;

  if (method && curType !== 'bool' && words[1] === undefined) {
    ctx.diag.warning(null,
      `parsing acl keyword '${crit}' :\n` +
      '  no pattern to match against were provided, so this ACL will never match.\n' +
      "  If this is what you intended, please add '--' to get rid of this warning.\n" +
      "  If you intended to match only for existence, please use '-m found'.\n" +
      "  If you wanted to force an int to match as a bool, please use '-m bool'.\n");
  }

  let flags: PatternFlags = { icase: false, noDns: false };
  let asMap = false;
  let loaded = false;
  const groups: PatternGroup[] = [];
  let i = 1;
  while (i < words.length && words[i]![0] === '-') {
    const w = words[i]!;
    if (w === '-i') flags = { ...flags, icase: true };
    else if (w === '-n') flags = { ...flags, noDns: true };
    else if (w === '-u') {
      const t = words[i + 1] ?? '';
      if (!/^[-+]?\d*$/.test(t)) return 'the argument of -u must be an integer';
      const id = t === '' ? 0 : parseInt(t, 10);
      let used = uniqueIds.get(ctx.diag);
      if (!used) uniqueIds.set(ctx.diag, (used = new Set()));
      if (used.has(id)) return 'the id is already used';
      used.add(id);
      i++;
    } else if (w === '-f') {
      if (!method) return `matching method must be specified first (using '-m') when using a sample fetch of this type ('${kw}')`;
      const g = new PatternGroup(method, flags);
      const err = loadPatternFile(g, words[i + 1] ?? '', ctx.baseDir, asMap);
      if (err) return err;
      groups.push(g);
      loaded = true;
      i++;
    } else if (w === '-m') {
      if (loaded) return "'-m' must only be specified before patterns and files in parsing ACL expression";
      const name = words[i + 1] ?? '';
      const m = MATCH_METHODS.find((x) => x === name);
      if (!m) return `unknown matching method '${name}' when parsing ACL expression`;
      if (m !== 'found' && !canCast(curType, MATCH_EXPECT[m])) return `matching method '${name}' cannot be used with fetch keyword '${kw}'`;
      method = m;
      i++;
    } else if (w === '-M') asMap = true;
    else if (w === '--') {
      i++;
      break;
    } else return `'${w}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`;
    i++;
  }
  if (!method) return `matching method must be specified first (using '-m') when using a sample fetch of this type ('${kw}')`;

  const inline = new PatternGroup(method, flags);
  let operator: 'eq' | 'gt' | 'ge' | 'lt' | 'le' = 'eq';
  for (; i < words.length; i++) {
    let arg = words[i]!;
    if (isIntMethod(method)) {
      const op = OPERATORS[arg];
      if (op) {
        operator = op;
        continue;
      }
      if (operator !== 'eq' && !arg.includes(':') && !arg.includes('-')) {
        if (!/^-?\d+$/.test(arg) || BigInt(arg) > 9223372036854775807n) return `'${arg}' is neither a number nor a supported operator`;
        let v = BigInt(arg);
        if (operator === 'gt') v += 1n;
        if (operator === 'lt') v -= 1n;
        arg = operator === 'gt' || operator === 'ge' ? `${v}:` : `:${v}`;
      }
    }
    const err = inline.add(toByteString(arg));
    if (err) return err;
    if (ctx.diag.diagMode) diagPattern(arg, ctx);
  }
  groups.push(inline);
  const matcher = new Matcher(method);
  matcher.groups.push(...groups);
  return new AclTermImpl(ctx.loc, words.join(' '), kw, expr, matcher);
}

function diagPattern(arg: string, ctx: AclParseContext): void {
  const at = `parsing [${ctx.loc.file}:${ctx.loc.line}] : `;
  if (arg === '&&' || arg === 'and' || arg === '||' || arg === 'or') {
    ctx.diag.diag(null, `${at}pattern '${arg}' looks like a failed attempt at using an operator inside a pattern list`);
  } else if (arg === '#' || arg === '//') {
    ctx.diag.diag(null, `${at}pattern '${arg}' looks like a failed attempt at commenting an end of line`);
  } else if (findAclKeyword(arg)) {
    ctx.diag.diag(null, `${at}pattern '${arg}' suspiciously looks like a known acl keyword`);
  } else {
    const e = idEnd(arg, 0);
    if (e > 0 && findFetch(arg.slice(0, e))) ctx.diag.diag(null, `${at}pattern '${arg}' suspiciously looks like a known sample fetch keyword`);
  }
}

/** ACL names: letters, digits, '-', '_', '.' and ':'. */
export function invalidAclNameChar(name: string): string | null {
  if (name === '') return '';
  for (const c of name) if (!/[A-Za-z0-9._:-]/.test(c)) return c;
  return null;
}

/**
 * parse_acl(): parses "<name> <criterion> ..." into <acls>, appending to an existing ACL of
 * that name (the lines are ORed). Returns the ACL or an error text.
 */
export function parseAcl(words: readonly string[], acls: Map<string, AclDef>, ctx: AclParseContext): AclDef | string {
  const name = words[0] ?? '';
  const term = parseAclTerm(words.slice(1), ctx);
  if (typeof term === 'string') return term;
  warnParenthesis(name, words.slice(1), ctx);
  const existing = acls.get(name);
  if (existing) {
    existing.terms.push(term);
    return existing;
  }
  const def: AclDef = { name, terms: [term] };
  acls.set(name, def);
  return def;
}

/** The warning HAProxy gives for "acl x hdr (host) ..." (a space before the parenthesis). */
export function warnParenthesis(name: string, words: readonly string[], ctx: AclParseContext): void {
  if (words[0] !== undefined && !words[0].includes('(') && words[1]?.[0] === '(') {
    ctx.diag.warning(null,
      `parsing acl '${name}' :\n` +
      `  matching '${words[0]}' for pattern '${words[1]}' is likely a mistake and probably\n` +
      "  not what you want. Maybe you need to remove the extraneous space before '('.\n" +
      "  If you are really sure this is not an error, please insert '--' between the\n" +
      '  match and the pattern to make this warning message disappear.');
  }
}
