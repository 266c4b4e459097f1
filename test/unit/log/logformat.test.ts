// Log-format compiler and renderer. Error texts are haproxy 2.6.12's ("haproxy -c", after
// "failed to parse log-format : "); rendered lines follow log.c's sess_build_logline().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLogFormat, renderLogFormat, LogOpt, type LogFormat } from '../../../src/sample/logformat.ts';
import { PhaseBit } from '../../../src/sample/types.ts';
import { TCP_LOG_FORMAT, HTTP_LOG_FORMAT, CLF_HTTP_LOG_FORMAT } from '../../../src/observe/log/formats.ts';
import { fakeStream } from './helpers.ts';

const LOG = { options: LogOpt.Mandatory, mergeSpaces: true } as const;

function lf(text: string, mode: 'tcp' | 'http' = 'http'): LogFormat {
  const r = compileLogFormat(text, { ...LOG, mode }, PhaseBit.Log);
  assert.equal(typeof r, 'object', String(r));
  return r as LogFormat;
}

test('compile errors in HAProxy words', () => {
  const err = (t: string, mode: 'tcp' | 'http' = 'tcp'): unknown => compileLogFormat(t, { ...LOG, mode }, PhaseBit.Log);
  assert.equal(err('%ci %foo'), "no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you need to use '%%'");
  assert.equal(err('%ci %Ti'), "format variable 'Ti' is reserved for HTTP mode");
  assert.equal(err('%ci %'), "truncated line after '%'");
  assert.equal(err('%ci %{+Q'), "truncated line after '+Q'");
  assert.equal(err('%ci %{+Q}'), "parse argument modifier without variable name near '%{+Q}'");
  assert.equal(err('%ci %{+Q} x'), "parse argument modifier without variable name near '%{+Q}'");
  assert.equal(err('%ci %1'), "unexpected variable name near '1' at position 5 line : '%ci %1'. Maybe you want to write a single '%', use the syntax '%%'");
  assert.equal(err('%ci %[src'), "missing ']' after 'src'");
  assert.equal(err('%ci %[foo]'), "failed to parse sample expression <foo]> : unknown fetch method 'foo'");
  // Unknown flags are ignored; HTTP variables are fine when the mode is unknown (use_backend).
  assert.equal(typeof err('%{+Z}ci %{+Q,-X,+E}o %ci'), 'object');
  assert.equal(typeof compileLogFormat('%Ti'), 'object');
});

test('the predefined formats compile in their modes', () => {
  lf(TCP_LOG_FORMAT, 'tcp');
  lf(HTTP_LOG_FORMAT, 'http');
  lf(CLF_HTTP_LOG_FORMAT, 'http');
});

test('tcplog line, field by field', () => {
  const s = fakeStream();
  assert.equal(renderLogFormat(lf(TCP_LOG_FORMAT, 'tcp'), s),
    '10.0.1.2:33312 [06/Feb/2009:12:14:14.655] fe be/srv1 1/5/9 9 -- 3/2/1/1/0 0/0');
});

test('timers derive from the event offsets as HAProxy does (TCP leaves the request time unset)', () => {
  const s = fakeStream();
  assert.equal(renderLogFormat(lf('%Th %Tw %Tc %Td %Tt %Tu', 'tcp'), s), '0 1 5 4 9 9');
  s.logs.tQueue = -1;
  s.logs.tConnect = -1;
  assert.equal(renderLogFormat(lf('%Tw/%Tc/%Tt %Td', 'tcp'), s), '-1/-1/9 -1');
});

