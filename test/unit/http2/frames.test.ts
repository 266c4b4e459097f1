// HTTP/2 framing: frame header and frame writers parsed back, payload rules (padding, SETTINGS
// ranges), header block splitting, the settings derived from the global section and the
// tune.h2.* keywords (messages as haproxy 2.6.12 prints them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { H2Code, H2Error, h2CodeName } from '../../../src/protocols/http2/errors.ts';
import {
  FRAME_HEADER_LENGTH, Flag, FrameType, SettingId, decodeSettings, goawayFrameLength, headerFramesLength, initialPeerSettings,
  padding, priorityDependency, readFrameHeader, settingsFrameLength, writeFrameHeader, writeGoaway, writeHeaders, writePing,
  writeRstStream, writeSettings, writeSettingsAck, writeWindowUpdate, type FrameHeader,
} from '../../../src/protocols/http2/frames.ts';
import { announcedSettings, h2Settings, newH2GlobalSettings } from '../../../src/protocols/http2/settings.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';

function header(buf: Buffer, off = 0): FrameHeader {
  const fh: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0 };
  readFrameHeader(buf, off, fh);
  return fh;
}

function h2Error(code: number): (e: unknown) => boolean {
  return (e) => e instanceof H2Error && e.code === code && e.isConnectionError;
}

test('frame header: write then read gives the same fields; the reserved bit is ignored', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 0x7fffffff }),
    (length, type, flags, streamId) => {
      const buf = Buffer.alloc(FRAME_HEADER_LENGTH);
      assert.equal(writeFrameHeader(buf, 0, length, type, flags, streamId), FRAME_HEADER_LENGTH);
      assert.deepEqual(header(buf), { length, type, flags, streamId });
      buf[5]! |= 0x80;
      assert.equal(header(buf).streamId, streamId);
    },
  ));
});

test('padding: pad length and trailing bytes; padding as long as the payload is a PROTOCOL_ERROR', () => {
  const p = Buffer.from([3, 1, 2, 0, 0, 0]);
  assert.equal(padding(p, 0, 6, 0), 0);
  const pad = padding(p, 0, 6, Flag.PADDED);
  assert.equal(pad >>> 8, 1);
  assert.equal(pad & 0xff, 3);
  assert.throws(() => padding(Buffer.from([5, 0, 0, 0, 0]), 0, 5, Flag.PADDED), h2Error(H2Code.PROTOCOL_ERROR));
  assert.throws(() => padding(Buffer.alloc(0), 0, 0, Flag.PADDED), h2Error(H2Code.FRAME_SIZE_ERROR));
  assert.equal(padding(Buffer.from([0]), 0, 1, Flag.PADDED), 0x100);
});

test('SETTINGS: written pairs decode back; ranges checked; unknown ids ignored', () => {
  const pairs = [SettingId.HEADER_TABLE_SIZE, 8192, SettingId.ENABLE_PUSH, 0, SettingId.MAX_CONCURRENT_STREAMS, 7,
    SettingId.INITIAL_WINDOW_SIZE, 1 << 20, SettingId.MAX_FRAME_SIZE, 32768, SettingId.MAX_HEADER_LIST_SIZE, 9999, 0x99, 5];
  const buf = Buffer.alloc(settingsFrameLength(pairs.length / 2));
  assert.equal(writeSettings(buf, 0, pairs), buf.length);
  const fh = header(buf);
  assert.deepEqual(fh, { length: 42, type: FrameType.SETTINGS, flags: 0, streamId: 0 });
  const s = initialPeerSettings();
  decodeSettings(buf, FRAME_HEADER_LENGTH, fh.length, s);
  assert.deepEqual(s, {
    headerTableSize: 8192, enablePush: false, maxConcurrentStreams: 7, initialWindowSize: 1 << 20, maxFrameSize: 32768,
    maxHeaderListSize: 9999, enableConnectProtocol: false,
  });
  const one = (id: number, v: number): Buffer => {
    const b = Buffer.alloc(6);
    b.writeUInt16BE(id, 0);
    b.writeUInt32BE(v, 2);
    return b;
  };
  const dec = (b: Buffer) => () => decodeSettings(b, 0, b.length, initialPeerSettings());
  assert.throws(dec(Buffer.alloc(5)), h2Error(H2Code.FRAME_SIZE_ERROR));
  assert.throws(dec(one(SettingId.ENABLE_PUSH, 2)), h2Error(H2Code.PROTOCOL_ERROR));
  assert.throws(dec(one(SettingId.INITIAL_WINDOW_SIZE, 0x80000000)), h2Error(H2Code.FLOW_CONTROL_ERROR));
  assert.throws(dec(one(SettingId.MAX_FRAME_SIZE, 16383)), h2Error(H2Code.PROTOCOL_ERROR));
  assert.throws(dec(one(SettingId.MAX_FRAME_SIZE, 16777216)), h2Error(H2Code.PROTOCOL_ERROR));
  assert.throws(dec(one(SettingId.ENABLE_CONNECT_PROTOCOL, 2)), h2Error(H2Code.PROTOCOL_ERROR));
  dec(one(SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff))();
  const withdrawn = initialPeerSettings();
  decodeSettings(one(SettingId.ENABLE_CONNECT_PROTOCOL, 1), 0, 6, withdrawn);
  assert.throws(() => decodeSettings(one(SettingId.ENABLE_CONNECT_PROTOCOL, 0), 0, 6, withdrawn), h2Error(H2Code.PROTOCOL_ERROR));
});

