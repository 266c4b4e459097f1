// "server" and "default-server" with their options (configuration.txt 5.2).
import { isIP } from 'node:net';
import { BE, BE_ONLY, registerProxyKeywords, type ParseContext } from '../config/registry.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
import { cloneServer, type InitAddr, type ProxyConfig, type ServerConfig } from '../config/model.ts';
import { parseAddress } from '../config/address.ts';
import { parseTime, parseUint } from '../config/units.ts';
import { unknownServerOptionMessage } from '../config/unsupported.ts';
import { parseTlsServerOption, refusedOnDefaultServer } from '../protocols/tls/server-options.ts';

type Setter = (s: ServerConfig, v: string) => string | void;

function uint(set: (s: ServerConfig, n: number) => void, what: string, max?: number): Setter {
  return (s, v) => {
    const n = parseUint(v, `'${what}'`, max);
    if (typeof n === 'string') return n;
    set(s, n);
  };
}

function time(set: (s: ServerConfig, ms: number) => void, what: string, positive = true): Setter {
  return (s, v) => {
    const t = parseTime(v);
    if (typeof t === 'string') return `'${what}' : ${t}`;
    if (positive && t <= 0) return `'${what}' : expects a positive time value, got '${v}'.`;
    set(s, t);
  };
}

const TIME_UNITS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** parse_time_err() on a server option, with HAProxy's texts. */
function serverTime(set: (s: ServerConfig, ms: number) => void, what: string): Setter {
  return (s, v) => {
    const m = /^(\d+)(us|ms|s|m|h|d)?/.exec(v);
    const end = m ? m[0].length : 0;
    if (!m || end < v.length) return `unexpected character '${v[end]}' in '${what}' argument of server ${s.name}.`;
    const ms = Math.ceil(Number(m[1]) * TIME_UNITS[m[2] ?? 'ms']!);
    if (ms > 2147483647) return `timer overflow in argument <${v}> to <${what}> of server ${s.name}, maximum value is 2147483647 ms (~24.8 days).`;
    if (ms === 0) return `invalid value ${v} for argument '${what}' of server ${s.name}.`;
    set(s, ms);
  };
}

/** An integer >= -1 (-1: unlimited), as pool-max-conn and max-reuse take. */
function limit(set: (s: ServerConfig, n: number) => void, what: string): Setter {
  return (s, v) => {
    if (!/^-?\d+$/.test(v)) return `'${what}' expects an integer argument, got '${v}'.`;
    const n = Number(v);
    if (n < -1) return `'${what}' must be >= -1.`;
    set(s, n);
  };
}

/** Options taking a value. */
const VALUE_OPTIONS: ReadonlyMap<string, Setter> = new Map<string, Setter>([
  ['weight', (s, v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 256) return `weight of server ${s.name} is not within 0 and 256 (${v}).`;
    s.weight = n;
  }],
  ['maxconn', uint((s, n) => { s.maxconn = n; }, 'maxconn')],
  ['proto', (s, v) => {
    if (v === 'fcgi') return `'proto' : FastCGI servers (fcgi-app) are not supported by Turnpike yet.`;
    if (v !== 'h1' && v !== 'h2') return `'proto' :  unknown MUX protocol '${v}'.`;
    s.proto = v;
  }],
  ['minconn', uint((s, n) => { s.minconn = n; }, 'minconn')],
  ['maxqueue', uint((s, n) => { s.maxqueue = n; }, 'maxqueue')],
  ['slowstart', time((s, t) => { s.slowstart = t; }, 'slowstart', false)],
  ['inter', time((s, t) => { s.check.inter = t; }, 'inter')],
  ['fastinter', time((s, t) => { s.check.fastinter = t; }, 'fastinter')],
  ['downinter', time((s, t) => { s.check.downinter = t; }, 'downinter')],
  ['rise', uint((s, n) => { s.check.rise = n; }, 'rise')],
  ['fall', uint((s, n) => { s.check.fall = n; }, 'fall')],
  ['port', uint((s, n) => { s.check.port = n; }, 'port', 65535)],
  ['addr', (s, v) => {
    if (!isIP(v)) return `'addr' : invalid IP address '${v}'.`;
    s.check.addr = v;
  }],
  ['id', (s, v) => {
    const n = parseUint(v, "'id'");
    if (typeof n === 'string' || n < 1) return `'id' : custom id has to be > 0.`;
    s.id = n;
  }],
  ['error-limit', uint((s, n) => { s.errorLimit = n; }, 'error-limit')],
  ['observe', (s, v) => {
    if (v === 'layer4') s.observe = 'layer4';
    else if (v === 'layer7') return `'observe layer7' needs HTTP mode, which Turnpike does not support yet.`;
    else return `'observe' expects one of 'none', 'layer4', 'layer7' but got '${v}'`;
  }],
  ['on-error', (s, v) => {
    if (v !== 'fastinter' && v !== 'fail-check' && v !== 'sudden-death' && v !== 'mark-down') {
      return `'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '${v}'`;
    }
    s.onError = v;
  }],
  ['on-marked-down', (s, v) => {
    if (v !== 'shutdown-sessions') return `'on-marked-down' expects 'shutdown-sessions' but got '${v}'`;
    s.onMarkedDown = v;
  }],
  ['on-marked-up', (s, v) => {
    if (v !== 'shutdown-backup-sessions') return `'on-marked-up' expects 'shutdown-backup-sessions' but got '${v}'`;
    s.onMarkedUp = v;
  }],
  ['init-addr', (s, v) => {
    const methods: InitAddr[] = [];
    for (const m of v.split(',')) {
      if (m === 'last' || m === 'libc' || m === 'none') methods.push(m);
      else if (isIP(m)) methods.push({ ip: m });
      else return `'init-addr' : unknown resolution method '${m}'.`;
    }
    s.initAddr = methods;
  }],
  // atol(): a bad number is 0, reported as a missing agent port once parsing is over.
  ['agent-port', (s, v) => {
    const m = /^\s*([+-]?\d+)/.exec(v);
    s.agent.port = m ? Number(m[1]) : 0;
  }],
  ['agent-inter', serverTime((s, t) => { s.agent.inter = t; }, 'agent-inter')],
  ['agent-addr', (s, v) => {
    if (!isIP(v) && (v.includes(':') || !/^[A-Za-z0-9.-]+$/.test(v))) return `parsing agent-addr failed. Check if '${v}' is correct address.`;
    s.agent.addr = v;
  }],
  ['agent-send', (s, v) => { s.agent.send = v; }],
  ['cookie', (s, v) => { s.cookie = v; }],
  ['pool-max-conn', limit((s, n) => { s.poolMaxConn = n; }, 'pool-max-conn')],
  ['max-reuse', limit((s, n) => { s.maxReuse = n; }, 'max-reuse')],
  ['pool-purge-delay', time((s, t) => { s.poolPurgeDelay = t; }, 'pool-purge-delay')],
  ['source', (s, v) => {
    const a = parseAddress(v, { port: 'optional', ranges: false, offsets: false, fqdn: false, keyword: 'source' });
    if (typeof a === 'string') return a;
    const addr = a[0]!;
    if (addr.kind !== 'ipv4' && addr.kind !== 'ipv6') return `'source' expects an IPv4 or IPv6 address.`;
    s.source = { host: addr.host, port: addr.port };
  }],
]);

