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
