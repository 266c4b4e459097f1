// Heads out as haproxy 2.6 writes them (measured: lower-case names, "name: value", the status
// line always with a space before the reason, no framing headers on 1xx/204).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeRequestHead, serializeResponseHead, headerLines } from '../../../src/protocols/http1/serialize.ts';
import { HttpHeaders, HttpRequest, HttpResponse } from '../../../src/protocols/http1/message.ts';

function headers(...pairs: [string, string][]): HttpHeaders {
  const h = new HttpHeaders();
  for (const [n, v] of pairs) h.add(n, v);
  return h;
}

test('request heads: names lower-cased, order and values kept', () => {
  const req = new HttpRequest('POST', '/p?q=1', 'HTTP/1.1', headers(['Host', 'Example.COM'], ['X-Dup', 'a'], ['x-dup', 'b'], ['Empty', '']));
  assert.equal(serializeRequestHead(req, null).toString('latin1'),
    'POST /p?q=1 HTTP/1.1\r\nhost: Example.COM\r\nx-dup: a\r\nx-dup: b\r\nempty: \r\n\r\n');
  assert.equal(serializeRequestHead(new HttpRequest('GET', '/', 'HTTP/1.0'), null).toString(), 'GET / HTTP/1.0\r\n\r\n');
});

test('latin1 bytes go out unchanged', () => {
  const req = new HttpRequest('GET', '/\xe9', 'HTTP/1.1', headers(['X', '\xff\x00\x01']));
  assert.deepEqual([...serializeRequestHead(req, null)].slice(4, 6), [0x2f, 0xe9]);
  assert.ok(serializeRequestHead(req, null).includes(Buffer.from([0x78, 0x3a, 0x20, 0xff, 0x00, 0x01, 0x0d, 0x0a])));
});

test('h1-case-adjust', () => {
  const adjust = { map: new Map([['content-type', 'Content-Type'], ['x-api-key', 'X-API-Key']]) };
  const res = new HttpResponse('HTTP/1.1', 200, 'OK', headers(['CONTENT-TYPE', 'text/plain'], ['x-api-key', 'k'], ['Other', 'o']));
  assert.equal(serializeResponseHead(res, adjust).toString(),
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-API-Key: k\r\nother: o\r\n\r\n');
});

test('response heads: empty reason, framing headers left out of 1xx and 204 only', () => {
  assert.equal(serializeResponseHead(new HttpResponse('HTTP/1.1', 200, ''), null).toString(), 'HTTP/1.1 200 \r\n\r\n');
  const framing = (): HttpHeaders => headers(['Content-Length', '10'], ['Transfer-Encoding', 'chunked'], ['X', '1']);
  assert.equal(serializeResponseHead(new HttpResponse('HTTP/1.1', 204, 'No Content', framing()), null).toString(),
    'HTTP/1.1 204 No Content\r\nx: 1\r\n\r\n');
  assert.equal(serializeResponseHead(new HttpResponse('HTTP/1.1', 103, 'Early Hints', framing()), null).toString(),
    'HTTP/1.1 103 Early Hints\r\nx: 1\r\n\r\n');
  assert.equal(serializeResponseHead(new HttpResponse('HTTP/1.1', 304, 'Not Modified', framing()), null).toString(),
    'HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\nx: 1\r\n\r\n');
  assert.equal(serializeResponseHead(new HttpResponse('HTTP/1.0', 200, 'OK', framing()), null).toString(),
    'HTTP/1.0 200 OK\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\nx: 1\r\n\r\n');
});

test('headerLines', () => {
  assert.equal(headerLines(new HttpHeaders(), null), '');
  assert.equal(headerLines(headers(['A', '1'], ['Content-Length', '2']), null, true), 'a: 1\r\n');
});
