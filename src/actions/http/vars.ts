// set-var(<name>[,<cond>...]) <expr>, set-var-fmt(<name>[,<cond>...]) <fmt>, unset-var(<name>).
import type { LogFormatLike } from '../../config/model.ts';
import type { Sample, SampleExpr, VarScope } from '../../sample/types.ts';
import { renderLogFormat } from '../../sample/logformat.ts';
import { parseVarConditions, parseVarName, varConditionsHold } from '../../sample/vars.ts';
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import { compileExpr, compileFmt, type ActionParser } from './env.ts';

class SetVar implements HttpAction {
  readonly name: string;
  private readonly scope: VarScope;
  private readonly key: string;
  private readonly conds: number;
  private readonly expr: SampleExpr | null;
  private readonly fmt: LogFormatLike | null;

  constructor(name: string, scope: VarScope, key: string, conds: number, expr: SampleExpr | null, fmt: LogFormatLike | null) {
    this.name = name;
    this.scope = scope;
    this.key = key;
    this.conds = conds;
    this.expr = expr;
    this.fmt = fmt;
  }

  run(t: HttpRuleTarget): Verdict {
    let smp: Sample | null;
    if (this.fmt) smp = { type: 'str', value: renderLogFormat(this.fmt, t) };
    else {
      smp = this.expr!.eval(t);
      if (!smp) return Verdict.Continue;
      // Variables outlive the buffers fetches point into.
      if (Buffer.isBuffer(smp.value)) smp = { type: smp.type, value: Buffer.from(smp.value) };
      else if (smp.mayChange) smp = { type: smp.type, value: smp.value };
    }
    const vars = t.vars(this.scope);
    if (varConditionsHold(this.conds, vars.get(this.key) ?? null, smp)) vars.set(this.key, smp);
    return Verdict.Continue;
  }
}

class UnsetVar implements HttpAction {
  readonly name: string;
  private readonly scope: VarScope;
  private readonly key: string;

  constructor(name: string, scope: VarScope, key: string) {
    this.name = name;
    this.scope = scope;
    this.key = key;
  }

  run(t: HttpRuleTarget): Verdict {
    t.vars(this.scope).delete(this.key);
    return Verdict.Continue;
  }
}

const EXPECTS = "Expects 'set-var(<var-name>)', 'set-var-fmt(<var-name>)' or 'unset-var(<var-name>)'";

/** Matches "set-var", "set-var-fmt" and "unset-var" and anything they prefix, as HAProxy does. */
export function isVarAction(word: string): boolean {
  return word.startsWith('set-var') || word.startsWith('unset-var');
}

export const parseVarAction: ActionParser = (args, i, env) => {
  const word = args[i - 1]!;
  const kind = word.startsWith('set-var-fmt') ? 'set-var-fmt' : word.startsWith('set-var') ? 'set-var' : 'unset-var';
  let p = kind.length;
  if (word[p] !== '(') return `invalid or incomplete action '${word}'. ${EXPECTS}`;
  p++;
  if (word[word.length - 1] !== ')' || word.length - 1 < p) return `incomplete argument after action '${word}'. ${EXPECTS}`;
  const inner = word.slice(p, word.length - 1);
  const parts = inner.split(',');
  // An empty condition ends the list, as in HAProxy.
  const empty = parts.indexOf('', 1);
  const condWords = parts.slice(1, empty < 0 ? parts.length : empty);
  if (condWords.length > 0 && kind === 'unset-var') {
    return 'unset-var does not expect parameters after the variable name. Only "set-var" and "set-var-fmt" manage conditions';
  }
  const conds = parseVarConditions(condWords);
  if (typeof conds === 'string') return conds;
  const v = parseVarName(parts[0]!);
  if (typeof v === 'string') {
    // HAProxy shows the rest of the action word from the bad character
    const bad = /^invalid syntax at char '/.test(v) ? /[^A-Za-z0-9._]/.exec(parts[0]!.slice(parts[0]!.indexOf('.') + 1)) : null;
    return bad ? `invalid syntax at char '${word.slice(p + parts[0]!.indexOf('.') + 1 + bad.index)}'` : v;
  }
  if (v.scope === 'check') return "variables of scope 'check' are not supported by Turnpike yet";
  const scope: VarScope = v.scope;
  const key = v.name;
  if (kind === 'unset-var') return { action: new UnsetVar(word, scope, key), next: i };
  if (kind === 'set-var-fmt') {
    // The next word is the format whatever it is (even "if"); none gives an empty string.
    const fmt = compileFmt(args[i] ?? '', env);
    if (typeof fmt === 'string') return fmt;
    return { action: new SetVar(word, scope, key, conds, null, fmt), next: i + 1 };
  }
  const expr = compileExpr(args, i, env, word);
  if (typeof expr === 'string') return expr;
  return { action: new SetVar(word, scope, key, conds, expr, null), next: i + 1 };
};
