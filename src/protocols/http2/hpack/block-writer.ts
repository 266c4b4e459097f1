// Writing HPACK primitives (RFC 7541 5.1 integers, 5.2 string literals). Blocks are built in one buffer
// shared by all encoders (encoding is synchronous and take() copies the block out), so an idle
// connection holds no output buffer.
import { huffmanEncode, huffmanLength } from './huffman-encode.ts';

const INITIAL_SIZE = 4096;
/** Past this size, the shared buffer goes back to INITIAL_SIZE after a block: a huge header is not kept. */
const KEEP_MAX = 65536;

let shared = Buffer.allocUnsafe(INITIAL_SIZE);

export class BlockWriter {
  private len = 0;
  private readonly huffman: boolean;

  constructor(huffman: boolean) {
    this.huffman = huffman;
  }

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    if (this.len + n <= shared.length) return;
    const grown = Buffer.allocUnsafe(Math.max(shared.length * 2, this.len + n));
    shared.copy(grown, 0, 0, this.len);
    shared = grown;
  }

  /** Writes an integer in a first byte carrying `flags` in its bits above prefixBits (at most 6 bytes). */
  int(flags: number, prefixBits: number, value: number): void {
    const buf = shared;
    const max = (1 << prefixBits) - 1;
    if (value < max) {
      buf[this.len++] = flags | value;
      return;
    }
    buf[this.len++] = flags | max;
    value -= max;
    while (value >= 0x80) {
      buf[this.len++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[this.len++] = value;
  }

  /** Writes a string literal, Huffman-coded when enabled and shorter (reserve(12 + s.length) first). */
  string(s: string): void {
    if (this.huffman) {
      const hlen = huffmanLength(s);
      if (hlen < s.length) {
        this.int(0x80, 7, hlen);
        this.len = huffmanEncode(s, shared, this.len);
        return;
      }
    }
    this.int(0, 7, s.length);
    this.len += shared.write(s, this.len, 'latin1');
  }

  /** The bytes written since the last take(), as a new Buffer; the writer starts over. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    shared.copy(out, 0, 0, this.len);
    this.len = 0;
    if (shared.length > KEEP_MAX) shared = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }
}
