// A log target as the "log" keyword declares it (configuration.txt 4.2 "log"):
//   log <target> [len <length>] [format <format>] [sample <ranges>:<size>] <facility> [<level> [<minlevel>]]
// Parsed in HAProxy's order (options, facility and levels first, the address last) so that the
// same line gives the same first error.
import { isIPv4, isIPv6 } from 'node:net';
import type { Loc } from '../../config/diagnostics.ts';
import { atoi } from '../../config/units.ts';

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp',
  'ntp', 'audit', 'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;

export const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** Syslog levels by name, for callers. */
export const Level = { Emerg: 0, Alert: 1, Crit: 2, Err: 3, Warning: 4, Notice: 5, Info: 6, Debug: 7 } as const;

/** Header formats; 'unspec' (none given) becomes 'local', or 'rfc3164' when a hostname is sent. */
export const SYSLOG_FORMATS = ['unspec', 'local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw'] as const;
export type SyslogFormat = (typeof SYSLOG_FORMATS)[number];

export type LogAddress =
  | { readonly kind: 'udp'; readonly host: string; readonly port: number }
  | { readonly kind: 'fd'; readonly fd: number };

/** HAProxy's MAX_SYSLOG_LEN: the default "len". */
export const DEFAULT_LOG_LEN = 1024;

/** One "<low>[-<high>]" range of a "sample" clause, with the index shared by every copy of the target. */
interface SampleRange {
  readonly low: number;
  readonly high: number;
  readonly size: number;
  idx: number;
}

/**
 * "sample <ranges>:<size>": of each <size> consecutive messages, only those whose rank falls in
 * a range are sent (HAProxy's smp_rgs / process_send_log). The ranges (and their own counters)
 * are shared between copies made by "log global", the position counters are per copy.
 */
export class LogSampling {
  readonly ranges: readonly SampleRange[];
  readonly size: number;
  private curRange = 0;
  private curIdx = 0;

  constructor(ranges: readonly SampleRange[], size: number) {
    this.ranges = ranges;
    this.size = size;
  }

  /** Whether the next message is sent; advances the counters. */
  take(): boolean {
    const rg = this.ranges[this.curRange]!;
    const inRange = this.curIdx + 1 >= rg.low && this.curIdx + 1 <= rg.high;
    if (inRange) {
      rg.idx = (rg.idx + 1) % rg.size;
      if (rg.idx === 0) this.curRange = (this.curRange + 1) % this.ranges.length;
    }
    this.curIdx = (this.curIdx + 1) % this.size;
    return inRange;
  }

  copy(): LogSampling {
    return new LogSampling(this.ranges, this.size);
  }
}

export class LogTarget {
  readonly loc: Loc;
  /** The address as written, for messages. */
  readonly text: string;
  readonly addr: LogAddress;
  readonly maxlen: number;
  readonly format: SyslogFormat;
  readonly facility: number;
  /** Highest (least severe) level sent. */
  readonly level: number;
  /** Messages more severe than this are sent at this level. */
  readonly minLevel: number;
  readonly sampling: LogSampling | null;
  /** For a copy made by "log global": the global target, so that it is copied only once. */
  readonly origin: LogTarget | null;

  constructor(
    loc: Loc, text: string, addr: LogAddress, maxlen: number, format: SyslogFormat,
    facility: number, level: number, minLevel: number, sampling: LogSampling | null, origin: LogTarget | null,
  ) {
    this.loc = loc;
    this.text = text;
    this.addr = addr;
    this.maxlen = maxlen;
    this.format = format;
    this.facility = facility;
    this.level = level;
    this.minLevel = minLevel;
    this.sampling = sampling;
    this.origin = origin;
  }

  /** A copy for another proxy ("log global", defaults), with its own sampling position. */
  copy(origin: LogTarget | null): LogTarget {
    return new LogTarget(this.loc, this.text, this.addr, this.maxlen, this.format, this.facility, this.level,
      this.minLevel, this.sampling?.copy() ?? null, origin);
  }

  /** A key naming the destination, so that targets with the same one share a sender. */
  get destination(): string {
    return this.addr.kind === 'fd' ? `fd@${this.addr.fd}` : `udp@${this.addr.host}:${this.addr.port}`;
  }
}

/** read_uint() over a whole token: the number, or null when it is not only digits. */
function readUint(s: string): number | null {
  return /^\d+$/.test(s) ? Number(s) : null;
}

function parseSampling(spec: string): LogSampling | string {
  const colon = spec.indexOf(':');
  if (colon < 0) return 'Missing sample size';
  const rangesText = spec.slice(0, colon);
  const sizeText = spec.slice(colon + 1);
  const ranges: SampleRange[] = [];
  let maxHigh = 0;
  let rest = rangesText;
  while (rest !== '') {
    const comma = rest.indexOf(',');
    const tok = comma < 0 ? rest : rest.slice(0, comma);
    const m = /^(\d+)(?:-(\d+))?$/.exec(tok);
    const low = m ? Number(m[1]) : 0;
    const high = m && m[2] !== undefined ? Number(m[2]) : low;
    if (!m || low === 0 || high === 0 || (m[2] !== undefined && high <= low)) return `wrong sample range '${rest}'`;
    for (const r of ranges) {
      if ((low >= r.low && low <= r.high) || (high >= r.low && high <= r.high)) return 'ranges are overlapping';
    }
    ranges.push({ low, high, size: high - low + 1, idx: 0 });
    if (high > maxHigh) maxHigh = high;
    rest = comma < 0 ? '' : rest.slice(comma + 1);
  }
  if (ranges.length === 0) return 'no sampling ranges given';
  const size = readUint(sizeText);
  if (!size) return `wrong sample size '${sizeText}' for sample range '${rangesText}'`;
  if (size < maxHigh) return `sample size ${size} should be greater or equal to ${maxHigh} the maximum of the high ranges limits`;
  ranges.sort((a, b) => a.low - b.low);
  return new LogSampling(ranges, size);
}

