// What an HTTP action's parser gets: the proxy, the rule set and its phase, and helpers that
// compile log-format strings and expressions with HAProxy's load-time checks.
import type { ParseContext } from '../../config/registry.ts';
import type { LogFormatLike, ProxyConfig } from '../../config/model.ts';
import type { Phase } from '../../sample/types.ts';
import type { HttpAction } from '../http-rule-target.ts';
import { compileLogFormat } from '../../sample/logformat.ts';
import { parseExprAt, SampleExprImpl } from '../../sample/expr.ts';
import { SOURCE_NAMES } from '../../sample/fetch.ts';
import type { ReplyParseEnv } from './reply.ts';

export type RuleSet = 'http-request' | 'http-response' | 'http-after-response';

export interface ActionEnv {
  readonly px: ProxyConfig;
  readonly ctx: ParseContext;
  readonly set: RuleSet;
  /** The rule set works on the response (http-response, http-after-response). */
  readonly response: boolean;
  /** Where the rule runs, for fetch availability checks. */
  readonly phase: Phase;
}

/**
 * Parses one action. `args` are the words of the line ("http-request", action, ...), `i` the
 * index of the first word after the action. Returns the action and the index of the first
 * word not consumed (which must start the condition), or an error text that HAProxy prints
 * as "error detected in <proxy> while parsing '<set> <action>' rule : <text>.".
 */
export type ActionParser = (args: readonly string[], i: number, env: ActionEnv) => { action: HttpAction; next: number } | string;

/** The words left before the condition ("if"/"unless") or the end of the line. */
export function wordsBeforeCond(args: readonly string[], i: number): number {
  let n = 0;
  while (i + n < args.length && args[i + n] !== 'if' && args[i + n] !== 'unless') n++;
  return n;
}

/** Rule formats: an absent sample prints nothing (no "-"), as HAProxy compiles them without LOG_OPT_MANDATORY. */
export function compileFmt(text: string, env: ActionEnv): LogFormatLike | string {
  return compileLogFormat(text, { proxyName: env.px.name, options: 0 }, env.phase);
}

/**
 * Parses a sample expression at args[i] (one word), checking that its fetch has data where
 * the rule runs; `kw` names the action in HAProxy's message.
 */
export function compileExpr(args: readonly string[], i: number, env: ActionEnv, kw: string): SampleExprImpl | string {
  const text = args[i];
  if (text === undefined || text === '') return 'missing fetch method';
  const r = parseExprAt(text, 0, { proxyName: env.px.name });
  if (!r.ok) return r.error;
  if (!(r.expr.usable & env.phase)) {
    return `fetch method '${kw}' extracts information from '${SOURCE_NAMES[r.expr.fetch.use]}', none of which is available here`;
  }
  return r.expr;
}

export function replyEnv(env: ActionEnv): ReplyParseEnv {
  return {
    loc: env.ctx.loc,
    proxyName: env.px.name,
    phase: env.phase,
    bufsize: env.ctx.config.global.bufsize,
    warn: (text) => env.ctx.diag.warning(env.ctx.loc, text),
  };
}
