// Error pages: HAProxy's built-in messages byte for byte, errorfile/errorloc/http-error/
// errorfiles and the backend-then-frontend lookup. Expected bytes were recorded from
// haproxy 2.6.12 (test/fixtures/actions/haproxy-error-pages.json: "http-request deny
// deny_status <code>" for each code; the others inline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinErrorBytes, HTTP_ERR_CODES, parseErrorMessage } from '../../../src/protocols/http1/error-pages.ts';
import { fastErrorBytes, streamErrorReply } from '../../../src/protocols/http1/errors.ts';
import { httpReason } from '../../../src/protocols/http1/reason.ts';
import { fakeTarget, loadConfig, wire } from './helpers.ts';

const recorded = JSON.parse(readFileSync(new URL('../../fixtures/actions/haproxy-error-pages.json', import.meta.url), 'utf8')) as Record<string, string>;

test('built-in error pages are haproxy 2.6 bytes for every status it can produce', () => {
  assert.deepEqual(HTTP_ERR_CODES.map(String), Object.keys(recorded));
  for (const code of HTTP_ERR_CODES) assert.equal(builtinErrorBytes(code).toString('latin1'), recorded[code], `status ${code}`);
  // statuses without a page of their own get the 500 page, as http_get_status_idx()
  assert.equal(builtinErrorBytes(418).toString('latin1'), recorded['500']);
});

test('reason phrases are haproxy 2.6 ones', () => {
  assert.equal(httpReason(302), 'Moved Temporarily');
  assert.equal(httpReason(418), "I'm a teapot");
  assert.equal(httpReason(502), 'Bad Gateway or Proxy Error');
  assert.equal(httpReason(299), 'Success');
  assert.equal(httpReason(600), 'Other');
});

test('errorfile parsing follows http_str_to_htx checks', () => {
  const p = (s: string) => parseErrorMessage(Buffer.from(s, 'latin1'));
  assert.equal(p('garbage'), 'unable to parse headers (error offset: 0)');
  assert.equal(p('HTTP/1.1 503 X\r\nContent-Length: 5\r\n\r\nbusy'), 'payload size does not match the announced content-length (4 != 5)');
  assert.equal(p('HTTP/1.1 204 X\r\n\r\nbody'), 'message payload not expected');
  assert.equal(p('HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\nbody'), 'message payload not expected');
  assert.equal(p('HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), 'chunk-encoded payload not supported');
  assert.equal(p('HTTP/1.1 100 X\r\n\r\n'), 'invalid http status code for an error message (100)');
  const ok = p('HTTP/1.1 503 Busy\r\nX-A: 1\r\n\r\nbody until close');
  assert.ok(typeof ok !== 'string');
  assert.equal(ok.body.toString(), 'body until close');
  const empty = p('');
  assert.ok(typeof empty !== 'string' && empty.silent);
});

test('custom pages: errorfile, errorloc, errorloc303, http-error, errorfiles, /dev/null; backend before frontend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-errors-'));
  try {
    writeFileSync(join(dir, 'ok.http'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbusy');
    writeFileSync(join(dir, 'be.http'), 'HTTP/1.1 503 Backend\r\nContent-Length: 2\r\n\r\nbe');
    const { px, diag } = loadConfig([
      'http-errors site',
      `  errorfile 404 ${dir}/ok.http`,
      'defaults',
      '  mode http',
      '  timeout client 5s',
      '  timeout server 5s',
      '  timeout connect 5s',
      'frontend f',
      '  bind 127.0.0.1:8999',
      `  errorfile 503 ${dir}/ok.http`,
      '  errorloc 403 /forbidden.html',
      '  errorloc303 429 /slow',
      '  http-error status 500 content-type text/plain lf-string "oops %[src]" hdr X-E 1',
      '  errorfiles site 404 503',
      '  errorfile 408 /dev/null',
      '  default_backend b',
      'backend b',
      `  errorfile 503 ${dir}/be.http`,
      '  server s 127.0.0.1:1',
    ].join('\n') + '\n');
    assert.deepEqual(diag.messages.map((m) => m.text), [`config : config: proxy 'f' : status '503' not declared in http-errors section 'site' (at test.cfg:14).`]);
    const fe = px('f');
    const t = fakeTarget('GET / HTTP/1.1\r\n\r\n', { fe, srcAddr: '127.0.0.1' });
    const page = (status: number, be = null as typeof fe | null) => wire(streamErrorReply(fe, be, status, t));
    assert.equal(page(503), 'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nbusy');
    assert.equal(page(403), 'HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /forbidden.html\r\n\r\n');
    assert.equal(page(429), 'HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /slow\r\n\r\n');
    assert.equal(page(500), 'HTTP/1.1 500 Internal Server Error\r\nx-e: 1\r\ncontent-length: 14\r\ncontent-type: text/plain\r\n\r\noops 127.0.0.1');
    assert.equal(page(404), 'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nbusy');
    const silent = streamErrorReply(fe, null, 408, t);
    assert.equal(silent.silent, true);
    assert.equal(silent.res.status, 408);
    assert.equal(page(503, px('b')), 'HTTP/1.1 503 Backend\r\ncontent-length: 2\r\n\r\nbe');
    assert.equal(page(502, px('b')), recorded['502']);
    // each reply has its own head: rewriting one does not change the next
    streamErrorReply(fe, null, 503, t).res.headers.add('x-mark', '1');
    assert.equal(streamErrorReply(fe, null, 503, t).res.headers.has('x-mark'), false);
    assert.equal(fastErrorBytes(fe, null, 503), null);
    assert.equal(fastErrorBytes(fe, null, 504)!.toString('latin1'), recorded['504']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('http-error default-errorfiles resets an inherited page; defaults pages are inherited', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-errors-'));
  try {
    writeFileSync(join(dir, 'd.http'), 'HTTP/1.1 503 From Defaults\r\nContent-Length: 1\r\n\r\nd');
    const { px } = loadConfig([
      'defaults d',
      '  mode http',
      '  timeout client 5s',
      '  timeout server 5s',
      '  timeout connect 5s',
      `  errorfile 503 ${dir}/d.http`,
      `  errorfile 504 ${dir}/d.http`,
      'frontend f from d',
      '  bind 127.0.0.1:8999',
      '  http-error status 504 default-errorfiles',
      '  default_backend b',
      'backend b from d',
      '  server s 127.0.0.1:1',
    ].join('\n') + '\n');
    const t = fakeTarget('GET / HTTP/1.1\r\n\r\n', { fe: px('f') });
    assert.equal(streamErrorReply(px('f'), null, 503, t).res.reason, 'From Defaults');
    assert.equal(wire(streamErrorReply(px('f'), null, 504, t)), recorded['504']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
