// Header lists of HTTP/2 messages (RFC 9113 8.2, 8.3): what makes a request, response or
// trailer section malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MALFORMED, NO_LENGTH, isHeadRequest, responseStatus, validateRequest, validateResponse, validateTrailers,
} from '../../../src/protocols/http2/validate.ts';

const GET = [':method', 'GET', ':scheme', 'https', ':authority', 'example.com', ':path', '/'];

test('requests: well-formed ones and their content-length', () => {
  assert.equal(validateRequest(GET, false), NO_LENGTH);
  assert.equal(validateRequest([...GET, 'accept', '*/*', 'user-agent', 'x/1'], false), NO_LENGTH);
  assert.equal(validateRequest([':method', 'POST', ':scheme', 'http', ':path', '/up', 'content-length', '1048576'], false), 1048576);
  assert.equal(validateRequest([...GET, 'content-length', '5, 5'], false), 5);
  assert.equal(validateRequest([...GET, 'content-length', '5', 'content-length', '5'], false), 5);
  assert.equal(validateRequest([...GET, 'te', 'trailers'], false), NO_LENGTH);
  assert.equal(validateRequest([':method', 'OPTIONS', ':scheme', 'http', ':path', '*'], false), NO_LENGTH);
  assert.equal(validateRequest([':method', 'CONNECT', ':authority', 'example.com:443'], false), NO_LENGTH);
  assert.equal(validateRequest([...GET, 'cookie', 'a=1', 'cookie', 'b=2', 'x-empty', ''], false), NO_LENGTH);
  // Extended CONNECT (RFC 8441) only once announced.
  const ws = [':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'https', ':path', '/chat', ':authority', 'h'];
  assert.equal(validateRequest(ws, true), NO_LENGTH);
  assert.equal(validateRequest(ws, false), MALFORMED);
});

test('requests: malformed ones', () => {
  const bad: string[][] = [
    [':method', 'GET', ':scheme', 'https', ':authority', 'h'], // no :path
    [':method', 'GET', ':path', '/'], // no :scheme
    [':scheme', 'http', ':path', '/'], // no :method
    [':method', 'GET', ':scheme', 'http', ':path', ''],
    [':method', 'GET', ':scheme', 'http', ':path', 'x'],
    [':method', 'GET', ':scheme', 'http', ':path', '*'],
    [':method', 'G T', ':scheme', 'http', ':path', '/'],
    [':method', 'GET', ':method', 'GET', ':scheme', 'http', ':path', '/'],
    [':method', 'GET', ':scheme', 'http', ':path', '/', ':status', '200'],
    [':method', 'GET', ':scheme', 'http', ':path', '/', ':foo', 'x'],
    [':method', 'GET', ':scheme', 'http', 'accept', '*/*', ':path', '/'], // pseudo after a regular field
    [':method', 'GET', ':scheme', 'http', ':path', '/a b'],
    [':method', 'CONNECT', ':authority', 'h:443', ':path', '/'],
    [':method', 'CONNECT'],
    [...GET, 'Accept', '*/*'],
    [...GET, 'x y', '1'],
    [...GET, '', '1'],
    [...GET, 'connection', 'close'],
    [...GET, 'keep-alive', '5'],
    [...GET, 'proxy-connection', 'x'],
    [...GET, 'transfer-encoding', 'chunked'],
    [...GET, 'upgrade', 'h2c'],
    [...GET, 'te', 'gzip'],
    [...GET, 'x', 'a\r\nb'],
    [...GET, 'x', 'a\0b'],
    [...GET, 'x', ' a'],
    [...GET, 'x', 'a\t'],
    [...GET, 'content-length', 'abc'],
    [...GET, 'content-length', ''],
    [...GET, 'content-length', '5, 6'],
    [...GET, 'content-length', '5', 'content-length', '6'],
    [...GET, 'content-length', '-1'],
    [...GET, 'content-length', '99999999999999999999'],
  ];
  for (const f of bad) assert.equal(validateRequest(f, false), MALFORMED, JSON.stringify(f));
});

test('responses and trailers', () => {
  assert.equal(validateResponse([':status', '200', 'content-length', '3']), 3);
  assert.equal(validateResponse([':status', '204']), NO_LENGTH);
  assert.equal(responseStatus([':status', '103']), 103);
  for (const f of [[], [':status', '20'], [':status', '2000'], [':status', 'abc'], ['server', 'x', ':status', '200'],
    [':status', '200', ':status', '200'], [':status', '200', ':path', '/'], [':status', '200', 'connection', 'close']]) {
    assert.equal(validateResponse(f), MALFORMED, JSON.stringify(f));
  }
  assert.equal(validateTrailers(['grpc-status', '0', 'grpc-message', 'ok']), true);
  assert.equal(validateTrailers([]), true);
  assert.equal(validateTrailers([':status', '200']), false);
  assert.equal(validateTrailers(['X-Up', '1']), false);
  assert.equal(isHeadRequest([':method', 'HEAD', ':path', '/']), true);
  assert.equal(isHeadRequest(GET), false);
});

test('random field lists never throw; any upper-case or control character in a name is malformed', () => {
  const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 12 });
  fc.assert(fc.property(fc.array(latin1, { maxLength: 20 }), fc.boolean(), (list, ext) => {
    if (list.length % 2 === 1) list.push('');
    const r = validateRequest(list, ext);
    assert.ok(r === MALFORMED || r >= NO_LENGTH);
    validateResponse(list);
    validateTrailers(list);
  }));
  fc.assert(fc.property(latin1, latin1, (a, b) => {
    const name = `${a}X${b}`;
    assert.equal(validateRequest([...GET, name, 'v'], false), MALFORMED);
  }));
});
