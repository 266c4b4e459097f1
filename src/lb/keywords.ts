// The "balance", "hash-type" and "hash-balance-factor" keywords (defaults, backend, listen),
// parsed as HAProxy 2.6's backend_parse_balance() and cfgparse-listen.c do, with the same
// error texts. "balance hash <expr>" is recognised and refused with a clear message until
// Turnpike implements it, rather than silently accepted.
import { ALL, BE, registerProxyKeywords } from '../config/registry.ts';
import type { BalanceConfig, HashTypeConfig, ProxyConfig } from '../config/model.ts';
import type { Diagnostics } from '../config/diagnostics.ts';
// The RDP cookie fetches, which configurations using "balance rdp-cookie" need in their rules.
import './rdp-cookie.ts';
import { atoi } from '../config/units.ts';

/** Parses the words after "balance"; returns the configuration or an error text. */
export function parseBalance(args: readonly string[]): BalanceConfig | string {
  const algo = args[0] ?? '';
  // No algorithm: round-robin, as HAProxy.
  if (algo === '') return { algo: 'roundrobin', draws: 2 };
  switch (algo) {
    case 'roundrobin':
    case 'static-rr':
    case 'first':
    case 'leastconn':
    case 'source':
      // HAProxy ignores any further word for these.
      return { algo, draws: 2 };
  }
  // HAProxy only compares the first six characters: "random", "random(3)" and even "randomly".
  if (algo.startsWith('random')) {
    let draws = 2;
    if (algo[6] === '(' && algo[7] !== ')') {
      const r = strtol(algo, 7);
      const end = algo[r.end];
      if (end !== ')') {
        return end === undefined
          ? 'random : missing closing parenthesis.'
          : `random : unexpected character '${end}' after argument.`;
      }
      // Stored in a C int: values wrap to 32 bits before the check.
      draws = Number(BigInt.asIntN(32, r.value));
      if (draws < 1) return 'random : number of draws must be at least 1.';
    }
    return { algo: 'random', draws };
  }
  if (algo === 'uri') return parseUri(args);
  if (algo === 'url_param') {
    const name = args[1] ?? '';
    if (name === '') return 'url_param requires an URL parameter name.';
    const mod = args[2] ?? '';
    // "check_post" is accepted but changes nothing: HAProxy always looks into a POST body.
    if (mod !== '' && mod !== 'check_post') return `url_param only accepts 'check_post' modifier (got '${mod}').`;
    return { algo: 'url_param', draws: 2, arg: name };
  }
  if (algo.startsWith('hdr(')) {
    // The name ends at the first ')'; anything after it is ignored, as HAProxy does.
    const end = algo.indexOf(')', 4);
    if (end <= 4) return 'hdr requires an http header field name.';
    const mod = args[1] ?? '';
    if (mod !== '' && mod !== 'use_domain_only') return `${algo} only accepts 'use_domain_only' modifier (got '${mod}').`;
    return { algo: 'hdr', draws: 2, arg: algo.slice(4, end).toLowerCase(), domainOnly: mod !== '' };
  }
  if (algo.startsWith('rdp-cookie')) {
    if (algo.length === 10) return { algo: 'rdp-cookie', draws: 2, arg: 'mstshash' };
    const end = algo.indexOf(')', 11);
    if (algo[10] !== '(' || end <= 11) return 'rdp-cookie : missing cookie name.';
    return { algo: 'rdp-cookie', draws: 2, arg: algo.slice(11, end) };
  }
  if (algo === 'hash') return `algorithm 'hash' is not supported by Turnpike yet (supported: roundrobin, static-rr, leastconn, first, source, random, uri, url_param, hdr and rdp-cookie).`;
  return "only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.";
}

/** "balance uri [whole] [path-only] [len <n>] [depth <n>]" (words from "uri"). */
function parseUri(args: readonly string[]): BalanceConfig | string {
  const cfg: BalanceConfig = { algo: 'uri', draws: 2, whole: false, pathOnly: false, len: 0, depth: 0 };
  for (let i = 1; i < args.length; i++) {
    const w = args[i]!;
    if (w === 'len' || w === 'depth') {
      const v = args[i + 1] ?? '';
      // atoi(): a leading number counts, anything after it is ignored.
      const n = v === '' ? 0 : atoi(v);
      if (n <= 0) return `uri : '${w}' expects a positive integer (got '${v}').`;
      if (w === 'len') cfg.len = n;
      else cfg.depth = n;
      i++;
    } else if (w === 'whole') {
      cfg.whole = true;
    } else if (w === 'path-only') {
      cfg.pathOnly = true;
    } else {
      return `uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '${w}').`;
    }
  }
  return cfg;
}

