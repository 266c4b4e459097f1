// Time and size values as HAProxy writes them (configuration.txt 2.5).

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a time such as "5s", "100ms" or "30" (the default unit is given per keyword:
 * milliseconds for timeouts, as HAProxy). Returns milliseconds, or an error text.
 */
export function parseTime(text: string, defaultUnit: 'ms' | 's' = 'ms'): number | string {
  const m = /^(\d+)([a-z]*)$/.exec(text);
  if (!m) return `'${text}' is not a valid time value (expects an integer optionally followed by a unit among us, ms, s, m, h, d)`;
  const unit = m[2] === '' ? defaultUnit : m[2]!;
  const factor = TIME_UNITS[unit];
  if (factor === undefined) return `unexpected character '${m[2]}' in time value '${text}' (valid units are us, ms, s, m, h, d)`;
  const value = Number(m[1]) * factor;
  if (value > 2_147_483_647) return `timer overflow in argument '${text}' (maximum value is 2147483647 ms or ~24.8 days)`;
  return Math.ceil(value);
}

/** Parses a size such as "16k" or "1g" into bytes, or returns an error text. */
export function parseSize(text: string): number | string {
  const m = /^(\d+)([kmgKMG]?)$/.exec(text);
  if (!m) return `'${text}' is not a valid size (expects an integer optionally followed by k, m or g)`;
  return Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
}

/** Parses a non-negative decimal integer; returns an error text otherwise. */
export function parseUint(text: string, what: string, max = 2 ** 31 - 1): number | string {
  if (!/^\d+$/.test(text)) return `${what} expects an integer argument, got '${text}'`;
  const n = Number(text);
  if (n > max) return `${what} value '${text}' is too large (max ${max})`;
  return n;
}

/**
 * C's atoi() as glibc implements it ((int) strtol(s, NULL, 10)): leading blanks, a sign and the
 * digits that follow count, anything after is ignored, no digits is 0; the value saturates at
 * the 64-bit limits, then wraps to 32 bits. HAProxy reads many numbers this way.
 */
export function atoi(s: string | undefined): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s ?? '');
  if (!m) return 0;
  const max = (1n << 63n) - 1n;
  let v = BigInt(m[1]!);
  if (v > max) v = max;
  else if (v < -max - 1n) v = -max - 1n;
  return Number(BigInt.asIntN(32, v));
}
