// What "tcp-check" and "http-check" rulesets have in common (HAProxy 2.6's tcpcheck.c):
// who owns a ruleset and what a proxy inherits from defaults, the final pass over a ruleset
// (implicit connect, comments, expect chains), and the options every expect rule takes.
import type { ProxyConfig } from '../config/model.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
import type { CheckStatus } from './health.ts';
import type { TcpCheckConnectRule } from './tcp-check.ts';

/** A "comment" line of a ruleset, folded into the rules after it by finalizeRules(). */
export interface CommentRule {
  readonly kind: 'comment';
  readonly index: number;
  readonly comment: string;
}

export interface RulesetState<R> {
  /** This section's own ruleset (rule lines written in it), or null. */
  own: R[] | null;
  /** The active ruleset (HAProxy's tcpcheck_rules.list), null until selected. */
  list: R[] | null;
  /** Own rules were written while the section's check option was not enabled. */
  unused: boolean;
}

/**
 * The rulesets of one kind of rules, per proxy. Each section's rule lines build its own
 * ruleset, which the check option selects; a proxy created from a defaults section inherits
 * that section's active ruleset until its own first rule line.
 */
export class RulesetStore<R> {
  readonly #states = new WeakMap<ProxyConfig, RulesetState<R>>();
  #firstUse: (() => void) | null = null;

  /**
   * Runs `f` the first time a keyword of this kind is parsed (keywords.ts installs the
   * defaults-inheritance hook this way, once the parser module is fully loaded).
   */
  onFirstUse(f: () => void): void {
    this.#firstUse = f;
  }

  get(px: ProxyConfig): RulesetState<R> | undefined {
    return this.#states.get(px);
  }

  /** The proxy's state, created on first use (a keyword of this kind is being parsed). */
  stateOf(px: ProxyConfig): RulesetState<R> {
    if (this.#firstUse) {
      const f = this.#firstUse;
      this.#firstUse = null;
      f();
    }
    let st = this.#states.get(px);
    if (!st) {
      st = { own: null, list: null, unused: false };
      this.#states.set(px, st);
    }
    return st;
  }

  /** What a proxy created from the defaults section `from` gets: its active ruleset. Idempotent. */
  inherit(from: ProxyConfig, to: ProxyConfig): void {
    const f = this.#states.get(from);
    if (!f) {
      this.#states.delete(to);
      return;
    }
    this.#states.set(to, { own: null, list: f.list, unused: false });
  }

  /** The warning for rules written without the check option (check_config_validity()). */
  warnUnused(px: ProxyConfig, diag: Diagnostics, enabled: boolean, rules: string, option: string): void {
    if (px.kind === 'defaults') return;
    const st = this.#states.get(px);
    if (st?.unused && st.own && !enabled) {
      const type = px.kind === 'listen' ? 'proxy' : px.kind;
      diag.warning(null, `${type} '${px.name}' uses ${rules} rules without '${option}', so the rules are ignored.`);
    }
  }
}

interface ChainedExpect {
  readonly inverse: boolean;
  /** Position, in the final rule list, of the first negated expect of the chain this rule belongs to (or its own). */
  head: number;
}

/**
 * The final rule list: an implicit connect first when the rules do not start with one,
 * comments folded into the rules that follow them, expect chains resolved. Rules are copied.
 */
export function finalizeRules<R extends { readonly kind: string; comment: string | null }, E extends R & ChainedExpect>(
  list: readonly (R | CommentRule)[],
  isExpect: (r: R | TcpCheckConnectRule) => r is E,
): (R | TcpCheckConnectRule)[] {
  const out: (R | TcpCheckConnectRule)[] = [];
  const first = list.find((r) => r.kind !== 'comment');
  if (!first || first.kind !== 'connect') {
    out.push({ kind: 'connect', index: 0, comment: null, port: null, addr: null, sendProxy: false, linger: false, useDefault: true, implicit: true });
  }
  // A comment line applies to the following rules until the action changes (check_proxy_tcpcheck()).
  let pending: string | null = null;
  let prevKind = 'comment';
  for (const r of list) {
    if (r.kind !== prevKind && prevKind !== 'comment') pending = null;
    prevKind = r.kind;
    if (isComment(r)) {
      pending = r.comment;
      continue;
    }
    const copy: R = { ...r };
    if (copy.comment === null && pending !== null) copy.comment = pending;
    if (r.kind === 'connect') pending = null;
    out.push(copy);
  }
  // Each expect points to the first negated expect of its chain (consecutive expects), or to itself.
  for (let i = 0; i < out.length; i++) {
    const r = out[i]!;
    if (!isExpect(r)) continue;
    r.head = i;
    for (let j = i - 1; j >= 0; j--) {
      const p = out[j]!;
      if (!isExpect(p)) break;
      if (p.inverse) r.head = j;
    }
  }
  return out;
}

