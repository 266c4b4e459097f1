// HTTP/2 requests as HTTP/1 messages (to-http1.ts), the WebSocket keys of the HTTP/1 side
// (websocket-key.ts), the h2-workaround-bogus-websocket-clients keyword, and the connection's
// END_STREAM-then-CANCEL ending of tunnels. Expected header orders, targets and messages were
// recorded from haproxy 2.6.12 (what its HTTP/1 server received, and haproxy -c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tunnel, toHttp1Request } from '../../../src/protocols/http2/to-http1.ts';
import { isWebSocketUpgrade, newWebSocketKey, webSocketAccept, webSocketAcceptValid } from '../../../src/protocols/http2/websocket-key.ts';
import { MALFORMED, validateRequest } from '../../../src/protocols/http2/validate.ts';
import { H2Code } from '../../../src/protocols/http2/errors.ts';
import { Flag, FrameType, SettingId } from '../../../src/protocols/http2/frames.ts';
import { HttpHeaders } from '../../../src/protocols/http1/message.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import { rawServer, settingsPayload, testSettings, until } from './connection-helpers.ts';

/** The converted request as [method, uri, version, ...header lines]. */
function convert(fields: string[]): string[] | null {
  const r = toHttp1Request(fields);
  if (r === null) return null;
  const h = r.req.headers;
  const out = [r.req.method, r.req.uri, r.req.version];
  for (let i = 0; i < h.length; i++) out.push(`${h.names[i]}: ${h.values[i]}`);
  return out;
}

const GET = [':method', 'GET', ':scheme', 'http', ':authority', 'a', ':path', '/x'];

test('regular requests: Host from :authority first, other Host fields dropped, cookies joined last', () => {
  assert.deepEqual(convert([...GET, 'x-a', '1', 'host', 'b', 'cookie', 'c=1', 'x-b', '2', 'cookie', 'd=2']),
    ['GET', 'http://a/x', 'HTTP/2.0', 'host: a', 'x-a: 1', 'x-b: 2', 'cookie: c=1; d=2']);
  // No regular field: Host comes after everything else.
  assert.deepEqual(convert(GET), ['GET', 'http://a/x', 'HTTP/2.0', 'host: a']);
  // Without :authority the target is the path and Host fields stay as they are.
  assert.deepEqual(convert([':method', 'GET', ':scheme', 'http', ':path', '/x', 'host', 'a:80']), ['GET', '/x', 'HTTP/2.0', 'host: a:80']);
  // OPTIONS * with an authority: the absolute target has no path.
  assert.deepEqual(convert([':method', 'OPTIONS', ':scheme', 'http', ':authority', 'a', ':path', '*', 'x-a', '1']),
    ['OPTIONS', 'http://a', 'HTTP/2.0', 'host: a', 'x-a: 1']);
});

test('content-length: repeated equal values are forwarded once; unusable ones make a 400', () => {
  const post = [':method', 'POST', ':scheme', 'http', ':authority', 'a', ':path', '/x'];
  const r = toHttp1Request([...post, 'content-length', '0', 'content-length', '0']);
  assert.equal(r?.length, 0);
  assert.deepEqual(convert([...post, 'content-length', '0', 'content-length', '0']), ['POST', 'http://a/x', 'HTTP/2.0', 'host: a', 'content-length: 0']);
  assert.equal(toHttp1Request([...post, 'content-length', '12'])?.length, 12);
  assert.equal(toHttp1Request(post)?.length, -1);
  assert.equal(toHttp1Request([...post, 'content-length', '1', 'content-length', '2']), null);
  assert.equal(toHttp1Request([...post, 'content-length', '5, 5']), null);
  assert.equal(toHttp1Request([...post, 'content-length', '1234567890123456']), null);
});

