// The global "stats" keyword (configuration.txt 3.1, management.txt 9.3): "stats socket"
// declares a CLI listener, "stats timeout" and "stats maxconn" tune its connections. Any of
// them creates HAProxy's CLI frontend, which takes the first proxy id.
import { execFileSync } from 'node:child_process';
import { registerGlobalKeywords } from '../../config/registry.ts';
import type { GlobalConfig, StatsSocketConfig } from '../../config/model.ts';
import { parseAddress } from '../../config/address.ts';
import { BIND_OPTIONS as HAPROXY_BIND_OPTIONS } from '../../config/known-keywords.ts';
import { suggestHaproxyKeyword } from '../../config/suggest.ts';

const TIME_UNITS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** HAProxy's parse_time_err(): milliseconds, or the first character it could not use. */
export function parseCliTime(text: string, defaultUnit: 'ms' | 's'): { ms: number } | { bad: string } {
  const m = /^(\d*)(.*)$/.exec(text)!;
  if (m[1] === '') return { bad: text.charAt(0) };
  const unit = m[2] === '' ? defaultUnit : m[2]!;
  const factor = TIME_UNITS[unit];
  if (factor === undefined) {
    // The first character that does not start a known unit.
    const known = Object.keys(TIME_UNITS).find((u) => m[2]!.startsWith(u));
    return { bad: m[2]!.charAt(known ? known.length : 0) };
  }
  return { ms: Math.ceil(Number(m[1]) * factor) };
}

function lookupId(db: 'passwd' | 'group', name: string): number | null {
  try {
    const id = Number(execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[2]);
    return Number.isInteger(id) ? id : null;
  } catch {
    return null;
  }
}

export type SocketOption = (s: StatsSocketConfig, value: string | undefined) => string | void;

/** The bind options a CLI socket accepts; errors are HAProxy's texts, quoted as it quotes them. */
export const SOCKET_OPTIONS: ReadonlyMap<string, SocketOption> = new Map<string, SocketOption>([
  ['level', (s, v) => {
    if (!v) return `'level' : missing level`;
    if (v !== 'user' && v !== 'operator' && v !== 'admin') return `'level' only supports 'user', 'operator', and 'admin' (got '${v}')`;
    s.level = v;
  }],
  ['mode', (s, v) => {
    if (!v || !/^[0-7]+$/.test(v)) return `'mode' : missing or invalid mode '${v ?? ''}' (octal integer expected)`;
    s.unixMode = parseInt(v, 8);
  }],
  ['uid', (s, v) => {
    if (!v || !/^\d+$/.test(v)) return `'uid' : missing value`;
    s.unixUid = Number(v);
  }],
  ['gid', (s, v) => {
    if (!v || !/^\d+$/.test(v)) return `'gid' : missing value`;
    s.unixGid = Number(v);
  }],
  ['user', (s, v) => {
    if (!v) return `'user' : missing user name`;
    const id = lookupId('passwd', v);
    if (id === null) return `'user' : unknown user name '${v}'`;
    s.unixUid = id;
  }],
  ['group', (s, v) => {
    if (!v) return `'group' : missing group name`;
    const id = lookupId('group', v);
    if (id === null) return `'group' : unknown group name '${v}'`;
    s.unixGid = id;
  }],
  ['expose-fd', (s, v) => {
    if (!v) return `'expose-fd' : missing fd type`;
    if (v !== 'listeners') return `'expose-fd' only supports 'listeners' (got '${v}')`;
    s.exposeFd = true;
  }],
  ['severity-output', (s, v) => {
    if (!v) return `'severity-output' : missing severity format`;
    if (v !== 'none' && v !== 'number' && v !== 'string') return `'severity-output' only supports 'none', 'number', and 'string' (got '${v}')`;
    s.severityOutput = v;
  }],
]);

function parseSocket(g: GlobalConfig, args: readonly string[], loc: StatsSocketConfig['loc']): string | void {
  const text = args[2];
  if (!text) return `'stats socket' in global section expects an address or a path to a UNIX socket`;
  const addrs = parseAddress(text, { port: 'required', ranges: false, offsets: false, fqdn: false, keyword: 'stats socket' });
  if (typeof addrs === 'string') return addrs;
  const sock: StatsSocketConfig = {
    loc, text, addr: addrs[0]!, level: 'operator', unixMode: null, unixUid: null, unixGid: null, exposeFd: false, severityOutput: 'none',
  };
  for (let i = 3; i < args.length; i += 2) {
    const opt = args[i]!;
    const parse = SOCKET_OPTIONS.get(opt);
    if (!parse) {
      if (HAPROXY_BIND_OPTIONS.has(opt)) return `'stats socket' : '${opt}' is a HAProxy bind option that Turnpike does not support yet.`;
      const best = suggestHaproxyKeyword('bind', opt);
      return `'stats socket' : unknown keyword '${opt}'.${best ? ` Did you mean '${best}' maybe ?` : ''}`;
    }
    const err = parse(sock, args[i + 1]);
    if (err) return `'stats socket' : '${err}'`;
  }
  g.statsSockets.push(sock);
  g.cliFrontend = true;
}

registerGlobalKeywords({
  name: 'stats',
  parse(g, args, ctx) {
    switch (args[1]) {
      case 'socket':
        return parseSocket(g, args, ctx.loc);
      case 'timeout': {
        const t = parseCliTime(args[2] ?? '', 'ms');
        if ('bad' in t) return `'stats timeout' : unexpected character '${t.bad}'`;
        if (t.ms === 0) return `'stats timeout' expects a positive value`;
        if (t.ms > 2_147_483_647) return `timer overflow in argument '${args[2]}' to 'stats timeout' (maximum value is 2147483647 ms or ~24.8 days)`;
        g.statsTimeout = t.ms;
        g.cliFrontend = true;
        return;
      }
      case 'maxconn': {
        // atol(): leading digits count, anything else is 0.
        const n = parseInt(args[2] ?? '', 10);
        if (!(n > 0)) return `'stats maxconn' expects a positive value`;
        g.statsMaxconn = n;
        g.cliFrontend = true;
        return;
      }
      case 'bind-process':
        return `'stats bind-process' : Turnpike runs a single process; remove this line.`;
      default:
        return `'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '${args[1] ?? ''}')`;
    }
  },
});
