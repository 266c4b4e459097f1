// The server name a client asks for, read from its ClientHello before the TLS library sees
// it. Node only reports the SNI when it picked a certificate with it, which it does not do
// when a TLS 1.2 session is resumed; HAProxy still knows the name then (ssl_fc_sni, and the
// use_backend rules reading it).

/**
 * The certificate key types a client accepts (HAProxy's has_ecdsa_sig / has_rsa_sig): ECDSA
 * when it offers an ECDSA signature algorithm and an ECDSA cipher (TLS 1.3 suites do not
 * count, as for OpenSSL's SSL_CIPHER_get_auth_nid()), RSA when it offers an RSA PKCS#1 one or
 * no signature_algorithms extension at all.
 */
export const Sig = { Ecdsa: 1, Rsa: 2 } as const;

/** What the first bytes of a connection tell. */
export type HelloPeek =
  | { readonly kind: 'incomplete' }
  /** The SNI (null when none was sent, or when the ClientHello cannot be read here) and the Sig flags. */
  | { readonly kind: 'done'; readonly sni: string | null; readonly sigs: number };

const INCOMPLETE: HelloPeek = { kind: 'incomplete' };
const NONE: HelloPeek = { kind: 'done', sni: null, sigs: Sig.Rsa };

/** Cipher suites authenticated with ECDSA that OpenSSL knows (ECDHE-ECDSA-*). */
const ECDSA_CIPHERS: ReadonlySet<number> = new Set([
  0xc006, 0xc007, 0xc008, 0xc009, 0xc00a, 0xc023, 0xc024, 0xc02b, 0xc02c, 0xc048, 0xc049, 0xc05c, 0xc05d,
  0xc072, 0xc073, 0xc0ac, 0xc0ad, 0xc0ae, 0xc0af, 0xcca9,
]);

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
  const ciphersStart = p + 2;
  const ciphersEnd = Math.min(end, ciphersStart + buf.readUInt16BE(p));
  p = ciphersStart + buf.readUInt16BE(p);
  if (p >= end) return NONE;
  p += 1 + buf[p]!; // compression methods
  if (p + 2 > end) return NONE;
  const extEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  p += 2;
  let sni: string | null = null;
  let sigs = -1;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) sni = hostName(buf, p, Math.min(p + len, extEnd));
    else if (type === 13) sigs = signatureKinds(buf, p, Math.min(p + len, extEnd));
    p += len;
  }
  if (sigs < 0) sigs = Sig.Rsa; // no signature_algorithms: before TLS 1.2
  if (sigs & Sig.Ecdsa && !hasEcdsaCipher(buf, ciphersStart, ciphersEnd)) sigs &= ~Sig.Ecdsa;
  return { kind: 'done', sni, sigs };
}

/** The Sig flags of a signature_algorithms extension (the signature byte of each pair: 1 RSA, 3 ECDSA). */
function signatureKinds(buf: Buffer, p: number, end: number): number {
  if (p + 2 > end) return 0;
  const listEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  let sigs = 0;
  for (p += 2; p + 2 <= listEnd; p += 2) {
    const sign = buf[p + 1]!;
    if (sign === 1) sigs |= Sig.Rsa;
    else if (sign === 3) sigs |= Sig.Ecdsa;
  }
  return sigs;
}

function hasEcdsaCipher(buf: Buffer, p: number, end: number): boolean {
  for (; p + 2 <= end; p += 2) if (ECDSA_CIPHERS.has(buf.readUInt16BE(p))) return true;
  return false;
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