test('scheme-based normalization: an empty port goes, and the default port of http and https', () => {
  const target = (scheme: string, authority: string): string[] | null =>
    convert([':method', 'GET', ':scheme', scheme, ':authority', authority, ':path', '/x']);
  assert.deepEqual(target('http', 'a:80'), ['GET', 'http://a/x', 'HTTP/2.0', 'host: a']);
  assert.deepEqual(target('http', 'a:'), ['GET', 'http://a/x', 'HTTP/2.0', 'host: a']);
  assert.deepEqual(target('HTTPS', 'a:443'), ['GET', 'HTTPS://a/x', 'HTTP/2.0', 'host: a']);
  assert.deepEqual(target('https', 'a:80'), ['GET', 'https://a:80/x', 'HTTP/2.0', 'host: a:80']);
  assert.deepEqual(target('ftp', 'a:'), ['GET', 'ftp://a/x', 'HTTP/2.0', 'host: a']);
  assert.deepEqual(target('ftp', 'a:21'), ['GET', 'ftp://a:21/x', 'HTTP/2.0', 'host: a:21']);
  assert.deepEqual(target('http', '[::1]:80'), ['GET', 'http://[::1]/x', 'HTTP/2.0', 'host: [::1]']);
  assert.deepEqual(target('http', 'u@a:80'), ['GET', 'http://u@a/x', 'HTTP/2.0', 'host: a']);
  assert.deepEqual(target('http', 'a:8080'), ['GET', 'http://a:8080/x', 'HTTP/2.0', 'host: a:8080']);
});

test('CONNECT: an authority-form target and Host; the stream may become a tunnel', () => {
  const r = toHttp1Request([':method', 'CONNECT', ':authority', 'target.test:4444']);
  assert.equal(r?.tunnel, Tunnel.Connect);
  assert.equal(r?.length, -1);
  assert.deepEqual(convert([':method', 'CONNECT', ':authority', 'target.test:4444']), ['CONNECT', 'target.test:4444', 'HTTP/2.0', 'host: target.test:4444']);
  // No normalization without a scheme.
  assert.deepEqual(convert([':method', 'CONNECT', ':authority', 'a:80', 'x-a', '1']), ['CONNECT', 'a:80', 'HTTP/2.0', 'host: a:80', 'x-a: 1']);
  assert.equal(toHttp1Request(GET)?.tunnel, Tunnel.None);
});

