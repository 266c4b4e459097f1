// "did you mean '...' maybe ?": the closest known word to a mistyped one, chosen the way
// HAProxy 2.6 does (src/tools.c, cfgparse.c), so that Turnpike suggests what `haproxy -c` would.
//
// A word's fingerprint counts, byte by byte (case-insensitively), the transitions between
// character classes: each of the 26 letters is a class, all digits are one class, and every other
// byte is one more class, which also stands for the start and the end of the word. To these
// transition counts it adds one mark per class present in the word. The distance between two
// words is the sum of the absolute differences of all these counts. The suggestion is the first
// candidate at the smallest distance, unless that distance exceeds twice the length of the typed
// word or twice the length of the candidate, in which case there is none.
//
// Consequences worth knowing: digits are interchangeable ('errorloc303' and 'errorloc302' look
// the same, so the first of the two in the candidate order wins), and anagrams with the same
// transitions tie; the order of the candidates therefore matters, and the SUGGESTION_LISTS of
// known-keywords.ts give HAProxy's own.
import { SUGGESTION_LISTS } from './known-keywords.ts';

/** Sparse fingerprint: cell index (32 * from + to, or the class alone for a presence mark) to count. */
export type Fingerprint = ReadonlyMap<number, number>;

const OTHER = 28; // non-alphanumeric bytes, and the start and end of the word
const DIGIT = 27;

function byteClass(byte: number): number {
  if (byte >= 0x61 && byte <= 0x7a) return byte - 0x60; // a-z: 1..26
  if (byte >= 0x41 && byte <= 0x5a) return byte - 0x40; // A-Z as a-z
  if (byte >= 0x30 && byte <= 0x39) return DIGIT;
  return OTHER;
}

const encoder = new TextEncoder();

/** The fingerprint of a word (its UTF-8 bytes; HAProxy works on bytes). */
export function wordFingerprint(word: string): Fingerprint {
  const cells = new Map<number, number>();
  // HAProxy's counters are bytes: keep the same wrap-around for absurdly repetitive words.
  const bump = (cell: number): void => {
    cells.set(cell, ((cells.get(cell) ?? 0) + 1) & 0xff);
  };
  let from = OTHER;
  for (const byte of encoder.encode(word)) {
    const to = byteClass(byte);
    cells.set(to, 1);
    bump(32 * from + to);
    from = to;
  }
  bump(32 * from + OTHER);
  return cells;
}

/** The distance between two fingerprints: the sum of the differences of their cells. */
export function fingerprintDistance(a: Fingerprint, b: Fingerprint): number {
  let distance = 0;
  for (const [cell, count] of a) distance += Math.abs(count - (b.get(cell) ?? 0));
  for (const [cell, count] of b) if (!a.has(cell)) distance += count;
  return distance;
}

// Candidates are keyword lists, compared over and over: remember their fingerprints.
const cache = new Map<string, Fingerprint>();
function cachedFingerprint(word: string): Fingerprint {
  let fp = cache.get(word);
  if (!fp) {
    if (cache.size >= 4096) cache.clear();
    fp = wordFingerprint(word);
    cache.set(word, fp);
  }
  return fp;
}

function byteLength(word: string): number {
  return encoder.encode(word).length;
}

/**
 * The candidate closest to `word` as HAProxy would pick it, or null when none is close enough.
 * The first candidate wins ties, so pass them in HAProxy's order to get its answers.
 */
export function suggest(word: string, candidates: Iterable<string>): string | null {
  const fp = wordFingerprint(word);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = fingerprintDistance(fp, cachedFingerprint(candidate));
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best === null) return null;
  if (bestDistance > 2 * byteLength(word) || bestDistance > 2 * byteLength(best)) return null;
  return best;
}

/** What HAProxy 2.6 suggests for `word` where it expects a keyword of the given kind. */
export function suggestHaproxyKeyword(kind: keyof typeof SUGGESTION_LISTS, word: string): string | null {
  return suggest(word, SUGGESTION_LISTS[kind]);
}
