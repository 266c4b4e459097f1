// Writing HPACK primitives (RFC 7541 5.1 integers, 5.2 string literals) into a reusable growing buffer.
import { huffmanEncode, huffmanLength } from './huffman-encode.ts';

export class BlockWriter {
  private buf = Buffer.allocUnsafe(1024);
  private len = 0;
  private readonly huffman: boolean;

  constructor(huffman: boolean) {
    this.huffman = huffman;
  }

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /** Writes an integer in a first byte carrying `flags` in its bits above prefixBits (at most 6 bytes). */
  int(flags: number, prefixBits: number, value: number): void {
    const buf = this.buf;
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

  /** Writes a string literal, Huffman-coded when enabled and shorter (reserve(6 + s.length) first). */
  string(s: string): void {
    if (this.huffman) {
      const hlen = huffmanLength(s);
      if (hlen < s.length) {
        this.int(0x80, 7, hlen);
        this.len = huffmanEncode(s, this.buf, this.len);
        return;
      }
    }
    this.int(0, 7, s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  /** The bytes written since the last take(), as a new Buffer; the writer starts over. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.len = 0;
    return out;
  }
}
