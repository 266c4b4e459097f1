// Byte classes of the HTTP/1 grammar as HAProxy 2.6 applies them (src/http.c char table),
// as lookup tables so the parsers test a byte with one indexed load.

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HT = 0x09;
export const COLON = 0x3a;
export const SEMI = 0x3b;
export const COMMA = 0x2c;

const TOKEN = 1;
/** Bytes of a version string; HAProxy's table marks the upper-case letters, digits, '/' and '.'. */
const VERSION = 2;
const HEX = 4;

const table = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) table[c] = TOKEN | VERSION | HEX;
for (let c = 0x41; c <= 0x5a; c++) table[c] = TOKEN | VERSION;
for (let c = 0x61; c <= 0x7a; c++) table[c] = TOKEN;
for (const c of "!#$%&'*+-.^_`|~") table[c.charCodeAt(0)] |= TOKEN;
table[0x2e] |= VERSION;
table[0x2f] |= VERSION;
for (let c = 0x41; c <= 0x46; c++) table[c]! |= HEX;
for (let c = 0x61; c <= 0x66; c++) table[c]! |= HEX;

/** tchar of RFC 9110 (method and header-name characters). */
export function isToken(c: number): boolean {
  return (table[c]! & TOKEN) !== 0;
}

export function isVersionChar(c: number): boolean {
  return (table[c]! & VERSION) !== 0;
}

/** Value of a hex digit, or -1. */
export function hexValue(c: number): number {
  if ((table[c]! & HEX) === 0) return -1;
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

export function isSpHt(c: number): boolean {
  return c === SP || c === HT;
}

/** HAProxy's LWS: SP, HT, CR, LF. */
export function isLws(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Whether buf[s, e) equals `lower` (an ASCII lower-case literal), ignoring ASCII case. */
export function bytesEqualLower(buf: Buffer, s: number, e: number, lower: string): boolean {
  if (e - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = buf[s + i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether string `s` equals `lower` (ASCII lower-case literal), ignoring ASCII case. */
export function equalsLower(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
