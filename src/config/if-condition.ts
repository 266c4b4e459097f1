// The condition language of ".if"/".elif" and "-cc", as HAProxy 2.6's cfgcond.c parses it
// (configuration.txt 2.4): integers, predicates, '!', '&&' (binding tighter), '||' and
// parentheses. The whole expression is parsed before anything is evaluated, so a syntax error
// is reported even in a branch that short-circuit evaluation would not reach.
import { FEATURES, HAPROXY_COMPAT_VERSION } from '../version.ts';
import { lookupEnv, type Env } from './tokenizer.ts';

/** A syntax error, worded as HAProxy; <pos> indexes the expression (the words joined by spaces). */
export interface ConditionError {
  readonly error: string;
  readonly pos: number;
}

/** HAProxy's MAX_CFG_RECURSION: each nesting step (sub-expression, '&&', '||', '(') costs one. */
const MAX_DEPTH = 1024;

interface Predicate {
  readonly name: string;
  readonly nargs: 1 | 2;
  readonly test: (args: readonly string[], env: Env) => boolean;
}

const PREDICATES: readonly Predicate[] = [
  { name: 'defined', nargs: 1, test: ([name], env) => lookupEnv(env, name!) !== undefined },
  { name: 'feature', nargs: 1, test: ([name]) => hasFeature(name!) },
  { name: 'streq', nargs: 2, test: ([a, b]) => a === b },
  { name: 'strneq', nargs: 2, test: ([a, b]) => a !== b },
  { name: 'version_atleast', nargs: 1, test: ([v]) => compareCurrentVersion(v!) <= 0 },
  { name: 'version_before', nargs: 1, test: ([v]) => compareCurrentVersion(v!) > 0 },
];

/** The "Feature list" of `-vv`, searched the way HAProxy searches its own. */
const FEATURE_LIST = [...FEATURES].map(([name, on]) => `${on ? '+' : '-'}${name}`).join(' ');

function hasFeature(name: string): boolean {
  // The first occurrence standing as a whole word after a '+' or '-' decides.
  for (let p = FEATURE_LIST.indexOf(name); p >= 0 && p < FEATURE_LIST.length; p = FEATURE_LIST.indexOf(name, p + 1)) {
    const after = FEATURE_LIST[p + name.length];
    if (p > 0 && (after === ' ' || after === undefined)) {
      if (FEATURE_LIST[p - 1] === '+') return true;
      if (FEATURE_LIST[p - 1] === '-') return false;
    }
  }
  return false;
}

/** C's strtol() on text[at...]: where the number ends (<at> when there is none) and its value. */
function strtol(text: string, at: number, base: 0 | 10): { end: number; value: bigint } {
  let i = at;
  while (/^[ \t\n\v\f\r]$/.test(text[i] ?? '')) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  let radix = 10;
  if (base === 0 && text[i] === '0') {
    // "0x" counts only when a hex digit follows; otherwise the "0" is an octal number.
    const hex = (text[i + 1] === 'x' || text[i + 1] === 'X') && !Number.isNaN(parseInt(text[i + 2] ?? '', 16));
    radix = hex ? 16 : 8;
    if (hex) i += 2;
  }
  const first = i;
  let value = 0n;
  for (let d = parseInt(text[i] ?? '', radix); !Number.isNaN(d); d = parseInt(text[++i] ?? '', radix)) {
    value = value * BigInt(radix) + BigInt(d);
  }
  if (i === first) return { end: at, value: 0n };
  // Out of range values saturate, as strtol() reports ERANGE.
  const limit = negative ? 2n ** 63n : 2n ** 63n - 1n;
  if (value > limit) value = limit;
  return { end: i, value: negative ? -value : value };
}

/**
 * HAProxy's split_version(): "a[.b[.c[.d]]][-{dev,rc,pre}<n>][-<commit>]" into 7 numbers (the tag
 * is 1 for dev, 2 for rc/pre, 3 for a release), or null when the text is not a version.
 */
function splitVersion(text: string): number[] | null {
  const out = [0, 0, 0, 0, 3, 0, 0];
  if (text === '') return null;
  // Values land in C unsigned ints: negative numbers wrap around.
  const uint = (n: bigint) => Number(BigInt.asUintN(32, n));
  let p = 0;
  for (let k = 0; k < 4; k++) {
    const n = strtol(text, p, 10);
    out[k] = uint(n.value);
    if (n.end === text.length) return out;
    p = n.end + 1;
    if (text[n.end] === '-') return splitVersionTag(text, p, out, uint);
    if (text[n.end] !== '.' || k === 3) return null;
  }
  return null;
}

