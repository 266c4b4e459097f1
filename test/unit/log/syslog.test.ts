// Syslog headers of each target format, and the "len" cut (header + message, then LF).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHeader, frame } from '../../../src/observe/log/syslog.ts';
import { ACCEPT } from './helpers.ts';

const META = { tag: 'haproxy', pid: '14385', host: null, sd: '' };
const LOCAL0 = 16;

test('headers per format (local0.info, 06 Feb 2009 12:14:14 UTC)', () => {
  assert.equal(buildHeader('unspec', LOCAL0, 6, META, ACCEPT), '<134>Feb  6 12:14:14 haproxy[14385]: ');
  assert.equal(buildHeader('local', LOCAL0, 6, META, ACCEPT), '<134>Feb  6 12:14:14 haproxy[14385]: ');
  assert.equal(buildHeader('rfc3164', LOCAL0, 6, META, ACCEPT), '<134>Feb  6 12:14:14 localhost haproxy[14385]: ');
  assert.equal(buildHeader('unspec', LOCAL0, 3, { ...META, host: 'lb1' }, ACCEPT), '<131>Feb  6 12:14:14 lb1 haproxy[14385]: ');
  assert.equal(buildHeader('priority', LOCAL0, 6, META, ACCEPT), '<134>');
  assert.equal(buildHeader('short', LOCAL0, 6, META, ACCEPT), '<6>');
  assert.equal(buildHeader('raw', LOCAL0, 6, META, ACCEPT), '');
  assert.match(buildHeader('rfc5424', LOCAL0, 6, META, ACCEPT), /^<134>1 2009-02-06T12:14:14\.\d{6}\+00:00 - haproxy 14385 - - $/);
  assert.match(buildHeader('rfc5424', LOCAL0, 6, { ...META, host: 'lb1', sd: '[x@1 a="b"]' }, ACCEPT), /^<134>1 \S+ lb1 haproxy 14385 - \[x@1 a="b"\] $/);
  assert.match(buildHeader('timed', LOCAL0, 6, META, ACCEPT), /^<6>2009-02-06T12:14:14\.\d{6}\+00:00 $/);
  assert.match(buildHeader('iso', LOCAL0, 6, META, ACCEPT), /^2009-02-06T12:14:14\.\d{6}\+00:00 $/);
  assert.equal(buildHeader('local', 23, 0, META, Date.UTC(2009, 10, 24, 7, 5, 9)), '<184>Nov 24 07:05:09 haproxy[14385]: ');
});

test('len cuts header and message together; the LF is added after', () => {
  const h = '<134>Feb  6 12:14:14 haproxy[1]: ';
  assert.equal(frame(h, 'x'.repeat(200), 80), h + 'x'.repeat(80 - h.length) + '\n');
  assert.equal(frame(h, 'short', 80), h + 'short\n');
  assert.equal(frame(h, 'abc', 10), h.slice(0, 10) + '\n');
});
