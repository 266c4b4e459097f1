// H2Connection (server role) against a hand-driven client: the preface and SETTINGS exchange,
// PING, malformed requests (stream errors), protocol violations (connection errors with the
// RFC 9113 code), and the abuse limits (rapid reset, floods, CONTINUATION, concurrency).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H2Code } from '../../../src/protocols/http2/errors.ts';
import { CLIENT_PREFACE, Flag, FrameType, SettingId } from '../../../src/protocols/http2/frames.ts';
import { GET, frameBytes, post, rawServer, settingsPayload, testSettings, u32, until } from './connection-helpers.ts';

/** A server connection past the preface exchange. */
async function ready(settings = testSettings()): Promise<ReturnType<typeof rawServer>> {
  const r = rawServer(settings);
  r.peer.preface();
  await r.peer.next((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0, 'SETTINGS ACK');
  return r;
}

async function connectionError(send: (r: ReturnType<typeof rawServer>) => void, code: number, settings = testSettings()): Promise<void> {
  const r = await ready(settings);
  send(r);
  const g = await r.peer.goaway();
  assert.equal(g.code, code);
  await until(() => r.owner.closed, 'the close');
  assert.equal((r.owner.closeError as { code?: number } | null)?.code, code);
}

test('preface and SETTINGS exchange, SETTINGS ACK, PING echoed', async () => {
  const { peer } = rawServer();
  const first = await peer.next(() => true, 'server SETTINGS');
  assert.equal(first.type, FrameType.SETTINGS);
  assert.deepEqual(first.payload, settingsPayload(SettingId.ENABLE_CONNECT_PROTOCOL, 1, SettingId.MAX_CONCURRENT_STREAMS, 100));
  // The connection window opens to a window per allowed stream.
  const wu = await peer.next((f) => f.type === FrameType.WINDOW_UPDATE, 'connection WINDOW_UPDATE');
  assert.equal(wu.streamId, 0);
  assert.equal(wu.payload.readUInt32BE(0), 65535 * 100 - 65535);
  // The preface may come in pieces.
  peer.write(CLIENT_PREFACE.subarray(0, 5));
  peer.write(Buffer.concat([CLIENT_PREFACE.subarray(5), frameBytes(FrameType.SETTINGS, 0, 0)]));
  await peer.next((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK, 'SETTINGS ACK');
  peer.frame(FrameType.PING, 0, 0, Buffer.from('pingpong'));
  const pong = await peer.next((f) => f.type === FrameType.PING, 'PING ACK');
  assert.equal(pong.flags, Flag.ACK);
  assert.equal(pong.payload.toString(), 'pingpong');
});

test('a bad preface, or a first frame other than SETTINGS, is a PROTOCOL_ERROR', async () => {
  const a = rawServer();
  a.peer.write(Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
  assert.equal((await a.peer.goaway()).code, H2Code.PROTOCOL_ERROR);
  await until(() => a.owner.closed, 'the close');
  const b = rawServer();
  b.peer.write(Buffer.concat([CLIENT_PREFACE, frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8))]));
  assert.equal((await b.peer.goaway()).code, H2Code.PROTOCOL_ERROR);
});

test('malformed requests are reset with PROTOCOL_ERROR; the connection goes on', async () => {
  const { owner, peer } = await ready();
  const bad = [
    [':method', 'GET', ':path', '/'],
    [...GET, 'Accept', '*/*'],
    [...GET, 'connection', 'keep-alive'],
    [...GET, 'te', 'gzip'],
    [...GET.slice(0, 2), 'x', 'y', ...GET.slice(2)],
  ];
  let id = 1;
  for (const fields of bad) {
    peer.headers(id, fields, true);
    assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR, JSON.stringify(fields));
    id += 2;
  }
  // END_STREAM with a content-length promising a body; DATA longer or shorter than announced.
  peer.headers(id, post('/', 3), true);
  assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR);
  id += 2;
  peer.headers(id, post('/', 3), false);
  peer.data(id, 'abcd', false);
  assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR);
  id += 2;
  peer.headers(id, post('/', 3), false);
  peer.data(id, 'ab', true);
  assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR);
  // Trailers must end the stream and carry no pseudo-header field.
  id += 2;
  peer.headers(id, post(), false);
  peer.headers(id, ['x-t', '1'], false);
  assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR);
  // A HEADERS frame depending on its own stream.
  id += 2;
  const block = peer.encoder.encode(GET);
  peer.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM | Flag.PRIORITY, id, Buffer.concat([u32(id), Buffer.from([16]), block]));
  assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR);
  // Only the two requests that passed validation reached the owner, and their handlers heard the reset.
  assert.equal(owner.requests.length, 3);
  assert.deepEqual(owner.requests.map((r) => r.handler.reset), [H2Code.PROTOCOL_ERROR, H2Code.PROTOCOL_ERROR, H2Code.PROTOCOL_ERROR]);
  // Still alive: a valid request goes through.
  id += 2;
  peer.headers(id, GET, true);
  await until(() => owner.requests.length === 4, 'the valid request');
  assert.equal(owner.requests[3]!.id, id);
});

