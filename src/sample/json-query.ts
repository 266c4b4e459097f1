// The json_query(<json_path>[,<output_type>]) converter. HAProxy 2.6 answers it with the mjson
// library it embeds: a streaming scanner (no document tree) whose path matcher takes the first
// match, understands "$", ".key" (with "\." for a dot in a key) and "[index]", and gives up on
// objects, arrays and null. Its number scanner and formatting ("%g") are reproduced here so that
// the same bytes in give the same sample out, quirks included (trailing commas are accepted, a
// value found before a syntax error is returned, integers are read with strtoll(..., 0)).
import type { Sample } from './types.ts';
import type { Arg, ArgSpec } from './arg.ts';
import { registerConverters } from './converters.ts';

/**
 * mjson's token codes (MJSON_TOK_*) for keys and values; brackets, commas and colons are their
 * own character codes, and a whole object or array found is reported as its opening bracket.
 */
const Tok = { Key: 1, String: 11, Number: 12, True: 13, False: 14, Null: 15 } as const;

/** Nesting deeper than this is an error (MJSON_MAX_DEPTH). */
const MAX_DEPTH = 20;

/** What the scanner expects next. */
const Expect = { Value: 0, Key: 1, Colon: 2, CommaOrEnd: 3 } as const;

const BACKSLASH = 92;
const QUOTE = 34;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Character code at i, 0 past the end (C strings end with a NUL). */
function at(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

/**
 * mjson's own strtod(): sign, digits, fraction, exponent, computed with the same double
 * operations (so not always correctly rounded). <end> is where parsing stopped; it stays at
 * <start> when nothing was read, and for "1." (a dot not followed by digits nor an exponent).
 */
export function mjsonStrtod(s: string, start: number): { value: number; end: number } {
  let d = 0;
  let sign = 1;
  let p = start;
  let a = start;
  if (at(s, p) === 45) {
    sign = -1;
    p++;
  } else if (at(s, p) === 43) p++;
  if (isDigit(at(s, p))) {
    d = at(s, p++) - 48;
    while (isDigit(at(s, p))) d = d * 10 + (at(s, p++) - 48);
    a = p;
  } else if (at(s, p) !== 46) {
    return { value: d, end: a };
  }
  d *= sign;
  if (at(s, p) === 46) {
    let f = 0;
    let base = 0.1;
    p++;
    while (isDigit(at(s, p))) {
      f += base * (at(s, p++) - 48);
      base /= 10;
    }
    d += f * sign;
    a = p;
  }
  const c = at(s, p);
  if (c === 69 || c === 101) {
    // the exponent is a C int: long exponents wrap around as they do there
    let e = 0;
    let neg = false;
    p++;
    if (at(s, p) === 45) {
      p++;
      neg = true;
    }
    if (at(s, p) === 43) p++;
    while (isDigit(at(s, p))) e = (Math.imul(e, 10) + (at(s, p++) - 48)) | 0;
    let i = e;
    if (neg) e = -e | 0;
    let exp = 10;
    let f = 1;
    while (i > 0) {
      if (i & 1) f *= exp;
      exp *= exp;
      i >>= 1;
    }
    if (e > 0) d *= f;
    else if (e < 0) d /= f;
    a = p;
  } else if (p > start && !isDigit(at(s, p - 1))) {
    a = start;
  }
  return { value: d, end: a };
}

/** mjson_pass_string(): index of the closing quote of the string opening before <i>, or -1. */
function passString(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // only the escapes of a quote, a backslash or a control character are skipped over
    if (c === BACKSLASH && i + 1 < s.length && escapedControl(s.charCodeAt(i + 1))) i++;
    else if (c === 0) return -1;
    else if (c === QUOTE) return i;
  }
  return -1;
}

/** Characters mjson skips after a backslash while scanning a string: \b \f \n \r \t \\ \". */
function escapedControl(c: number): boolean {
  return c === 8 || c === 12 || c === 10 || c === 13 || c === 9 || c === BACKSLASH || c === QUOTE;
}

/** A found token: its code and where it is in the input. */
export interface JsonToken {
  readonly tok: number;
  readonly off: number;
  readonly len: number;
}

/**
 * The path matcher (mjson_get_cb) fed by the scanner, one instance per search. <d1> is the
 * current depth, <d2> the depth matched so far, <i1>/<i2> the current and wanted array index.
 */
class PathMatch {
  pos = 1;
  d1 = 0;
  d2 = 0;
  i1 = 0;
  i2 = 0;
  obj = -1;
  found: JsonToken | null = null;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  private pathEnded(): boolean {
    return at(this.path, this.pos) === 0;
  }