test('extended CONNECT (RFC 8441): a GET upgrade, upgrade and connection after the regular fields', () => {
  const ws = [':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'http', ':path', '/chat?x=1', ':authority', 'example.test'];
  const r = toHttp1Request([...ws, 'sec-websocket-version', '13']);
  assert.equal(r?.tunnel, Tunnel.Upgrade);
  assert.deepEqual(convert([...ws, 'sec-websocket-version', '13', 'origin', 'http://o']), [
    'GET', 'http://example.test/chat?x=1', 'HTTP/2.0',
    'host: example.test', 'sec-websocket-version: 13', 'origin: http://o', 'upgrade: websocket', 'connection: upgrade',
  ]);
  // Without regular fields Host comes after them; cookies stay last; a client's own key is kept.
  assert.deepEqual(convert([':method', 'CONNECT', ':scheme', 'http', ':authority', 'a', ':path', '/p', ':protocol', 'foo']),
    ['GET', 'http://a/p', 'HTTP/2.0', 'upgrade: foo', 'connection: upgrade', 'host: a']);
  assert.deepEqual(convert([':method', 'CONNECT', ':scheme', 'https', ':authority', 'a', ':path', '/p', ':protocol', 'websocket', 'cookie', 'c=1', 'sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ==', 'x-z', '1']), [
    'GET', 'https://a/p', 'HTTP/2.0', 'host: a', 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', 'x-z: 1', 'upgrade: websocket', 'connection: upgrade', 'cookie: c=1',
  ]);
  assert.deepEqual(convert([':method', 'CONNECT', ':scheme', 'http', ':authority', 'a:80', ':path', '/x', ':protocol', 'websocket']),
    ['GET', 'http://a/x', 'HTTP/2.0', 'upgrade: websocket', 'connection: upgrade', 'host: a']);
});

test('validation of CONNECT forms before conversion (RFC 9113 8.5, RFC 8441 4)', () => {
  const ws = [':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'https', ':path', '/chat', ':authority', 'h'];
  assert.notEqual(validateRequest(ws, true), MALFORMED);
  // :protocol only once announced, only on CONNECT, with :scheme, :path and :authority.
  assert.equal(validateRequest(ws, false), MALFORMED);
  assert.equal(validateRequest([':method', 'GET', ':protocol', 'websocket', ':scheme', 'https', ':path', '/', ':authority', 'h'], true), MALFORMED);
  assert.equal(validateRequest([':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'https', ':authority', 'h'], true), MALFORMED);
  assert.equal(validateRequest([':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'https', ':path', '/'], true), MALFORMED);
  // Plain CONNECT: :authority only.
  assert.notEqual(validateRequest([':method', 'CONNECT', ':authority', 'h:443'], true), MALFORMED);
  assert.equal(validateRequest([':method', 'CONNECT'], true), MALFORMED);
  assert.equal(validateRequest([':method', 'CONNECT', ':authority', 'h:443', ':path', '/'], true), MALFORMED);
  assert.equal(validateRequest([':method', 'CONNECT', ':authority', 'h:443', ':scheme', 'http'], true), MALFORMED);
});

test('conversion never throws and keeps one Host equal to the normalized authority (property)', () => {
  const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const value = fc.stringMatching(/^[!-~]{0,12}$/);
  const authority = fc.tuple(fc.stringMatching(/^[a-z0-9.]{1,10}$/), fc.constantFrom('', ':', ':80', ':443', ':8080'))
    .map(([h, p]) => h + p);
  fc.assert(fc.property(
    fc.constantFrom('http', 'https', 'ftp'), authority, fc.stringMatching(/^\/[!-~]{0,10}$/),
    fc.array(fc.tuple(token, value), { maxLength: 6 }),
    (scheme, auth, path, regular) => {
      const fields = [':method', 'GET', ':scheme', scheme, ':authority', auth, ':path', path];
      for (const [n, v] of regular) if (n !== 'content-length') fields.push(n, v);
      const r = toHttp1Request(fields)!;
      const hosts = r.req.headers.getAll('host');
      assert.equal(hosts.length, 1);
      assert.equal(r.req.uri, `${scheme}://${hosts[0]}${path}`);
    },
  ));
});

test('WebSocket keys: RFC 6455 sample accept, fresh keys, and the checks of an upgrade response', () => {
  assert.equal(webSocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  const k = newWebSocketKey();
  assert.equal(Buffer.from(k, 'base64').length, 16);
  assert.notEqual(newWebSocketKey(), k);

  const res = (lines: [string, string][]): HttpHeaders => {
    const h = new HttpHeaders();
    for (const [n, v] of lines) h.add(n, v);
    return h;
  };
  const up: [string, string][] = [['Upgrade', 'websocket'], ['Connection', 'Upgrade']];
  assert.equal(isWebSocketUpgrade(res(up)), true);
  assert.equal(isWebSocketUpgrade(res([['Upgrade', 'foo, WebSocket'], ['Connection', 'keep-alive, upgrade']])), true);
  assert.equal(isWebSocketUpgrade(res([['Upgrade', 'websocket']])), false);
  assert.equal(isWebSocketUpgrade(res([['Upgrade', 'websockets'], ['Connection', 'upgrade']])), false);
  const good = webSocketAccept(k);
  // A key we generated: the accept must match it (case-insensitively, as haproxy compares).
  assert.equal(webSocketAcceptValid(res([...up, ['Sec-WebSocket-Accept', good]]), k), true);
  assert.equal(webSocketAcceptValid(res([...up, ['Sec-WebSocket-Accept', good.toUpperCase()]]), k), true);
  assert.equal(webSocketAcceptValid(res([...up, ['Sec-WebSocket-Accept', 'xxxx']]), k), false);
  assert.equal(webSocketAcceptValid(res(up), k), false);
  // The client's own key: any accept will do, a missing one will not.
  assert.equal(webSocketAcceptValid(res([...up, ['Sec-WebSocket-Accept', 'xxxx']]), null), true);
  assert.equal(webSocketAcceptValid(res(up), null), false);
  // Responses that announce no WebSocket upgrade are not concerned.
  assert.equal(webSocketAcceptValid(res([['content-length', '4']]), k), true);
});

function parseGlobal(line: string): { errors: string[]; extendedConnect: boolean } {
  const diag = new Diagnostics();
  const cfg = parseConfigText('h2.cfg', `global\n  ${line}\n`, diag, {});
  return { errors: diag.messages.filter((m) => m.level === 'ALERT' && m.text.includes('parsing [')).map((m) => m.text), extendedConnect: cfg.global.h2.extendedConnect };
}

test('h2-workaround-bogus-websocket-clients: stops the announcement; arguments and "no" refused as haproxy 2.6.12 does', () => {
  assert.equal(parseGlobal('maxconn 10').extendedConnect, true);
  const on = parseGlobal('h2-workaround-bogus-websocket-clients');
  assert.deepEqual(on.errors, []);
  assert.equal(on.extendedConnect, false);
  const arg = parseGlobal('h2-workaround-bogus-websocket-clients x').errors;
  assert.equal(arg.length, 1);
  assert.match(arg[0]!, /parsing \[h2\.cfg:2\] : 'h2-workaround-bogus-websocket-clients' cannot handle unexpected argument 'x'\.$/);
  const no = parseGlobal('no h2-workaround-bogus-websocket-clients').errors;
  assert.equal(no.length, 1);
  assert.match(no[0]!, /parsing \[h2\.cfg:2\]: negation\/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping\.$/);
});

test('connection: SETTINGS announce ENABLE_CONNECT_PROTOCOL unless disabled; extended CONNECT refused when not announced', async () => {
  const a = rawServer();
  const first = await a.peer.next(() => true, 'SETTINGS');
  assert.deepEqual(first.payload, settingsPayload(SettingId.ENABLE_CONNECT_PROTOCOL, 1, SettingId.MAX_CONCURRENT_STREAMS, 100));
  const b = rawServer(testSettings({ enableConnectProtocol: false }));
  const second = await b.peer.next(() => true, 'SETTINGS');
  assert.deepEqual(second.payload, settingsPayload(SettingId.MAX_CONCURRENT_STREAMS, 100));
  b.peer.preface();
  b.peer.headers(1, [':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'http', ':path', '/', ':authority', 'h'], false);
  assert.equal(await b.peer.rst(1), H2Code.PROTOCOL_ERROR);
  assert.equal(b.owner.requests.length, 0);
  a.conn.destroy();
  b.conn.destroy();
});

test('connection: cancelAfterEnd sends RST_STREAM(CANCEL) right after the END_STREAM, not before the queued DATA', async () => {
  const { conn, owner, peer } = rawServer();
  peer.preface();
  peer.headers(1, [':method', 'CONNECT', ':authority', 'h:1'], false);
  await until(() => owner.requests.length === 1, 'the request');
  conn.respond(1, [':status', '200'], false);
  conn.sendData(1, Buffer.from('bye'), true);
  conn.cancelAfterEnd(1);
  await peer.rst(1);
  const onStream = peer.frames.filter((f) => f.streamId === 1).map((f) => [f.type, f.flags & Flag.END_STREAM]);
  assert.deepEqual(onStream, [[FrameType.HEADERS, 0], [FrameType.DATA, Flag.END_STREAM], [FrameType.RST_STREAM, 0]]);
  assert.equal(peer.dataOf(1).toString(), 'bye');
  assert.equal(await peer.rst(1), H2Code.CANCEL);
  assert.equal(conn.openStreams, 0);
  // A peer that ended its side first gets no reset.
  peer.headers(3, [':method', 'CONNECT', ':authority', 'h:1'], true);
  await until(() => owner.requests.length === 2, 'the second request');
  conn.respond(3, [':status', '200'], false);
  conn.sendData(3, Buffer.alloc(0), true);
  conn.cancelAfterEnd(3);
  await until(() => conn.openStreams === 0, 'the second stream closed');
  assert.equal(peer.frames.some((f) => f.type === FrameType.RST_STREAM && f.streamId === 3), false);
  conn.destroy();
});