function splitVersionTag(text: string, at: number, out: number[], uint: (n: bigint) => number): number[] | null {
  let p = at;
  const tag = /^(dev|rc|pre)/.exec(text.slice(p));
  if (tag) {
    out[4] = tag[1] === 'dev' ? 1 : 2;
    const n = strtol(text, p + tag[1]!.length, 10);
    out[5] = uint(n.value);
    if (n.end === text.length) return out;
    if (text[n.end] !== '-') return null;
    p = n.end + 1;
  }
  // A commit count is the number after the last '-', if that is all a number.
  const dash = text.lastIndexOf('-');
  const from = dash >= p ? dash + 1 : p;
  if (dash >= p && from === text.length) return null;
  const n = strtol(text, from, 10);
  out[6] = n.end === text.length ? uint(n.value) : 0;
  return out;
}

const CURRENT_VERSION = splitVersion(HAPROXY_COMPAT_VERSION)!;

/** <0 when <text> is older than the version Turnpike follows, 0 when equal, >0 when newer; -3 when unparsable. */
function compareCurrentVersion(text: string): number {
  const v = splitVersion(text);
  if (!v) return -3;
  for (let i = 0; i < v.length; i++) if (v[i] !== CURRENT_VERSION[i]) return v[i]! < CURRENT_VERSION[i]! ? -1 : 1;
  return 0;
}

/** Thrown inside the parser, turned into a ConditionError by evalIfCondition(). */
class SyntaxFault {
  readonly error: string;
  readonly pos: number;
  constructor(error: string, pos: number) {
    this.error = error;
    this.pos = pos;
  }
}

/** A parsed part: nothing (empty input, HAProxy's "0"), or a value and the position after it. */
type Parsed = { readonly found: false; readonly next: number } | { readonly found: true; readonly value: boolean; readonly next: number };

class ConditionParser {
  private readonly text: string;
  private readonly env: Env;

  constructor(text: string, env: Env) {
    this.text = text;
    this.env = env;
  }

  private skipBlanks(at: number): number {
    while (this.text[at] === ' ' || this.text[at] === '\t') at++;
    return at;
  }

  /** expr := and ['||' expr] */
  expr(at: number, depth: number): Parsed {
    if (at >= this.text.length) return { found: false, next: at };
    if (depth <= 0) throw new SyntaxFault(`unparsable conditional expression '${this.text.slice(at)}'`, at);
    const left = this.and(at, depth - 1);
    if (!left.found) throw new SyntaxFault(`unparsable conditional expression '${this.text.slice(left.next)}'`, left.next);
    return this.rest(left, '||', depth, (from, d) => this.expr(from, d), (a, b) => a || b);
  }

  /** and := term ['&&' and] */
  private and(at: number, depth: number): Parsed {
    if (at >= this.text.length) return { found: false, next: at };
    if (depth <= 0) throw new SyntaxFault(`unparsable conditional sub-expression '${this.text.slice(at)}'`, at);
    const left = this.term(at, depth - 1);
    if (!left.found) throw new SyntaxFault(`unparsable conditional sub-expression '${this.text.slice(at)}'`, at);
    return this.rest(left, '&&', depth, (from, d) => this.and(from, d), (a, b) => a && b);
  }

  /**
   * After a left operand: an optional <op> and right operand. With nothing after the operator,
   * the whole is "not found" at the operator, which the caller reports there.
   */
  private rest(
    left: Parsed & { found: true }, op: '&&' | '||', depth: number,
    right: (at: number, depth: number) => Parsed, combine: (a: boolean, b: boolean) => boolean,
  ): Parsed {
    const opAt = this.skipBlanks(left.next);
    if (this.text.slice(opAt, opAt + 2) !== op) return { found: true, value: left.value, next: opAt };
    const r = right(this.skipBlanks(opAt + 2), depth - 1);
    return r.found ? { found: true, value: combine(left.value, r.value), next: r.next } : { found: false, next: opAt };
  }

