// Chunked body decoder and encoder helpers. Accept/refuse expectations were measured on
// haproxy 2.6.12 (status 400 for a bad request body; the chunk sizes it re-emits are upper-case hex).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChunkedDecoder, chunkHeader, LAST_CHUNK, lastChunkWithTrailers, type ChunkedSink } from '../../../src/protocols/http1/chunked.ts';
import { HttpHeaders } from '../../../src/protocols/http1/message.ts';

class Collect implements ChunkedSink {
  data: Buffer[] = [];
  trailers: HttpHeaders | null = null;
  onChunkData(data: Buffer): void {
    this.data.push(Buffer.from(data));
  }
  onTrailers(trailers: HttpHeaders): void {
    this.trailers = trailers;
  }
  text(): string {
    return Buffer.concat(this.data).toString('latin1');
  }
}

interface Decoded {
  ok: boolean;
  status?: number;
  body: string;
  consumed: number;
  trailers: [string, string][];
}

/** Feeds `pieces` one after the other; stops at done or error. */
function decode(pieces: Buffer[], maxTrailers = 16384): Decoded {
  const sink = new Collect();
  const d = new ChunkedDecoder(sink, maxTrailers);
  let consumed = 0;
  for (const p of pieces) {
    const n = d.feed(p);
    if (n < 0) return { ok: false, status: d.error!.status, body: sink.text(), consumed, trailers: [] };
    consumed += n;
    if (d.done) break;
    assert.equal(n, p.length, 'an unfinished decoder consumes everything');
  }
  const t = sink.trailers;
  return { ok: d.done, body: sink.text(), consumed, trailers: t ? t.names.map((n, i) => [n, t.values[i]!]) : [] };
}

const one = (s: string): Decoded => decode([Buffer.from(s, 'latin1')]);

