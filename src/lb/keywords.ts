// The "balance" and "hash-type" keywords (defaults, backend, listen), parsed as HAProxy 2.6's
// backend_parse_balance() and cfgparse-listen.c do, with the same error texts. Algorithms that
// need HTTP or payload inspection are recognised and refused with a clear message until
// Turnpike implements them, rather than silently accepted.
import { BE, registerProxyKeywords } from '../config/registry.ts';
import type { BalanceConfig, HashTypeConfig } from '../config/model.ts';

const SUPPORTED = 'roundrobin, static-rr, leastconn, first, source and random';

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
  if (algo === 'uri' || algo === 'url_param' || algo === 'hash' || algo.startsWith('hdr(') || algo.startsWith('rdp-cookie')) {
    const name = algo.startsWith('hdr(') ? 'hdr' : algo.startsWith('rdp-cookie') ? 'rdp-cookie' : algo;
    return `algorithm '${name}' is not supported by Turnpike yet (supported: ${SUPPORTED}).`;
  }
  return "only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.";
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
    name: 'hash-type',
    sections: BE,
    parse(px, args) {
      const r = parseHashType(args.slice(1));
      if (typeof r === 'string') return r;
      px.hashType = r;
    },
  },
);
