// Variables (set-var / var()): the process scope is shared by every stream; the others
// belong to the session, transaction or message that creates them. A variable is written
// "<scope>.<name>"; each scope's map is keyed by <name>.
import type { Sample, SampleStream, VarScope } from './types.ts';
import type { Arg } from './arg.ts';
import { castSample, type CastType } from './casts.ts';

export const procVars = new Map<string, Sample>();

/** Scopes in HAProxy's order; "check" belongs to health checks, which streams never see. */
const SCOPES = ['proc', 'sess', 'txn', 'req', 'res', 'check'] as const;
type AnyScope = (typeof SCOPES)[number];

export interface VarName {
  readonly scope: AnyScope;
  readonly name: string;
}

const BAD_NAME = (t: string): string =>
  `invalid variable name '${t}'. A variable name must be start by its scope. ` +
  "The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'";

/** vars_check_arg(): "<scope>.<name>", names made of letters, digits, '.' and '_'. */
export function parseVarName(text: string): VarName | string {
  if (text === '') return 'Empty variable name cannot be accepted';
  const dot = text.indexOf('.');
  const scope = SCOPES.find((sc) => sc === text.slice(0, dot));
  const name = text.slice(dot + 1);
  if (dot < 0 || !scope || name === '') return BAD_NAME(text);
  const bad = /[^A-Za-z0-9._]/.exec(name);
  if (bad) return `invalid syntax at char '${name.slice(bad.index)}'`;
  return { scope, name };
}

/**
 * Turns a parsed variable argument into its run-time form: <str> holds the name without the
 * scope, <int> the scope's index. Returns the error text of <kind> ("set-var" style or the
 * shorter "failed to register variable name" of converter arguments).
 */
export function resolveVarArg(arg: Arg, kind: 'decl' | 'ref'): string | null {
  const v = parseVarName(arg.str);
  if (typeof v === 'string') return kind === 'decl' ? v : `failed to register variable name '${arg.str}'`;
  arg.type = 'var';
  arg.int = SCOPES.indexOf(v.scope);
  arg.str = v.name;
  return null;
}

function scopeOf(arg: Arg): VarScope | null {
  const sc = SCOPES[arg.int];
  return sc === undefined || sc === 'check' ? null : sc;
}

/** The value of a resolved variable argument, or null when unset. */
export function getVar(s: SampleStream, arg: Arg): Sample | null {
  const scope = scopeOf(arg);
  return scope ? s.vars(scope).get(arg.str) ?? null : null;
}

/** The variable cast to <type> (sample_conv_var2smp), or null when unset or not castable. */
export function getVarAs(s: SampleStream, arg: Arg, type: CastType): Sample | null {
  const v = getVar(s, arg);
  return v ? castSample(v, type) : null;
}

/** A variable keeps its own copy of the value, without the "may change" mark. */
export function setVar(s: SampleStream, arg: Arg, smp: Sample): void {
  const scope = scopeOf(arg);
  if (!scope) return;
  const value = Buffer.isBuffer(smp.value) ? Buffer.from(smp.value) : smp.value;
  s.vars(scope).set(arg.str, { type: smp.type, value });
}

export function unsetVar(s: SampleStream, arg: Arg): void {
  const scope = scopeOf(arg);
  if (scope) s.vars(scope).delete(arg.str);
}

// ---- set-var conditions (2.6) -----------------------------------------------------------------

const COND_BITS: Readonly<Record<string, number>> = {
  ifexists: 1, ifnotexists: 2, ifempty: 4, ifnotempty: 8, ifset: 16, ifnotset: 32, ifgt: 64, iflt: 128,
};

function isEmpty(smp: Sample): boolean {
  return (smp.type === 'str' || smp.type === 'bin' || smp.type === 'meth') && (smp.value as string | Buffer).length === 0;
}

/**
 * Whether all set-var conditions hold. Turnpike deletes unset variables, so "exists" and
 * "set" mean the same here (HAProxy keeps an unset variable as existing but not set).
 */
export function varConditionsHold(conds: number, old: Sample | null, input: Sample): boolean {
  if (conds & COND_BITS.ifexists! && !old) return false;
  if (conds & COND_BITS.ifnotexists! && old) return false;
  if (conds & COND_BITS.ifset! && !old) return false;
  if (conds & COND_BITS.ifnotset! && old) return false;
  if (conds & COND_BITS.ifempty! && !isEmpty(input)) return false;
  if (conds & COND_BITS.ifnotempty! && isEmpty(input)) return false;
  const ints = old !== null && old.type === 'sint' && input.type === 'sint';
  if (conds & COND_BITS.ifgt! && ints && !((old.value as number) > (input.value as number))) return false;
  if (conds & COND_BITS.iflt! && ints && !((old.value as number) < (input.value as number))) return false;
  return true;
}

/** Parses set-var condition words into a bit set; returns the error text for an unknown one. */
export function parseVarConditions(words: readonly string[]): number | string {
  let bits = 0;
  for (const w of words) {
    if (w === '') continue;
    const b = COND_BITS[w];
    if (b === undefined) return `unknown condition "${w}"`;
    bits |= b;
  }
  return bits;
}
