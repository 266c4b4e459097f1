// The CLI's payload syntax used by "set ssl cert" and "add ssl crt-list": a command ending
// with "<<" takes the following lines up to an empty one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextPayload, startsPayload } from '../../../src/observe/cli/server.ts';

test('a payload ends at the first empty line; CRs before line feeds go', () => {
  assert.ok(startsPayload('set ssl cert x <<'));
  assert.ok(!startsPayload('set ssl cert x << '));
  assert.deepEqual(nextPayload('a\r\nb\n\nshow info\n'), { payload: 'a\nb', rest: 'show info\n' });
  assert.deepEqual(nextPayload('a\nb\n'), { lines: 2 });
  assert.deepEqual(nextPayload('a\nb'), { lines: 1 });
  assert.deepEqual(nextPayload('\n'), { payload: '', rest: '' });
});