test('padded DATA and HEADERS: padding stripped and given back to the windows', async () => {
  const { owner, peer } = await ready();
  const block = peer.encoder.encode(post());
  peer.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED, 1, Buffer.concat([Buffer.from([4]), block, Buffer.alloc(4)]));
  peer.frame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, Buffer.concat([Buffer.from([10]), Buffer.from('body'), Buffer.alloc(10)]));
  await until(() => owner.requests[0]?.handler.ended === true, 'the body');
  assert.deepEqual(owner.requests[0]!.fields, post());
  assert.equal(owner.requests[0]!.handler.body().toString(), 'body');
});

test('connection errors: frames on stream 0 or idle streams, bad sizes, PUSH_PROMISE, interrupted header blocks', async () => {
  await connectionError((r) => r.peer.data(0, 'x', false), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.data(1, 'x', false), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.RST_STREAM, 0, 5, u32(0)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.WINDOW_UPDATE, 0, 7, u32(1)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.headers(2, GET, true), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, u32(2)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.PING, 0, 0, Buffer.alloc(7)), H2Code.FRAME_SIZE_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.PING, 0, 1, Buffer.alloc(8)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)), H2Code.FRAME_SIZE_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(6)), H2Code.FRAME_SIZE_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.SETTINGS, 0, 1), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.SETTINGS, 0, 0, settingsPayload(SettingId.MAX_FRAME_SIZE, 100)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.DATA, 0, 1, Buffer.alloc(16385)), H2Code.FRAME_SIZE_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.alloc(1)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => {
    const block = r.peer.encoder.encode(GET);
    r.peer.frame(FrameType.HEADERS, 0, 1, block.subarray(0, 3));
    r.peer.frame(FrameType.PING, 0, 0, Buffer.alloc(8));
  }, H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0xff, 0xff])), H2Code.COMPRESSION_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(4)), H2Code.FRAME_SIZE_ERROR);
});

test('flow control errors: WINDOW_UPDATE overflow and zero increments', async () => {
  await connectionError((r) => r.peer.frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0x7fffffff)), H2Code.FLOW_CONTROL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0)), H2Code.PROTOCOL_ERROR);
  await connectionError((r) => r.peer.frame(FrameType.SETTINGS, 0, 0, settingsPayload(SettingId.INITIAL_WINDOW_SIZE, 0x80000000)), H2Code.FLOW_CONTROL_ERROR);
  // A window change pushing an open stream's window over 2^31-1.
  await connectionError((r) => {
    r.peer.headers(1, post(), false);
    r.peer.frame(FrameType.WINDOW_UPDATE, 0, 1, u32(0x7fffffff - 65535));
    r.peer.frame(FrameType.SETTINGS, 0, 0, settingsPayload(SettingId.INITIAL_WINDOW_SIZE, 65536));
  }, H2Code.FLOW_CONTROL_ERROR);
  const { peer, owner } = await ready();
  peer.headers(1, post(), false);
  peer.frame(FrameType.WINDOW_UPDATE, 0, 1, u32(0x7fffffff));
  assert.equal(await peer.rst(1), H2Code.FLOW_CONTROL_ERROR);
  peer.headers(3, post(), false);
  peer.frame(FrameType.WINDOW_UPDATE, 0, 3, u32(0));
  assert.equal(await peer.rst(3), H2Code.PROTOCOL_ERROR);
  assert.equal(owner.closed, false);
});

