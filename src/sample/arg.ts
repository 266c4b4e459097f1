// Typed argument lists of fetches and converters ("req.payload(0,4)", "ipmask(24,64)"),
// parsed once at load time as HAProxy's make_arg_list() does, with the same messages.
import { parseIPv4, parseIPv6, parseMask4, parseMask6 } from './ip.ts';
import { toByteString } from './casts.ts';

export type ArgType =
  | 'sint' | 'str' | 'ipv4' | 'msk4' | 'ipv6' | 'msk6' | 'time' | 'size'
  | 'fe' | 'be' | 'tab' | 'srv' | 'usr' | 'map' | 'reg' | 'var';

/** HAProxy's arg_type_names[], used in error messages. */
export const ARG_TYPE_NAMES: Readonly<Record<ArgType, string>> = {
  sint: 'integer', str: 'string', ipv4: 'IPv4 address', msk4: 'IPv4 mask', ipv6: 'IPv6 address',
  msk6: 'IPv6 mask', time: 'delay', size: 'size', fe: 'frontend', be: 'backend', tab: 'table',
  srv: 'server', usr: 'user list', map: 'map', reg: 'regex', var: 'variable',
};

/** Argument types in order, the first <min> being mandatory. */
export interface ArgSpec {
  readonly types: readonly ArgType[];
  readonly min: number;
}

/**
 * A parsed argument. <str> is the text as written (after unquoting); <int> holds integers,
 * delays (ms), sizes and IPv4 addresses/masks; <ip6> IPv6 addresses/masks. Proxy, server and
 * other named references are resolved later (their names stay in <str>). A validator may turn
 * an argument into another type (e.g. "add(<str>)" into an integer).
 */
export interface Arg {
  type: ArgType;
  str: string;
  int: number;
  ip6: bigint;
  /** For server arguments without a backend: the proxy the expression was written in. */
  proxy?: string;
}

export type ArgParse =
  | { readonly ok: true; readonly args: Arg[]; readonly end: number }
  | { readonly ok: false; readonly error: string; /** 0-based position of the faulty arg */ readonly pos: number };

const TIME_UNITS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

function parseTime(s: string): number | null {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(s);
  if (!m) return null;
  return Math.floor(Number(m[1]) * TIME_UNITS[m[2] ?? 'ms']!);
}

function parseSize(s: string): number | null {
  const m = /^(\d+)([kKmMgG])?$/.exec(s);
  if (!m) return null;
  const mult = m[2] ? 1024 ** ('kmg'.indexOf(m[2].toLowerCase()) + 1) : 1;
  return Number(m[1]) * mult;
}

/** read_int64() on a whole argument: optional sign then digits only. */
function parseSint(s: string): number | null {
  if (!/^[-+]?\d+$/.test(s)) return null;
  const v = BigInt(s);
  if (v > 9223372036854775807n) return Number(9223372036854775807n);
  if (v < -9223372036854775808n) return Number(-9223372036854775808n);
  return Number(v);
}

export function strArg(s: string): Arg {
  return { type: 'str', str: s, int: 0, ip6: 0n };
}

/**
 * Parses the argument list starting at text[start] (which is '(' when arguments are given).
 * With no parenthesis, or "()", a mandatory first argument is parsed as an empty word, so a
 * string argument may be empty while an integer reports "got nothing", as HAProxy does.
 */
export function parseArgList(text: string, start: number, spec: ArgSpec | undefined): ArgParse {
  const types = spec?.types ?? [];
  const min = spec?.min ?? 0;
  const nbarg = types.length;
  let i = start;
  const empty = text[i] !== '(';
  if (!empty) i++;
  const args: Arg[] = [];
  let pos = 0;

  if (nbarg > 0 && !(empty && min === 0)) {
    while (pos < nbarg) {
      let word = '';
      let squote = false;
      let dquote = false;
      if (!empty) {
        while (i < text.length) {
          const c = text[i]!;
          if (c === '"' && !squote) { dquote = !dquote; i++; continue; }
          if (c === "'" && !dquote) { squote = !squote; i++; continue; }
          if (c === '\\' && !squote && i + 1 < text.length) {
            const n = text[i + 1]!;
            if (n === '\\' || n === ' ' || n === '"' || n === "'") { word += n; i += 2; continue; }
            if (n === 'r') { word += '\r'; i += 2; continue; }
            if (n === 'n') { word += '\n'; i += 2; continue; }
            if (n === 't') { word += '\t'; i += 2; continue; }
            word += c;
            i++;
            continue;
          }
          if (!squote && !dquote && (c === ',' || c === ')')) break;
          word += c;
          i++;
        }
      }
      const type = types[pos]!;
      const arg: Arg = { type, str: toByteString(word), int: 0, ip6: 0n };
      const nothing = (): ArgParse => ({ ok: false, error: `expected type '${ARG_TYPE_NAMES[type]}' at position ${pos + 1}, but got nothing`, pos });
      const bad = (): ArgParse => ({ ok: false, error: `failed to parse '${word}' as type '${ARG_TYPE_NAMES[type]}' at position ${pos + 1}`, pos });
      switch (type) {
        case 'sint': {
          if (!word) return nothing();
          const v = parseSint(word);
          if (v === null) return bad();
          arg.int = v;
          break;
        }
        case 'ipv4': case 'msk4': {
          if (!word) return nothing();
          const v = type === 'ipv4' ? parseIPv4(word) : parseMask4(word);
          if (v === null) return bad();
          arg.int = v;
          break;
        }
        case 'ipv6': case 'msk6': {
          if (!word) return nothing();
          const v = type === 'ipv6' ? parseIPv6(word) : parseMask6(word);
          if (v === null) return bad();
          arg.ip6 = v;
          break;
        }
        case 'time': case 'size': {
          if (!word) return nothing();
          const v = type === 'time' ? parseTime(word) : parseSize(word);
          if (v === null) return bad();
          arg.int = v;
          break;
        }
        default:
          // strings and names resolved later
          break;
      }
      args.push(arg);
      pos++;
      if (empty || i >= text.length || text[i] === ')' || pos >= nbarg) break;
      i++; // comma
    }
  }

  if (pos < min) {
    return { ok: false, error: `missing arguments (got ${pos}/${min}), type '${ARG_TYPE_NAMES[types[pos]!]}' expected`, pos };
  }
  if (!empty) {
    if (text[i] === ')') i++;
    else {
      const rest = text.slice(i);
      return { ok: false, error: rest ? `expected ')' before '${rest}'` : `expected ')'`, pos: pos > 1 ? pos - 1 : pos };
    }
  }
  return { ok: true, args, end: i };
}
