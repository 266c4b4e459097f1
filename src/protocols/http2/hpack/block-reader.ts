// Reading HPACK primitives (RFC 7541 5.1 integers, 5.2 string literals) from one header block.
import { HpackError } from './error.ts';
import { huffmanDecode } from './huffman-decode.ts';

/** Larger integers are refused: no size, index or length we accept comes near it. */
const MAX_INT = 0x7fffffff;

export class BlockReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  reset(buf: Buffer): void {
    this.buf = buf;
    this.pos = 0;
  }

  /** Reads an integer whose first byte (at pos) keeps its low prefixBits bits for the value. */
  readInt(prefixBits: number): number {
    const buf = this.buf;
    const max = (1 << prefixBits) - 1;
    let value = buf[this.pos++]! & max;
    if (value < max) return value;
    // At most 5 continuation bytes: 2^35 already exceeds MAX_INT, and padding with 0x80 bytes stops here.
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= buf.length) throw new HpackError('truncated integer');
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw new HpackError('integer too large');
      if ((b & 0x80) === 0) return value;
    }
    throw new HpackError('integer too large');
  }

  /** Reads a string literal: H bit, 7-bit prefix length, then raw (latin1) or Huffman-coded bytes. */
  readString(): string {
    if (this.pos >= this.buf.length) throw new HpackError('truncated header block');
    const huffman = (this.buf[this.pos]! & 0x80) !== 0;
    const len = this.readInt(7);
    const start = this.pos;
    const end = start + len;
    if (end > this.buf.length) throw new HpackError('string literal past the end of the header block');
    this.pos = end;
    return huffman ? huffmanDecode(this.buf, start, end) : this.buf.toString('latin1', start, end);
  }
}
