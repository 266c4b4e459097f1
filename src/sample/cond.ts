// Conditions ("if a !b || { src 10.0.0.0/8 }", HAProxy's parse_acl_cond / acl_exec_cond),
// the pre-defined ACLs, and the load-time check that a condition or expression only uses
// fetches available where it is evaluated.
import type { AclDef, AclParseContext, Condition, Phase, SampleExpr, SampleStream } from './types.ts';
import { PHASE_NAMES } from './types.ts';
import type { LogFormatLike } from '../config/model.ts';
import {
  aclUsable, AclTermImpl, execAcl, FAIL, findAclKeyword, MISS, PASS, parseAclTerm, warnParenthesis, type AclResult,
} from './acl.ts';
import { findFetch, SOURCE_NAMES } from './fetch.ts';
import { idEnd, SampleExprImpl } from './expr.ts';

// ---- pre-defined ACLs (7.4) ------------------------------------------------------------

const predefined = new Map<string, readonly string[]>();

/** Registers a pre-defined ACL: its name and the ACL words it stands for. */
export function registerPredefinedAcl(name: string, words: readonly string[]): void {
  predefined.set(name, words);
}

for (const [name, words] of [
  ['TRUE', ['always_true']],
  ['FALSE', ['always_false']],
  ['LOCALHOST', ['src', '127.0.0.1/8', '::1']],
  ['HTTP', ['req.proto_http']],
  ['HTTP_1.0', ['req.ver', '1.0']],
  ['HTTP_1.1', ['req.ver', '1.1']],
  ['HTTP_2.0', ['req.ver', '2.0']],
  ['HTTP_3.0', ['req.ver', '3.0']],
  ['METH_CONNECT', ['method', 'CONNECT']],
  ['METH_DELETE', ['method', 'DELETE']],
  ['METH_GET', ['method', 'GET', 'HEAD']],
  ['METH_HEAD', ['method', 'HEAD']],
  ['METH_OPTIONS', ['method', 'OPTIONS']],
  ['METH_POST', ['method', 'POST']],
  ['METH_PUT', ['method', 'PUT']],
  ['METH_TRACE', ['method', 'TRACE']],
  ['HTTP_URL_ABS', ['url_reg', '^[^/:]*://']],
  ['HTTP_URL_SLASH', ['url_beg', '/']],
  ['HTTP_URL_STAR', ['url', '*']],
  ['HTTP_CONTENT', ['req.hdr_val(content-length)', 'gt', '0']],
  ['RDP_COOKIE', ['req.rdp_cookie_cnt', 'gt', '0']],
  ['REQ_CONTENT', ['req.len', 'gt', '0']],
  ['WAIT_END', ['wait_end']],
] as const) registerPredefinedAcl(name, words);

export function predefinedAclNames(): Iterable<string> {
  return predefined.keys();
}

/** find_acl_default(): builds a pre-defined ACL, or explains why it is not available. */
export function findPredefinedAcl(name: string, ctx: AclParseContext): AclDef | string {
  const words = predefined.get(name);
  if (!words) return `no such ACL : '${name}'`;
  const crit = words[0]!;
  const kw = crit.slice(0, idEnd(crit, 0));
  if (!findAclKeyword(kw) && !findFetch(kw)) {
    return `pre-defined ACL '${name}' is not supported by Turnpike yet (it needs '${kw}', which is not implemented yet)`;
  }
  const term = parseAclTerm(words, ctx);
  if (typeof term === 'string') return `pre-defined ACL '${name}' is not supported by Turnpike yet (${term})`;
  return { name, terms: [term] };
}

// ---- conditions ----------------------------------------------------------------------------

export interface CondTerm {
  readonly acl: AclDef;
  readonly neg: boolean;
}

export class ConditionImpl implements Condition {
  readonly text: string;
  readonly polarity: 'if' | 'unless';
  /** OR of suites, each an AND of (possibly negated) ACLs. */
  readonly suites: readonly (readonly CondTerm[])[];

  constructor(text: string, polarity: 'if' | 'unless', suites: readonly (readonly CondTerm[])[]) {
    this.text = text;
    this.polarity = polarity;
    this.suites = suites;
  }

  /** Phases where at least one suite may be fully evaluated (cond->val). */
  get usable(): Phase {
    let u = 0;
    for (const suite of this.suites) {
      let v = ~0;
      for (const t of suite) v &= aclUsable(t.acl);
      u |= v;
    }
    return u;
  }

  /** acl_exec_cond(), before the if/unless polarity. */
  exec(s: SampleStream): AclResult {
    let cond: AclResult = FAIL;
    for (const suite of this.suites) {
      let res: AclResult = PASS;
      for (const t of suite) {
        let r = execAcl(t.acl, s);
        if (t.neg) r = (3 >> r) as AclResult;
        res = (res & r) as AclResult;
        if (res !== PASS) break;
      }
      cond = (cond | res) as AclResult;
      if (cond === PASS) break;
    }
    return cond;
  }

  /** With the polarity applied: "unless" negates; null ("cannot tell yet") stays null. */
  eval(s: SampleStream): boolean | null {
    const r = this.exec(s);
    if (r === MISS) return null;
    return this.polarity === 'if' ? r === PASS : r !== PASS;
  }

