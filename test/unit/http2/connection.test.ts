// H2Connection, a server and a client role talking to each other over an in-memory pair:
// round trips with trailers, flow control under a slow reader, backpressure, resets, GOAWAY,
// the peer's limits and SETTINGS changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { H2Code } from '../../../src/protocols/http2/errors.ts';
import { Flag, FrameType, SettingId } from '../../../src/protocols/http2/frames.ts';
import {
  GET, StreamRecorder, connectionPair, post, rawClient, rawServer, settingsPayload, testSettings, u32, until,
} from './connection-helpers.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('GET round trip: response headers, body and trailers; streams closed on both sides', async () => {
  const { server, client, serverOwner, clientOwner } = connectionPair();
  serverOwner.answer = (conn, id) => {
    conn.respond(id, [':status', '200', 'content-type', 'text/plain'], false);
    conn.sendData(id, Buffer.from('hello '), false);
    conn.sendData(id, Buffer.from('world'), false);
    conn.sendTrailers(id, ['x-checksum', 'abc']);
    return null;
  };
  const h = new StreamRecorder();
  h.conn = client;
  h.id = client.request([...GET, 'user-agent', 'test'], true, h);
  assert.equal(h.id, 1);
  await until(() => h.ended, 'the response');
  assert.deepEqual(serverOwner.requests[0]!.fields, [...GET, 'user-agent', 'test']);
  assert.equal(serverOwner.requests[0]!.endStream, true);
  assert.deepEqual(clientOwner.responses, [{ id: 1, fields: [':status', '200', 'content-type', 'text/plain'], endStream: false }]);
  assert.equal(h.body().toString(), 'hello world');
  assert.deepEqual(h.trailers, ['x-checksum', 'abc']);
  assert.equal(server.openStreams, 0);
  assert.equal(client.openStreams, 0);
  // The next stream takes the next odd id.
  const h2 = new StreamRecorder();
  h2.conn = client;
  assert.equal(client.request(GET, true, h2), 3);
  await until(() => h2.ended, 'the second response');
  client.destroy();
  await until(() => serverOwner.closed && clientOwner.closed, 'both closes');
});

