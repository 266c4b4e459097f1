// strftime(3) in the C locale, for the ltime/utime converters: the conversions glibc
// documents, in UTC or in the process's local time zone. Unknown conversions are copied.
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface Tm {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  wday: number;
  yday: number;
  /** seconds east of UTC */
  gmtoff: number;
  zone: string;
}

function pad(n: number, w: number, c = '0'): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= w ? s : c.repeat(w - s.length) + s);
}

function tmOf(epochSec: number, utc: boolean): Tm {
  const d = new Date(epochSec * 1000);
  const year = utc ? d.getUTCFullYear() : d.getFullYear();
  const mon = utc ? d.getUTCMonth() : d.getMonth();
  const mday = utc ? d.getUTCDate() : d.getDate();
  const yday = Math.round((Date.UTC(year, mon, mday) - Date.UTC(year, 0, 1)) / 86400000);
  const gmtoff = utc ? 0 : -d.getTimezoneOffset() * 60;
  let zone = 'GMT';
  if (!utc) {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    zone = part?.value ?? '';
  }
  return {
    year, mon, mday, yday, gmtoff, zone,
    hour: utc ? d.getUTCHours() : d.getHours(),
    min: utc ? d.getUTCMinutes() : d.getMinutes(),
    sec: utc ? d.getUTCSeconds() : d.getSeconds(),
    wday: utc ? d.getUTCDay() : d.getDay(),
  };
}

/** ISO 8601 week-based year and week number (%G, %V). */
function isoWeek(tm: Tm): { year: number; week: number } {
  const wdayMon = (tm.wday + 6) % 7;
  let year = tm.year;
  let week = Math.floor((tm.yday - wdayMon + 10) / 7);
  const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (week < 1) {
    year--;
    const prevDays = isLeap(year) ? 366 : 365;
    week = Math.floor((tm.yday + prevDays - wdayMon + 10) / 7);
  } else if (week === 53) {
    const days = isLeap(year) ? 366 : 365;
    if (tm.yday - wdayMon + 3 >= days) {
      year++;
      week = 1;
    }
  }
  return { year, week };
}

function conv(c: string, tm: Tm, epochSec: number): string | null {
  const h12 = tm.hour % 12 === 0 ? 12 : tm.hour % 12;
  switch (c) {
    case 'a': return DAYS[tm.wday]!.slice(0, 3);
    case 'A': return DAYS[tm.wday]!;
    case 'b': case 'h': return MONTHS[tm.mon]!.slice(0, 3);
    case 'B': return MONTHS[tm.mon]!;
    case 'c': return `${conv('a', tm, epochSec)} ${conv('b', tm, epochSec)} ${pad(tm.mday, 2, ' ')} ${conv('T', tm, epochSec)} ${tm.year}`;
    case 'C': return pad(Math.floor(tm.year / 100), 2);
    case 'd': return pad(tm.mday, 2);
    case 'D': case 'x': return `${pad(tm.mon + 1, 2)}/${pad(tm.mday, 2)}/${pad(tm.year % 100, 2)}`;
    case 'e': return pad(tm.mday, 2, ' ');
    case 'F': return `${tm.year}-${pad(tm.mon + 1, 2)}-${pad(tm.mday, 2)}`;
    case 'G': return String(isoWeek(tm).year);
    case 'g': return pad(isoWeek(tm).year % 100, 2);
    case 'H': return pad(tm.hour, 2);
    case 'I': return pad(h12, 2);
    case 'j': return pad(tm.yday + 1, 3);
    case 'k': return pad(tm.hour, 2, ' ');
    case 'l': return pad(h12, 2, ' ');
    case 'm': return pad(tm.mon + 1, 2);
    case 'M': return pad(tm.min, 2);
    case 'n': return '\n';
    case 'p': return tm.hour < 12 ? 'AM' : 'PM';
    case 'P': return tm.hour < 12 ? 'am' : 'pm';
    case 'r': return `${pad(h12, 2)}:${pad(tm.min, 2)}:${pad(tm.sec, 2)} ${tm.hour < 12 ? 'AM' : 'PM'}`;
    case 'R': return `${pad(tm.hour, 2)}:${pad(tm.min, 2)}`;
    case 's': return String(epochSec);
    case 'S': return pad(tm.sec, 2);
    case 't': return '\t';
    case 'T': case 'X': return `${pad(tm.hour, 2)}:${pad(tm.min, 2)}:${pad(tm.sec, 2)}`;
    case 'u': return String(tm.wday === 0 ? 7 : tm.wday);
    case 'U': return pad(Math.floor((tm.yday + 7 - tm.wday) / 7), 2);
    case 'V': return pad(isoWeek(tm).week, 2);
    case 'w': return String(tm.wday);
    case 'W': return pad(Math.floor((tm.yday + 7 - ((tm.wday + 6) % 7)) / 7), 2);
    case 'y': return pad(tm.year % 100, 2);
    case 'Y': return String(tm.year);
    case 'z': {
      const o = Math.abs(tm.gmtoff) / 60;
      return `${tm.gmtoff < 0 ? '-' : '+'}${pad(Math.floor(o / 60), 2)}${pad(o % 60, 2)}`;
    }
    case 'Z': return tm.zone;
    case '%': return '%';
    default: return null;
  }
}

/** Formats <epochSec> with <format>, in UTC or local time. */
export function strftime(format: string, epochSec: number, utc: boolean): string {
  const tm = tmOf(epochSec, utc);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    const r = conv(format[i + 1]!, tm, epochSec);
    out += r ?? c + format[i + 1]!;
    i++;
  }
  return out;
}