test('control frame writers', () => {
  const buf = Buffer.alloc(200);
  let p = writeSettingsAck(buf, 0);
  assert.deepEqual(header(buf, 0), { length: 0, type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0 });
  const opaque = Buffer.from('12345678');
  const ping = p;
  p = writePing(buf, p, true, opaque, 0);
  assert.deepEqual(header(buf, ping), { length: 8, type: FrameType.PING, flags: Flag.ACK, streamId: 0 });
  assert.equal(buf.subarray(ping + 9, p).toString(), '12345678');
  const rst = p;
  p = writeRstStream(buf, p, 7, H2Code.CANCEL);
  assert.deepEqual(header(buf, rst), { length: 4, type: FrameType.RST_STREAM, flags: 0, streamId: 7 });
  assert.equal(buf.readUInt32BE(rst + 9), 8);
  const wu = p;
  p = writeWindowUpdate(buf, p, 0, 0x7fffffff);
  assert.deepEqual(header(buf, wu), { length: 4, type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0 });
  assert.equal(buf.readUInt32BE(wu + 9), 0x7fffffff);
  const ga = p;
  const debug = Buffer.from('bye');
  p = writeGoaway(buf, p, 41, H2Code.ENHANCE_YOUR_CALM, debug);
  assert.equal(p - ga, goawayFrameLength(debug));
  assert.deepEqual(header(buf, ga), { length: 11, type: FrameType.GOAWAY, flags: 0, streamId: 0 });
  assert.equal(buf.readUInt32BE(ga + 9), 41);
  assert.equal(buf.readUInt32BE(ga + 13), 11);
  assert.equal(buf.subarray(ga + 17, p).toString(), 'bye');
  assert.equal(priorityDependency(Buffer.from([0x80, 0, 0, 5, 16]), 0), 5);
});

test('header blocks: one HEADERS then CONTINUATIONs of at most the frame size, flags where they belong', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 70000 }), fc.boolean(), (n, end) => {
    const block = Buffer.alloc(n, 0x61);
    const max = 16384;
    const buf = Buffer.alloc(headerFramesLength(n, max));
    assert.equal(writeHeaders(buf, 0, 3, block, end, max), buf.length);
    let p = 0;
    let got = 0;
    let first = true;
    while (p < buf.length) {
      const fh = header(buf, p);
      assert.equal(fh.type, first ? FrameType.HEADERS : FrameType.CONTINUATION);
      assert.equal(fh.streamId, 3);
      assert.ok(fh.length <= max);
      const last = p + FRAME_HEADER_LENGTH + fh.length === buf.length;
      assert.equal((fh.flags & Flag.END_HEADERS) !== 0, last);
      assert.equal((fh.flags & Flag.END_STREAM) !== 0, first && end);
      got += fh.length;
      p += FRAME_HEADER_LENGTH + fh.length;
      first = false;
    }
    assert.equal(got, n);
  }), { numRuns: 50 });
});

test('error codes and H2Error scope', () => {
  assert.equal(h2CodeName(H2Code.ENHANCE_YOUR_CALM), 'ENHANCE_YOUR_CALM');
  assert.equal(h2CodeName(0x42), '0x42');
  assert.equal(new H2Error(H2Code.PROTOCOL_ERROR, 'x').isConnectionError, true);
  assert.equal(new H2Error(H2Code.PROTOCOL_ERROR, 'x', 3).isConnectionError, false);
});

