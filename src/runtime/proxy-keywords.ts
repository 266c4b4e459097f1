// General proxy keywords (configuration.txt 4.2) and the options Turnpike implements.
import {
  ALL, BE, FE, NO_DEFAULTS, expectArgs, proxyOption, registerProxyKeywords, registerProxyOptions,
  type ProxyOption, type ProxySection,
} from '../config/registry.ts';
import type { ProxyConfig, Timeouts } from '../config/model.ts';
import { parseTime, parseUint } from '../config/units.ts';
import { parseAddress } from '../config/address.ts';
import { unknownOptionMessage } from '../config/unsupported.ts';

/** timeout <name> → [field, sections where it applies, applies to which side]. */
const TIMEOUTS: Readonly<Record<string, [keyof Timeouts, 'fe' | 'be' | 'both']>> = {
  client: ['client', 'fe'],
  'client-fin': ['clientFin', 'fe'],
  'http-request': ['httpRequest', 'fe'],
  'http-keep-alive': ['httpKeepAlive', 'both'],
  tarpit: ['tarpit', 'both'],
  server: ['server', 'be'],
  'server-fin': ['serverFin', 'be'],
  connect: ['connect', 'be'],
  queue: ['queue', 'be'],
  check: ['check', 'be'],
  tunnel: ['tunnel', 'be'],
};

function uintField(name: string, sections: readonly ProxySection[], set: (px: ProxyConfig, n: number) => void, max?: number) {
  return {
    name,
    sections,
    parse(px: ProxyConfig, args: readonly string[]) {
      const e = expectArgs(args, 1, 'an integer argument');
      if (e) return e;
      const n = parseUint(args[1]!, `'${name}'`, max);
      if (typeof n === 'string') return n;
      set(px, n);
    },
  };
}

registerProxyKeywords(
  {
    name: 'mode',
    sections: ALL,
    parse(px, args) {
      const e = expectArgs(args, 1, "one of 'tcp', 'http' or 'log'");
      if (e) return e;
      if (args[1] === 'tcp' || args[1] === 'http') px.mode = args[1];
      else if (args[1] === 'log') return `'mode log' is not supported by Turnpike yet.`;
      else return `'mode' expects one of 'tcp', 'http' or 'log'.`;
    },
  },
  uintField('maxconn', FE, (px, n) => { px.maxconn = n; }),
  uintField('backlog', FE, (px, n) => { px.backlog = n; }),
  uintField('fullconn', BE, (px, n) => { px.fullconn = n; }),
  uintField('retries', BE, (px, n) => { px.retries = n; }),
  {
    name: 'id',
    sections: NO_DEFAULTS,
    parse(px, args) {
      const e = expectArgs(args, 1, 'an integer argument');
      if (e) return e;
      const n = parseUint(args[1]!, "'id'");
      if (typeof n === 'string' || n < 1) return `'id' : custom id has to be > 0.`;
      px.id = n;
    },
  },
  ...(['disabled', 'enabled'] as const).map((name) => ({
    name,
    sections: ALL,
    parse(px: ProxyConfig, args: readonly string[]) {
      const e = expectArgs(args, 0, 'no argument');
      if (e) return e;
      px.disabled = name === 'disabled';
    },
  })),
  {
    name: 'description',
    sections: NO_DEFAULTS,
    parse(px, args) {
      if (args.length < 2) return `'description' expects a string argument.`;
      px.description = args.slice(1).join(' ');
    },
  },
  {
    name: 'timeout',
    sections: ALL,
    parse(px, args, ctx) {
      const which = args[1];
      const entry = which === undefined ? undefined : TIMEOUTS[which];
      if (!entry) {
        return `'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '${which ?? ''}')`;
      }
      if (args.length !== 3) return `'timeout ${which}' expects an integer value (in milliseconds)`;
      const t = parseTime(args[2]!);
      if (typeof t === 'string') {
        const bad = /[^0-9]/.exec(args[2]!.replace(/^(\d+)(us|ms|s|m|h|d)$/, ''));
        return bad ? `unexpected character '${bad[0]}' in 'timeout ${which}'` : t;
      }
      const [field, side] = entry;
      if ((side === 'be' && !px.isBackend && px.kind !== 'defaults') || (side === 'fe' && !px.isFrontend && px.kind !== 'defaults')) {
        ctx.diag.warning(ctx.loc, `'timeout ${which}' will be ignored because ${px.kind} '${px.name}' has no ${side === 'be' ? 'backend' : 'frontend'} capability`);
        return;
      }
      px.timeouts[field] = t;
    },
  },
  {
    name: 'source',
    sections: BE,
    parse(px, args) {
      if (args.length < 2) return `'source' expects <addr>[:<port>] as argument.`;
      if (args.length > 2) {
        return `'source' : '${args[2]}' is not supported by Turnpike (transparent proxying needs IP_TRANSPARENT, unavailable to Node.js sockets).`;
      }
      const a = parseAddress(args[1]!, { port: 'optional', ranges: false, offsets: false, fqdn: false, keyword: 'source' });
      if (typeof a === 'string') return a;
      const addr = a[0]!;
      if (addr.kind !== 'ipv4' && addr.kind !== 'ipv6') return `'source' expects an IPv4 or IPv6 address.`;
      px.source = { host: addr.host, port: addr.port };
    },
  },
  {
    name: 'option',
    sections: ALL,
    negatable: true,
    parse(px, args, ctx) {
      const name = args[1];
      if (!name) return `'option' expects an option name.`;
      const opt = proxyOption(name);
      if (!opt) return unknownOptionMessage(name);
      if (!opt.sections.includes(px.kind)) {
        const missing = px.kind === 'frontend' ? 'backend' : 'frontend';
        ctx.diag.warning(ctx.loc, `'${name}' ignored because ${px.kind} '${px.name}' has no ${missing} capability.`);
        return;
      }
      return opt.parse(px, args, ctx);
    },
  },
);

/** A boolean option: "option x" sets it, "no option x" clears it, "default option x" restores the default. */
export function booleanOption(name: string, sections: readonly ProxySection[]): ProxyOption {
  return {
    name,
    sections,
    parse(px, args, ctx) {
      if (args.length > 2) return `'option ${name}' cannot handle unexpected argument '${args[2]}'.`;
      if (ctx.defaulted) px.options.delete(name);
      else px.options.set(name, !ctx.negated);
    },
  };
}

registerProxyOptions(
  {
    name: 'redispatch',
    sections: BE,
    parse(px, args, ctx) {
      if (ctx.negated || ctx.defaulted) {
        px.redispatch = 0;
        return;
      }
      if (args.length > 3) return `'option redispatch' cannot handle unexpected argument '${args[3]}'.`;
      const n = args[2] === undefined ? -1 : Number(args[2]);
      if (!Number.isInteger(n)) return `'option redispatch' expects an integer interval, got '${args[2]}'.`;
      px.redispatch = n;
    },
  },
  booleanOption('allbackups', BE),
  booleanOption('tcpka', ALL),
  booleanOption('clitcpka', FE),
  booleanOption('srvtcpka', BE),
  booleanOption('nolinger', ALL),
);
