// Configuration of cookie persistence (configuration.txt 4.2): "cookie", "dynamic-cookie-key",
// "force-persist", "ignore-persist" and "option persist", parsed as HAProxy 2.6's
// cfgparse-listen.c does, with its texts. The server "cookie" option is in server-keywords.ts;
// persistence.ts applies all of it to requests and responses.
import { BE, BE_ONLY, registerProxyKeywords } from '../config/registry.ts';
import type { CookieConfig, ProxyConfig } from '../config/model.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
import { PhaseBit } from '../sample/types.ts';
import { parseRuleCondition } from '../actions/rule-condition.ts';
import { booleanOption } from './proxy-keywords.ts';
import { registerProxyOptions } from '../config/registry.ts';

const TIME_S: Readonly<Record<string, number>> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** parse_time_err() with seconds as the default unit, with HAProxy's texts for <kw>. */
function parseSeconds(v: string, kw: string): number | string {
  const m = /^(\d+)(us|ms|s|m|h|d)?/.exec(v);
  const end = m ? m[0].length : 0;
  if (!m || end < v.length) return `unexpected character '${v[end]}' in argument to <${kw}>.`;
  const sec = Math.floor(Number(m[1]) * TIME_S[m[2] ?? 's']!);
  if (sec > 2147483647) return `timer overflow in argument <${v}> to <${kw}>, maximum value is 2147483647 s (~68 years).`;
  return sec;
}

/** The first character not allowed in a cookie domain (invalid_domainchar()), or null. */
function invalidDomainChar(d: string): string | null {
  for (const c of d) if (!/[A-Za-z0-9._-]/.test(c)) return c;
  return null;
}

/**
 * Parses "cookie <name> [options]" (words from "cookie"); `prev` is the proxy's current
 * cookie, whose "attr" values carry over as in HAProxy. Returns the configuration or an error
 * text; warnings go to `warn`.
 */
export function parseCookie(args: readonly string[], prev: CookieConfig | null, warn: (text: string) => void): CookieConfig | string {
  const name = args[1] ?? '';
  if (name === '') return `'${args[0]}' expects <cookie_name> as argument.`;
  const c = {
    name, rewrite: false, insert: false, prefix: false, indirect: false, nocache: false, postonly: false, preserve: false,
    httponly: false, secure: false, domain: null as string | null, maxidle: 0, maxlife: 0, dynamic: false, attrs: prev?.attrs ?? null,
  };
  for (let i = 2; i < args.length; i++) {
    const w = args[i]!;
    const v = args[i + 1] ?? '';
    switch (w) {
      case 'rewrite': c.rewrite = true; break;
      case 'indirect': c.indirect = true; break;
      case 'insert': c.insert = true; break;
      case 'nocache': c.nocache = true; break;
      case 'postonly': c.postonly = true; break;
      case 'preserve': c.preserve = true; break;
      case 'prefix': c.prefix = true; break;
      case 'httponly': c.httponly = true; break;
      case 'secure': c.secure = true; break;
      case 'dynamic': c.dynamic = true; break;
      case 'domain': {
        if (v === '') return `'${w}' expects <domain> as argument.`;
        if (!v.includes('.')) warn(`domain '${v}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).`);
        const bad = invalidDomainChar(v);
        if (bad !== null) return `character '${bad}' is not permitted in domain name '${v}'.`;
        c.domain = c.domain === null ? v : `${c.domain}; domain=${v}`;
        i++;
        break;
      }
      case 'maxidle':
      case 'maxlife': {
        if (v === '') return `'${w}' expects <${w === 'maxidle' ? 'idletime' : 'lifetime'}> in seconds as argument.`;
        const t = parseSeconds(v, w);
        if (typeof t === 'string') return t;
        if (w === 'maxidle') c.maxidle = t;
        else c.maxlife = t;
        i++;
        break;
      }
      case 'attr': {
        if (v === '') return `'${w}' expects <value> as argument.`;
        for (let k = 0; k < v.length; k++) {
          const code = v.charCodeAt(k);
          if (code < 0x20 || code === 0x7f || code === 0x3b) return `character '%x${code.toString(16).toUpperCase().padStart(2, '0')}' is not permitted in attribute value.`;
        }
        c.attrs = c.attrs === null ? v : `${c.attrs}; ${v}`;
        i++;
        break;
      }
      default:
        return `'${args[0]}' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.`;
    }
  }
  if (c.rewrite && c.indirect) return "cookie 'rewrite' and 'indirect' modes are incompatible.";
  if (Number(c.rewrite) + Number(c.insert) + Number(c.prefix) > 1) return "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.";
  if (c.preserve && !c.insert && !c.indirect) return "cookie 'preserve' requires at least 'insert' or 'indirect'.";
  return c;
}

/**
 * Post-parse (check_config_validity()): cookies only work in HTTP mode; outside it HAProxy
 * warns and ignores them.
 */
export function validatePersistence(px: ProxyConfig, diag: Diagnostics): void {
  if (!px.isBackend || px.mode === 'http') return;
  const type = px.kind === 'listen' ? 'proxy' : 'backend';
  if (px.cookie) {
    diag.warning(null, `cookie will be ignored for ${type} '${px.name}' (needs 'mode http').`);
    px.cookie = null;
  }
  for (const s of px.servers) {
    if (s.cookie === null) continue;
    diag.warning(null, `${type} '${px.name}' : ignoring cookie for server '${s.name}' as HTTP mode is disabled.`);
    s.cookie = null;
  }
}

registerProxyKeywords(
  {
    name: 'cookie',
    sections: BE,
    parse(px, args, ctx) {
      // (sic) HAProxy has no space before the colon in these messages.
      const loc = `parsing [${ctx.loc.file}:${ctx.loc.line}]:`;
      const r = parseCookie(args, px.cookie, (text) => ctx.diag.warning(null, `${loc} ${text}`));
      if (typeof r === 'string') {
        if (/^'(domain|maxidle|maxlife|attr)' expects|^character|^unexpected character|^timer overflow/.test(r)) {
          ctx.diag.alert(null, `${loc} ${r}`);
          return;
        }
        return r;
      }
      px.cookie = r;
    },
  },
  {
    name: 'dynamic-cookie-key',
    sections: BE,
    parse(px, args) {
      if (!args[1]) return `'${args[0]}' expects <secret_key> as argument.`;
      px.dynamicCookieKey = args[1];
    },
  },
  ...(['force-persist', 'ignore-persist'] as const).map((name) => ({
    name,
    sections: BE_ONLY,
    parse(px: ProxyConfig, args: readonly string[], ctx: Parameters<typeof parseRuleCondition>[2]) {
      if (args[1] !== 'if' && args[1] !== 'unless') return `'${name}' requires either 'if' or 'unless' followed by a condition.`;
      const r = parseRuleCondition(px, args.slice(1), ctx, PhaseBit.L6ReqBe, `'${name}' rule`);
      if ('error' in r) return `error detected while parsing a '${name}' rule : ${r.error}.`;
      px.persistRules.push({ loc: ctx.loc, kind: name === 'force-persist' ? 'force' : 'ignore', cond: r.cond! });
    },
  })),
);

registerProxyOptions(booleanOption('persist', BE));
