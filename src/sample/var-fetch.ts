// The var() fetch and the set-var/unset-var converters (HAProxy's vars.c).
import { registerFetches } from './fetch.ts';
import { registerConverters } from './converters.ts';
import { getVar, parseVarConditions, resolveVarArg, setVar, unsetVar, varConditionsHold } from './vars.ts';

// ---- registrations -----------------------------------------------------------------------------------

registerFetches({
  // var(<name>[,<default>]): the default is returned as a string when the variable is unset
  name: 'var', args: { types: ['str', 'str'], min: 1 }, out: 'any', use: 'internal',
  validate: (a) => resolveVarArg(a[0]!, 'decl'),
  fn: (s, a) => {
    const v = getVar(s, a[0]!);
    if (v) return v;
    return a[1] ? { type: 'str', value: a[1].str } : null;
  },
});

registerConverters(
  {
    name: 'set-var', args: { types: ['str', 'str', 'str', 'str', 'str'], min: 1 }, in: 'any', out: 'any',
    validate: (a) => {
      const err = resolveVarArg(a[0]!, 'decl');
      if (err) return err;
      const conds = parseVarConditions(a.slice(1).map((x) => x.str));
      if (typeof conds === 'string') return conds;
      a[0]!.ip6 = BigInt(conds);
      return null;
    },
    fn: (smp, a, s) => {
      const conds = Number(a[0]!.ip6);
      // the input passes through only when the variable could be set
      if (conds !== 0 && !varConditionsHold(conds, getVar(s, a[0]!), smp)) return null;
      setVar(s, a[0]!, smp);
      return smp;
    },
  },
  {
    name: 'unset-var', args: { types: ['str'], min: 1 }, in: 'any', out: 'any',
    validate: (a) => resolveVarArg(a[0]!, 'decl'),
    fn: (smp, a, s) => {
      unsetVar(s, a[0]!);
      return smp;
    },
  },
);
