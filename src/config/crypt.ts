// Password checks for userlist users (HAProxy's check_user(), which calls crypt(3)): the
// glibc/libxcrypt "$1$" (MD5), "$5$" (SHA-256) and "$6$" (SHA-512) schemes, implemented
// over node:crypto as specified by their authors (Poul-Henning Kamp's md5crypt, Ulrich
// Drepper's SHA-crypt), and "insecure-password" plain comparison.
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import type { SampleUserlist } from '../sample/types.ts';

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt's base-64: <n> characters of a 24-bit group, least significant first. */
function b64from24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += B64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

function hash(alg: string, ...parts: Buffer[]): Buffer {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** <src> repeated to fill <len> bytes. */
function repeatTo(src: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let off = 0; off < len; off += src.length) src.copy(out, off, 0, Math.min(src.length, len - off));
  return out;
}

/** The salt of a "$id$[rounds=N$]salt$..." setting: up to <max> bytes, ending at '$'. */
function saltOf(rest: string, max: number): string {
  const end = rest.indexOf('$');
  return (end < 0 ? rest : rest.slice(0, end)).slice(0, max);
}

function md5Crypt(pass: Buffer, setting: string): string {
  const salt = saltOf(setting.slice(3), 8);
  const s = Buffer.from(salt, 'latin1');
  const magic = Buffer.from('$1$');
  const alt = hash('md5', pass, s, pass);
  const ctx = createHash('md5').update(pass).update(magic).update(s);
  for (let pl = pass.length; pl > 0; pl -= 16) ctx.update(alt.subarray(0, Math.min(pl, 16)));
  const zero = Buffer.alloc(1);
  const first = pass.subarray(0, 1);
  for (let i = pass.length; i > 0; i >>= 1) ctx.update(i & 1 ? zero : first);
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? pass : f);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pass);
    c.update(i & 1 ? f : pass);
    f = c.digest();
  }
  const out =
    b64from24(f[0]!, f[6]!, f[12]!, 4) + b64from24(f[1]!, f[7]!, f[13]!, 4) + b64from24(f[2]!, f[8]!, f[14]!, 4) +
    b64from24(f[3]!, f[9]!, f[15]!, 4) + b64from24(f[4]!, f[10]!, f[5]!, 4) + b64from24(0, 0, f[11]!, 2);
  return `$1$${salt}$${out}`;
}

/** The byte triplets SHA-crypt encodes, in its order (the last group is shorter). */
const SHA256_ORDER: readonly (readonly number[])[] = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
];
const SHA512_ORDER: readonly (readonly number[])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51],
  [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60],
  [40, 61, 19], [62, 20, 41],
];

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999999999;

function shaCrypt(pass: Buffer, setting: string, id: '5' | '6'): string {
  const alg = id === '5' ? 'sha256' : 'sha512';
  const hlen = id === '5' ? 32 : 64;
  let rest = setting.slice(3);
  let rounds = ROUNDS_DEFAULT;
  let custom = false;
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    rounds = Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(m[1])));
    custom = true;
    rest = rest.slice(m[0].length);
  }
  const salt = saltOf(rest, 16);
  const s = Buffer.from(salt, 'latin1');
  const b = hash(alg, pass, s, pass);
  const a: Hash = createHash(alg).update(pass).update(s);
  let cnt = pass.length;
  for (; cnt > hlen; cnt -= hlen) a.update(b);
  a.update(b.subarray(0, cnt));
  for (cnt = pass.length; cnt > 0; cnt >>= 1) a.update(cnt & 1 ? b : pass);
  const da = a.digest();
  const dp = createHash(alg);
  for (let i = 0; i < pass.length; i++) dp.update(pass);
  const pSeq = repeatTo(dp.digest(), pass.length);
  const ds = createHash(alg);
  for (let i = 0; i < 16 + da[0]!; i++) ds.update(s);
  const sSeq = repeatTo(ds.digest(), s.length);
  let c = da;
  for (let i = 0; i < rounds; i++) {
    const ctx = createHash(alg);
    ctx.update(i & 1 ? pSeq : c);
    if (i % 3) ctx.update(sSeq);
    if (i % 7) ctx.update(pSeq);
    ctx.update(i & 1 ? c : pSeq);
    c = ctx.digest();
  }
  let out = '';
  for (const [x, y, z] of id === '5' ? SHA256_ORDER : SHA512_ORDER) out += b64from24(c[x!]!, c[y!]!, c[z!]!, 4);
  out += id === '5' ? b64from24(0, c[31]!, c[30]!, 3) : b64from24(0, 0, c[63]!, 2);
  return `$${id}$${custom ? `rounds=${rounds}$` : ''}${salt}$${out}`;
}

/**
 * crypt(3) of <password> with the scheme and salt of <setting> ("$6$salt$..."), or null for
 * a scheme Turnpike does not implement.
 */
export function crypt(password: string, setting: string): string | null {
  const pass = Buffer.from(password, 'latin1');
  if (setting.startsWith('$1$')) return md5Crypt(pass, setting);
  if (setting.startsWith('$5$')) return shaCrypt(pass, setting, '5');
  if (setting.startsWith('$6$')) return shaCrypt(pass, setting, '6');
  return null;
}

/**
 * Why Turnpike cannot check passwords against <hash> (a "password" entry), or null. HAProxy
 * hands any text to the system's crypt(3); Turnpike knows the MD5, SHA-256 and SHA-512
 * schemes only, so other schemes are refused when loading rather than never matching.
 */
export function passwordHashProblem(hash: string): string | null {
  if (/^\$[156]\$/.test(hash)) return null;
  const id = /^\$([^$]*)\$/.exec(hash);
  if (id) return `password hash scheme '$${id[1]}$' is not supported by Turnpike (only $1$ MD5, $5$ SHA-256 and $6$ SHA-512 are)`;
  return 'password hashes other than $1$ (MD5), $5$ (SHA-256) and $6$ (SHA-512) are not supported by Turnpike';
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether <password> matches a "password" hash. */
export function verifyPassword(hash: string, password: string): boolean {
  const computed = crypt(password, hash);
  return computed !== null && sameText(computed, hash);
}

/**
 * Successful checks, keyed by a digest of user, hash and password: SHA-512 crypt costs
 * 5000 rounds, too much to repeat on every request of an authenticated client. Failures
 * are not cached, so guessing keeps its full cost.
 */
const verified = new Map<string, true>();
const VERIFIED_MAX = 1024;

function cacheKey(user: string, hash: string, password: string): string {
  return createHash('sha256').update(`${user}\0${hash}\0${password}`, 'latin1').digest('base64');
}

/** check_user(): whether <user> exists in <ul> and <password> is theirs. */
export function checkUserlist(ul: SampleUserlist, user: string, password: string): boolean {
  const u = ul.users.get(user);
  if (!u) return false;
  if (u.insecure) return sameText(u.password, password);
  const key = cacheKey(user, u.password, password);
  if (verified.has(key)) {
    // keep recently used entries at the end, so the oldest go first
    verified.delete(key);
    verified.set(key, true);
    return true;
  }
  if (!verifyPassword(u.password, password)) return false;
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(key, true);
  return true;
}