const UNIX_DGRAM_MSG =
  'UNIX datagram log sockets (such as /dev/log) are not available to Node.js; send to a UDP address ' +
  "(e.g. 'log 127.0.0.1:514 local0' with the syslog daemon's UDP input on the loopback) or to 'stdout'";

/** The address part (str2sa_range with datagram defaults); port 514 when none is given. */
function parseLogAddress(text: string): LogAddress | string {
  if (text === 'stdout') return { kind: 'fd', fd: 1 };
  if (text === 'stderr') return { kind: 'fd', fd: 2 };
  let rest = text;
  let family: 4 | 6 | 0 = 0;
  const at = text.indexOf('@');
  if (text.startsWith('/')) return UNIX_DGRAM_MSG;
  if (at > 0 && /^[a-z0-9]+$/.test(text.slice(0, at))) {
    const prefix = text.slice(0, at);
    rest = text.slice(at + 1);
    switch (prefix) {
      case 'fd':
        if (!/^\d+$/.test(rest)) return `file descriptor '${rest}' is not a valid integer in '${text}'`;
        return { kind: 'fd', fd: Number(rest) };
      case 'udp': break;
      case 'udp4': case 'ipv4': family = 4; break;
      case 'udp6': case 'ipv6': family = 6; break;
      case 'unix': case 'abns': case 'uxdg': return UNIX_DGRAM_MSG;
      case 'ring':
        return `log target '${text}': ring buffers are not supported by Turnpike yet`;
      case 'tcp': case 'tcp4': case 'tcp6': case 'uxst':
        return `log target '${text}': syslog over stream sockets is not supported by Turnpike yet (use a UDP address)`;
      default:
        return `unknown address family '${prefix}' in '${text}'`;
    }
  }
  let host = rest;
  let portText = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return `invalid address: missing ']' in '${text}'`;
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after && !after.startsWith(':')) return `invalid address '${text}'`;
    portText = after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  let port = 514;
  if (portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) return `invalid port '${portText}'`;
    port = Number(portText) || 514;
  }
  if (host === '' || host === '*') host = family === 6 ? '::' : '0.0.0.0';
  const v4 = isIPv4(host);
  const v6 = isIPv6(host);
  if ((family === 4 && !v4 && v6) || (family === 6 && !v6 && v4)) return `invalid address: '${host}' in '${text}'`;
  if (!v4 && !v6 && !/^[A-Za-z0-9_.-]+$/.test(host)) return `invalid address: '${host}' in '${text}'`;
  return { kind: 'udp', host, port };
}

/** Parses "log <target> ..." (args[0] is "log"); returns the target or the error text after "log : ". */
export function parseLogTarget(args: readonly string[], loc: Loc, inGlobal: boolean): LogTarget | string {
  if (!args[1] || !args[2]) return `expects <address> and <facility> ${inGlobal ? '' : 'or global'} as arguments`;
  let i = 2;
  let maxlen = DEFAULT_LOG_LEN;
  if (args[i] === 'len') {
    const len = atoi(args[i + 1]);
    if (len < 80 || len > 65535) return `invalid log length '${args[i + 1] ?? ''}', must be between 80 and 65535`;
    maxlen = len;
    i += 2;
  }
  let format: SyslogFormat = 'unspec';
  if (args[i] === 'format') {
    const f = args[i + 1] ?? '';
    const idx = SYSLOG_FORMATS.indexOf(f as SyslogFormat);
    if (idx <= 0) return `unknown log format '${f}'`;
    format = SYSLOG_FORMATS[idx]!;
    i += 2;
  }
  let sampling: LogSampling | null = null;
  if (args[i] === 'sample') {
    const r = parseSampling(args[i + 1] ?? '');
    if (typeof r === 'string') return r;
    sampling = r;
    i += 2;
  }
  const facility = FACILITIES.indexOf((args[i] ?? '') as (typeof FACILITIES)[number]);
  if (facility < 0) return `unknown log facility '${args[i] ?? ''}'`;
  i++;
  let level = 7;
  if (args[i] !== undefined) {
    level = LEVELS.indexOf(args[i] as (typeof LEVELS)[number]);
    if (level < 0) return `unknown optional log level '${args[i]}'`;
    i++;
  }
  let minLevel = 0;
  if (args[i] !== undefined) {
    minLevel = LEVELS.indexOf(args[i] as (typeof LEVELS)[number]);
    if (minLevel < 0) return `unknown optional minimum log level '${args[i]}'`;
    i++;
  }
  if (args[i] !== undefined) return `cannot handle unexpected argument '${args[i]}'`;
  const addr = parseLogAddress(args[1]);
  if (typeof addr === 'string') return addr;
  return new LogTarget(loc, args[1], addr, maxlen, format, facility, level, minLevel, sampling, null);
}
