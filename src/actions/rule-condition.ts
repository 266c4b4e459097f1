// Parses the "if|unless <condition>" tail of a rule and checks, at load time, that every
// fetch it uses has data in the phase where the rule runs (HAProxy warns when an ACL can
// never match there, and alerts for a sample expression that cannot work).
import type { ParseContext } from '../config/registry.ts';
import type { ProxyConfig } from '../config/model.ts';
import type { AclParseContext, Condition, Phase } from '../sample/types.ts';
import { checkUsableDetailed, parseCondition } from '../sample/index.ts';

export function aclContext(px: ProxyConfig, ctx: ParseContext): AclParseContext {
  return { loc: ctx.loc, diag: ctx.diag, acls: px.acls, baseDir: process.cwd(), proxyName: px.name };
}

/**
 * `words` is what follows the action (empty, or starting with if/unless). Returns the
 * condition (null when none) or an error text.
 */
export function parseRuleCondition(
  px: ProxyConfig, words: readonly string[], ctx: ParseContext, phase: Phase, ruleName: string,
): { cond: Condition | null } | { error: string } {
  if (words.length === 0) return { cond: null };
  if (words[0] !== 'if' && words[0] !== 'unless') {
    return { error: `${ruleName}: expects 'if', 'unless' or nothing after the action, but found '${words[0]}'.` };
  }
  const cond = parseCondition(words, aclContext(px, ctx));
  if (typeof cond === 'string') return { error: cond };
  const problem = checkUsableDetailed(cond, phase, ruleName);
  if (problem) {
    if (problem.level === 'alert') return { error: problem.text };
    ctx.diag.warning(ctx.loc, problem.text);
  }
  return { cond };
}