  /** Anonymous ACLs ("{ ... }") of the condition. */
  anonymousAcls(): AclDef[] {
    const out: AclDef[] = [];
    for (const suite of this.suites) for (const t of suite) if (t.acl.name === '' && !out.includes(t.acl)) out.push(t.acl);
    return out;
  }
}

/**
 * Parses a condition, starting with "if" or "unless". ACL names are looked up in ctx.acls
 * then among the pre-defined ACLs. Returns the condition or an error text in HAProxy's words
 * ("no such ACL : 'foo'"); the caller adds its own prefix.
 */
export function parseCondition(words: readonly string[], ctx: AclParseContext): ConditionImpl | string {
  const pol = words[0];
  if (pol !== 'if' && pol !== 'unless') return "conditions must start with either 'if' or 'unless'";
  const suites: CondTerm[][] = [];
  let cur: CondTerm[] | null = null;
  let neg = false;
  for (let i = 1; i < words.length; i++) {
    let word = words[i]!;
    while (word[0] === '!') {
      neg = !neg;
      word = word.slice(1);
    }
    // a lone "!" is allowed
    if (!word) continue;
    if (word.toLowerCase() === 'or' || word === '||') {
      cur = null;
      neg = false;
      continue;
    }
    let acl: AclDef;
    if (word === '{') {
      let end = i + 1;
      while (end < words.length && words[end] !== '}') end++;
      if (end >= words.length) return "missing closing '}' in condition";
      const inner = words.slice(i + 1, end);
      const term = parseAclTerm(inner, ctx);
      if (typeof term === 'string') return term;
      warnParenthesis('', inner, ctx);
      acl = { name: '', terms: [term] };
      i = end;
    } else {
      const found = ctx.acls.get(word) ?? findPredefinedAcl(word, ctx);
      if (typeof found === 'string') return found;
      acl = found;
    }
    if (!cur) {
      cur = [];
      suites.push(cur);
    }
    cur.push({ acl, neg });
    neg = false;
  }
  return new ConditionImpl(words.join(' '), pol, suites);
}

// ---- load-time usability checks --------------------------------------------------------------

export interface UsableProblem {
  /** HAProxy warns for conditions (the rule can still match through other terms) and alerts for expressions. */
  readonly level: 'warning' | 'alert';
  readonly text: string;
}

function phaseName(phase: Phase): string {
  return PHASE_NAMES[phase] ?? 'this place';
}

function termKw(t: AclDef['terms'][number]): string {
  if (t instanceof AclTermImpl) return t.kw;
  return t.text.split(' ')[0] ?? '';
}

function isLogFormat(x: unknown): x is LogFormatLike {
  return typeof x === 'object' && x !== null && Array.isArray((x as LogFormatLike).parts);
}

/**
 * Checks that every fetch of a condition, expression or log-format is available in <phase>
 * (one PhaseBit). <ruleName> is the rule as HAProxy names it in messages ("tcp-request
 * connection"); pass '' for use_backend-style rules, whose messages do not name the rule.
 */
export function checkUsableDetailed(x: Condition | SampleExpr | LogFormatLike, phase: Phase, ruleName: string): UsableProblem | null {
  const where = phaseName(phase);
  if (x instanceof ConditionImpl) {
    const inRule = ruleName ? ` in '${ruleName}'` : '';
    // an ACL none of whose lines can work here: the rule's suite never matches
    for (const suite of x.suites) {
      for (const t of suite) {
        if (aclUsable(t.acl) & phase) continue;
        const text = t.acl.name
          ? `acl '${t.acl.name}' will never match${inRule} because it only involves keywords that are incompatible with '${where}'`
          : `anonymous acl will never match${inRule} because it uses keyword '${termKw(t.acl.terms[0]!)}' which is incompatible with '${where}'`;
        return { level: 'warning', text };
      }
    }
    // an ACL with some lines that cannot work here
    for (const suite of x.suites) {
      for (const t of suite) {
        for (const term of t.acl.terms) {
          if (term.usable & phase) continue;
          const kws = ruleName ? 'keyword' : 'keywords';
          const text = t.acl.name
            ? `acl '${t.acl.name}' involves ${kws} '${termKw(term)}' which is incompatible with '${where}'`
            : `anonymous acl involves keyword '${termKw(term)}' which is incompatible with '${where}'`;
          return { level: 'warning', text };
        }
      }
    }
    return null;
  }
  if (x instanceof SampleExprImpl) {
    if (x.usable & phase) return null;
    return { level: 'alert', text: `fetch method '${x.kw}' extracts information from '${SOURCE_NAMES[x.fetch.use]}', none of which is available here` };
  }
  if (isLogFormat(x)) {
    for (const p of x.parts) {
      if (!(p instanceof SampleExprImpl) || p.usable & phase) continue;
      return { level: 'alert', text: `sample fetch <${p.text}> may not be reliably used here because it needs '${SOURCE_NAMES[p.fetch.use]}' which is not available here` };
    }
    return null;
  }
  // a foreign implementation: only its declared phases are known
  if (x.usable & phase) return null;
  return { level: 'warning', text: `'${x.text}' uses data which is not available in '${where}'` };
}

/** checkUsableDetailed() as text: callers warn for conditions and alert for expressions, as HAProxy. */
export function checkUsable(x: Condition | SampleExpr | LogFormatLike, phase: Phase, ruleName: string): string | null {
  return checkUsableDetailed(x, phase, ruleName)?.text ?? null;
}

