// Capture slots (logged as %hr / %hs, read by capture.req.hdr / capture.res.hdr): declared by
// "capture request|response header", "declare capture" and "http-request capture ... len",
// filled by header captures and the capture actions. Slots belong to the frontend.
import { registerProxyKeywords, ALL } from '../../config/registry.ts';
import type { ProxyConfig } from '../../config/model.ts';
import type { HttpHeaders } from '../../protocols/http1/message.ts';
import type { SampleExpr } from '../../sample/types.ts';
import { sampleToString } from '../../sample/casts.ts';
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import { compileExpr, type ActionParser } from './env.ts';

export interface CaptureSlot {
  /** Lower-cased header name for "capture request/response header"; null for other slots. */
  readonly header: string | null;
  /** Longest value kept, in bytes. */
  readonly len: number;
}

/**
 * Captures the declared headers of a request or response head into `out` (sized like the
 * slots): the last line of each header wins, truncated to the slot length. The stream calls
 * this right after parsing a head, before the rules run, as HAProxy does.
 */
export function captureHeaders(slots: readonly CaptureSlot[], headers: HttpHeaders, out: (string | null)[]): void {
  for (let s = 0; s < slots.length; s++) {
    const slot = slots[s]!;
    if (slot.header === null) continue;
    for (let i = headers.indexOf(slot.header); i >= 0; i = headers.indexOf(slot.header, i + 1)) {
      const v = headers.values[i]!;
      out[s] = v.length > slot.len ? v.slice(0, slot.len) : v;
    }
  }
}

export class CaptureAction implements HttpAction {
  readonly name = 'capture';
  readonly id: number;
  readonly response: boolean;
  /** The length given with "len"; with "id", the frontend slot's length applies. */
  private readonly len: number;
  private readonly expr: SampleExpr;

  constructor(expr: SampleExpr, id: number, len: number, response: boolean) {
    this.expr = expr;
    this.id = id;
    this.len = len;
    this.response = response;
  }

  run(t: HttpRuleTarget): Verdict {
    const txn = t.txn;
    const out = this.response ? txn.resCaptures : txn.reqCaptures;
    // A backend rule may name a slot the frontend of this stream does not have: ignored.
    if (this.id >= out.length) return Verdict.Continue;
    const smp = this.expr.eval(t);
    const v = smp ? sampleToString(smp) : null;
    if (v === null) return Verdict.Continue;
    const slots = this.response ? t.feConfig.resCaptures : t.feConfig.reqCaptures;
    const len = this.len > 0 ? this.len : (slots[this.id]?.len ?? 0);
    out[this.id] = v.length > len ? v.slice(0, len) : v;
    return Verdict.Continue;
  }
}

/** C's strtol with nothing allowed after the digits. */
function strictInt(text: string): number | null {
  return /^\s*[+-]?\d+$/.test(text) ? Number(text) : null;
}

export const parseCaptureAction: ActionParser = (args, i, env) => {
  const usage = env.response ? 'expects <expression> id <idx>' : "expects <expression> [ 'len' <length> | id <idx> ]";
  if (args[i] === undefined || args[i + 1] === undefined || args[i + 2] === undefined) return usage;
  const expr = compileExpr(args, i, env, 'capture');
  if (typeof expr === 'string') return expr;
  const kw = args[i + 1]!;
  const v = args[i + 2]!;
  if (kw === 'len' && !env.response) {
    if (!env.px.isFrontend && env.px.kind !== 'defaults') return `proxy '${env.px.name}' has no frontend capability`;
    const len = /^\s*[+-]?\d+/.exec(v) ? parseInt(v, 10) : 0;
    if (!(len > 0)) return 'length must be > 0';
    const id = env.px.reqCaptures.length;
    env.px.reqCaptures.push({ header: null, len });
    return { action: new CaptureAction(expr, id, len, false), next: i + 3 };
  }
  if (kw !== 'id') return env.response ? `expects 'id', found '${kw}'` : `expects 'len' or 'id', found '${kw}'`;
  const id = strictInt(v);
  if (id === null) return `cannot parse id '${v}'`;
  return { action: new CaptureAction(expr, id, 0, env.response), next: i + 3 };
};

/** After parsing: in a proxy with a frontend, "id" must name a declared slot. */
export function checkCaptureIds(px: ProxyConfig, rules: readonly { action: HttpAction }[], set: string): string | null {
  for (const r of rules) {
    const a = r.action;
    if (!(a instanceof CaptureAction)) continue;
    const slots = a.response ? px.resCaptures : px.reqCaptures;
    if (a.id < 0 || a.id >= slots.length) return `Proxy '${px.name}': unable to find capture id '${a.id}' referenced by ${set} capture rule.`;
  }
  return null;
}

registerProxyKeywords(
  {
    name: 'capture',
    sections: ALL,
    parse(px, args, ctx) {
      if (px.kind === 'backend') {
        ctx.diag.warning(ctx.loc, `'capture' ignored because backend '${px.name}' has no frontend capability.`);
        return;
      }
      const dir = args[1];
      if (dir === 'cookie') return `'capture cookie' is not supported by Turnpike yet.`;
      if (dir !== 'request' && dir !== 'response') return `'capture' expects 'cookie' or 'request header' or 'response header'.`;
      if (px.kind === 'defaults') return `'capture ${dir}' not allowed in 'defaults' section.`;
      if (args[2] !== 'header' || !args[3] || args[4] !== 'len' || !args[5]) {
        return `'capture ${dir}' expects 'header' <header_name> 'len' <len>.`;
      }
      const len = /^\s*[+-]?\d+/.exec(args[5]) ? parseInt(args[5], 10) : 0;
      (dir === 'request' ? px.reqCaptures : px.resCaptures).push({ header: args[3].toLowerCase(), len: Math.max(0, len) });
    },
  },
  {
    name: 'declare',
    sections: ALL,
    parse(px, args) {
      if (!px.isFrontend) return `'declare' only available in frontend or listen section`;
      if (args[1] !== 'capture') return `unknown declaration type '${args[1] ?? ''}' (supports 'capture')`;
      const dir = args[2];
      if (dir !== 'request' && dir !== 'response') return `'declare capture' requires a direction ('request' or 'response')`;
      if (args[3] !== 'len' || !args[4]) return `'declare capture' requires a capture length ('len')`;
      const len = strictInt(args[4]);
      if (len === null) return `'declare capture': cannot parse the length '${args[3]}'.`;
      if (len <= 0) return 'length must be > 0';
      (dir === 'request' ? px.reqCaptures : px.resCaptures).push({ header: null, len });
    },
  },
);
