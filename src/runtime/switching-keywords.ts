// Backend selection keywords: use_backend and default_backend (configuration.txt 4.2).
import { FE, FE_ONLY, registerProxyKeywords, type ParseContext } from '../config/registry.ts';
import type { ProxyConfig } from '../config/model.ts';
import { compileLogFormat, parseCondition, aclContext } from '../sample/index.ts';
import { PhaseBit } from '../sample/types.ts';

function ruleCondition(px: ProxyConfig, words: readonly string[], ctx: ParseContext, what: string) {
  if (words.length === 0) return { cond: null };
  if (words[0] !== 'if' && words[0] !== 'unless') {
    return { error: `${what} : expects 'if' or 'unless' followed by a condition but found '${words[0]}'.` };
  }
  const cond = parseCondition([...words], aclContext(px, ctx));
  if (typeof cond === 'string') return { error: `error detected while parsing switching rule : ${cond}` };
  return { cond };
}

registerProxyKeywords(
  {
    name: 'use_backend',
    sections: FE_ONLY,
    capStrict: true,
    parse(px, args, ctx) {
      const name = args[1];
      if (!name) return `'use_backend' expects a backend name.`;
      const r = ruleCondition(px, args.slice(2), ctx, `'use_backend'`);
      if ('error' in r) return r.error;
      let dynamic = null;
      if (name.includes('%[')) {
        const lf = compileLogFormat(name, aclContext(px, ctx), px.mode === 'http' ? PhaseBit.L7ReqFe : PhaseBit.L6ReqFe);
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
