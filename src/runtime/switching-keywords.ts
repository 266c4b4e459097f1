// Backend selection keywords: use_backend and default_backend (configuration.txt 4.2).
import { FE, FE_ONLY, registerProxyKeywords } from '../config/registry.ts';
import { compileLogFormat } from '../sample/index.ts';
import { parseRuleCondition } from '../actions/rule-condition.ts';
import { PhaseBit } from '../sample/types.ts';

registerProxyKeywords(
  {
    name: 'use_backend',
    sections: FE_ONLY,
    capStrict: true,
    parse(px, args, ctx) {
      const name = args[1];
      if (!name) return `'use_backend' expects a backend name.`;
      const r = parseRuleCondition(px, args.slice(2), ctx, PhaseBit.UseBackend, '');
      if ('error' in r) return `error detected while parsing switching rule : ${r.error}`;
      let dynamic = null;
      if (name.includes('%[')) {
        const lf = compileLogFormat(name, { proxyName: px.name }, PhaseBit.UseBackend);
        if (typeof lf === 'string') return `'use_backend' : ${lf}`;
        dynamic = lf;
      }
      px.useBackends.push({ loc: ctx.loc, name, dynamic, cond: r.cond });
    },
  },
  {
    name: 'default_backend',
    sections: FE,
    parse(px, args, ctx) {
      if (args.length !== 2) return `'default_backend' expects a backend name.`;
      if (px.defaultBackend && px.defaultBackend.loc.file !== '' && px.kind !== 'defaults' && px.defaultBackend.loc !== px.loc) {
        ctx.diag.warning(ctx.loc, `'default_backend' : overriding previous 'default_backend' of ${px.kind} '${px.name}'.`);
      }
      px.defaultBackend = { name: args[1]!, loc: ctx.loc };
    },
  },
);
