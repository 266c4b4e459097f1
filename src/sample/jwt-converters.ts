// JSON Web Token converters (HAProxy 2.6's jwt.c and sample.c): jwt_header_query and
// jwt_payload_query run json_query on a decoded part of a token, jwt_verify checks the
// signature of a JWS in compact serialization with HMAC (a secret), RSA or ECDSA (a public key
// file read when the configuration is loaded). As in HAProxy 2.6, RSASSA-PSS is refused and
// the claims are not validated (expiry, audience...): this is only a signature check.
import { createHmac, createPublicKey, timingSafeEqual, verify, constants, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Sample, SampleStream } from './types.ts';
import type { Arg } from './arg.ts';
import { registerConverters } from './converters.ts';
import { getVarAs, resolveVarArg } from './vars.ts';
import { checkOutputType, jsonQuery, JSON_QUERY_ARGS, wantsInt } from './json-query.ts';

/** jwt_verify's results (enum jwt_vrfy_status). */
export const JwtStatus = { Ok: 1, Ko: 0, UnknownAlg: -1, UnmanagedAlg: -2, InvalidToken: -3, UnknownCert: -5 } as const;

type Family = 'HS' | 'RS' | 'ES' | 'PS' | 'none';

interface JwsAlg {
  readonly family: Family;
  readonly hash: string;
}

/** The JWS algorithms of RFC 7518 section 3.1, by their exact names. */
const ALGS: ReadonlyMap<string, JwsAlg> = new Map([
  ['none', { family: 'none', hash: '' }],
  ...(['HS', 'RS', 'ES', 'PS'] as const).flatMap((family) =>
    ['256', '384', '512'].map((bits): [string, JwsAlg] => [family + bits, { family, hash: `sha${bits}` }])),
]);

// ---- base64url as HAProxy decodes it ---------------------------------------------------------------

function b64urlValue(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 45) return 62;
  // HAProxy's base64urldec() takes '=' for the same value as '_' instead of refusing it
  if (c === 95 || c === 61) return 63;
  return -1;
}

/**
 * base64urldec() of s[start, end): no padding expected (a length of 4n+1 is invalid), any
 * character outside the URL alphabet fails.
 */
