// http-request / http-response / http-after-response rules: the evaluator run by the HTTP stream.
import { Verdict, type HttpRule, type HttpRuleTarget } from './http-rule-target.ts';

/**
 * Runs `rules` in order from index `from` until an action stops evaluation. A condition that
 * cannot be told yet counts as false: HTTP rules see whole heads (HAProxy evaluates them with
 * SMP_OPT_FINAL). On Yield, `t.yieldRule` holds the index to resume from.
 */
export function runHttpRules(rules: readonly HttpRule[], t: HttpRuleTarget, from = 0): Verdict {
  for (let i = from; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.cond !== null && r.cond.eval(t) !== true) continue;
    const v = r.action.run(t);
    if (v === Verdict.Continue) continue;
    if (v === Verdict.Yield) t.yieldRule = i;
    return v;
  }
  return Verdict.Continue;
}
