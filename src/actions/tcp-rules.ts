// tcp-request connection/session/content rules and tcp-request inspect-delay (configuration.txt 4.2).
import { FE_ONLY, NO_DEFAULTS, registerProxyKeywords } from '../config/registry.ts';
import type { TcpAction, TcpRule } from '../config/model.ts';
import { parseTime } from '../config/units.ts';
import { parseRuleCondition } from './rule-condition.ts';
import { PhaseBit } from '../sample/types.ts';

/** Actions each rule set accepts (the ones Turnpike implements). */
const ACTIONS: Readonly<Record<'connection' | 'session' | 'content', readonly TcpAction[]>> = {
  connection: ['accept', 'reject', 'expect-proxy'],
  session: ['accept', 'reject'],
  content: ['accept', 'reject'],
};

/** HAProxy's tcp-request actions, to tell "not supported yet" from "unknown". */
const HAPROXY_ACTIONS = new Set([
  'accept', 'reject', 'expect-proxy', 'expect-netscaler-cip', 'capture', 'track-sc0', 'track-sc1', 'track-sc2',
  'sc-inc-gpc', 'sc-inc-gpc0', 'sc-inc-gpc1', 'sc-set-gpt0', 'sc-set-gpt', 'sc-add-gpc', 'set-src', 'set-src-port',
  'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'set-var', 'set-var-fmt', 'unset-var', 'silent-drop',
  'set-log-level', 'set-nice', 'set-priority-class', 'set-priority-offset', 'switch-mode', 'use-service',
  'do-resolve', 'send-spoe-group', 'set-bandwidth-limit', 'lua', 'close', 'attach-srv',
]);

registerProxyKeywords({
  name: 'tcp-request',
  sections: NO_DEFAULTS,
  parse(px, args, ctx) {
    const kind = args[1];
    if (kind === 'inspect-delay') {
      if (args.length !== 3) return `'tcp-request inspect-delay' expects a timeout value.`;
      const t = parseTime(args[2]!);
      if (typeof t === 'string') return `'tcp-request inspect-delay' : ${t}`;
      px.inspectDelay = t;
      return;
    }
    if (kind !== 'connection' && kind !== 'session' && kind !== 'content') {
      return `'tcp-request' expects 'inspect-delay', 'connection', 'session' or 'content' but got '${kind ?? ''}'`;
    }
    if ((kind === 'connection' || kind === 'session') && !FE_ONLY.includes(px.kind)) {
      ctx.diag.warning(ctx.loc, `'tcp-request ${kind}' ignored because ${px.kind} '${px.name}' has no frontend capability.`);
      return;
    }
    const action = args[2];
    let next = 3;
    if (action === undefined) return `'tcp-request ${kind}' expects an action.`;
    if (action === 'expect-proxy') {
      if (args[3] !== 'layer4') return `'tcp-request connection expect-proxy' expects 'layer4'.`;
      next = 4;
    }
    if (!(ACTIONS[kind] as readonly string[]).includes(action)) {
      if (HAPROXY_ACTIONS.has(action)) return `'tcp-request ${kind} ${action}' is not supported by Turnpike yet.`;
      return `'tcp-request ${kind}' expects 'accept', 'reject', 'expect-proxy', 'track-sc0' ... but got '${action}'`;
    }
    const phase = kind === 'connection' ? PhaseBit.L4Conn
      : kind === 'session' ? PhaseBit.L5Sess
        : px.isFrontend ? PhaseBit.L6ReqFe : PhaseBit.L6ReqBe;
    const r = parseRuleCondition(px, args.slice(next), ctx, phase, `${px.isFrontend ? 'frontend' : 'backend'} tcp-request ${kind} rule`);
    if ('error' in r) return `'tcp-request ${kind} ${action}' : ${r.error}`;
    const cond = r.cond;
    const rule: TcpRule = { loc: ctx.loc, action: action as TcpAction, cond };
    if (kind === 'connection') px.tcpRequestConnection.push(rule);
    else if (kind === 'session') px.tcpRequestSession.push(rule);
    else px.tcpRequestContent.push(rule);
  },
});
