// Random input after a valid preface never throws inside H2Connection: it ends in a GOAWAY
// carrying an RFC 9113 code (not INTERNAL_ERROR, which an exception would give), or leaves the
// connection open (a valid or incomplete frame).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duplexPair } from 'node:stream';
import fc from 'fast-check';
import { H2Connection } from '../../../src/protocols/http2/connection.ts';
import { H2Code } from '../../../src/protocols/http2/errors.ts';
import { CLIENT_PREFACE, FrameType } from '../../../src/protocols/http2/frames.ts';
import { HpackEncoder } from '../../../src/protocols/http2/hpack/index.ts';
import { GET, OwnerRecorder, RawPeer, frameBytes, testSettings } from './connection-helpers.ts';

const SETTINGS = frameBytes(FrameType.SETTINGS, 0, 0);
const settings = testSettings({ maxConcurrentStreams: 4 });

/** Feeds the chunks to a fresh server connection; returns the frames it sent and its owner. */
async function feed(chunks: Buffer[]): Promise<{ peer: RawPeer; owner: OwnerRecorder }> {
  const [a, b] = duplexPair();
  const owner = new OwnerRecorder();
  const conn = new H2Connection(a, owner, settings, 'server');
  owner.conn = conn;
  // Answer some requests, so that output and stream closing are exercised too.
  owner.answer = (c, id, _fields, endStream) => {
    if (id % 4 === 1) {
      c.respond(id, [':status', '200'], false);
      c.sendData(id, Buffer.alloc(100), endStream);
    }
    return owner.requests.at(-1)!.handler;
  };
  const peer = new RawPeer(b);
  // The first chunk goes in synchronously: an exception would surface here.
  conn.start(Buffer.concat([CLIENT_PREFACE, SETTINGS, chunks[0] ?? Buffer.alloc(0)]));
  for (let i = 1; i < chunks.length; i++) peer.write(chunks[i]!);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  conn.destroy();
  return { peer, owner };
}

function checkOutcome(peer: RawPeer): void {
  const g = peer.frames.find((f) => f.type === FrameType.GOAWAY);
  if (g) {
    const code = g.payload.readUInt32BE(4);
    assert.ok(code >= H2Code.PROTOCOL_ERROR && code <= H2Code.HTTP_1_1_REQUIRED, `GOAWAY code ${code}`);
    // INTERNAL_ERROR is what an exception inside the connection becomes: a bug, not a verdict on the input.
    assert.notEqual(code, H2Code.INTERNAL_ERROR);
  }
}

test('random bytes after the preface: never an exception, a GOAWAY code when refused', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 4 }), async (parts) => {
    const { peer } = await feed(parts.map((p) => Buffer.from(p)));
    checkOutcome(peer);
  }), { numRuns: 300 });
});

const encoder = new HpackEncoder();
const VALID_BLOCK = encoder.encode(GET);

/** Frames of random types, flags, streams and payloads (random bytes, or a valid header block). */
const frameArb = fc.record({
  type: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(FrameType.HEADERS), fc.constant(FrameType.DATA)),
  flags: fc.integer({ min: 0, max: 255 }),
  stream: fc.oneof(fc.constantFrom(0, 1, 3, 5, 7), fc.integer({ min: 0, max: 0x7fffffff })),
  payload: fc.oneof(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), fc.constant(VALID_BLOCK)),
});

test('random frames after the preface: never an exception, a GOAWAY code when refused', async () => {
  await fc.assert(fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 3 }), async (frames, pieces) => {
    const bytes = Buffer.concat(frames.map((f) => frameBytes(f.type, f.flags, f.stream, f.payload)));
    // Cut into pieces at random-ish places to exercise reassembly.
    const chunks: Buffer[] = [];
    const step = Math.ceil(bytes.length / pieces);
    for (let off = 0; off < bytes.length; off += step) chunks.push(bytes.subarray(off, off + step));
    const { peer } = await feed(chunks);
    checkOutcome(peer);
  }), { numRuns: 500 });
});