test('streams beyond SETTINGS_MAX_CONCURRENT_STREAMS are refused; reused ids get STREAM_CLOSED', async () => {
  const { owner, peer } = await ready(testSettings({ maxConcurrentStreams: 2 }));
  peer.headers(1, post(), false);
  peer.headers(3, post(), false);
  peer.headers(5, post(), false);
  assert.equal(await peer.rst(5), H2Code.REFUSED_STREAM);
  assert.equal(owner.requests.length, 2);
  owner.conn.respond(1, [':status', '200'], true);
  peer.data(1, '', true);
  await until(() => owner.conn.openStreams === 1, 'stream 1 to close');
  peer.headers(7, GET, true);
  await until(() => owner.requests.length === 3, 'the next stream');
  peer.headers(1, GET, true);
  assert.equal(await peer.rst(1), H2Code.STREAM_CLOSED);
});

test('rapid reset (CVE-2023-44487): streams reset before an answer exhaust the budget; answered ones do not', async () => {
  const s = testSettings({ floodBurst: 100, floodRate: 1 });
  const { owner, peer } = await ready(s);
  owner.answer = (conn, id) => {
    conn.respond(id, [':status', '200'], true);
    return null;
  };
  let id = 1;
  for (let i = 0; i < 150; i++, id += 2) {
    peer.headers(id, GET, true);
    peer.frame(FrameType.RST_STREAM, 0, id, u32(H2Code.CANCEL));
  }
  await until(() => owner.requests.length === 150, 'answered requests');
  assert.equal(peer.has(FrameType.GOAWAY), false);

  const b = await ready(s);
  id = 1;
  for (let i = 0; i < 150; i++, id += 2) {
    b.peer.headers(id, post(), false);
    b.peer.frame(FrameType.RST_STREAM, 0, id, u32(H2Code.CANCEL));
  }
  const g = await b.peer.goaway();
  assert.equal(g.code, H2Code.ENHANCE_YOUR_CALM);
  assert.ok(b.owner.requests.length <= 101);
});

test('floods: PING, SETTINGS, empty DATA, PRIORITY and unknown frames', async () => {
  const s = testSettings({ floodBurst: 50, floodRate: 1 });
  const frames = [
    frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8)),
    frameBytes(FrameType.SETTINGS, 0, 0),
    frameBytes(FrameType.PRIORITY, 0, 3, Buffer.from([0, 0, 0, 0, 16])),
    frameBytes(0x42, 0, 0, Buffer.alloc(3)),
  ];
  for (const f of frames) {
    await connectionError((r) => r.peer.write(Buffer.concat(Array(60).fill(f))), H2Code.ENHANCE_YOUR_CALM, s);
  }
  await connectionError((r) => {
    r.peer.headers(1, post(), false);
    for (let i = 0; i < 60; i++) r.peer.data(1, '', false);
  }, H2Code.ENHANCE_YOUR_CALM, s);
});

test('header blocks: CONTINUATION floods and oversized blocks end the connection', async () => {
  // More CONTINUATION frames than allowed, even empty ones.
  await connectionError((r) => {
    const block = r.peer.encoder.encode(GET);
    r.peer.frame(FrameType.HEADERS, 0, 1, block.subarray(0, 2));
    for (let i = 0; i < 9; i++) r.peer.frame(FrameType.CONTINUATION, 0, 1);
  }, H2Code.ENHANCE_YOUR_CALM);
  // Larger than tune.bufsize, compressed (as haproxy 2.6.12: COMPRESSION_ERROR).
  await connectionError((r) => {
    r.peer.frame(FrameType.HEADERS, 0, 1, Buffer.alloc(10000, 0x40));
    r.peer.frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(10000, 0x40));
  }, H2Code.COMPRESSION_ERROR);
  // Or decoded.
  await connectionError((r) => r.peer.headers(1, [...GET, 'x-big', 'a'.repeat(20000)], true), H2Code.COMPRESSION_ERROR);
  // A block split over a few CONTINUATIONs is fine.
  const { owner, peer } = await ready();
  const block = peer.encoder.encode([...GET, 'x-long', 'b'.repeat(3000)]);
  peer.frame(FrameType.HEADERS, Flag.END_STREAM, 1, block.subarray(0, 1000));
  peer.frame(FrameType.CONTINUATION, 0, 1, block.subarray(1000, 2000));
  peer.frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(2000));
  await until(() => owner.requests.length === 1, 'the request');
  assert.equal(owner.requests[0]!.fields.at(-1), 'b'.repeat(3000));
});

