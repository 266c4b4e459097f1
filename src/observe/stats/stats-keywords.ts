// The "stats" proxy keywords (configuration.txt 4.2) configuring a proxy's HTTP statistics
// page, and "option socket-stats" (one stats line per listener). Any "stats" keyword enables
// the page, with HAProxy's default URI, as its stats_check_init_uri_auth() does.
import { ALL, FE, registerProxyKeywords, type ParseContext } from '../../config/registry.ts';
import type { ProxyConfig, StatsConfig, StatsHttpRule } from '../../config/model.ts';
import type { Diagnostics } from '../../config/diagnostics.ts';
import { booleanOption } from '../../runtime/proxy-keywords.ts';
import { registerProxyOptions } from '../../config/registry.ts';
import { parseRuleCondition } from '../../actions/rule-condition.ts';
import { PhaseBit } from '../../sample/types.ts';
import { parseCliTime } from '../cli/keywords.ts';

export const STATS_DEFAULT_URI = '/haproxy?stats';
export const STATS_DEFAULT_REALM = 'HAProxy Statistics';

const EXPECTS = "expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'";

function statsOf(px: ProxyConfig): StatsConfig {
  px.stats ??= {
    uri: STATS_DEFAULT_URI, realm: null, auths: [], refresh: 0, admin: [], hideVersion: false, showNode: null,
    showDesc: null, showLegends: false, showModules: false, scopes: [], httpRules: [],
  };
  return px.stats;
}

/** HAProxy prints some of these messages as "parsing [file:line]: text" (no space before the colon). */
function tight(ctx: ParseContext, text: string): string | void {
  ctx.diag.alert(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: ${text}`);
}

function parseHttpRule(px: ProxyConfig, args: readonly string[], ctx: ParseContext): string | void {
  const action = args[2];
  if (action !== 'allow' && action !== 'deny' && action !== 'auth') {
    return tight(ctx, `'stats http-request' supports only 'allow', 'deny' and 'auth' in Turnpike, but got '${action ?? ''}'${action ? '' : ' (missing argument)'}.`);
  }
  let i = 3;
  let realm: string | null = null;
  if (action === 'auth' && args[i] === 'realm') {
    realm = args[i + 1] ?? null;
    if (!realm) return `error detected in proxy '${px.name}' while parsing 'http-request auth' rule : missing realm value.\n.`;
    i += 2;
  }
  const rest = args.slice(i);
  if (rest.length > 0 && rest[0] !== 'if' && rest[0] !== 'unless') {
    return tight(ctx, `'http-request ${action}' expects either 'if' or 'unless' followed by a condition but found '${rest[0]}'.`);
  }
  const r = parseRuleCondition(px, rest, ctx, PhaseBit.L7ReqFe, 'stats http-request');
  if ('error' in r) return r.error;
  const rule: StatsHttpRule = { action, realm, cond: r.cond };
  statsOf(px).httpRules.push(rule);
}

registerProxyKeywords({
  name: 'stats',
  sections: ALL,
  parse(px, args, ctx) {
    const sub = args[1];
    if (!sub) return tight(ctx, `missing keyword in 'stats', ${EXPECTS}.`);
    if ((sub === 'admin' || sub === 'http-request') && px.kind === 'defaults') {
      return tight(ctx, `'stats ${sub}' not allowed in 'defaults' section.`);
    }
    switch (sub) {
      case 'enable':
        statsOf(px);
        return;
      case 'uri':
        if (!args[2]) return `'uri' needs an URI prefix.`;
        statsOf(px).uri = args[2];
        return;
      case 'realm':
        if (!args[2]) return `'realm' needs an realm name.`;
        statsOf(px).realm = args[2];
        return;
      case 'auth':
        if (!args[2]) return `'auth' needs a user:password account.`;
        statsOf(px).auths.push(args[2]);
        return;
      case 'scope':
        if (!args[2]) return `'scope' needs a proxy name.`;
        statsOf(px).scopes.push(args[2]);
        return;
      case 'refresh': {
        const t = parseCliTime(args[2] ?? '', 'ms');
        if ('bad' in t) return tight(ctx, `unexpected character '${t.bad}' in argument to stats refresh interval.`);
        statsOf(px).refresh = Math.floor(t.ms / 1000);
        return;
      }
      case 'admin': {
        if (args[2] !== 'if' && args[2] !== 'unless') return `'stats admin' requires either 'if' or 'unless' followed by a condition.`;
        const r = parseRuleCondition(px, args.slice(2), ctx, PhaseBit.L7ReqFe, 'stats admin rule');
        if ('error' in r) return r.error;
        if (r.cond) statsOf(px).admin.push(r.cond);
        return;
      }
      case 'http-request':
        return parseHttpRule(px, args, ctx);
      case 'hide-version':
        statsOf(px).hideVersion = true;
        return;
      case 'show-legends':
        statsOf(px).showLegends = true;
        return;
      case 'show-modules':
        statsOf(px).showModules = true;
        return;
      case 'show-node':
        statsOf(px).showNode = args[2] ?? '';
        return;
      case 'show-desc': {
        const desc = args.slice(2).join(' ');
        if (!desc && !ctx.config.global.description) {
          ctx.diag.warning(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: 'show-desc' requires a parameter or 'desc' to be set in the global section.`);
        }
        statsOf(px).showDesc = desc;
        return;
      }
      default:
        return tight(ctx, `unknown stats parameter '${sub}', ${EXPECTS}.`);
    }
  },
});

registerProxyOptions(booleanOption('socket-stats', FE));

/** Post-parse check (check_config_validity()): the page needs an HTTP proxy. */
export function checkStatsMode(px: ProxyConfig, diag: Diagnostics): void {
  if (px.stats && px.mode !== 'http') {
    diag.warning(null, `'stats' statement ignored for proxy '${px.name}' as it requires HTTP mode.`);
    px.stats = null;
  }
}
