// HpackDecoder and HpackEncoder behaviour beyond the RFC examples: errors a hostile peer can provoke,
// the header list bound, the encoder's indexing choices and table size updates, and fast-check
// properties (random blocks only ever raise HpackError; encode -> decode round trips over many blocks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HpackDecoder, HpackEncoder, HpackError, HpackListTooLargeError } from '../../../src/protocols/http2/hpack/index.ts';
import type { DynamicTable } from '../../../src/protocols/http2/hpack/dynamic-table.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function tableOf(coder: HpackDecoder | HpackEncoder): { entries: string[]; size: number; maxSize: number } {
  const t = (coder as unknown as { table: DynamicTable }).table;
  const entries: string[] = [];
  for (let i = 1; i <= t.count; i++) entries.push(t.name(i), t.value(i));
  return { entries, size: t.size, maxSize: t.maxSize };
}

function decode(d: HpackDecoder, block: Buffer | string): string[] {
  const out: string[] = [];
  d.decode(typeof block === 'string' ? hex(block) : block, out);
  return out;
}

test('malformed blocks are refused with HpackError', () => {
  const bad: [string, string][] = [
    ['80', 'index 0'],
    ['be', 'index 62 with an empty dynamic table'],
    ['ff 80 80 80 80 08', 'a huge index'],
    ['7e 01 61', 'name index 62 with an empty dynamic table'],
    ['0f 30 01 61', 'name index 63 with an empty dynamic table (4-bit prefix)'],
    ['82 20', 'a size update after a field'],
    ['3f e2 1f', 'a size update to 4097, over our 4096'],
    ['41', 'a literal without its value'],
    ['40', 'a literal without its name'],
    ['40 03 61', 'a name longer than the block'],
    ['41 85 f1e3 c2e5', 'a Huffman value longer than the block'],
    ['41 81 ff', 'a Huffman value with 8 bits of padding'],
    ['41 84 ffff ffff', 'a Huffman value holding EOS'],
    ['41 7f', 'a truncated string length'],
  ];
  for (const [block, why] of bad) {
    const d = new HpackDecoder(4096, 1 << 16);
    const out = ['kept', 'as is'];
    assert.throws(() => d.decode(hex(block), out), (e: unknown) => e instanceof HpackError && !(e instanceof HpackListTooLargeError), why);
    assert.deepEqual(out, ['kept', 'as is'], `${why}: out restored`);
  }
});

test('size updates: several may open a block, within our advertised size; they evict', () => {
  const d = new HpackDecoder(4096, 1 << 16);
  assert.deepEqual(decode(d, '41 01 61'), [':authority', 'a']);
  assert.equal(tableOf(d).size, 43);
  // 0, then 4096: the entry is gone, the size back up.
  assert.deepEqual(decode(d, '20 3f e1 1f 82'), [':method', 'GET']);
  assert.deepEqual(tableOf(d), { entries: [], size: 0, maxSize: 4096 });
  assert.throws(() => decode(d, 'be'), HpackError);
  // An entry larger than the table empties it and is not added.
  const small = new HpackDecoder(50, 1 << 16);
  assert.deepEqual(decode(small, '41 01 61 41 09 616263646566676869'), [':authority', 'a', ':authority', 'abcdefghi']);
  assert.deepEqual(tableOf(small), { entries: [], size: 0, maxSize: 50 });
});

test('a header list over maxListSize: HpackListTooLargeError after the whole block, table in sync', () => {
  const d = new HpackDecoder(4096, 100);
  const e = new HpackEncoder();
  const big = e.encode(['x-a', 'a'.repeat(40), 'x-b', 'b'.repeat(40)]); // 2 * (3 + 40 + 32) = 150 > 100
  const out = ['earlier', 'fields'];
  assert.throws(() => d.decode(big, out), HpackListTooLargeError);
  assert.deepEqual(out, ['earlier', 'fields']);
  // Both fields were indexed: the next block refers to them and decodes.
  const next = e.encode(['x-a', 'a'.repeat(40)]);
  assert.equal(next.length, 1);
  assert.deepEqual(decode(d, next), ['x-a', 'a'.repeat(40)]);
  // The bound is inclusive: 3 + 40 + 32 = 75.
  const one = new HpackEncoder().encode(['x-a', 'a'.repeat(40)]);
  assert.deepEqual(decode(new HpackDecoder(4096, 75), one), ['x-a', 'a'.repeat(40)]);
  assert.throws(() => decode(new HpackDecoder(4096, 74), one), HpackListTooLargeError);
});