  /** Returns true to stop the scan (found, or the path cannot match any more). */
  event(s: string, tok: number, off: number, len: number): boolean {
    const path = this.path;
    if (tok === 123) {
      if (this.pathEnded() && this.d1 === this.d2) this.obj = off;
      this.d1++;
    } else if (tok === 91) {
      if (this.d1 === this.d2 && at(path, this.pos) === 91) {
        this.i1 = 0;
        this.i2 = indexValue(path, this.pos + 1);
        if (this.i1 === this.i2) {
          this.d2++;
          this.pos += 3;
        }
      }
      if (this.pathEnded() && this.d1 === this.d2) this.obj = off;
      this.d1++;
    } else if (tok === 44) {
      if (this.d1 === this.d2 + 1) {
        this.i1++;
        if (this.i1 === this.i2) {
          while (this.pos < path.length && path.charCodeAt(this.pos) !== 93) this.pos++;
          this.pos = Math.min(this.pos + 1, path.length);
          this.d2++;
        }
      }
    } else if (tok === Tok.Key && this.d1 === this.d2 + 1 && at(path, this.pos) === 46 && keyMatches(s, off, len, path, this.pos + 1)) {
      this.d2++;
      this.pos += segmentEnd(path, this.pos + 1) - this.pos;
    } else if (tok === Tok.Key && this.d1 === this.d2) {
      return true;
    } else if (tok === 125 || tok === 93) {
      this.d1--;
      if (this.pathEnded() && this.d1 === this.d2 && this.obj !== -1) {
        this.found = { tok: tok - 2, off: this.obj, len: off - this.obj + 1 };
        return true;
      }
    } else if (tok > 10 && tok < 20) {
      if (this.d1 === this.d2 && this.pathEnded()) {
        this.found = { tok, off, len };
        return true;
      }
    }
    return false;
  }
}

/** "[<n>]": the index as mjson reads it (its strtod, then a C cast to int). */
function indexValue(path: string, start: number): number {
  const v = Math.trunc(mjsonStrtod(path, start).value);
  return Number.isFinite(v) && v >= -2147483648 && v <= 2147483647 ? v : -2147483648;
}

/** End of the path segment starting at <i> ('.', '[' or the end; "\x" escapes one character). */
function segmentEnd(path: string, i: number): number {
  while (i < path.length && path.charCodeAt(i) !== 46 && path.charCodeAt(i) !== 91) i += path.charCodeAt(i) === BACKSLASH ? 2 : 1;
  return Math.min(i, path.length);
}

/** The quoted key token at s[off, off+len) equals the path segment at <p> (plen1() and kcmp()). */
function keyMatches(s: string, off: number, len: number, path: string, p: number): boolean {
  if (s.charCodeAt(off) !== QUOTE || s.charCodeAt(off + len - 1) !== QUOTE) return false;
  let n = 0;
  for (let i = p; i < path.length && path.charCodeAt(i) !== 46 && path.charCodeAt(i) !== 91; i += path.charCodeAt(i) === BACKSLASH ? 2 : 1) n++;
  if (n !== len - 2) return false;
  for (let j = 0, i = p; j < n; i++, j++) {
    if (at(path, i) === BACKSLASH) i++;
    if (s.charCodeAt(off + 1 + j) !== at(path, i)) return false;
  }
  return true;
}

/**
 * mjson_find(): the token at <path> in the JSON text <s> (a byte string), or null. The scan
 * stops at the first match, so what follows it is not checked; a syntax error before it, or
 * nesting deeper than 20, means no match.
 */
