// Encoding and formatting converters: url_dec, url_enc, json, host_only, port_only, be2dec,
// be2hex, http_date, ltime and utime, as HAProxy 2.6's sample.c and http_conv.c.
import type { Sample } from './types.ts';
import type { Arg } from './arg.ts';
import { registerConverters } from './converters.ts';
import { strftime } from './strftime.ts';
import { asciiLower } from './pattern.ts';

function out(smp: Sample, type: Sample['type'], value: Sample['value']): Sample {
  return smp.mayChange ? { type, value, mayChange: true } : { type, value };
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * url_decode(): "%HH" escapes; '+' becomes a space in a form (<inForm>) or after a '?'.
 * A malformed escape fails.
 */
export function urlDecode(s: string, inForm: boolean): string | null {
  let r = '';
  let form = inForm;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '+') r += form ? ' ' : '+';
    else if (c === '%') {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) return null;
      r += String.fromCharCode((h << 4) | l);
      i += 2;
    } else {
      if (c === '?') form = true;
      r += c;
    }
  }
  return r;
}

/** url_enc (query): everything but letters, digits and "-._~" becomes %HH. */
export function urlEncode(s: string): string {
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126) r += s[i];
    else r += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return r;
}

// ---- json ----------------------------------------------------------------------------------------------

const JSON_MODES = ['ascii', 'utf8', 'utf8s', 'utf8p', 'utf8ps'] as const;
type JsonMode = (typeof JSON_MODES)[number];

const BADSEQ = 1;
const OVERLONG = 2;
const INVRANGE = 4;

/** utf8_next(): the next code point at s[i], its length and HAProxy's error flags. */
function utf8Next(s: string, i: number): { c: number; len: number; flags: number } {
  const b = s.charCodeAt(i);
  const avail = s.length - i;
  let dec: number;
  let c: number;
  if (b <= 0x7f) return { c: b, len: 1, flags: 0 };
  if (b <= 0xbf || b >= 0xfe) return { c: b, len: 1, flags: BADSEQ };
  if (b <= 0xdf) { dec = 1; c = b & 0x1f; }
  else if (b <= 0xef) { dec = 2; c = b & 0x0f; }
  else if (b <= 0xf7) { dec = 3; c = b & 0x07; }
  else if (b <= 0xfb) { dec = 4; c = b & 0x03; }
  else { dec = 5; c = b & 0x01; }
  if (avail < dec + 1) return { c: b, len: 1, flags: BADSEQ };
  let p = i + 1;
  for (; dec > 0; dec--, p++) {
    const n = s.charCodeAt(p);
    if ((n & 0xc0) !== 0x80) return { c, len: p - i, flags: BADSEQ };
    c = c * 64 + (n & 0x3f);
  }
  const len = p - i;
  let flags = 0;
  if ((c <= 0x7f && len > 1) || (c >= 0x80 && c <= 0x7ff && len > 2) || (c >= 0x800 && c <= 0xffff && len > 3) ||
    (c >= 0x10000 && c <= 0x1fffff && len > 4)) flags |= OVERLONG;
  if ((c >= 0xd800 && c <= 0xdfff) || (c >= 0xfffe && c <= 0xffff)) flags |= INVRANGE;
  return { c, len, flags };
}

/** sample_conv_json(): a JSON string body (without quotes), or null when the input is refused. */
export function jsonEscape(s: string, mode: JsonMode): string | null {
  let r = '';
  const strict = mode === 'utf8' || mode === 'utf8p';
  let i = 0;
  while (i < s.length) {
    let c: number;
    if (mode === 'ascii') {
      c = s.charCodeAt(i);
      i++;
    } else {
      const n = utf8Next(s, i);
      i += n.len;
      if (n.flags & (BADSEQ | INVRANGE)) {
        if (strict) return null;
        continue;
      }
      if (n.flags & OVERLONG && (mode === 'utf8' || mode === 'utf8s')) {
        if (mode === 'utf8') return null;
        continue;
      }
      c = n.c;
    }
    if (c === 34) r += '\\"';
    else if (c === 92) r += '\\\\';
    else if (c === 47) r += '\\/';
    else if (c === 8) r += '\\b';
    else if (c === 12) r += '\\f';
    else if (c === 13) r += '\\r';
    else if (c === 10) r += '\\n';
    else if (c === 9) r += '\\t';
    else if (c > 0xff || c < 0x20 || c > 0x7e) {
      // JSON escapes have four hex digits: longer code points are refused or dropped
      if (c > 0xffff) {
        if (strict) return null;
        continue;
      }
      r += '\\u' + c.toString(16).padStart(4, '0');
    } else r += String.fromCharCode(c);
  }
  return r;
}

// ---- Host header values -----------------------------------------------------------------------------------

/** Where the port separator of a Host value is: the ':' before its trailing digits, or -1. */
function portColon(h: string): number {
  let p = h.length;
  while (p > 0 && h.charCodeAt(p - 1) >= 48 && h.charCodeAt(p - 1) <= 57) p--;
  return p > 0 && h[p - 1] === ':' ? p - 1 : -1;
}

// ---- big-endian chunks ---------------------------------------------------------------------------------------

function chunkValues(b: Buffer, size: number, truncate: boolean): Buffer[] {
  const outv: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) {
    if (i + size > b.length && truncate) break;
    outv.push(b.subarray(i, Math.min(b.length, i + size)));
  }
  return outv;
}

