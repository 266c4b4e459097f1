// Huffman decoding (RFC 7541 5.2) with a byte-at-a-time state machine: a state is an internal node of the
// code tree (256 of them, 0 = root) and one table lookup consumes a whole input byte, emitting up to two
// symbols (a code is at least 5 bits, so a byte completes at most one code begun earlier plus one whole
// code). The table (256 x 256 entries, 256 KiB) is built once at load from the code lengths.
import { HpackError } from './error.ts';
import { CODES, CODE_LENGTHS, EOS } from './huffman-code.ts';

// Entry layout: bits 0-7 next state, 8-15 first symbol, 16-23 second symbol, 24-25 symbol count, 26 failure.
const SYM1_SHIFT = 8;
const SYM2_SHIFT = 16;
const COUNT_SHIFT = 24;
const FAIL = 1 << 26;

const { transitions: TRANSITIONS, accepting: ACCEPTING } = buildMachine();

/** Decoded output goes here first, then becomes one latin1 string. Grows up to SCRATCH_MAX. */
let scratch = Buffer.allocUnsafe(256);
/** Longer strings get a buffer of their own, so that one huge header does not stay in memory. */
const SCRATCH_MAX = 65536;

/** Decodes the Huffman-coded string in src[start, end). Throws HpackError on EOS or invalid padding. */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  // Every code is at least 5 bits long, which bounds the output.
  const maxOut = Math.ceil(((end - start) * 8) / 5);
  if (scratch.length < maxOut && maxOut <= SCRATCH_MAX) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(maxOut, scratch.length * 2)));
  const out = maxOut <= scratch.length ? scratch : Buffer.allocUnsafe(maxOut);
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const e = TRANSITIONS[(state << 8) | src[i]!]!;
    if ((e & FAIL) !== 0) throw new HpackError('Huffman: EOS symbol in string');
    const count = e >>> COUNT_SHIFT;
    if (count !== 0) {
      out[n++] = e >>> SYM1_SHIFT;
      if (count === 2) out[n++] = e >>> SYM2_SHIFT;
    }
    state = e & 0xff;
  }
  if (ACCEPTING[state] === 0) throw new HpackError('Huffman: padding longer than 7 bits or not a prefix of EOS');
  return out.toString('latin1', 0, n);
}

function buildMachine(): { transitions: Uint32Array; accepting: Uint8Array } {
  // Tree: child[2 * node + bit] is an internal node (>= 0), a leaf (-1 - symbol), or NONE.
  const NONE = 0x7fffffff;
  const child = new Int32Array(512).fill(NONE);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = CODE_LENGTHS[sym]!;
    const code = CODES[sym]!;
    let node = 0;
    for (let b = len - 1; b > 0; b--) {
      const slot = 2 * node + ((code >>> b) & 1);
      if (child[slot] === NONE) child[slot] = nodes++;
      node = child[slot]!;
    }
    child[2 * node + (code & 1)] = -1 - sym;
  }
  const transitions = new Uint32Array(256 * 256);
  for (let state = 0; state < nodes; state++) {
    for (let byte = 0; byte < 256; byte++) {
      let node = state;
      let count = 0;
      let syms = 0;
      let failed = false;
      for (let b = 7; b >= 0; b--) {
        const next = child[2 * node + ((byte >>> b) & 1)]!;
        if (next === NONE || next === -1 - EOS) {
          failed = true;
          break;
        }
        if (next < 0) {
          syms |= (-1 - next) << (count === 0 ? SYM1_SHIFT : SYM2_SHIFT);
          count++;
          node = 0;
        } else {
          node = next;
        }
      }
      transitions[(state << 8) | byte] = failed ? FAIL : node | syms | (count << COUNT_SHIFT);
    }
  }
  // A string may end at the root or after at most 7 one-bits (a strict prefix of EOS, which is all ones).
  const accepting = new Uint8Array(256);
  let node = 0;
  accepting[0] = 1;
  for (let depth = 1; depth <= 7; depth++) {
    node = child[2 * node + 1]!;
    accepting[node] = 1;
  }
  return { transitions, accepting };
}
