// Date texts of HAProxy's logs (tools.c date2str_log, gmt2str_log, localdate2str_log and the
// syslog header stamps), in the process's local time zone as HAProxy's localtime() calls.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad3(n: number): string {
  return n < 10 ? '00' + n : n < 100 ? '0' + n : String(n);
}

/** "+0100" style offset of local time at `d`. */
function offsetHhmm(d: Date): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return (off < 0 ? '-' : '+') + pad2(Math.floor(a / 60)) + pad2(a % 60);
}

/** %t, %tr: "24/Nov/2026:17:26:59.012" (local time, milliseconds). */
export function logDate(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad3(d.getMilliseconds())}`;
}

/** %T, %trg: "24/Nov/2026:16:26:59 +0000". */
export function gmtDate(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** %Tl, %trl: "24/Nov/2026:17:26:59 +0100". */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${offsetHhmm(d)}`;
}

/** RFC 3164 header stamp: "Nov  4 17:26:59" (day padded with a space). */
export function legacyTime(ms: number): string {
  const d = new Date(ms);
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ' ' + day : day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** RFC 5424 / iso / timed header stamp: "2026-11-24T17:26:59.012345+01:00" (microseconds, local offset). */
export function isoTime(ms: number, micros: number): string {
  const d = new Date(ms);
  const off = offsetHhmm(d);
  const us = String(micros).padStart(6, '0');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${us}${off.slice(0, 3)}:${off.slice(3)}`;
}
