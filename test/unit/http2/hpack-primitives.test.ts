// HPACK primitives: integers (RFC 7541 5.1, C.1), string literals and the Huffman code (5.2, the strings of
// Appendix C.4 and C.6), including the padding and EOS rules a decoder must enforce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockReader } from '../../../src/protocols/http2/hpack/block-reader.ts';
import { BlockWriter } from '../../../src/protocols/http2/hpack/block-writer.ts';
import { HpackError } from '../../../src/protocols/http2/hpack/error.ts';
import { CODES, CODE_LENGTHS } from '../../../src/protocols/http2/hpack/huffman-code.ts';
import { huffmanDecode } from '../../../src/protocols/http2/hpack/huffman-decode.ts';
import { huffmanEncode, huffmanLength } from '../../../src/protocols/http2/hpack/huffman-encode.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function writeInt(flags: number, prefixBits: number, value: number): Buffer {
  const w = new BlockWriter(false);
  w.reserve(8);
  w.int(flags, prefixBits, value);
  return w.take();
}

function readInt(buf: Buffer, prefixBits: number): { value: number; pos: number } {
  const r = new BlockReader();
  r.reset(buf);
  const value = r.readInt(prefixBits);
  return { value, pos: r.pos };
}

function huff(s: string): Buffer {
  const out = Buffer.alloc(huffmanLength(s));
  assert.equal(huffmanEncode(s, out, 0), out.length);
  return out;
}

const unhuff = (b: Buffer): string => huffmanDecode(b, 0, b.length);

test('C.1 integer examples encode and decode', () => {
  assert.deepEqual(writeInt(0, 5, 10), hex('0a'));
  assert.deepEqual(writeInt(0, 5, 1337), hex('1f9a0a'));
  assert.deepEqual(writeInt(0, 8, 42), hex('2a'));
  assert.deepEqual(readInt(hex('0a'), 5), { value: 10, pos: 1 });
  assert.deepEqual(readInt(hex('1f9a0a'), 5), { value: 1337, pos: 3 });
  assert.deepEqual(readInt(hex('2a'), 8), { value: 42, pos: 1 });
  // Flag bits above the prefix are kept on write and ignored on read.
  assert.deepEqual(writeInt(0xe0, 5, 1337), hex('ff9a0a'));
  assert.deepEqual(readInt(hex('ff9a0a'), 5), { value: 1337, pos: 3 });
});

test('integers round trip for every prefix size up to 2^31-1', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 0x7fffffff }), (prefix, value) => {
      const b = writeInt(0, prefix, value);
      assert.ok(b.length <= 6);
      assert.deepEqual(readInt(b, prefix), { value, pos: b.length });
    }),
  );
});

test('integers: truncated, over 2^31-1, or padded with too many continuation bytes are refused', () => {
  assert.throws(() => readInt(hex('1f'), 5), HpackError);
  assert.throws(() => readInt(hex('1f9a'), 5), HpackError);
  assert.throws(() => readInt(hex('7f ff ff ff ff 0f'), 7), HpackError); // 2^35 + 126
  assert.throws(() => readInt(hex('7f 81 ff ff ff 07'), 7), HpackError); // 2^31 + 127
  assert.deepEqual(readInt(hex('7f 80 ff ff ff 07'), 7), { value: 0x7fffffff, pos: 6 });
  assert.throws(() => readInt(hex('1f 80 80 80 80 80 01'), 5), HpackError);
  assert.deepEqual(readInt(hex('1f 80 80 00'), 5), { value: 31, pos: 4 }); // redundant zero bytes are legal
});