export function jsonFind(s: string, path: string): JsonToken | null {
  if (path.charCodeAt(0) !== 36) return null;
  const m = new PathMatch(path);
  const nesting: number[] = [];
  let expecting: number = Expect.Value;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const start = i;
    const c = s.charCodeAt(i);
    let tok = c;
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    switch (expecting) {
      case Expect.Value:
        if (c === 123 || c === 91) {
          if (nesting.length >= MAX_DEPTH) return null;
          nesting.push(c);
          if (c === 123) expecting = Expect.Key;
          break;
        }
        if (c === 93 && nesting.length > 0) {
          // "[]" or a trailing comma: the array ends where a value was expected
          const r = endNesting(s, m, nesting, c, start, i);
          if (r !== undefined) return r;
        } else if (c === 116 && s.startsWith('true', i)) {
          i += 3;
          tok = Tok.True;
        } else if (c === 110 && s.startsWith('null', i)) {
          i += 3;
          tok = Tok.Null;
        } else if (c === 102 && s.startsWith('false', i)) {
          i += 4;
          tok = Tok.False;
        } else if (c === 45 || isDigit(c)) {
          // a number mjson's strtod cannot read still makes an (empty) number token
          i = Math.min(mjsonStrtod(s, i).end, len) - 1;
          tok = Tok.Number;
        } else if (c === QUOTE) {
          const q = passString(s, i + 1);
          if (q < 0) return null;
          i = q;
          tok = Tok.String;
        } else {
          return null;
        }
        if (nesting.length === 0) return m.event(s, tok, start, i - start + 1) ? m.found : null;
        expecting = Expect.CommaOrEnd;
        break;
      case Expect.Key:
        if (c === QUOTE) {
          const q = passString(s, i + 1);
          if (q < 0) return null;
          i = q;
          tok = Tok.Key;
          expecting = Expect.Colon;
        } else if (c === 125) {
          const r = endNesting(s, m, nesting, c, start, i);
          if (r !== undefined) return r;
          expecting = Expect.CommaOrEnd;
        } else {
          return null;
        }
        break;
      case Expect.Colon:
        if (c !== 58) return null;
        expecting = Expect.Value;
        break;
      default:
        if (nesting.length === 0) return null;
        if (c === 44) expecting = nesting[nesting.length - 1] === 123 ? Expect.Key : Expect.Value;
        else if (c === 93 || c === 125) {
          const r = endNesting(s, m, nesting, c, start, i);
          if (r !== undefined) return r;
        } else return null;
    }
    if (m.event(s, tok, start, i - start + 1)) return m.found;
  }
  return null;
}

/**
 * A closing bracket (mjson's MJSONEOO): it must match the opening one. Returns the result of
 * the search when the scan ends here (the outermost value closed, or a bracket mismatch),
 * undefined to go on.
 */
function endNesting(s: string, m: PathMatch, nesting: number[], c: number, start: number, i: number): JsonToken | null | undefined {
  if (c !== nesting[nesting.length - 1]! + 2) return null;
  nesting.pop();
  if (nesting.length > 0) return undefined;
  m.event(s, c, start, i - start + 1);
  return m.found;
}

// ---- values ------------------------------------------------------------------------------------

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

/** C's strtoll(s + start, NULL, 0): sign, then hexadecimal ("0x"), octal ("0") or decimal; saturating. */
export function strtoll0(s: string, start: number): bigint {
  let p = start;
  while (p < s.length && (s.charCodeAt(p) === 32 || (s.charCodeAt(p) >= 9 && s.charCodeAt(p) <= 13))) p++;
  let neg = false;
  if (at(s, p) === 45 || at(s, p) === 43) neg = s.charCodeAt(p++) === 45;
  let base = 10n;
  let b = 10;
  if (at(s, p) === 48) {
    if ((at(s, p + 1) === 120 || at(s, p + 1) === 88) && digitValue(at(s, p + 2)) < 16) {
      base = 16n;
      b = 16;
      p += 2;
    } else {
      base = 8n;
      b = 8;
    }
  }
  let v = 0n;
  const limit = LLONG_MAX + 1n;
  for (; p < s.length; p++) {
    const d = digitValue(s.charCodeAt(p));
    if (d >= b) break;
    if (v < limit) v = v * base + BigInt(d);
  }
  if (neg) return v >= limit ? LLONG_MIN : -v;
  return v > LLONG_MAX ? LLONG_MAX : v;
}

/** Round-half-even of a decimal digit string to <n> digits; returns the digits and a carry. */
function roundDigits(digits: string, n: number): { digits: string; carry: boolean } {
  if (digits.length <= n) return { digits: digits.padEnd(n, '0'), carry: false };
  const head = digits.slice(0, n);
  const first = digits.charCodeAt(n) - 48;
  let up = first > 5;
  if (first === 5) {
    const rest = digits.slice(n + 1);
    up = /[1-9]/.test(rest) || (head.charCodeAt(n - 1) - 48) % 2 === 1;
  }
  if (!up) return { digits: head, carry: false };
  const bumped = (BigInt(head) + 1n).toString();
  return bumped.length > n ? { digits: bumped.slice(0, n), carry: true } : { digits: bumped, carry: false };
}

/** The exact decimal expansion of a finite positive double: digits and the power of ten of the first one. */
function exactDecimal(v: number): { digits: string; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  if (e2 >= 0) {
    const digits = (mant << BigInt(e2)).toString();
    return { digits, exp: digits.length - 1 };
  }
  const digits = (mant * 5n ** BigInt(-e2)).toString();
  return { digits, exp: digits.length - 1 + e2 };
}

