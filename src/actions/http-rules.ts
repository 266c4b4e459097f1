// http-request, http-response, http-after-response and redirect rules (configuration.txt
// 4.2): parsing with HAProxy's checks and messages, the load-time checks that need the whole
// configuration, and the evaluator the HTTP stream runs.
import { registerProxyKeywords, ALL, NO_DEFAULTS, type ParseContext } from '../config/registry.ts';
import type { Config, ProxyConfig } from '../config/model.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
import { wordFingerprint, fingerprintDistance } from '../config/suggest.ts';
import { PhaseBit, type Condition, type Phase } from '../sample/types.ts';
import { checkUsableDetailed, parseCondition } from '../sample/index.ts';
import { aclContext } from './rule-condition.ts';
import { Verdict, type HttpRule, type HttpRuleTarget } from './http-rule-target.ts';
import { compileFmt, type ActionEnv, type ActionParser, type RuleSet } from './http/env.ts';
import { HEADER_ACTIONS } from './http/headers.ts';
import { URI_ACTIONS } from './http/uri.ts';
import { FINAL_ACTIONS, ReplyAction } from './http/final.ts';
import { FLOW_ACTIONS } from './http/flow.ts';
import { isVarAction, parseVarAction } from './http/vars.ts';
import { checkCaptureIds, parseCaptureAction } from './http/capture.ts';
import { parseRedirect } from './http/redirect.ts';
import { parseUseService } from './http/service.ts';
import { parseNormalizeUri } from './http/normalize-uri.ts';
import { resolveErrorPages, resolveRuleReply } from '../protocols/http1/errors.ts';

// ---- evaluation ------------------------------------------------------------------------------

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

/**
 * The request rules of one proxy, as HAProxy runs them (http_process_req_common): its
 * http-request rules, then, unless they ended the transaction, its "redirect" rules. "allow"
 * only ends the http-request rules. `from` resumes a yielded http-request rule.
 */
export function runRequestRules(px: ProxyConfig, t: HttpRuleTarget, from = 0): Verdict {
  const v = runHttpRules(px.httpRequestRules, t, from);
  if (v !== Verdict.Continue && v !== Verdict.Allow) return v;
  return runHttpRules(px.redirectRules, t);
}

/**
 * http-after-response rules: the backend's, then the frontend's when it is another proxy
 * (HAProxy's http_eval_after_res_rules). They only rewrite; `t.txn.res` must be the response
 * being sent, including replies made by the proxy.
 */
export function runAfterResponseRules(be: ProxyConfig | null, fe: ProxyConfig, t: HttpRuleTarget): void {
  if (be) runHttpRules(be.httpAfterResponseRules, t);
  if (fe !== be) runHttpRules(fe.httpAfterResponseRules, t);
}

// ---- the actions each rule set accepts ---------------------------------------------------------

const REQUEST: Readonly<Record<string, ActionParser>> = {
  ...HEADER_ACTIONS, ...URI_ACTIONS, ...FINAL_ACTIONS,
  allow: FLOW_ACTIONS.allow!, reject: FLOW_ACTIONS.reject!, 'set-log-level': FLOW_ACTIONS['set-log-level']!,
  'wait-for-body': FLOW_ACTIONS['wait-for-body']!,
  capture: parseCaptureAction,
  redirect: parseRedirectAction,
  'use-service': parseUseService,
  'normalize-uri': parseNormalizeUri,
};

/** Actions HAProxy 2.6 only accepts after the global "expose-experimental-directives". */
const EXPERIMENTAL: ReadonlySet<string> = new Set(['normalize-uri']);

const RESPONSE: Readonly<Record<string, ActionParser>> = {
  ...HEADER_ACTIONS,
  allow: FLOW_ACTIONS.allow!, 'set-log-level': FLOW_ACTIONS['set-log-level']!, 'set-status': FLOW_ACTIONS['set-status']!,
  'wait-for-body': FLOW_ACTIONS['wait-for-body']!,
  deny: FINAL_ACTIONS.deny!, return: FINAL_ACTIONS.return!,
  capture: parseCaptureAction,
  redirect: parseRedirectAction,
};