test('chunk sizes, extensions and line ends (as haproxy 2.6.12)', () => {
  const accepted: [string, string, string][] = [
    ['plain', '3\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['several chunks', '2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n', 'abcde'],
    ['upper-case hex', 'A\r\n0123456789\r\n0\r\n\r\n', '0123456789'],
    ['lower-case hex', 'a\r\n0123456789\r\n0\r\n\r\n', '0123456789'],
    ['leading zeros', '0003\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['many leading zeros', '00000000000000000000003\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['extension', '3;foo=bar\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['space before extension', '3 ;foo=bar\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['trailing space', '3 \r\nabc\r\n0\r\n\r\n', 'abc'],
    ['control byte in extension', '3;\x01\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['extension on the last chunk', '3\r\nabc\r\n0;x=1\r\n\r\n', 'abc'],
    ['bare LF everywhere', '3\nabc\n0\n\n', 'abc'],
    ['empty body', '0\r\n\r\n', ''],
  ];
  for (const [name, body, data] of accepted) {
    const r = one(body);
    assert.ok(r.ok, name);
    assert.equal(r.body, data, name);
    assert.equal(r.consumed, body.length, name);
  }
  const refused: [string, string][] = [
    ['leading space', ' 3\r\nabc\r\n0\r\n\r\n'],
    ['0x prefix', '0x3\r\nabc\r\n0\r\n\r\n'],
    ['not hex', 'g\r\nabc\r\n0\r\n\r\n'],
    ['empty size', '\r\nabc\r\n0\r\n\r\n'],
    ['negative', '-3\r\nabc\r\n0\r\n\r\n'],
    ['2^52', '10000000000000\r\nabc'],
    ['overflow', 'ffffffffffffffffff\r\nabc'],
    ['junk after size', '3 x\r\nabc\r\n0\r\n\r\n'],
    ['data longer than the size', '3\r\nabcX\r\n0\r\n\r\n'],
    ['CR alone after size', '3\rabc\r\n0\r\n\r\n'],
    ['LF inside an extension ends the line', '3;a\nb\r\nabc\r\n0\r\n\r\n'],
    ['CR alone after data', '3\r\nabc\rX0\r\n\r\n'],
  ];
  for (const [name, body] of refused) {
    const r = one(body);
    assert.equal(r.ok, false, name);
    assert.equal(r.status, 400, name);
  }
  // 13 hex digits (2^52 - 1) is the largest size.
  const big = decode([Buffer.from('fffffffffffff\r\nabc')]);
  assert.equal(big.ok, false);
  assert.equal(big.status, undefined, 'not an error: waiting for more data');
});

test('trailers', () => {
  let r = one('3\r\nabc\r\n0\r\nX-T: 1\r\nY:  two words \r\n\r\n');
  assert.ok(r.ok);
  assert.deepEqual(r.trailers, [['X-T', '1'], ['Y', 'two words']]);
  r = one('0\nX: 1\n\n');
  assert.deepEqual(r.trailers, [['X', '1']]);
  r = one('0\r\nX: a\r\n b\r\n\r\n');
  assert.deepEqual(r.trailers, [['X', 'a   b']]);
  r = one('0\r\nX: a\x00b\r\n\r\n');
  assert.deepEqual(r.trailers, [['X', 'a\x00b']]);
  // No trailer processing: a Content-Length trailer is only a field (haproxy forwards it).
  r = one('0\r\nContent-Length: 5\r\n\r\n');
  assert.deepEqual(r.trailers, [['Content-Length', '5']]);
  r = one('0\r\n\r\n');
  assert.ok(r.ok);
  assert.deepEqual(r.trailers, []);
  for (const bad of ['0\r\nXT\r\n\r\n', '0\r\n: x\r\n\r\n', '0\r\nX T: 1\r\n\r\n', '0\r\nX: 1\r\r\n\r\n', '0\r\n\rX']) {
    const e = one(bad);
    assert.equal(e.ok, false, JSON.stringify(bad));
    assert.equal(e.status, 400);
  }
  const tooLarge = decode([Buffer.from(`0\r\nX: ${'a'.repeat(100)}\r\n\r\n`)], 64);
  assert.equal(tooLarge.ok, false);
  const many = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('');
  assert.equal(one(`0\r\n${many}\r\n`).ok, false);
});

test('stops after the message; pipelined bytes are not consumed; errors are sticky', () => {
  const body = '3\r\nabc\r\n0\r\n\r\n';
  const sink = new Collect();
  const d = new ChunkedDecoder(sink, 100);
  const buf = Buffer.from(`${body}GET / HTTP/1.1\r\n\r\n`);
  assert.equal(d.feed(buf), body.length);
  assert.ok(d.done);
  assert.equal(d.feed(Buffer.from('more')), 0);
  d.reset();
  assert.equal(d.done, false);
  assert.equal(d.feed(Buffer.from('0\r\n\r\n')), 5);
  assert.ok(d.done);
  d.reset();
  assert.equal(d.feed(Buffer.from('3\r\nabcZ')), -1);
  assert.equal(d.error!.offset, 6);
  assert.equal(d.feed(Buffer.from('0\r\n\r\n')), -1);
  d.reset();
  assert.equal(d.error, null);
  assert.equal(new ChunkedDecoder(sink, 100, 502).feed(Buffer.from('x')), -1);
});

test('data is delivered as views of the fed buffer', () => {
  const seen: Buffer[] = [];
  const d = new ChunkedDecoder({ onChunkData: (b) => seen.push(b), onTrailers: () => {} }, 100);
  const buf = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
  d.feed(buf);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.buffer, buf.buffer);
  assert.equal(seen[0]!.byteOffset, buf.byteOffset + 3);
});

test('chunk-size lines are bounded', () => {
  const d = new ChunkedDecoder(new Collect(), 32);
  assert.equal(d.feed(Buffer.from(`3;${'x'.repeat(40)}\r\n`)), -1);
});

test('encoder helpers', () => {
  assert.equal(chunkHeader(3).toString(), '3\r\n');
  assert.equal(chunkHeader(31).toString(), '1F\r\n');
  assert.equal(chunkHeader(65536).toString(), '10000\r\n');
  assert.equal(LAST_CHUNK.toString(), '0\r\n\r\n');
  const t = new HttpHeaders();
  assert.equal(lastChunkWithTrailers(t).toString(), '0\r\n\r\n');
  t.add('X-Checksum', 'abc');
  t.add('Server-Timing', 'db;dur=5');
  assert.equal(lastChunkWithTrailers(t).toString(), '0\r\nx-checksum: abc\r\nserver-timing: db;dur=5\r\n\r\n');
  assert.equal(lastChunkWithTrailers(t, { map: new Map([['x-checksum', 'X-Checksum']]) }).toString(),
    '0\r\nX-Checksum: abc\r\nserver-timing: db;dur=5\r\n\r\n');
});

// ---------------------------------------------------------------------------------------
// Properties

const chunkedBody = fc.record({
  chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 8 }),
  ext: fc.array(fc.constantFrom('', ';a=b', ' ;x', ';"q"'), { minLength: 9, maxLength: 9 }),
  upper: fc.boolean(),
  lf: fc.boolean(),
  trailers: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/), fc.stringMatching(/^[a-z0-9]{0,10}$/)), { maxLength: 3 }),
}).map(({ chunks, ext, upper, lf, trailers }) => {
  const eol = lf ? '\n' : '\r\n';
  const parts: Buffer[] = [];
  chunks.forEach((c, i) => {
    const hex = c.length.toString(16);
    parts.push(Buffer.from(`${upper ? hex.toUpperCase() : hex}${ext[i]}${eol}`), Buffer.from(c), Buffer.from(eol));
  });
  parts.push(Buffer.from(`0${ext[8]}${eol}${trailers.map(([n, v]) => `${n}: ${v}${eol}`).join('')}${eol}`));
  return { wire: Buffer.concat(parts), data: Buffer.concat(chunks.map((c) => Buffer.from(c))), trailers };
});

test('property: random splits through feed() give the same result as one piece', () => {
  fc.assert(fc.property(chunkedBody, fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 12 }), ({ wire, data, trailers }, cuts) => {
    const withNext = Buffer.concat([wire, Buffer.from('NEXT')]);
    const whole = decode([withNext]);
    assert.ok(whole.ok);
    assert.equal(whole.consumed, wire.length);
    assert.equal(whole.body, data.toString('latin1'));
    assert.deepEqual(whole.trailers, trailers);
    const points = [...new Set(cuts.map((c) => c % (withNext.length + 1)))].sort((a, b) => a - b);
    const pieces: Buffer[] = [];
    let at = 0;
    for (const p of [...points, withNext.length]) {
      pieces.push(Buffer.from(withNext.subarray(at, p)));
      at = p;
    }
    assert.deepEqual(decode(pieces), whole);
  }), { numRuns: 500 });
});

test('property: the decoder never throws and consumes within bounds', () => {
  const noisy = fc.array(fc.constantFrom('0', '1', 'a', 'F', 'g', ';', ' ', '\t', '\r', '\n', '\r\n', 'x', ':', 'abc'), { maxLength: 80 })
    .map((p) => Buffer.from(p.join(''), 'latin1'));
  fc.assert(fc.property(fc.oneof(noisy, fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))), (buf) => {
    const d = new ChunkedDecoder(new Collect(), 64);
    const n = d.feed(buf);
    assert.ok(n === -1 || (n >= 0 && n <= buf.length));
    if (n === -1) assert.ok(d.error !== null && d.error.offset >= 0 && d.error.offset <= buf.length);
  }), { numRuns: 3000 });
});