/** C's printf("%g"): six significant digits, exponent form below 1e-4 or from 1e6, no trailing zeros. */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return '-nan'; // x86's default NaN (0 * inf) has its sign bit set
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return `${sign}0`;
  const P = 6;
  const ex = exactDecimal(Math.abs(v));
  const r = roundDigits(ex.digits, P);
  const x = ex.exp + (r.carry ? 1 : 0);
  const digits = r.digits;
  if (x < -4 || x >= P) {
    const frac = digits.slice(1).replace(/0+$/, '');
    const e = Math.abs(x);
    return `${sign}${digits[0]}${frac ? '.' + frac : ''}e${x < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let text: string;
  if (x >= 0) text = digits.slice(0, x + 1) + '.' + digits.slice(x + 1);
  else text = '0.' + '0'.repeat(-x - 1) + digits;
  text = text.replace(/0+$/, '').replace(/\.$/, '');
  return sign + text;
}

function unhexNibble(c: number): number {
  // mjson_unhex_nimble(): no validation, in unsigned char arithmetic
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  return c - 87;
}

/**
 * mjson_unescape() of a string token's contents: "\uXXXX" only for 00XX (one byte), the usual
 * one-letter escapes; anything else, or a result of <max> bytes or more, fails (null).
 */
export function jsonUnescape(s: string, start: number, end: number, max: number): string | null {
  let out = '';
  let n = 0;
  for (let i = start; i < end; i++, n++) {
    if (n >= max) return null;
    const c = s.charCodeAt(i);
    if (c === BACKSLASH && i + 5 < end && s.charCodeAt(i + 1) === 117) {
      if (s.charCodeAt(i + 2) !== 48 || s.charCodeAt(i + 3) !== 48) return null;
      let v = unhexNibble(s.charCodeAt(i + 4)) & 0xff;
      v = ((v << 4) & 0xff) | (unhexNibble(s.charCodeAt(i + 5)) & 0xff);
      out += String.fromCharCode(v);
      i += 5;
    } else if (c === BACKSLASH && i + 1 < end) {
      const e = UNESCAPE.get(s.charCodeAt(i + 1));
      if (e === undefined) return null;
      out += e;
      i++;
    } else {
      out += s[i];
    }
  }
  return n >= max ? null : out;
}

const UNESCAPE = new Map<number, string>([[98, '\b'], [102, '\f'], [110, '\n'], [114, '\r'], [116, '\t'], [92, '\\'], [34, '"']]);

/**
 * sample_conv_json_query() on a byte string: strings (unescaped), booleans, and numbers as a
 * "%g" string, or as an integer with <asInt> (strtoll from the number on; LLONG_MIN and
 * LLONG_MAX count as overflows). <maxLen> bounds a string result (the trash buffer's size).
 */
export function jsonQuery(input: string, path: string, asInt: boolean, maxLen: number): Sample | null {
  const t = jsonFind(input, path);
  if (!t) return null;
  switch (t.tok) {
    case Tok.Number: {
      if (asInt) {
        const v = strtoll0(input, t.off);
        return v === LLONG_MIN || v === LLONG_MAX ? null : { type: 'sint', value: Number(v) };
      }
      return { type: 'str', value: formatG(mjsonStrtod(input, t.off).value) };
    }
    case Tok.True:
      return { type: 'bool', value: true };
    case Tok.False:
      return { type: 'bool', value: false };
    case Tok.String: {
      const v = jsonUnescape(input, t.off + 1, t.off + t.len - 1, maxLen);
      return v === null ? null : { type: 'str', value: v };
    }
    default:
      return null;
  }
}

// ---- the converter ---------------------------------------------------------------------------------

export const JSON_QUERY_ARGS: ArgSpec = { types: ['str', 'str'], min: 1 };

/** sample_check_json_query()'s output type check; "int" turns the argument into an integer one. */
export function checkOutputType(a: Arg[]): string | null {
  const t = a[1];
  if (!t || t.str === '') return null;
  if (t.str !== 'int') return 'output_type only supports "int" as argument';
  t.type = 'sint';
  return null;
}

/** Whether the query asked for integers. */
export function wantsInt(a: readonly Arg[]): boolean {
  return a[1] !== undefined && a[1].type === 'sint';
}

const DEFAULT_BUFSIZE = 16384;

registerConverters({
  name: 'json_query', args: JSON_QUERY_ARGS, in: 'str', out: 'any',
  validate: (a) => (a[0]!.str === '' ? 'json_path must not be empty' : checkOutputType(a)),
  fn: (smp, a, s) => {
    const r = jsonQuery(smp.value as string, a[0]!.str, wantsInt(a), s.world.bufsize ?? DEFAULT_BUFSIZE);
    return r && smp.mayChange ? { ...r, mayChange: true } : r;
  },
});