const AFTER_RESPONSE: Readonly<Record<string, ActionParser>> = {
  ...HEADER_ACTIONS,
  allow: FLOW_ACTIONS.allow!, 'set-status': FLOW_ACTIONS['set-status']!,
  capture: parseCaptureAction,
};

function parseRedirectAction(args: readonly string[], i: number, env: ActionEnv): ReturnType<ActionParser> {
  return parseRedirect(args, i, { compile: (text) => compileFmt(text, env), response: env.response });
}

/**
 * HAProxy 2.6's actions of each rule set, in the order of its "expects ..." message (the
 * Debian build, with the OpenTracing 'ot-group'); "(*)" marks prefix keywords ("set-var(x)").
 */
const HAPROXY_ACTIONS: Readonly<Record<RuleSet, readonly string[]>> = {
  'http-request': [
    'wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)',
    'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'cache-use', 'add-acl(*)',
    'add-header', 'allow', 'auth', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry',
    'early-hint', 'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', 'replace-uri',
    'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', 'set-pathq', 'set-query', 'set-uri',
    'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)',
    'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class',
    'set-priority-offset',
  ],
  'http-response': [
    'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)',
    'sc-set-gpt0(*)', 'send-spoe-group', 'cache-store', 'add-acl(*)', 'add-header', 'allow', 'capture', 'del-acl(*)',
    'del-header', 'del-map(*)', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-map(*)',
    'set-status', 'strict-mode', 'track-sc(*)', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark',
    'set-tos', 'silent-drop',
  ],
  'http-after-response': [
    'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status',
    'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)',
  ],
};

const TABLES: Readonly<Record<RuleSet, Readonly<Record<string, ActionParser>>>> = {
  'http-request': REQUEST, 'http-response': RESPONSE, 'http-after-response': AFTER_RESPONSE,
};

/** The HAProxy keyword an action word falls under (prefix keywords match "name(...)" and more). */
function haproxyKeyword(set: RuleSet, word: string): string | null {
  for (const k of HAPROXY_ACTIONS[set]) {
    if (k.endsWith('(*)') ? word.startsWith(k.slice(0, -3)) : word === k) return k;
  }
  return null;
}

/**
 * HAProxy's suggestion for an unknown action (action_suggest): the closest keyword, with a
 * 3x length tolerance instead of 2x for prefix keywords.
 */
function suggestAction(set: RuleSet, word: string): string | null {
  const fp = wordFingerprint(word);
  let best: string | null = null;
  let bestPrefix = false;
  let bestDist = Infinity;
  for (const k of HAPROXY_ACTIONS[set]) {
    const prefix = k.endsWith('(*)');
    const name = prefix ? k.slice(0, -3) : k;
    const d = fingerprintDistance(fp, wordFingerprint(name));
    if (d < bestDist) {
      bestDist = d;
      best = name;
      bestPrefix = prefix;
    }
  }
  if (best === null) return null;
  const tol = bestPrefix ? 3 : 2;
  const len = Buffer.byteLength(word);
  return bestDist > tol * len || bestDist > tol * Buffer.byteLength(best) ? null : best;
}

function unknownActionMessage(set: RuleSet, word: string | undefined): string {
  const list = HAPROXY_ACTIONS[set].map((k) => `'${k}', `).join('');
  if (word === undefined) return `'${set}' expects ${list}but got '' (missing argument).`;
  const s = suggestAction(set, word);
  return `'${set}' expects ${list}but got '${word}'.${s ? ` Did you mean '${s}' maybe ?` : ''}`;
}

// ---- parsing ------------------------------------------------------------------------------------

/** How HAProxy names a proxy in messages (proxy_type_str): a listen section is a "proxy". */
function proxyWord(px: ProxyConfig): string {
  return px.kind === 'listen' ? 'proxy' : px.kind;
}

