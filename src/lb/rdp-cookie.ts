// The cookie of an RDP connection request ("Cookie: mstshash=<user>\r\n" after the 11-byte
// X.224 header), read as HAProxy's fetch_rdp_cookie_name() does (payload.c): for
// "balance rdp-cookie" and for the req.rdp_cookie / req.rdp_cookie_cnt fetches that let
// "tcp-request content" rules wait until the cookie has arrived.
import { PENDING, registerFetches, type FetchResult } from '../sample/fetch.ts';
import { registerAclKeywords } from '../sample/acl.ts';
import type { Arg } from '../sample/arg.ts';
import type { SampleStream } from '../sample/types.ts';

const HEADER_LEN = 11;

/** Too little data to tell yet (HAProxy's SMP_F_MAY_CHANGE). */
export const RDP_SHORT = 0;

/**
 * The value of the cookie `name` (case-insensitive; any cookie when `name` is ''), '' when it
 * is empty, null when the request holds no such cookie, RDP_SHORT when more data is needed.
 */
export function scanRdpCookie(data: Uint8Array, name: string): string | null | typeof RDP_SHORT {
  const n = data.length;
  let p = HEADER_LEN;
  if (n - p <= 7) return RDP_SHORT;
  if (!matchesFolded(data, p, 'cookie:')) return null;
  p += 7;
  while (p < n && data[p] === 0x20) p++;
  if (name !== '') {
    if (n - p <= name.length) return RDP_SHORT;
    if (data[p + name.length] !== 0x3d || !matchesFolded(data, p, name)) return null;
    p += name.length + 1;
  } else {
    while (p < n && data[p] !== 0x3d) {
      if (data[p] === 0x0d || data[p] === 0x0a) return null;
      p++;
    }
    if (p >= n) return RDP_SHORT;
    p++;
  }
  const start = p;
  while (p < n && data[p] !== 0x0d) p++;
  if (n - p < 2) return RDP_SHORT;
  if (data[p + 1] !== 0x0a) return null;
  return Buffer.from(data.buffer, data.byteOffset + start, p - start).toString('latin1');
}

/** The cookie value for hashing: null when absent, incomplete or empty. */
export function rdpCookie(data: Uint8Array, name: string): string | null {
  const v = scanRdpCookie(data, name);
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Case-insensitive comparison of `data` at `at` with an ASCII word. */
function matchesFolded(data: Uint8Array, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    let c = data[at + i]!;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    let w = word.charCodeAt(i);
    if (w >= 0x41 && w <= 0x5a) w += 0x20;
    if (c !== w) return false;
  }
  return true;
}

const EMPTY = new Uint8Array(0);

function fetchCookie(s: SampleStream, a: readonly Arg[]): FetchResult {
  const v = scanRdpCookie(s.reqData ?? EMPTY, a[0]?.str ?? '');
  if (v === RDP_SHORT) return s.reqDataFinal ? null : PENDING;
  return v === null ? null : { type: 'str', value: v };
}

function fetchCount(s: SampleStream, a: readonly Arg[]): FetchResult {
  const v = scanRdpCookie(s.reqData ?? EMPTY, a[0]?.str ?? '');
  // An incomplete request is "cannot tell yet" until the inspection ends, then a failure.
  if (v === RDP_SHORT) return s.reqDataFinal ? null : PENDING;
  return { type: 'sint', value: v === null ? 0 : 1 };
}

const NAME_ARG = { types: ['str'], min: 0 } as const;

registerFetches(
  { name: 'req.rdp_cookie', args: NAME_ARG, out: 'str', use: 'l6req', fn: fetchCookie },
  { name: 'rdp_cookie', args: NAME_ARG, out: 'str', use: 'l6req', fn: fetchCookie },
  { name: 'req.rdp_cookie_cnt', args: NAME_ARG, out: 'sint', use: 'l6req', fn: fetchCount },
  { name: 'rdp_cookie_cnt', args: NAME_ARG, out: 'sint', use: 'l6req', fn: fetchCount },
);

registerAclKeywords(
  { name: 'req_rdp_cookie', fetch: 'req.rdp_cookie', match: 'str' },
  { name: 'req_rdp_cookie_cnt', fetch: 'req.rdp_cookie_cnt', match: 'int' },
);