test('1 MiB upload under flow control with a slow reader: the peer never exceeds the window, backpressure on send', async () => {
  const { client, serverOwner } = connectionPair();
  const body = randomBytes(1 << 20);
  let slow: StreamRecorder | null = null;
  serverOwner.answer = (_conn, id) => {
    const h = serverOwner.requests.at(-1)!.handler;
    h.autoConsume = false;
    slow = h;
    void id;
    return h;
  };
  const h = new StreamRecorder();
  h.conn = client;
  h.id = client.request(post('/up', body.length), false, h);
  // Queue it all: sendData reports backpressure beyond the stream buffer.
  let accepted = true;
  for (let off = 0; off < body.length; off += 16384) accepted = client.sendData(h.id, body.subarray(off, off + 16384), off + 16384 >= body.length) && accepted;
  assert.equal(accepted, false);
  await until(() => slow !== null && slow.received > 0, 'the first DATA');
  const s = slow!;
  await new Promise((r) => setTimeout(r, 30));
  // Nothing consumed: the peer stops at the stream window.
  assert.equal(s.received, 65535);
  let consumed = 0;
  while (!s.ended) {
    if (consumed < s.received) {
      serverOwner.conn.consumed(s.id, s.received - consumed);
      consumed = s.received;
    }
    assert.ok(s.received - consumed <= 65535, 'never more than one window unconsumed');
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(sha(s.body()), sha(body));
  assert.ok(h.writable >= 1, 'onWritable after the queue drained');
  serverOwner.conn.respond(s.id, [':status', '204'], true);
  await until(() => client.openStreams === 0, 'the stream to close');
});

test('concurrent streams with large responses all complete, interleaved', async () => {
  const { client, serverOwner } = connectionPair();
  const bodies = new Map<number, Buffer>();
  serverOwner.answer = (conn, id) => {
    const b = randomBytes(100_000 + id);
    bodies.set(id, b);
    conn.respond(id, [':status', '200'], false);
    conn.sendData(id, b, true);
    return null;
  };
  const hs: StreamRecorder[] = [];
  for (let i = 0; i < 40; i++) {
    const h = new StreamRecorder();
    h.conn = client;
    h.id = client.request(GET, true, h);
    hs.push(h);
  }
  await until(() => hs.every((h) => h.ended), 'all responses', 10000);
  for (const h of hs) assert.equal(sha(h.body()), sha(bodies.get(h.id)!));
  // DATA frames of different streams were interleaved (round robin), not one body after another.
  assert.ok(hs[0]!.chunks.length > 1);
});

test('resets both ways reach the other side\'s handler', async () => {
  const { client, serverOwner } = connectionPair();
  const h = new StreamRecorder();
  h.conn = client;
  h.id = client.request(post(), false, h);
  await until(() => serverOwner.requests.length === 1, 'the request');
  client.resetStream(h.id, H2Code.CANCEL);
  const sh = serverOwner.requests[0]!.handler;
  await until(() => sh.reset >= 0, 'the server-side reset');
  assert.equal(sh.reset, H2Code.CANCEL);
  assert.equal(h.reset, -1, 'no callback for our own reset');

  const h2 = new StreamRecorder();
  h2.conn = client;
  h2.id = client.request(GET, true, h2);
  await until(() => serverOwner.requests.length === 2, 'the second request');
  serverOwner.conn.resetStream(h2.id, H2Code.INTERNAL_ERROR);
  await until(() => h2.reset >= 0, 'the client-side reset');
  assert.equal(h2.reset, H2Code.INTERNAL_ERROR);
});

test('graceful GOAWAY: the open stream finishes, no new stream, the connection closes cleanly', async () => {
  const { server, client, serverOwner, clientOwner } = connectionPair();
  const h = new StreamRecorder();
  h.conn = client;
  h.id = client.request(GET, true, h);
  await until(() => serverOwner.requests.length === 1, 'the request');
  server.goaway(H2Code.NO_ERROR);
  await until(() => clientOwner.goaways.length === 1, 'GOAWAY at the client');
  assert.deepEqual(clientOwner.goaways[0], [1, 0]);
  assert.equal(client.request(GET, true, new StreamRecorder()), -1);
  assert.equal(client.availableStreams, 0);
  server.respond(h.id, [':status', '200'], false);
  server.sendData(h.id, Buffer.from('last'), true);
  await until(() => serverOwner.closed && clientOwner.closed, 'both closes');
  assert.equal(h.body().toString(), 'last');
  assert.equal(serverOwner.closeError, null);
  assert.equal(clientOwner.closeError, null);
});

test('the client keeps to the server\'s SETTINGS_MAX_CONCURRENT_STREAMS', async () => {
  const { client, serverOwner } = connectionPair(testSettings({ maxConcurrentStreams: 2 }));
  await until(() => client.availableStreams === 2, 'the server settings');
  const hs = [0, 1].map(() => {
    const h = new StreamRecorder();
    h.conn = client;
    h.id = client.request(GET, true, h);
    return h;
  });
  assert.equal(client.availableStreams, 0);
  assert.equal(client.request(GET, true, new StreamRecorder()), -1);
  await until(() => serverOwner.requests.length === 2, 'the requests');
  serverOwner.conn.respond(hs[0]!.id, [':status', '200'], true);
  await until(() => client.availableStreams === 1, 'a stream to finish');
});

test('client role: 1xx before the final response, HEAD with content-length and no DATA, response trailers', async () => {
  const { conn, owner, peer } = rawClient();
  await peer.next((f) => f.type === FrameType.SETTINGS, 'client SETTINGS');
  peer.frame(FrameType.SETTINGS, 0, 0);
  const h = new StreamRecorder();
  h.conn = conn;
  const id = conn.request([':method', 'HEAD', ':scheme', 'http', ':authority', 'x', ':path', '/'], true, h);
  await peer.next((f) => f.type === FrameType.HEADERS, 'request HEADERS');
  assert.deepEqual(peer.blocks[0], { streamId: 1, fields: [':method', 'HEAD', ':scheme', 'http', ':authority', 'x', ':path', '/'] });
  peer.headers(id, [':status', '103', 'link', '</a>'], false);
  peer.headers(id, [':status', '200', 'content-length', '1000'], true);
  await until(() => owner.responses.length === 2, 'responses');
  assert.equal(owner.responses[0]!.endStream, false);
  assert.equal(owner.responses[1]!.endStream, true);
  assert.equal(h.reset, -1);

  const h2 = new StreamRecorder();
  h2.conn = conn;
  const id2 = conn.request(GET, true, h2);
  peer.headers(id2, [':status', '200'], false);
  peer.data(id2, 'abc', false);
  peer.headers(id2, ['grpc-status', '0'], true);
  await until(() => h2.ended, 'trailers');
  assert.deepEqual(h2.trailers, ['grpc-status', '0']);
  assert.equal(h2.body().toString(), 'abc');

  // A 101 or a response whose DATA contradicts its content-length is a stream error.
  const h3 = new StreamRecorder();
  const id3 = conn.request(GET, true, h3);
  peer.headers(id3, [':status', '200', 'content-length', '2'], false);
  peer.data(id3, 'abc', true);
  assert.equal(await peer.rst(id3), H2Code.PROTOCOL_ERROR);
  assert.equal(h3.reset, H2Code.PROTOCOL_ERROR);
  // A server may not push, nor say it would.
  peer.frame(FrameType.SETTINGS, 0, 0, settingsPayload(SettingId.ENABLE_PUSH, 1));
  assert.equal((await peer.goaway()).code, H2Code.PROTOCOL_ERROR);
});

test('client role: GOAWAY from the server refuses our streams above its last id', async () => {
  const { conn, owner, peer } = rawClient();
  peer.frame(FrameType.SETTINGS, 0, 0);
  const hs = [0, 1, 2].map(() => {
    const h = new StreamRecorder();
    h.id = conn.request(GET, true, h);
    return h;
  });
  await until(() => peer.blocks.length === 3, 'requests');
  peer.frame(FrameType.GOAWAY, 0, 0, u32(1, 0));
  await until(() => owner.goaways.length === 1, 'GOAWAY');
  assert.deepEqual(hs.map((h) => h.reset), [-1, H2Code.REFUSED_STREAM, H2Code.REFUSED_STREAM]);
  assert.equal(conn.openStreams, 1);
  peer.headers(1, [':status', '200'], true);
  await until(() => owner.closed, 'the close once the last stream is done');
  assert.equal(owner.closeError, null);
});

test('SETTINGS_INITIAL_WINDOW_SIZE changes apply to open streams; WINDOW_UPDATEs release the rest', async () => {
  const { conn, owner, peer } = rawServer();
  owner.answer = (c, id) => {
    c.respond(id, [':status', '200'], false);
    c.sendData(id, Buffer.alloc(100, 0x61), true);
    return null;
  };
  peer.preface(settingsPayload(SettingId.INITIAL_WINDOW_SIZE, 10));
  peer.headers(1, GET, true);
  await until(() => peer.dataOf(1).length === 10, '10 bytes');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(peer.dataOf(1).length, 10);
  peer.frame(FrameType.SETTINGS, 0, 0, settingsPayload(SettingId.INITIAL_WINDOW_SIZE, 50));
  await until(() => peer.dataOf(1).length === 50, '50 bytes');
  peer.frame(FrameType.WINDOW_UPDATE, 0, 1, u32(50));
  const end = await peer.next((f) => f.type === FrameType.DATA && (f.flags & Flag.END_STREAM) !== 0, 'the end');
  assert.equal(end.streamId, 1);
  assert.equal(peer.dataOf(1).length, 100);
  assert.equal(conn.openStreams, 0);
});

test('a stream window exceeded by the peer is a stream FLOW_CONTROL_ERROR; consumed() sends WINDOW_UPDATEs', async () => {
  const { owner, peer } = rawServer();
  peer.preface();
  peer.frame(FrameType.SETTINGS, Flag.ACK, 0);
  peer.headers(1, post(), false);
  await until(() => owner.requests.length === 1, 'the request');
  const h = owner.requests[0]!.handler;
  h.autoConsume = false;
  for (let i = 0; i < 3; i++) peer.data(1, Buffer.alloc(16384), false);
  peer.data(1, Buffer.alloc(16383), false);
  await until(() => h.received === 65535, 'a full window');
  owner.conn.consumed(1, 65535);
  const wu = await peer.next((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1, 'stream WINDOW_UPDATE');
  assert.ok(wu.payload.readUInt32BE(0) >= 32768);
  peer.headers(3, post(), false);
  await until(() => owner.requests.length === 2, 'the second request');
  owner.requests[1]!.handler.autoConsume = false;
  for (let i = 0; i < 4; i++) peer.data(3, Buffer.alloc(16384), false);
  assert.equal(await peer.rst(3), H2Code.FLOW_CONTROL_ERROR);
  assert.equal(owner.requests[1]!.handler.reset, H2Code.FLOW_CONTROL_ERROR);
});

test('sendData after the end or on unknown streams is ignored; respond ends a bodiless response', async () => {
  const { conn, owner, peer } = rawServer();
  owner.answer = (c, id) => {
    c.respond(id, [':status', '204'], true);
    assert.equal(c.sendData(id, Buffer.from('x'), true), true);
    return null;
  };
  peer.preface();
  peer.headers(1, GET, true);
  await until(() => peer.blocks.length === 1, 'the response');
  assert.deepEqual(peer.blocks[0], { streamId: 1, fields: [':status', '204'] });
  const hf = peer.frames.find((f) => f.type === FrameType.HEADERS)!;
  assert.equal(hf.flags & Flag.END_STREAM, Flag.END_STREAM);
  assert.equal(peer.has(FrameType.DATA), false);
  assert.equal(conn.sendData(99, Buffer.from('x'), true), true);
  assert.equal(conn.openStreams, 0);
});

test('client role: a 101 or a malformed response is a stream PROTOCOL_ERROR', async () => {
  const { conn, peer } = rawClient();
  peer.frame(FrameType.SETTINGS, 0, 0);
  for (const fields of [[':status', '101'], [':status', '200', 'Server', 'x'], ['server', 'x']]) {
    const h = new StreamRecorder();
    const id = conn.request(GET, true, h);
    peer.headers(id, fields, false);
    assert.equal(await peer.rst(id), H2Code.PROTOCOL_ERROR);
    assert.equal(h.reset, H2Code.PROTOCOL_ERROR);
  }
});

test('an empty sendData with endStream after the body is sent ends the stream with an empty DATA frame', async () => {
  const { owner, peer } = rawServer();
  peer.preface();
  peer.headers(1, GET, true);
  await until(() => owner.requests.length === 1, 'request');
  owner.conn.respond(1, [':status', '200'], false);
  owner.conn.sendData(1, Buffer.from('part'), false);
  await until(() => peer.dataOf(1).length === 4, 'the body');
  owner.conn.sendData(1, Buffer.alloc(0), true);
  const end = await peer.next((f) => f.type === FrameType.DATA && (f.flags & Flag.END_STREAM) !== 0, 'the end');
  assert.equal(end.payload.length, 0);
  await until(() => owner.conn.openStreams === 0, 'the close');
});