test('sensitive fields are never-indexed literals; fields that rarely repeat are not indexed', () => {
  const e = new HpackEncoder(4096, { huffman: false });
  const d = new HpackDecoder(4096, 1 << 16);
  const fields = [
    'authorization', 'Basic dXNlcjpwYXNz',
    'proxy-authorization', 'Basic eDp5',
    'cookie', 'sid=1234',
    'set-cookie', 'a=b; Path=/',
    ':path', '/some/page?q=1',
    'content-length', '1234',
  ];
  const block = e.encode(fields);
  assert.deepEqual(decode(d, block), fields);
  assert.deepEqual(tableOf(e).entries, []);
  assert.deepEqual(tableOf(d).entries, []);
  // First bytes: authorization (static 23) never indexed = 0001 1111 + 8; proxy-authorization (49) 1f 22;
  // cookie (32) 1f 11; set-cookie (55) 1f 28; :path (4) without indexing = 04; content-length (28) 0f 0d.
  let pos = 0;
  const firsts: string[] = [];
  while (pos < block.length) {
    const two = block.subarray(pos, pos + 2).toString('hex');
    firsts.push(two);
    const nameBytes = block[pos]! === 0x04 ? 1 : 2;
    const valueLen = block[pos + nameBytes]!;
    pos += nameBytes + 1 + valueLen;
  }
  assert.deepEqual(firsts, ['1f08', '1f22', '1f11', '1f28', '040e', '0f0d']);
  // A long cookie is indexed, and sent as one byte the second time.
  const cookie = ['cookie', 'session=0123456789abcdef0123'];
  assert.equal(e.encode(cookie)[0], 0x60);
  assert.deepEqual(e.encode(cookie), Buffer.of(0xbe));
});

test('a repeated response costs a few bytes: static entries, then dynamic ones', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder(4096, 1 << 16);
  const resp = (len: string): string[] => [
    ':status', '200',
    'server', 'turnpike',
    'content-type', 'text/html; charset=utf-8',
    'cache-control', 'no-cache',
    'content-length', len,
  ];
  const first = e.encode(resp('1234'));
  const second = e.encode(resp('87'));
  assert.deepEqual(decode(d, first), resp('1234'));
  assert.deepEqual(decode(d, second), resp('87'));
  // 88, three dynamic indices, content-length (0f 0d, Huffman length byte, 2 digits in 2 bytes... or raw).
  assert.ok(second.length <= 4 + 2 + 1 + 2, `second block ${second.toString('hex')}`);
  assert.equal(second[0], 0x88);
  assert.deepEqual(tableOf(e), tableOf(d));
});

test('table size updates: the smallest since the last block, then the final one; none when unchanged', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder(4096, 1 << 16);
  decode(d, e.encode(['server', 'a', 'x-one', 'v']));
  assert.equal(tableOf(d).entries.length, 4);
  e.setPeerMaxTableSize(8192); // over our 4096 cap: no change
  assert.equal(e.encode([':method', 'GET'])[0], 0x82);
  e.setPeerMaxTableSize(0);
  e.setPeerMaxTableSize(100);
  const block = e.encode([':method', 'GET']);
  assert.deepEqual(block, hex('20 3f 45 82'));
  assert.deepEqual(decode(d, block), [':method', 'GET']);
  assert.deepEqual(tableOf(d), { entries: [], size: 0, maxSize: 100 });
  // A cap below 4096 opens the very first block with an update (the peer starts at 4096).
  const capped = new HpackEncoder(256);
  assert.deepEqual(capped.encode([':method', 'GET']), hex('3f e1 01 82'));
  // A zero-sized table: everything goes out as literals, and decodes.
  const zero = new HpackEncoder(0);
  const dz = new HpackDecoder(4096, 1 << 16);
  const fields = ['server', 'turnpike', 'server', 'turnpike'];
  assert.deepEqual(decode(dz, zero.encode(fields)), fields);
  assert.deepEqual(decode(dz, zero.encode(fields)), fields);
  assert.equal(tableOf(dz).size, 0);
});

test('a table advertised over 4096 starts at 4096: the peer grows it only with a size update', () => {
  const d = new HpackDecoder(65536, 1 << 20);
  const e = new HpackEncoder(); // caps its table at 4096: no update is sent
  e.setPeerMaxTableSize(65536);
  const fields: string[] = [];
  for (let i = 0; i < 20; i++) fields.push(`x-f${i}`, String(i).repeat(400));
  assert.deepEqual(decode(d, e.encode(fields)), fields);
  assert.deepEqual(tableOf(d), tableOf(e));
  assert.equal(tableOf(d).maxSize, 4096);
  // A peer that wants more says so; over what we advertised is refused.
  assert.deepEqual(decode(d, '3f e1 ff 03 82'), [':method', 'GET']); // 65536
  assert.equal(tableOf(d).maxSize, 65536);
  assert.throws(() => decode(d, '3f e2 ff 03'), HpackError); // 65537
  const big = new HpackEncoder(65536);
  big.setPeerMaxTableSize(65536);
  const d2 = new HpackDecoder(65536, 1 << 20);
  assert.deepEqual(decode(d2, big.encode(fields)), fields);
  assert.deepEqual(tableOf(d2), tableOf(big));
  assert.equal(tableOf(d2).entries.length, 40);
});