export function base64urlDecode(s: string, start: number, end: number): Buffer | null {
  const n = end - start;
  if (n % 4 === 1) return null;
  const out = Buffer.allocUnsafe(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = start; i < end; i++) {
    const v = b64urlValue(s.charCodeAt(i));
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

// ---- tokens ---------------------------------------------------------------------------------------

/**
 * jwt_tokenize(): the dot-separated parts of <token>, at most <max>; null when there are more.
 * Parts are [start, end) offsets.
 */
function tokenize(token: string, max: number): number[] | null {
  const bounds = [0];
  for (let i = 0; i < token.length; i++) {
    if (token.charCodeAt(i) !== 46) continue;
    if (bounds.length === max) return null;
    bounds.push(i + 1);
  }
  return bounds;
}

/**
 * The decoded part <k> (0: JOSE header, 1: claims) of a token, as jwt_header_query and
 * jwt_payload_query read it: only the parts up to <k> are looked at.
 */
export function jwtPart(token: string, k: number): string | null {
  const bounds: number[] = [0];
  for (let i = 0; i < token.length && bounds.length <= k; i++) if (token.charCodeAt(i) === 46) bounds.push(i + 1);
  if (bounds.length <= k) return null;
  const start = bounds[k]!;
  const dot = token.indexOf('.', start);
  const b = base64urlDecode(token, start, dot < 0 ? token.length : dot);
  return b ? b.toString('latin1') : null;
}

// ---- public keys -------------------------------------------------------------------------------------

/** Public keys by file path, read at load time (HAProxy's jwt_cert_tree). */
const publicKeys = new Map<string, KeyObject>();

const PUBKEY_PEM = /-----BEGIN PUBLIC KEY-----[^]*?-----END PUBLIC KEY-----/;

/**
 * jwt_tree_load_cert(): the first "PUBLIC KEY" PEM block of the file (as PEM_read_bio_PUBKEY;
 * certificates are not read). A file that cannot be read or holds no key is left out, so that
 * tokens checked against it get "unknown certificate".
 */
export function loadPublicKey(path: string): boolean {
  let key: KeyObject | null = null;
  try {
    const m = PUBKEY_PEM.exec(readFileSync(path, 'latin1'));
    if (m) key = createPublicKey({ key: m[0], format: 'pem' });
  } catch {
    key = null;
  }
  if (key) publicKeys.set(path, key);
  else publicKeys.delete(path);
  return key !== null;
}

// ---- signature check -----------------------------------------------------------------------------------

/** A DER length. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  return n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}

/** A DER INTEGER from unsigned big-endian bytes (leading zeros dropped, as BN_bin2bn reads them). */
function derInteger(b: Buffer): number[] {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  const v = [...b.subarray(i)];
  if (v.length === 0 || v[0]! >= 0x80) v.unshift(0);
  return [0x02, ...derLength(v.length), ...v];
}

/** A JWS ECDSA signature (R then S, same length) as the DER ECDSA-Sig-Value OpenSSL verifies. */
function ecdsaDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  const body = [...derInteger(sig.subarray(0, half)), ...derInteger(sig.subarray(half))];
  return Buffer.from([0x30, ...derLength(body.length), ...body]);
}

function verifyRsaEcdsa(alg: JwsAlg, input: Buffer, sig: Buffer, keyPath: string): number {
  const key = publicKeys.get(keyPath);
  if (!key) return JwtStatus.UnknownCert;
  if (alg.family === 'ES' && sig.length % 2 !== 0) return JwtStatus.InvalidToken;
  try {
    if (alg.family === 'ES') {
      if (key.asymmetricKeyType !== 'ec') return JwtStatus.Ko;
      return verify(alg.hash, input, { key, dsaEncoding: 'der' }, ecdsaDer(sig)) ? JwtStatus.Ok : JwtStatus.Ko;
    }
    // PKCS#1 v1.5 padding cannot be set on other keys: OpenSSL's check then fails
    if (key.asymmetricKeyType !== 'rsa') return JwtStatus.Ko;
    return verify(alg.hash, input, { key, padding: constants.RSA_PKCS1_PADDING }, sig) ? JwtStatus.Ok : JwtStatus.Ko;
  } catch {
    return JwtStatus.Ko;
  }
}

/**
 * jwt_verify(): 1 when <token>'s signature is valid for <algName> and <key> (an HMAC secret, or
 * the path of a public key loaded at load time), 0 when it is not, a negative JwtStatus when
 * the algorithm, the token or the key is unusable.
 */
export function jwtVerify(token: string, algName: string, key: string): number {
  const alg = ALGS.get(algName);
  if (!alg) return JwtStatus.UnknownAlg;
  const bounds = tokenize(token, 3);
  if (!bounds) return JwtStatus.InvalidToken;
  // "none" tokens may omit the (then empty) signature part
  if (bounds.length !== 3 && (alg.family !== 'none' || bounds.length !== 2)) return JwtStatus.InvalidToken;
  const sigStart = bounds.length === 3 ? bounds[2]! : token.length;
  if (alg.family === 'none') return sigStart === token.length ? JwtStatus.Ok : JwtStatus.Ko;
  if (sigStart === token.length) return JwtStatus.InvalidToken;
  const sig = base64urlDecode(token, sigStart, token.length);
  if (!sig) return JwtStatus.InvalidToken;
  // the signing input: header and claims with the dot between them
  const input = Buffer.from(token.slice(0, sigStart - 1), 'latin1');
  switch (alg.family) {
    case 'HS': {
      const mac = createHmac(alg.hash, Buffer.from(key, 'latin1')).update(input).digest();
      return mac.length === sig.length && timingSafeEqual(mac, sig) ? JwtStatus.Ok : JwtStatus.Ko;
    }
    case 'PS':
      return JwtStatus.UnmanagedAlg;
    default:
      return verifyRsaEcdsa(alg, input, sig, key);
  }
}

// ---- converters -----------------------------------------------------------------------------------------

const DEFAULT_BUFSIZE = 16384;

function keep(smp: Sample, r: Sample | null): Sample | null {
  return r && smp.mayChange ? { ...r, mayChange: true } : r;
}

/**
 * jwt_header_query / jwt_payload_query. Without a path, HAProxy 2.6.12 gives no sample at all
 * (its documentation promises the decoded part, its code returns failure): so does Turnpike.
 */
function memberQuery(name: string, part: number): void {
  registerConverters({
    name, args: { types: JSON_QUERY_ARGS.types, min: 0 }, in: 'str', out: 'any',
    validate: checkOutputType,
    fn: (smp, a, s) => {
      if (a.length === 0) return null;
      const json = jwtPart(smp.value as string, part);
      if (json === null) return null;
      return keep(smp, jsonQuery(json, a[0]!.str, wantsInt(a), s.world.bufsize ?? DEFAULT_BUFSIZE));
    },
  });
}

memberQuery('jwt_header_query', 0);
memberQuery('jwt_payload_query', 1);

/** A string argument, or the variable it names read as a string (null when unset). */
function strArg(arg: Arg, s: SampleStream): string | null {
  if (arg.type !== 'var') return arg.str;
  const v = getVarAs(s, arg, 'str');
  return v ? (v.value as string) : null;
}

registerConverters({
  name: 'jwt_verify', args: { types: ['str', 'str'], min: 2 }, in: 'str', out: 'sint',
  validate: (a) => {
    // either argument may name a variable ("txn.alg"); otherwise it is taken as written
    resolveVarArg(a[0]!, 'ref');
    resolveVarArg(a[1]!, 'ref');
    let alg: JwsAlg | undefined;
    if (a[0]!.type === 'str') {
      alg = ALGS.get(a[0]!.str);
      if (!alg) return `unknown JWT algorithm: ${a[0]!.str}`;
      if (alg.family === 'PS') return 'RSASSA-PSS JWS signing not managed yet';
    }
    // keys are read now so that no file is opened per request; a secret is no file
    if (a[1]!.type === 'str' && alg?.family !== 'HS' && alg?.family !== 'none') loadPublicKey(a[1]!.str);
    return null;
  },
  fn: (smp, a, s) => {
    const alg = strArg(a[0]!, s);
    const key = alg === null ? null : strArg(a[1]!, s);
    if (key === null) return null;
    const v = jwtVerify(smp.value as string, alg!, key);
    return smp.mayChange ? { type: 'sint', value: v, mayChange: true } : { type: 'sint', value: v };
  },
});
