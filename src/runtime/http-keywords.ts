// Keywords of the HTTP connection engine (http-stream.ts): connection modes, server
// connection reuse, forwarding headers and parser tolerance (configuration.txt 4.2).
import { ALL, BE, FE, registerProxyKeywords, registerProxyOptions, expectArgs, type ProxyOption, type ProxySection } from '../config/registry.ts';
import type { AddrHeaderConfig, HttpConnMode, HttpReuse, ProxyConfig } from '../config/model.ts';
import { parseIPv4, parseIPv6, prefixMask6, v4tov6, parseMask4, maskBits4 } from '../sample/ip.ts';
import { booleanOption } from './proxy-keywords.ts';
import '../protocols/http1/case-adjust-keywords.ts';

function connModeOption(name: string, mode: HttpConnMode): ProxyOption {
  return {
    name,
    sections: ALL,
    parse(px, args, ctx) {
      if (args.length > 2) return `'option ${name}' cannot handle unexpected argument '${args[2]}'.`;
      // The three modes exclude each other: the last one set wins; "no option" restores keep-alive.
      if (ctx.negated || ctx.defaulted) {
        if (px.httpConnMode === mode) px.httpConnMode = 'keep-alive';
      } else px.httpConnMode = mode;
      px.options.set(name, !ctx.negated);
    },
  };
}

/** "<ip>[/<mask>]" as a 128-bit network (IPv4 mapped into ::ffff:0:0/96). */
function parseNetwork(text: string): AddrHeaderConfig['except'] | string {
  const [ip, m] = text.split('/', 2) as [string, string | undefined];
  const v4 = parseIPv4(ip);
  if (v4 !== null) {
    let bits = 32;
    if (m !== undefined) {
      const mask = /^\d+$/.test(m) ? Number(m) : parseMask4(m) !== null ? maskBits4(parseMask4(m)!) : -1;
      if (mask < 0 || mask > 32) return `invalid network '${text}'`;
      bits = mask;
    }
    const mask = prefixMask6(96 + bits);
    return { net: v4tov6(v4) & mask, mask };
  }
  const v6 = parseIPv6(ip);
  if (v6 === null) return `invalid network '${text}'`;
  const bits = m === undefined ? 128 : Number(m);
  if (!Number.isInteger(bits) || bits < 0 || bits > 128) return `invalid network '${text}'`;
  const mask = prefixMask6(bits);
  return { net: v6 & mask, mask };
}

function addrHeaderOption(name: 'forwardfor' | 'originalto', dflt: string, sections: readonly ProxySection[]): ProxyOption {
  return {
    name,
    sections,
    parse(px: ProxyConfig, args, ctx) {
      const field = name === 'forwardfor' ? 'forwardFor' : 'originalTo';
      if (ctx.negated || ctx.defaulted) {
        px[field] = null;
        return;
      }
      let header = dflt;
      let except: AddrHeaderConfig['except'] = null;
      let ifNone = false;
      for (let i = 2; i < args.length; i++) {
        const a = args[i]!;
        if (a === 'except' || a === 'header') {
          const v = args[++i];
          if (!v) return `'option ${name}' '${a}' requires ${a === 'except' ? 'a network' : 'a header name'}.`;
          if (a === 'header') header = v;
          else {
            const n = parseNetwork(v);
            if (typeof n === 'string') return `'option ${name}' ${n}.`;
            except = n;
          }
        } else if (a === 'if-none' && name === 'forwardfor') ifNone = true;
        else return `'option ${name}' ${name === 'forwardfor' ? "only supports optional values: 'except', 'header' and 'if-none'" : "only supports optional values: 'except' and 'header'"}.`;
      }
      px[field] = { header, except, ifNone };
    },
  };
}

/** retry-on conditions: what may be retried once a request was sent (configuration.txt "retry-on"). */
export const RetryOn = {
  ConnFailure: 1, EmptyResponse: 2, JunkResponse: 4, ResponseTimeout: 8, ZeroRttRejected: 16,
  S404: 32, S408: 64, S425: 128, S500: 256, S501: 512, S502: 1024, S503: 2048, S504: 4096,
} as const;
/** Conditions that need the request kept for a replay (all but conn-failure). */
export const RETRY_AFTER_SEND = ~RetryOn.ConnFailure;

const RETRY_WORDS: Readonly<Record<string, number>> = {
  'conn-failure': RetryOn.ConnFailure, 'empty-response': RetryOn.EmptyResponse, 'junk-response': RetryOn.JunkResponse,
  'response-timeout': RetryOn.ResponseTimeout, '0rtt-rejected': RetryOn.ZeroRttRejected,
  404: RetryOn.S404, 408: RetryOn.S408, 425: RetryOn.S425, 500: RetryOn.S500, 501: RetryOn.S501,
  502: RetryOn.S502, 503: RetryOn.S503, 504: RetryOn.S504,
  'all-retryable-errors': RetryOn.ConnFailure | RetryOn.EmptyResponse | RetryOn.JunkResponse | RetryOn.ResponseTimeout
    | RetryOn.ZeroRttRejected | RetryOn.S500 | RetryOn.S502 | RetryOn.S503 | RetryOn.S504,
};

/** The RetryOn bit for a response status, 0 when it is never retried (a switch: a status missing from RETRY_WORDS is a slow dictionary lookup, once per response). */
export function retryStatusBit(status: number): number {
  switch (status) {
    case 404: return RetryOn.S404;
    case 408: return RetryOn.S408;
    case 425: return RetryOn.S425;
    case 500: return RetryOn.S500;
    case 501: return RetryOn.S501;
    case 502: return RetryOn.S502;
    case 503: return RetryOn.S503;
    case 504: return RetryOn.S504;
    default: return 0;
  }
}

const REUSE: readonly HttpReuse[] = ['never', 'safe', 'aggressive', 'always'];

registerProxyOptions(
  connModeOption('http-keep-alive', 'keep-alive'),
  connModeOption('http-server-close', 'server-close'),
  connModeOption('httpclose', 'close'),
  addrHeaderOption('forwardfor', 'X-Forwarded-For', ALL),
  addrHeaderOption('originalto', 'X-Original-To', ALL),
  booleanOption('accept-invalid-http-request', FE),
  booleanOption('accept-invalid-http-response', BE),
  booleanOption('http-buffer-request', ALL),
  booleanOption('h1-case-adjust-bogus-client', FE),
  booleanOption('h1-case-adjust-bogus-server', BE),
);

registerProxyKeywords({
  name: 'retry-on',
  sections: BE,
  parse(px, args) {
    if (args.length < 2) return `'retry-on' needs at least one keyword to specify when to retry`;
    let bits = 0;
    for (let i = 1; i < args.length; i++) {
      const w = args[i]!;
      if (w === 'none') {
        if (args.length > 2) return `'retry-on' 'none' keyworld only usable alone`;
        continue;
      }
      const b = RETRY_WORDS[w];
      if (b === undefined) return `'retry-on': unknown keyword '${w}'`;
      bits |= b;
    }
    px.retryOn = bits;
  },
}, {
  name: 'http-reuse',
  sections: BE,
  parse(px, args) {
    const e = expectArgs(args, 1, "one of 'never', 'safe', 'aggressive' or 'always'");
    if (e) return e;
    const v = args[1] as HttpReuse;
    if (!REUSE.includes(v)) return `'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'`;
    px.httpReuse = v;
  },
});