test('HTTP timers, dates and request fields', () => {
  const s = fakeStream({ mode: 'http' });
  const L = s.logs;
  L.tHandshake = 2;
  L.tIdle = 10;
  L.tRequest = 15;
  L.tQueue = 16;
  L.tConnect = 18;
  L.tData = 30;
  L.tClose = 40;
  L.status = 200;
  L.requestLine = 'GET /a/b?x=1&y="2" HTTP/1.1';
  assert.equal(renderLogFormat(lf('%Th %Ti %TR %Tq %Tw %Tc %Tr %Td %Ta %Tt %Tu %ST'), s), '2 10 3 15 1 2 12 10 28 40 30 200');
  assert.equal(renderLogFormat(lf('[%tr] [%trg] [%t]'), s), '[06/Feb/2009:12:14:14.667] [06/Feb/2009:12:14:14 +0000] [06/Feb/2009:12:14:14.655]');
  assert.equal(renderLogFormat(lf('%HM|%HU|%HP|%HPO|%HQ|%HV'), s), 'GET|/a/b?x=1&y=#222#22|/a/b|/a/b|?x=1&y=#222#22|HTTP/1.1');
  assert.equal(renderLogFormat(lf('%{+Q}r'), s), '"GET /a/b?x=1&y=#222#22 HTTP/1.1"');
  L.requestLine = 'GET http://h:8/p/q?z HTTP/1.0';
  assert.equal(renderLogFormat(lf('%HPO %HP'), s), '/p/q http://h:8/p/q');
  L.requestLine = null;
  assert.equal(renderLogFormat(lf('%r %HM %HV'), s), '<BADREQ> <BADREQ> <BADREQ>');
  L.requestLine = 'GET /';
  assert.equal(renderLogFormat(lf('%HV'), s), 'HTTP/0.9');
});

test('flags: quote, escape, hexadecimal, global options with %o', () => {
  const s = fakeStream();
  assert.equal(renderLogFormat(lf('%{+Q}ci %{+X}ci:%{+X}cp %{+X}Ts %{+X}ms %{+Q}B'), s), '"10.0.1.2" 0A000102:8220 498C2996 28F 9');
  assert.equal(renderLogFormat(lf('%{+Q}o %ci %{-Q}f %b %CC'), s), '"10.0.1.2" fe "be" ""');
  assert.equal(renderLogFormat(lf('%CC %{+M}CS %{-M}CS|'), s), '- - |');
  s.logs.uniqueId = 'a"b]c\\';
  assert.equal(renderLogFormat(lf('%{+E}ID %{+Q,+E}ID'), s), 'a\\"b\\]c\\\\ "a\\"b\\]c\\\\"');
});

test('spaces merge, never lead, and empty captures leave no gap', () => {
  const s = fakeStream();
  assert.equal(renderLogFormat(lf('  a   b %hr %hs c'), s), 'a b c');
  assert.equal(renderLogFormat(lf('100%% %-x'), s), '100% -x');
  const withCaps = fakeStream({ reqCaptures: ['host.example', null, 'a|b{c}'], resCaptures: [] });
  assert.equal(renderLogFormat(lf('%hr %hs %hrl %{+Q}hrl'), withCaps), '{host.example||a#7Cb#7Bc#7D} host.example - a#7Cb#7Bc#7D "host.example" "" "a#7Cb#7Bc#7D"');
});

test('counters, names and addresses', () => {
  const s = fakeStream();
  s.logs.retries = 2;
  s.logs.redispatched = true;
  assert.equal(renderLogFormat(lf('%f %ft %b %s %rc %rt %lc %fi:%fp %si:%sp %bi:%bp', 'tcp'), s),
    'fe fe be srv1 +2 7 4 10.0.3.31:8012 10.0.4.1:80 10.0.3.31:40000');
  s.logs.server = null;
  s.logs.srvAddr = null;
  s.logs.connAddr = null;
  assert.equal(renderLogFormat(lf('%s %sc %si:%sp %bi', 'tcp'), s), '<NOSRV> 0 -:- -');
  s.logs.clientTls = true;
  assert.equal(renderLogFormat(lf('%ft %{+Q}ft', 'tcp'), s), 'fe~ "fe~"');
});

test('use_backend formats keep their behaviour: samples print "-" when absent', () => {
  const s = fakeStream();
  const f = compileLogFormat('be_%[env(NOPE)]_%f') as LogFormat;
  assert.equal(renderLogFormat(f, s), 'be_-_fe');
});
