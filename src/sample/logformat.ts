// Log-format strings, reduced for now to literal text and "%[expr]" sample parts (used by
// "use_backend %[...]"). The logging module extends this with the %xx variables.
import type { Phase, SampleStream } from './types.ts';
import type { LogFormatLike } from '../config/model.ts';
import { parseExprAt, SampleExprImpl } from './expr.ts';
import { SOURCE_NAMES } from './fetch.ts';
import { sampleToString, toByteString } from './casts.ts';

export interface LogFormatContext {
  readonly proxyName?: string;
}

/**
 * Compiles <text>. With <phase>, every fetch must be available there (HAProxy checks
 * use_backend names against its HTTP request header checkpoint, i.e. PhaseBit.L7ReqFe).
 * Returns the compiled format or an error text in HAProxy's words.
 */
export function compileLogFormat(text: string, ctx?: LogFormatContext, phase?: Phase): LogFormatLike | string {
  const parts: (string | SampleExprImpl)[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    const n = text[i + 1];
    if (n === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    if (n !== '[') {
      const m = /^%(\{[^}]*\})?([A-Za-z]*)/.exec(text.slice(i))!;
      return `log-format variable '${m[0]}' is not supported by Turnpike yet (only '%[...]' sample expressions are)`;
    }
    const start = i + 2;
    const rest = text.slice(start);
    const r = parseExprAt(text, start, { allowTrailing: true, ...(ctx?.proxyName !== undefined ? { proxyName: ctx.proxyName } : {}) });
    if (!r.ok) return `failed to parse sample expression <${rest}> : ${r.error}`;
    if (phase !== undefined && !(r.expr.usable & phase)) {
      return `sample fetch <${rest}> may not be reliably used here because it needs '${SOURCE_NAMES[r.expr.fetch.use]}' which is not available here`;
    }
    const after = text[r.end];
    if (after !== ']') {
      const shown = text.slice(start, r.end);
      return after !== undefined && after >= ' ' && after <= '~'
        ? `expected ']' after '${shown}', but found '${after}'`
        : `missing ']' after '${shown}'`;
    }
    if (lit) parts.push(toByteString(lit));
    lit = '';
    parts.push(r.expr);
    i = r.end + 1;
  }
  if (lit) parts.push(toByteString(lit));
  return { text, parts };
}

/** Builds the (byte) string: sample parts print as text, or "-" when there is no sample. */
export function renderLogFormat(lf: LogFormatLike, s: SampleStream): string {
  let out = '';
  for (const p of lf.parts) {
    if (typeof p === 'string') out += p;
    else {
      const smp = p.eval(s);
      out += (smp && sampleToString(smp)) ?? '-';
    }
  }
  return out;
}