test('connection settings from tune.h2.* and tune.bufsize; only non-default values announced', () => {
  const g = newH2GlobalSettings();
  const s = h2Settings(g, 16384);
  assert.equal(s.maxFrameSize, 16384);
  assert.equal(s.maxHeaderListSize, 16384);
  // HAProxy 2.6's order; ENABLE_CONNECT_PROTOCOL (RFC 8441) in both roles, as HAProxy sends it.
  assert.deepEqual(announcedSettings(s, false), [SettingId.ENABLE_CONNECT_PROTOCOL, 1, SettingId.MAX_CONCURRENT_STREAMS, 100]);
  assert.deepEqual(announcedSettings(s, true), [SettingId.ENABLE_PUSH, 0, SettingId.ENABLE_CONNECT_PROTOCOL, 1, SettingId.MAX_CONCURRENT_STREAMS, 100]);
  assert.deepEqual(announcedSettings(h2Settings({ ...g, extendedConnect: false }, 16384), false), [SettingId.MAX_CONCURRENT_STREAMS, 100]);
  // The frame size follows larger buffers, bounded by tune.h2.max-frame-size, never under 16384.
  assert.equal(h2Settings(g, 65536).maxFrameSize, 65536);
  assert.equal(h2Settings({ ...g, maxFrameSize: 32768 }, 65536).maxFrameSize, 32768);
  assert.equal(h2Settings({ ...g, maxFrameSize: 1 << 20 }, 65536).maxFrameSize, 65536);
  assert.equal(h2Settings(g, 4096).maxFrameSize, 16384);
  const custom = h2Settings({ headerTableSize: 8192, initialWindowSize: 1 << 20, maxConcurrentStreams: 0, maxFrameSize: 0, extendedConnect: false }, 32768);
  assert.deepEqual(announcedSettings(custom, false), [
    SettingId.HEADER_TABLE_SIZE, 8192, SettingId.INITIAL_WINDOW_SIZE, 1 << 20, SettingId.MAX_FRAME_SIZE, 32768,
  ]);
});

function parseGlobal(line: string): { errors: string[]; h2: ReturnType<typeof newH2GlobalSettings> } {
  const diag = new Diagnostics();
  const cfg = parseConfigText('h2.cfg', `global\n  ${line}\n`, diag, {});
  return { errors: diag.messages.filter((m) => m.level === 'ALERT').map((m) => m.text), h2: cfg.global.h2 };
}

test('tune.h2.* keywords: values read as atoi() does, with haproxy 2.6.12 ranges and messages', () => {
  assert.deepEqual(parseGlobal('tune.h2.header-table-size 8192').h2.headerTableSize, 8192);
  assert.deepEqual(parseGlobal('tune.h2.initial-window-size 1048576').h2.initialWindowSize, 1048576);
  assert.deepEqual(parseGlobal('tune.h2.max-concurrent-streams 0').h2.maxConcurrentStreams, 0);
  assert.deepEqual(parseGlobal('tune.h2.max-frame-size 65536').h2.maxFrameSize, 65536);
  // atoi(): "1k" is 1, "abc" and a missing value are 0, 2^32 wraps to 0.
  assert.equal(parseGlobal('tune.h2.initial-window-size 1k').h2.initialWindowSize, 1);
  assert.equal(parseGlobal('tune.h2.max-concurrent-streams abc').h2.maxConcurrentStreams, 0);
  assert.equal(parseGlobal('tune.h2.max-concurrent-streams').h2.maxConcurrentStreams, 0);
  assert.equal(parseGlobal('tune.h2.initial-window-size 4294967296').h2.initialWindowSize, 0);
  const msg: [string, string][] = [
    ['tune.h2.header-table-size 4095', "'tune.h2.header-table-size' expects a numeric value between 4096 and 65536."],
    ['tune.h2.header-table-size', "'tune.h2.header-table-size' expects a numeric value between 4096 and 65536."],
    ['tune.h2.header-table-size 65537', "'tune.h2.header-table-size' expects a numeric value between 4096 and 65536."],
    ['tune.h2.initial-window-size -1', "'tune.h2.initial-window-size' expects a positive numeric value."],
    ['tune.h2.initial-window-size 2147483648', "'tune.h2.initial-window-size' expects a positive numeric value."],
    ['tune.h2.max-concurrent-streams -5', "'tune.h2.max-concurrent-streams' expects a positive numeric value."],
    ['tune.h2.max-frame-size 16383', "'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215."],
    ['tune.h2.max-frame-size 16777216', "'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215."],
    ['tune.h2.max-frame-size 1k', "'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215."],
    ['tune.h2.max-frame-size 16384 20', "'tune.h2.max-frame-size' cannot handle unexpected argument '20'."],
  ];
  for (const [line, text] of msg) {
    const errors = parseGlobal(line).errors.filter((e) => e.includes('parsing ['));
    assert.equal(errors.length, 1, line);
    assert.match(errors[0]!, new RegExp(`${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), line);
  }
});