test('GOAWAY with an error from us resets every stream; destroy() reports CANCEL', async () => {
  const { owner, peer } = await ready();
  peer.headers(1, post(), false);
  peer.headers(3, post(), false);
  await until(() => owner.requests.length === 2, 'requests');
  owner.conn.goaway(H2Code.ENHANCE_YOUR_CALM);
  const g = await peer.goaway();
  assert.deepEqual(g, { last: 3, code: H2Code.ENHANCE_YOUR_CALM });
  assert.deepEqual(owner.requests.map((r) => r.handler.reset), [H2Code.ENHANCE_YOUR_CALM, H2Code.ENHANCE_YOUR_CALM]);
  await until(() => owner.closed && peer.closed, 'the close');

  const b = await ready();
  b.peer.headers(1, post(), false);
  await until(() => b.owner.requests.length === 1, 'request');
  b.owner.conn.destroy();
  await until(() => b.owner.closed, 'the close');
  assert.equal(b.owner.requests[0]!.handler.reset, H2Code.CANCEL);
  assert.equal(b.owner.closeError, null);
});

test('a graceful GOAWAY from the client: open streams finish, then the connection closes', async () => {
  const { owner, peer } = await ready();
  peer.headers(1, GET, true);
  await until(() => owner.requests.length === 1, 'request');
  peer.frame(FrameType.GOAWAY, 0, 0, u32(0, 0));
  await until(() => owner.goaways.length === 1, 'GOAWAY');
  assert.equal(owner.closed, false);
  owner.conn.respond(1, [':status', '200'], true);
  await until(() => owner.closed, 'the close');
  assert.equal(owner.closeError, null);
});

test('DATA after END_STREAM is a stream STREAM_CLOSED; DATA of a stream without handler is dropped and its window given back', async () => {
  const { owner, peer } = await ready();
  peer.headers(1, GET, true);
  await until(() => owner.requests.length === 1, 'request');
  peer.data(1, 'late', false);
  assert.equal(await peer.rst(1), H2Code.STREAM_CLOSED);
  assert.equal(owner.requests[0]!.handler.reset, H2Code.STREAM_CLOSED);

  owner.answer = () => null;
  peer.headers(3, post(), false);
  // Two windows' worth: the first must have been given back for the second to be accepted.
  for (let i = 0; i < 8; i++) peer.data(3, Buffer.alloc(16383), false);
  await peer.next((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 3, 'stream WINDOW_UPDATE');
  await until(() => peer.frames.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 3).length >= 2, 'a second WINDOW_UPDATE');
  // A PING answered means every frame before it was processed.
  peer.frame(FrameType.PING, 0, 0, Buffer.from('fencefnc'));
  await peer.next((f) => f.type === FrameType.PING, 'PING ACK');
  assert.equal(peer.frames.some((f) => f.type === FrameType.RST_STREAM && f.streamId === 3), false);
});

test('a peer that does not read: output stays bounded, its input waits; everything flows once it reads', async () => {
  const { peer, sock } = await ready(testSettings({ floodBurst: 1e9 }));
  const before = peer.frames.length;
  peer.sock.pause();
  const ping = frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8));
  const count = 60000;
  peer.write(Buffer.concat(Array(count).fill(ping)));
  await new Promise((r) => setTimeout(r, 100));
  // About 1 MiB of PING ACKs would be due: reading stopped past the bound instead.
  assert.ok(sock.writableLength < 512 * 1024, `server output ${sock.writableLength}`);
  // Answered so far: what sits in the two buffers between us and the peer.
  const answered = (sock.writableLength + peer.sock.readableLength) / 17;
  assert.ok(answered < count / 2, `answered ${answered} of ${count} PINGs while the peer did not read`);
  peer.sock.resume();
  await until(() => peer.frames.length - before === count, 'every PING ACK', 10000);
});
