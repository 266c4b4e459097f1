// Syslog framing (HAProxy's build_log_header / __do_send_log): the header for each target
// format, then the message, the whole cut to the target's "len", then one LF.
import { legacyTime, isoTime } from './dates.ts';
import type { SyslogFormat } from './targets.ts';

/** What a header may carry besides priority and time. */
export interface LogMeta {
  readonly tag: string;
  readonly pid: string;
  /** log-send-hostname, or null. */
  readonly host: string | null;
  /** RFC 5424 structured data, trailing spaces removed; '' for none. */
  readonly sd: string;
}

/** 'unspec' resolves as HAProxy does for its own messages: RFC 3164 with a hostname, else 'local'. */
export function effectiveFormat(f: SyslogFormat, meta: LogMeta): SyslogFormat {
  return f === 'unspec' ? (meta.host ? 'rfc3164' : 'local') : f;
}

let legacySec = -1;
let legacyText = '';

/** "Nov 24 17:00:00", rebuilt once per second. */
function legacyStamp(now: number): string {
  const sec = Math.floor(now / 1000);
  if (sec !== legacySec) {
    legacySec = sec;
    legacyText = legacyTime(now);
  }
  return legacyText;
}

/** The header placed before the message for a target (the trailing separator included). */
export function buildHeader(format: SyslogFormat, facility: number, level: number, meta: LogMeta, now: number): string {
  const f = effectiveFormat(format, meta);
  switch (f) {
    case 'local':
      return `<${(facility << 3) + level}>${legacyStamp(now)} ${meta.tag}[${meta.pid}]: `;
    case 'rfc3164':
      return `<${(facility << 3) + level}>${legacyStamp(now)} ${meta.host || 'localhost'} ${meta.tag}[${meta.pid}]: `;
    case 'rfc5424': {
      const us = Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1_000_000;
      return `<${(facility << 3) + level}>1 ${isoTime(now, us)} ${meta.host || '-'} ${meta.tag || '-'} ${meta.pid} - ${meta.sd || '-'} `;
    }
    case 'priority':
      return `<${(facility << 3) + level}>`;
    case 'short':
      return `<${level}>`;
    case 'timed':
      return `<${level}>${isoTime(now, Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1_000_000)} `;
    case 'iso':
      return `${isoTime(now, Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1_000_000)} `;
    default:
      return '';
  }
}

/** Header + message cut to `maxlen` bytes (latin1 text: one char per byte), then "\n". */
export function frame(header: string, message: string, maxlen: number): string {
  const room = maxlen - header.length;
  if (room <= 0) return header.slice(0, maxlen) + '\n';
  return header + (message.length > room ? message.slice(0, room) : message) + '\n';
}
