// Huffman encoding (RFC 7541 5.2). Strings are latin1: one byte per char code (higher code units are
// truncated to their low byte, as Buffer#latin1Write does).
import { CODES, CODE_LENGTHS } from './huffman-code.ts';

/** Length in bytes of s once Huffman-coded (its bits rounded up to whole bytes). */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += CODE_LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/** Writes the Huffman code of s at buf[off], padded with one-bits; returns the offset after it. */
export function huffmanEncode(s: string, buf: Uint8Array, off: number): number {
  // acc holds the pending bits in its low `pending` bits (< 8 between symbols); a code of up to 24 bits
  // fits beside them in 32 bits, longer ones (25 to 30 bits) go in two parts.
  let acc = 0;
  let pending = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    const code = CODES[c]!;
    let len = CODE_LENGTHS[c]!;
    let low = code;
    if (len > 24) {
      acc = (acc << (len - 16)) | (code >>> 16);
      pending += len - 16;
      while (pending >= 8) {
        pending -= 8;
        buf[off++] = acc >>> pending;
      }
      len = 16;
      low = code & 0xffff;
    }
    acc = (acc << len) | low;
    pending += len;
    while (pending >= 8) {
      pending -= 8;
      buf[off++] = acc >>> pending;
    }
  }
  if (pending > 0) buf[off++] = (acc << (8 - pending)) | (0xff >>> pending);
  return off;
}