function isComment<R>(r: R | CommentRule): r is CommentRule {
  return (r as { kind: string }).kind === 'comment';
}

/** What every expect rule may set besides its pattern. */
export interface ExpectOptions {
  /** -1 unless "min-recv" was given. */
  minRecv: number;
  comment: string | null;
  /** Literal info texts for success and failure ("on-success", "on-error"). */
  onSuccess: string | null;
  onError: string | null;
  okStatus: CheckStatus | null;
  errorStatus: CheckStatus | null;
  toutStatus: CheckStatus | null;
}

export function defaultExpectOptions(): ExpectOptions {
  return { minRecv: -1, comment: null, onSuccess: null, onError: null, okStatus: null, errorStatus: null, toutStatus: null };
}

const OK_STATUSES: Readonly<Record<string, CheckStatus>> = { L7OK: 'L7OK', L7OKC: 'L7OKC', L6OK: 'L6OK', L4OK: 'L4OK' };
const ERR_STATUSES: Readonly<Record<string, CheckStatus>> = { L7RSP: 'L7RSP', L7STS: 'L7STS', L7OKC: 'L7OKC', L6RSP: 'L6RSP', L4CON: 'L4CON' };
const TOUT_STATUSES: Readonly<Record<string, CheckStatus>> = { L7TOUT: 'L7TOUT', L6TOUT: 'L6TOUT', L4TOUT: 'L4TOUT' };

/** atol(): leading blanks, optional sign, digits; anything else stops (0 when none). */
function atol(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Reads `w` into `o` when it is one of the expect options (its argument `value`, '' when
 * missing, is consumed): true, HAProxy's error text, or false when `w` is not one of them.
 * `negated`: `w` was written after a '!', which only patterns take.
 */
export function parseExpectOption(w: string, value: string, negated: boolean, o: ExpectOptions): boolean | string {
  switch (w) {
    case 'min-recv':
      if (negated) return `[!] not supported with '${w}'`;
      if (value === '') return `'${w}' expects a integer as argument`;
      o.minRecv = atol(value);
      if (o.minRecv < -1 || o.minRecv > 2147483647) return `'${w}' expects -1 or an integer from 0 to INT_MAX`;
      return true;
    case 'comment':
    case 'on-success':
    case 'on-error':
      if (negated) return `[!] not supported with '${w}'`;
      if (value === '') return `'${w}' expects a string as argument`;
      if (w === 'comment') {
        o.comment = value;
        return true;
      }
      if (value.includes('%')) return `'${w}' : log-format strings are not supported by Turnpike yet (got '${value}')`;
      if (w === 'on-success') o.onSuccess = value;
      else o.onError = value;
      return true;
    case 'ok-status':
    case 'error-status':
    case 'tout-status': {
      if (negated) return `[!] not supported with '${w}'`;
      if (value === '') return `'${w}' expects a string as argument`;
      const v = value.toUpperCase();
      if (w === 'ok-status') {
        o.okStatus = OK_STATUSES[v] ?? null;
        if (!o.okStatus) return `'${w}' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got '${value}').`;
      } else if (w === 'error-status') {
        o.errorStatus = ERR_STATUSES[v] ?? null;
        if (!o.errorStatus) return `'${w}' only supports 'L4CON', 'L6RSP', 'L7RSP' or 'L7STS' status (got '${value}').`;
      } else {
        o.toutStatus = TOUT_STATUSES[v] ?? null;
        if (!o.toutStatus) return `'${w}' only supports 'L4TOUT', 'L6TOUT' or 'L7TOUT' status (got '${value}').`;
      }
      return true;
    }
    default:
      return false;
  }
}