test('the Huffman option: off, literals are raw; on, only when shorter', () => {
  const fields = ['user-agent', 'curl/8.5.0', 'x-bin', '\u00ff\u00fe\u00fd'];
  const raw = new HpackEncoder(4096, { huffman: false }).encode(fields);
  const huf = new HpackEncoder(4096).encode(fields);
  assert.ok(raw.includes(Buffer.from('curl/8.5.0')));
  assert.ok(!huf.includes(Buffer.from('curl/8.5.0')));
  assert.ok(huf.includes(Buffer.from('\u00ff\u00fe\u00fd', 'latin1')));
  assert.ok(huf.length < raw.length);
  for (const b of [raw, huf]) assert.deepEqual(decode(new HpackDecoder(4096, 1 << 16), b), fields);
});

const latin1 = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: max });
const COMMON = [':status', ':path', ':method', ':authority', 'server', 'content-type', 'content-length', 'cookie', 'set-cookie', 'authorization', 'date', 'x-request-id', 'accept-encoding', 'via'];
const fieldName = fc.oneof(fc.constantFrom(...COMMON), fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-0123456789'), minLength: 1, maxLength: 20 }), latin1(12));
const fieldValue = fc.oneof(fc.constantFrom('200', 'GET', '/', 'gzip, deflate', 'text/html', 'turnpike', ''), latin1(40), latin1(600));
const fieldList = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 }).map((l) => l.flat());

test('encode -> decode round trip over several blocks, random table sizes and size changes', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constantFrom(4096, 65536), fc.integer({ min: 0, max: 8192 })), // our decoder's advertised size
      fc.oneof(fc.constantFrom(0, 4096, 65536), fc.integer({ min: 0, max: 8192 })), // encoder cap
      fc.boolean(),
      fc.array(fc.tuple(fc.option(fc.integer({ min: 0, max: 8192 }), { freq: 3 }), fc.array(fieldList, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 8 }),
      (advertised, cap, huffman, rounds) => {
        const e = new HpackEncoder(cap, { huffman });
        const d = new HpackDecoder(advertised, 1 << 24);
        e.setPeerMaxTableSize(advertised);
        for (const [resize, lists] of rounds) {
          if (resize !== null) e.setPeerMaxTableSize(Math.min(resize, advertised));
          for (const fields of lists) {
            assert.deepEqual(decode(d, e.encode(fields)), fields);
            const et = tableOf(e);
            assert.deepEqual(tableOf(d).entries, et.entries);
            assert.ok(et.size <= et.maxSize && et.maxSize <= Math.min(cap, advertised));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('decoding random bytes only ever throws HpackError, and the table stays within its bound', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4096 }), fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 10 }), (size, blocks) => {
      const d = new HpackDecoder(size, 4096);
      for (const b of blocks) {
        try {
          decode(d, Buffer.from(b));
        } catch (err) {
          if (!(err instanceof HpackError)) throw err;
        }
        const t = tableOf(d);
        assert.ok(t.size <= t.maxSize && t.maxSize <= size);
      }
    }),
    { numRuns: 1000 },
  );
});

test('decoding mutated valid blocks only ever throws HpackError', () => {
  fc.assert(
    fc.property(fc.array(fieldList, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (lists, flips, cut) => {
      const e = new HpackEncoder();
      const d = new HpackDecoder(4096, 1 << 16);
      for (const fields of lists) {
        const b = Buffer.from(e.encode(fields));
        if (b.length === 0) continue;
        for (const [at, v] of flips) b[at % b.length] = v;
        try {
          decode(d, b.subarray(0, b.length - (cut % 3)));
        } catch (err) {
          if (!(err instanceof HpackError)) throw err;
        }
      }
    }),
    { numRuns: 1000 },
  );
});

test('huge fields: blocks of several hundred KiB encode and decode (shared buffers grow, then shrink back)', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder(4096, 1 << 24);
  const fields = ['x-huge', 'abc'.repeat(100_000), 'x-raw', '\u00ff'.repeat(70_000), 'x-small', 'ok'];
  for (let i = 0; i < 2; i++) {
    const block = e.encode(fields);
    assert.ok(block.length > 250_000 && block.length < 300_000 + 70_010);
    assert.deepEqual(decode(d, block), fields);
  }
  assert.deepEqual(decode(d, e.encode(['x-small', 'ok'])), ['x-small', 'ok']);
});
