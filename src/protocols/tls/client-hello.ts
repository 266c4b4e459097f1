// The server name a client asks for, read from its ClientHello before the TLS library sees
// it. Node only reports the SNI when it picked a certificate with it, which it does not do
// when a TLS 1.2 session is resumed; HAProxy still knows the name then (ssl_fc_sni, and the
// use_backend rules reading it).

/** What the first bytes of a connection tell. */
export type HelloPeek =
  | { readonly kind: 'incomplete' }
  /** The SNI (null when none was sent, or when the ClientHello cannot be read here). */
  | { readonly kind: 'done'; readonly sni: string | null };

const INCOMPLETE: HelloPeek = { kind: 'incomplete' };
const NONE: HelloPeek = { kind: 'done', sni: null };

/** Largest TLS record: 2^14 bytes of plaintext plus expansion. */
const MAX_RECORD = 16384 + 2048;

/**
 * Reads the SNI of the ClientHello at the start of `buf` (RFC 8446 4.1.2, RFC 6066 3). Only a
 * ClientHello held in its first record is read; anything else gives no name and is left to
 * the TLS library to accept or refuse.
 */
export function peekClientHello(buf: Buffer): HelloPeek {
  if (buf.length < 5) return INCOMPLETE;
  if (buf[0] !== 0x16) return NONE; // not a handshake record
  const recLen = buf.readUInt16BE(3);
  if (recLen > MAX_RECORD) return NONE;
  if (buf.length < 5 + recLen) return INCOMPLETE;
  const end = 5 + recLen;
  if (recLen < 4 || buf[5] !== 0x01) return NONE; // not a ClientHello
  const hsLen = (buf[6]! << 16) | (buf[7]! << 8) | buf[8]!;
  if (9 + hsLen > end) return NONE; // continued in another record
  let p = 9 + 2 + 32; // legacy_version, random
  if (p >= end) return NONE;
  p += 1 + buf[p]!; // session id
  if (p + 2 > end) return NONE;
  p += 2 + buf.readUInt16BE(p); // cipher suites
  if (p >= end) return NONE;
  p += 1 + buf[p]!; // compression methods
  if (p + 2 > end) return NONE;
  const extEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) return { kind: 'done', sni: hostName(buf, p, Math.min(p + len, extEnd)) };
    p += len;
  }
  return NONE;
}

/** The host_name entry of a server_name extension. */
function hostName(buf: Buffer, p: number, end: number): string | null {
  if (p + 2 > end) return null;
  const listEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 3 <= listEnd) {
    const type = buf[p]!;
    const len = buf.readUInt16BE(p + 1);
    p += 3;
    if (p + len > listEnd) return null;
    if (type === 0) return len > 0 ? buf.toString('latin1', p, p + len) : null;
    p += len;
  }
  return null;
}