// ---- dates ---------------------------------------------------------------------------------------------------

const UNITS: Readonly<Record<string, number>> = { s: 1, ms: 1000, us: 1000000 };
const DAY3 = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MON3 = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMF-fixdate; sub-second units add ".<fraction>" as HAProxy prints it (unpadded). */
export function httpDate(value: number, unit: number): string {
  const sec = Math.floor(value / unit);
  const frac = value - sec * unit;
  const d = new Date(sec * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  const date = `${DAY3[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MON3[d.getUTCMonth()]} ${String(d.getUTCFullYear()).padStart(4, '0')}`;
  return `${date} ${time}${unit !== 1 ? `.${frac}` : ''} GMT`;
}

function timeConverter(name: string, utc: boolean): void {
  registerConverters({
    name, args: { types: ['str', 'sint'], min: 1 }, in: 'sint', out: 'str',
    fn: (smp, a) => out(smp, 'str', strftime(a[0]!.str, (smp.value as number) + (a[1] ? a[1].int : 0), utc)),
  });
}

const jsonModes = new WeakMap<Arg, JsonMode>();

registerConverters(
  {
    name: 'url_dec', args: { types: ['sint'], min: 0 }, in: 'str', out: 'str',
    fn: (smp, a) => {
      const r = urlDecode(smp.value as string, a[0] !== undefined && a[0].int !== 0);
      return r === null ? null : out(smp, 'str', r);
    },
  },
  {
    name: 'url_enc', args: { types: ['str'], min: 0 }, in: 'str', out: 'str',
    validate: (a) => (a[0] && a[0].str !== '' && a[0].str !== 'query' ? "Unexpected encode type. Allowed value is 'query'" : null),
    fn: (smp) => out(smp, 'str', urlEncode(smp.value as string)),
  },
  {
    name: 'json', args: { types: ['str'], min: 0 }, in: 'str', out: 'str',
    validate: (a) => {
      const m = a[0] && a[0].str !== '' ? JSON_MODES.find((x) => x === a[0]!.str) : 'ascii';
      if (!m) return "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'";
      if (a[0]) jsonModes.set(a[0], m);
      return null;
    },
    fn: (smp, a) => {
      const r = jsonEscape(smp.value as string, a[0] ? jsonModes.get(a[0]) ?? 'ascii' : 'ascii');
      return r === null ? null : out(smp, 'str', r);
    },
  },
  {
    // the Host value without its port, lower-cased
    name: 'host_only', in: 'str', out: 'str',
    fn: (smp) => {
      const h = smp.value as string;
      const colon = portColon(h);
      return out(smp, 'str', asciiLower(colon < 0 ? h : h.slice(0, colon)));
    },
  },
  {
    // the port of a Host value, 0 without one
    name: 'port_only', in: 'str', out: 'sint',
    fn: (smp) => {
      const h = smp.value as string;
      const colon = portColon(h);
      const p = colon < 0 ? '' : h.slice(colon + 1);
      return out(smp, 'sint', /^\d+$/.test(p) ? Number(p) : 0);
    },
  },
  {
    // be2dec(<separator>,<chunk_size>[,<truncate>]): unsigned big-endian chunks in decimal
    name: 'be2dec', args: { types: ['str', 'sint', 'sint'], min: 1 }, in: 'bin', out: 'str',
    validate: (a) => {
      const size = a[1] ? a[1].int : 0;
      return size < 1 || size > 8 ? `chunk_size out of [1..8] range (${size})` : null;
    },
    fn: (smp, a) => {
      const parts = chunkValues(smp.value as Buffer, a[1]!.int, a[2] !== undefined && a[2].int !== 0);
      return out(smp, 'str', parts.map((c) => BigInt('0x' + (c.toString('hex') || '0')).toString()).join(a[0]!.str));
    },
  },
  {
    // be2hex([<separator>],[<chunk_size>],[<truncate>]): hex, in chunks when asked
    name: 'be2hex', args: { types: ['str', 'sint', 'sint'], min: 0 }, in: 'bin', out: 'str',
    validate: (a) => {
      if (a.length === 0) return null;
      const size = a[1] ? a[1].int : 0;
      return size <= 0 ? `chunk_size needs to be positive (${size})` : null;
    },
    fn: (smp, a) => {
      const b = smp.value as Buffer;
      if (!a[1]) return out(smp, 'str', b.toString('hex').toUpperCase());
      const parts = chunkValues(b, a[1].int, a[2] !== undefined && a[2].int !== 0);
      return out(smp, 'str', parts.map((c) => c.toString('hex').toUpperCase()).join(a[0]!.str));
    },
  },
  {
    name: 'http_date', args: { types: ['sint', 'str'], min: 0 }, in: 'sint', out: 'str',
    validate: (a) => {
      const u = a[1];
      if (!u || u.str === '') return null;
      if (UNITS[u.str] === undefined) return `expects 's', 'ms' or 'us', got '${u.str}'`;
      return null;
    },
    fn: (smp, a) => {
      const unit = a[1] && a[1].str !== '' ? UNITS[a[1].str]! : 1;
      return out(smp, 'str', httpDate((smp.value as number) + (a[0] ? a[0].int : 0), unit));
    },
  },
);

timeConverter('ltime', false);
timeConverter('utime', true);