/** Algorithms needing an HTTP request (HAProxy's BE_LB_NEED_HTTP). */
export function isLayer7Balance(algo: BalanceConfig['algo']): boolean {
  return algo === 'uri' || algo === 'url_param' || algo === 'hdr';
}

/**
 * Post-parse check (check_config_validity()): an HTTP hash in a backend that is not in HTTP
 * mode falls back to round robin, with HAProxy's warning.
 */
export function validateBalance(px: ProxyConfig, diag: Diagnostics): void {
  if (!px.isBackend || px.mode === 'http' || !isLayer7Balance(px.balance.algo)) return;
  px.balance = { algo: 'roundrobin', draws: 2 };
  diag.warning(null, `Layer 7 hash not possible for ${px.kind === 'listen' ? 'proxy' : 'backend'} '${px.name}' (needs 'mode http'). Falling back to round robin.`);
}

/** Parses the words after "hash-type"; returns the configuration or an error text. */
export function parseHashType(args: readonly string[]): HashTypeConfig | string {
  const method = args[0] ?? '';
  if (method === 'avalanche') {
    return "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.";
  }
  if (method !== 'consistent' && method !== 'map-based') return "'hash-type' only supports 'consistent' and 'map-based'.";
  const fn = args[1] ?? '';
  // Default function: sdbm, with the avalanche modifier for consistent hashing.
  if (fn === '') return { method, fn: 'sdbm', avalanche: method === 'consistent' };
  if (fn !== 'sdbm' && fn !== 'djb2' && fn !== 'wt6' && fn !== 'crc32' && fn !== 'none') {
    return "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.";
  }
  const mod = args[2] ?? '';
  if (mod !== '' && mod !== 'avalanche') return "'hash-type' only supports 'avalanche' as a modifier for hash functions.";
  // Words after the modifier are ignored, as HAProxy does.
  return { method, fn, avalanche: mod === 'avalanche' };
}

/**
 * C's strtol(s + start, &end, 0): leading spaces, an optional sign, then hexadecimal ("0x"),
 * octal (leading "0") or decimal digits; saturates to the 64-bit range. Without any digit,
 * `end` is `start`.
 */
function strtol(s: string, start: number): { value: bigint; end: number } {
  let i = start;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && isDigit(s[i + 2], 16)) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') {
    base = 8;
  }
  const first = i;
  let v = 0n;
  while (i < s.length && isDigit(s[i], base)) {
    v = v * BigInt(base) + BigInt(parseInt(s[i]!, base));
    i++;
  }
  if (i === first) return { value: 0n, end: start };
  if (neg) v = -v;
  const max = (1n << 63n) - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return { value: v, end: i };
}

function isDigit(c: string | undefined, base: number): boolean {
  if (c === undefined) return false;
  const d = parseInt(c, base);
  return !Number.isNaN(d) && d < base && /[0-9a-fA-F]/.test(c);
}

registerProxyKeywords(
  {
    name: 'balance',
    sections: BE,
    parse(px, args) {
      const r = parseBalance(args.slice(1));
      if (typeof r === 'string') return `balance ${r}`;
      px.balance = r;
    },
  },
  {
    // HAProxy 2.6 parses it in every section without a capability warning.
    name: 'hash-balance-factor',
    sections: ALL,
    parse(px, args) {
      const v = args[1] ?? '';
      if (v === '') return `'${args[0]}' expects an integer argument.`;
      // atol(): "abc" is 0 (off), trailing words are ignored.
      const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(v);
      const n = m ? Number(m[1]) : 0;
      if (n !== 0 && n <= 100) return `'${args[0]}' must be 0 or greater than 100.`;
      px.hashBalanceFactor = n;
    },
  },
  {
    name: 'hash-type',
    sections: BE,
    parse(px, args) {
      const r = parseHashType(args.slice(1));
      if (typeof r === 'string') return r;
      px.hashType = r;
    },
  },
);