function tight(ctx: ParseContext, text: string): void {
  ctx.diag.alert(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: ${text}`);
}

/** Where a rule set's conditions and expressions are checked (HAProxy's SMP_VAL_*_HRQ/HRS_HDR). */
function rulePhase(px: ProxyConfig, set: RuleSet): { cond: Phase; expr: Phase } {
  if (set !== 'http-request') return { cond: PhaseBit.L7Res, expr: PhaseBit.L7Res };
  const fe = px.kind !== 'backend';
  const be = px.kind !== 'frontend';
  return { cond: fe ? PhaseBit.L7ReqFe : PhaseBit.L7ReqBe, expr: (fe ? PhaseBit.L7ReqFe : 0) | (be ? PhaseBit.L7ReqBe : 0) };
}

/** HAProxy names the response checkpoint after the proxy's side; Turnpike has one bit for both. */
function responseWording(px: ProxyConfig, text: string): string {
  return px.kind === 'frontend' ? text.replace("'backend http-response header rule'", "'frontend http-response header rule'") : text;
}

/** Parses "if|unless <condition>" from args[i]; reports errors and warnings. Returns undefined on error. */
function parseRuleCond(
  px: ProxyConfig, args: readonly string[], i: number, ctx: ParseContext, phase: Phase, errPrefix: string,
): Condition | null | undefined {
  if (i >= args.length) return null;
  const cond = parseCondition(args.slice(i), aclContext(px, ctx));
  if (typeof cond === 'string') {
    ctx.diag.alert(ctx.loc, `${errPrefix}${cond}.`);
    return undefined;
  }
  const problem = checkUsableDetailed(cond, phase, '');
  if (problem) {
    const text = responseWording(px, problem.text);
    if (problem.level === 'alert') {
      ctx.diag.alert(ctx.loc, text);
      return undefined;
    }
    ctx.diag.warning(ctx.loc, text);
  }
  return cond;
}

function rulesOf(px: ProxyConfig, set: RuleSet): HttpRule[] {
  return set === 'http-request' ? px.httpRequestRules : set === 'http-response' ? px.httpResponseRules : px.httpAfterResponseRules;
}

/** Actions after which no rule of the set runs (HAProxy's ACT_FLAG_FINAL). */
const FINAL = new Set(['allow', 'deny', 'reject', 'tarpit', 'return', 'auth', 'redirect']);

function parseRule(set: RuleSet, px: ProxyConfig, args: readonly string[], ctx: ParseContext): string | void {
  if (px.kind === 'defaults' && px.name === '') return `'${set}' not allowed in anonymous 'defaults' section.`;
  const rules = rulesOf(px, set);
  const last = rules[rules.length - 1];
  if (last && last.cond === null && FINAL.has(last.action.name)) {
    ctx.diag.warning(null, `parsing [${ctx.loc.file}:${ctx.loc.line}]: previous '${set}' action is final and has no condition attached, further entries are NOOP.`);
  }
  const word = args[1];
  const table = TABLES[set];
  const parser = word === undefined ? undefined
    : Object.hasOwn(table, word) ? table[word]
      : isVarAction(word) ? parseVarAction : undefined;
  if (!parser) {
    const known = word === undefined ? null : haproxyKeyword(set, word);
    if (known) return `'${set} ${word}' is not supported by Turnpike yet.`;
    tight(ctx, unknownActionMessage(set, word));
    return;
  }
  if (EXPERIMENTAL.has(word!) && !ctx.config.global.exposeExperimental) {
    return `'${word}' action is experimental, must be allowed via a global 'expose-experimental-directives'`;
  }
  const phases = rulePhase(px, set);
  const env: ActionEnv = { px, ctx, set, response: set !== 'http-request', phase: phases.expr };
  const r = parser(args, 2, env);
  if (typeof r === 'string') {
    return `error detected in ${proxyWord(px)} '${px.name}' while parsing '${set} ${word}' rule : ${responseWording(px, r)}.`;
  }
  const next = args[r.next];
  if (next !== undefined && next !== 'if' && next !== 'unless') {
    tight(ctx, `'${set} ${word}' expects either 'if' or 'unless' followed by a condition but found '${next}'.`);
    return;
  }
  const cond = parseRuleCond(px, args, r.next, ctx, phases.cond, `error detected while parsing an '${set} ${word}' condition : `);
  if (cond === undefined) return;
  rules.push({ loc: ctx.loc, cond, action: r.action });
}

registerProxyKeywords(
  ...(['http-request', 'http-response', 'http-after-response'] as const).map((set) => ({
    name: set,
    sections: ALL,
    parse: (px: ProxyConfig, args: readonly string[], ctx: ParseContext) => parseRule(set, px, args, ctx),
  })),
  {
    name: 'redirect',
    sections: NO_DEFAULTS,
    parse(px, args, ctx) {
      const r = parseRedirect(args, 1, { compile: null, response: false });
      const prefix = `error detected in ${proxyWord(px)} '${px.name}' while parsing redirect rule : `;
      if (typeof r === 'string') return `${prefix}${r}.`;
      const cond = parseRuleCond(px, args, r.next, ctx, rulePhase(px, 'http-request').cond, `${prefix}error in condition: `);
      if (cond === undefined) return;
      px.redirectRules.push({ loc: ctx.loc, cond, action: r.action });
    },
  },
);

// ---- checks on the whole configuration -----------------------------------------------------

const SET_NAMES: readonly [RuleSet | 'redirect', (px: ProxyConfig) => readonly HttpRule[]][] = [
  ['http-request', (px) => px.httpRequestRules],
  ['http-response', (px) => px.httpResponseRules],
  ['http-after-response', (px) => px.httpAfterResponseRules],
  ['redirect', (px) => px.redirectRules],
];

function hasRules(px: ProxyConfig): boolean {
  return px.httpRequestRules.length > 0 || px.httpResponseRules.length > 0 || px.httpAfterResponseRules.length > 0;
}

/**
 * Checks and resolutions that need every section: error pages and "errorfiles" replies
 * (http-errors sections may come later in the files), capture slot ids, rules in TCP
 * proxies, and defaults sections with rules shared by frontends and backends. The
 * configuration validation calls it once parsing is over.
 */
export function checkHttpConfig(config: Config, diag: Diagnostics): void {
  // A defaults section with rules serves either frontends or backends, never both.
  const users = new Map<ProxyConfig, number>();
  const order = (px: ProxyConfig): number => config.files.indexOf(px.loc.file) * 1e9 + px.loc.line;
  for (const px of [...config.defaults, ...config.proxies].sort((a, b) => order(a) - order(b))) {
    const d = px.defaults;
    if (!d || !hasRules(d)) continue;
    const where = `parsing [${px.loc.file}:${px.loc.line}]:`;
    const at = `(defaults section at ${d.loc.file}:${d.loc.line})`;
    if (px.kind === 'defaults') {
      diag.alert(null, `${where} a defaults section cannot inherit from a defaults section defining TCP/HTTP rules ${at}.`);
      continue;
    }
    const caps = (px.kind !== 'backend' ? 1 : 0) | (px.kind !== 'frontend' ? 2 : 0);
    const before = users.get(d) ?? 0;
    users.set(d, before | caps);
    if (before !== 3 && (before | caps) === 3) {
      diag.alert(null, `${where} frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules ${at}.`);
    }
  }
  for (const px of config.proxies) {
    for (const [set, rules] of SET_NAMES) {
      for (const r of rules(px)) if (r.action instanceof ReplyAction) resolveRuleReply(r.action.reply, px, config, diag);
      if (px.mode !== 'http' && rules(px).length > 0) {
        diag.warning(null, `'${set}' rules ignored for ${proxyWord(px)} '${px.name}' as they require HTTP mode.`);
      }
    }
    if (px.isFrontend) {
      const err = checkCaptureIds(px, px.httpRequestRules, 'http-request')
        ?? checkCaptureIds(px, px.httpResponseRules, 'http-response')
        ?? checkCaptureIds(px, px.httpAfterResponseRules, 'http-after-response');
      if (err) diag.alert(null, err);
    }
    if (px.kind === 'backend' && px.defaults && (px.defaults.reqCaptures.length > 0 || px.defaults.resCaptures.length > 0)) {
      const d = px.defaults;
      diag.alert(null, `parsing [${px.loc.file}:${px.loc.line}]: backend or defaults sections cannot inherit from a defaults section defining capptures (defaults section at ${d.loc.file}:${d.loc.line}).`);
    }
  }
  // Error pages come last, as HAProxy's post-proxy checks.
  for (const px of config.proxies) resolveErrorPages(px, config, diag);
}