  /** term := '!'* (integer | '(' expr ')' | predicate['(' args ')']) */
  private term(at: number, depth: number): Parsed {
    let i = this.skipBlanks(at);
    if (i >= this.text.length) return { found: false, next: at };
    if (depth <= 0) throw new SyntaxFault(`unparsable conditional expression '${this.text.slice(at)}'`, at);
    let negate = false;
    while (this.text[i] === '!') {
      negate = !negate;
      i = this.skipBlanks(i + 1);
    }

    const num = strtol(this.text, i, 0);
    if (num.end !== i) return { found: true, value: (num.value !== 0n) !== negate, next: num.end };

    if (this.text[i] === '(') {
      const inner = this.expr(this.skipBlanks(i + 1), depth - 1);
      if (!inner.found) throw new SyntaxFault(`unparsable conditional expression '${this.text.slice(at)}'`, at);
      const close = this.skipBlanks(inner.next);
      if (this.text[close] !== ')') throw new SyntaxFault(`expected ')' after conditional expression '${this.text.slice(at)}'`, at);
      return { found: true, value: inner.value !== negate, next: this.skipBlanks(close + 1) };
    }

    // The predicate name runs up to a space or '(' (so "defined (X)" is "defined" with no args).
    const nameEnd = i + /^[^ (]*/.exec(this.text.slice(i))![0].length;
    const pred = PREDICATES.find((p) => p.name === this.text.slice(i, nameEnd));
    if (!pred) throw new SyntaxFault(`unparsable conditional expression '${this.text.slice(at)}'`, at);
    const args = this.args(nameEnd, pred);
    return { found: true, value: pred.test(args.values, this.env) !== negate, next: args.next };
  }

  /**
   * make_arg_list() for string arguments: an optional "(a,b)" where quotes protect ',' and ')'
   * and "\\", "\ ", "\"", "\'", "\r", "\n", "\t" are escapes. Without parentheses, the one
   * mandatory argument is empty.
   */
  private args(at: number, pred: Predicate): { values: string[]; next: number } {
    const text = this.text;
    const fault = (what: string, argNo: number, where: number) =>
      new SyntaxFault(`${what} in argument ${argNo} of predicate '${pred.name}' used in conditional expression`, where);
    const bare = text[at] !== '(';
    let i = bare ? at : at + 1;
    const values: string[] = [];
    while (values.length < pred.nargs) {
      let value = '';
      let squote = false;
      let dquote = false;
      while (!bare && i < text.length) {
        const c = text[i]!;
        if (c === '"' && !squote) {
          dquote = !dquote;
          i++;
        } else if (c === "'" && !dquote) {
          squote = !squote;
          i++;
        } else if (c === '\\' && !squote) {
          const next = text[i + 1];
          if (next === undefined) {
            throw fault(`failed to parse '${text.slice(i)}' after '${value}' as type 'string' at position ${values.length + 1}`, values.length, i);
          }
          const escaped = next === 'r' ? '\r' : next === 'n' ? '\n' : next === 't' ? '\t' : '\\ "\''.includes(next) ? next : null;
          value += escaped ?? '\\';
          i += escaped === null ? 1 : 2;
        } else if (!squote && !dquote && (c === ',' || c === ')')) {
          break;
        } else {
          value += c;
          i++;
        }
      }
      values.push(value);
      if (bare || i >= text.length || text[i] === ')' || values.length >= pred.nargs) break;
      i++; // the comma
    }
    if (values.length < pred.nargs) {
      throw fault(`missing arguments (got ${values.length}/${pred.nargs}), type 'string' expected`, values.length, i);
    }
    if (bare) return { values, next: i };
    if (text[i] !== ')') {
      const rest = text.slice(i);
      // An argument too many is reported against the last expected one.
      throw fault(rest ? `expected ')' before '${rest}'` : "expected ')'", values.length > 1 ? values.length - 1 : values.length, i);
    }
    return { values, next: i + 1 };
  }
}

/**
 * Evaluates the condition of a ".if"/".elif" line (<words>: the words after the directive) or
 * of `-cc`. HAProxy re-joins the words with single spaces and parses that text; an empty
 * condition is false. Versions are compared with HAPROXY_COMPAT_VERSION, environment variables
 * looked up in <env>, features in FEATURES.
 */
export function evalIfCondition(words: readonly string[], env: Env): boolean | ConditionError {
  const text = words.join(' ');
  if (text === '') return false;
  const parser = new ConditionParser(text, env);
  try {
    const r = parser.expr(0, MAX_DEPTH);
    if (!r.found) return { error: `unparsable conditional expression '${text}'`, pos: r.next };
    let end = r.next;
    while (text[end] === ' ' || text[end] === '\t') end++;
    if (end < text.length) return { error: `unexpected character '${text[end]}' at the end of conditional expression '${text}'`, pos: end };
    return r.value;
  } catch (e) {
    if (e instanceof SyntaxFault) return { error: e.error, pos: e.pos };
    throw e;
  }
}