/** Options without a value. */
const FLAG_OPTIONS: ReadonlyMap<string, (s: ServerConfig) => void> = new Map<string, (s: ServerConfig) => void>([
  ['check', (s) => { s.check.enabled = true; }],
  ['agent-check', (s) => { s.agent.enabled = true; }],
  ['no-agent-check', (s) => { s.agent.enabled = false; }],
  ['no-check', (s) => { s.check.enabled = false; }],
  ['backup', (s) => { s.backup = true; }],
  ['no-backup', (s) => { s.backup = false; }],
  ['disabled', (s) => { s.disabled = true; }],
  ['enabled', (s) => { s.disabled = false; }],
  ['send-proxy', (s) => { s.sendProxy = 1; }],
  ['send-proxy-v2', (s) => { s.sendProxy = 2; }],
  ['no-send-proxy', (s) => { s.sendProxy = 0; }],
  ['no-send-proxy-v2', (s) => { s.sendProxy = 0; }],
  ['check-send-proxy', (s) => { s.check.sendProxy = true; }],
  ['no-check-send-proxy', (s) => { s.check.sendProxy = false; }],
]);

function parseServerOptions(s: ServerConfig, args: readonly string[], from: number, label: string, px: ProxyConfig, ctx: ParseContext): string | void {
  for (let i = from; i < args.length; i++) {
    const opt = args[i]!;
    const tlsEnd = parseTlsServerOption(s, args, i, ctx, px.name);
    if (typeof tlsEnd === 'string') return `${label} : ${tlsEnd}`;
    if (tlsEnd !== null) {
      i = tlsEnd;
      continue;
    }
    const fl = FLAG_OPTIONS.get(opt);
    if (fl) {
      fl(s);
      continue;
    }
    const setter = VALUE_OPTIONS.get(opt);
    if (!setter) return unknownServerOptionMessage(label, opt);
    const v = args[++i];
    if (v === undefined) return `${label} : '${opt}' expects an argument.`;
    const err = setter(s, v);
    if (err) return `${label} : ${err}`;
  }
}

function serverLabel(px: ProxyConfig, name: string): string {
  return `'server ${px.name}/${name}'`;
}

registerProxyKeywords(
  {
    name: 'server',
    sections: BE_ONLY,
    capStrict: true,
    parse(px, args, ctx) {
      const name = args[1];
      const addrText = args[2];
      if (!name || !addrText) return `'server' expects <name> and <addr>[:<port>] as arguments.`;
      const label = serverLabel(px, name);
      const addrs = parseAddress(addrText, { port: 'optional', ranges: false, offsets: true, fqdn: true, keyword: `server ${px.name}/${name}` });
      if (typeof addrs === 'string') return addrs;
      const s = cloneServer(px.defaultServer);
      s.loc = ctx.loc;
      s.name = name;
      s.addr = addrs[0]!;
      s.addrText = addrText;
      const err = parseServerOptions(s, args, 3, label, px, ctx);
      if (err) return err;
      const dup = px.servers.find((o) => o.name === name);
      if (dup) return `${label} : backend '${px.name}' has already a server named '${name}' declared at ${dup.loc.file}:${dup.loc.line}.`;
      px.servers.push(s);
    },
  },
  {
    name: 'default-server',
    sections: BE,
    parse(px, args, ctx) {
      const refused = args.find(refusedOnDefaultServer);
      if (refused) return `'${refused}' option is not accepted in default-server sections`;
      return parseServerOptions(px.defaultServer, args, 1, `'default-server'`, px, ctx);
    },
  },
);

/** Post-parse: an agent check needs a port (HAProxy refuses the configuration otherwise). */
export function validateServerAgents(px: ProxyConfig, diag: Diagnostics): void {
  for (const s of px.servers) {
    if (s.agent.enabled && s.agent.port === 0) {
      diag.alert(null, `[${s.loc.file}:${s.loc.line}] : 'server ${px.name}/${s.name}' : server ${s.name} does not have agent port. Agent check has been disabled.`);
    }
  }
}