test('the derived Huffman code matches RFC 7541 Appendix B', () => {
  // A sample from each code length, the first and last of several lengths, and EOS.
  const table: [number, number, number][] = [
    [0, 0x1ff8, 13], [1, 0x7fffd8, 23], [9, 0xffffea, 24], [10, 0x3ffffffc, 30], [22, 0x3ffffffe, 30],
    [32, 0x14, 6], [48, 0x0, 5], [116, 0x9, 5], [58, 0x5c, 7], [122, 0x7b, 7], [38, 0xf8, 8], [90, 0xfd, 8],
    [33, 0x3f8, 10], [39, 0x7fa, 11], [35, 0xffa, 12], [126, 0x1ffd, 13], [94, 0x3ffc, 14], [60, 0x7ffc, 15],
    [92, 0x7fff0, 19], [208, 0x7fff2, 19], [128, 0xfffe6, 20], [226, 0xfffed, 20], [153, 0x1fffdc, 21],
    [230, 0x1fffe8, 21], [129, 0x3fffd2, 22], [233, 0x3fffeb, 22], [239, 0x7ffff4, 23], [237, 0xfffff5, 24],
    [199, 0x1ffffec, 25], [235, 0x1ffffef, 25], [192, 0x3ffffe0, 26], [255, 0x3ffffee, 26], [203, 0x7ffffde, 27],
    [254, 0x7fffff0, 27], [2, 0xfffffe2, 28], [249, 0xffffffe, 28], [256, 0x3fffffff, 30],
  ];
  for (const [sym, code, len] of table) assert.deepEqual([sym, CODES[sym], CODE_LENGTHS[sym]], [sym, code, len]);
  let kraft = 0;
  for (const len of CODE_LENGTHS) kraft += 2 ** -len;
  assert.equal(kraft, 1);
});

test('Huffman strings of Appendix C.4 and C.6 encode and decode', () => {
  const vectors: [string, string][] = [
    ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
    ['no-cache', 'a8eb 1064 9cbf'],
    ['custom-key', '25a8 49e9 5ba9 7d7f'],
    ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
    ['302', '6402'],
    ['307', '640e ff'],
    ['private', 'aec3 771a 4b'],
    ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
    ['Mon, 21 Oct 2013 20:13:22 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff'],
    ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
    ['gzip', '9bd9 ab'],
    [
      'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
      '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    ],
  ];
  for (const [text, code] of vectors) {
    assert.deepEqual(huff(text), hex(code), text);
    assert.equal(unhuff(hex(code)), text);
  }
  assert.equal(unhuff(Buffer.alloc(0)), '');
});

test('Huffman decoding refuses EOS, padding over 7 bits and padding that is not all ones', () => {
  assert.throws(() => unhuff(hex('ffffffff')), HpackError); // 30 one-bits: EOS
  assert.throws(() => unhuff(hex('ff')), HpackError); // 8 one-bits of padding
  assert.throws(() => unhuff(hex('1fff')), HpackError); // '0' (00000) then 11 padding bits
  assert.throws(() => unhuff(hex('00')), HpackError); // '0' then 000: padding of zeros
  assert.throws(() => unhuff(hex('fe')), HpackError); // an unfinished code that is not EOS's prefix
  assert.equal(unhuff(hex('07')), '0'); // '0' then 111
  assert.equal(unhuff(hex('0045')), '012'); // 00000 00001 00010, then one padding bit: 1
  assert.throws(() => unhuff(hex('0044')), HpackError); // the same with a zero padding bit
});

test('Huffman round trip for arbitrary latin1 strings; the length is exact', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }), (s) => {
      const b = huff(s);
      assert.equal(unhuff(b), s);
    }),
    { numRuns: 500 },
  );
});

test('Huffman decoding of random bytes only ever throws HpackError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const b = Buffer.from(bytes);
      try {
        const s = unhuff(b);
        // What decodes re-encodes to the same bytes: the code and its padding are unique.
        assert.deepEqual(huff(s), b);
      } catch (err) {
        if (!(err instanceof HpackError)) throw err;
      }
    }),
    { numRuns: 2000 },
  );
});

test('string literals: raw or Huffman, whichever the writer finds shorter', () => {
  const w = new BlockWriter(true);
  w.reserve(64);
  w.string('www.example.com');
  w.string('\u00ff\u00fe'); // high bytes have long codes: stays raw
  const b = w.take();
  assert.deepEqual(b, Buffer.concat([hex('8c f1e3 c2e5 f23a 6ba0 ab90 f4ff'), hex('02 fffe')]));
  const r = new BlockReader();
  r.reset(b);
  assert.equal(r.readString(), 'www.example.com');
  assert.equal(r.readString(), '\u00ff\u00fe');
  assert.equal(r.pos, b.length);
  r.reset(hex('05 6162'));
  assert.throws(() => r.readString(), HpackError);
  r.reset(hex('83 6162'));
  assert.throws(() => r.readString(), HpackError);
});
