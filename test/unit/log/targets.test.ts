// "log" lines: error texts are haproxy 2.6.12's (after "log : "), recorded with haproxy -c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLogTarget, LogTarget } from '../../../src/observe/log/targets.ts';

const LOC = { file: 't.cfg', line: 2 };
const parse = (line: string, global = true): LogTarget | string => parseLogTarget(line.split(' '), LOC, global);

test('errors in HAProxy words, checked in its order (address last)', () => {
  const cases: [string, string][] = [
    ['log', 'expects <address> and <facility>  as arguments'],
    ['log 127.0.0.1', 'expects <address> and <facility>  as arguments'],
    ['log 127.0.0.1 local9', "unknown log facility 'local9'"],
    ['log 127.0.0.1 local0 foo', "unknown optional log level 'foo'"],
    ['log 127.0.0.1 local0 info bar', "unknown optional minimum log level 'bar'"],
    ['log 127.0.0.1 local0 info err x', "cannot handle unexpected argument 'x'"],
    ['log 127.0.0.1 len 10 local0', "invalid log length '10', must be between 80 and 65535"],
    ['log 127.0.0.1 len 70000 local0', "invalid log length '70000', must be between 80 and 65535"],
    ['log 127.0.0.1 len abc local0', "invalid log length 'abc', must be between 80 and 65535"],
    ['log 127.0.0.1 format foo local0', "unknown log format 'foo'"],
    ['log 127.0.0.1 sample 1 local0', 'Missing sample size'],
    ['log 127.0.0.1 sample 3:2 local0', 'sample size 2 should be greater or equal to 3 the maximum of the high ranges limits'],
    ['log 127.0.0.1 sample 0:2 local0', "wrong sample range '0'"],
    ['log 127.0.0.1 sample 1-2,2-3:5 local0', 'ranges are overlapping'],
    ['log 127.0.0.1 sample 2-1:5 local0', "wrong sample range '2-1'"],
    ['log 127.0.0.1 sample 1,a:5 local0', "wrong sample range 'a'"],
    ['log 127.0.0.1 sample 1:a local0', "wrong sample size 'a' for sample range '1'"],
    ['log 127.0.0.1:99999 local0', "invalid port '99999'"],
    ['log 999.1.1.1:514 local9', "unknown log facility 'local9'"],
  ];
  for (const [line, msg] of cases) assert.equal(parse(line), msg, line);
  assert.equal(parse('log 127.0.0.1', false), 'expects <address> and <facility> or global as arguments');
});

test('addresses: UDP with port 514 by default, stdout/stderr, fd@', () => {
  const t = parse('log 127.0.0.1 local0') as LogTarget;
  assert.deepEqual(t.addr, { kind: 'udp', host: '127.0.0.1', port: 514 });
  assert.equal(t.facility, 16);
  assert.equal(t.level, 7);
  assert.equal(t.minLevel, 0);
  assert.equal(t.maxlen, 1024);
  assert.equal(t.format, 'unspec');
  assert.deepEqual((parse('log udp6@[::1]:5140 len 100 format rfc5424 local7 notice err') as LogTarget).addr, { kind: 'udp', host: '::1', port: 5140 });
  assert.deepEqual((parse('log ipv4@localhost:5140 user') as LogTarget).addr, { kind: 'udp', host: 'localhost', port: 5140 });
  assert.deepEqual((parse('log stdout format raw local0') as LogTarget).addr, { kind: 'fd', fd: 1 });
  assert.deepEqual((parse('log stderr local0') as LogTarget).addr, { kind: 'fd', fd: 2 });
  assert.deepEqual((parse('log fd@3 local0') as LogTarget).addr, { kind: 'fd', fd: 3 });
  const lv = parse('log 127.0.0.1 len 100 format rfc5424 sample 1:3 local0 info notice') as LogTarget;
  assert.equal(lv.level, 6);
  assert.equal(lv.minLevel, 5);
  assert.equal(lv.maxlen, 100);
});

test('what Turnpike cannot do is said, not ignored', () => {
  assert.match(parse('log /dev/log local0') as string, /UNIX datagram log sockets \(such as \/dev\/log\) are not available to Node.js/);
  assert.match(parse('log unix@/run/x local0') as string, /UNIX datagram/);
  assert.match(parse('log ring@buf local0') as string, /ring buffers are not supported by Turnpike yet/);
  assert.match(parse('log tcp@127.0.0.1:514 local0') as string, /stream sockets is not supported by Turnpike yet/);
});

test('sampling: "sample 2-3,5:6" sends the 2nd, 3rd and 5th of every 6 messages', () => {
  const t = parse('log 127.0.0.1 sample 2-3,5:6 local0') as LogTarget;
  const sent: number[] = [];
  for (let i = 1; i <= 12; i++) if (t.sampling!.take()) sent.push(i);
  assert.deepEqual(sent, [2, 3, 5, 8, 9, 11]);
});

test('sampling never sends more than the ranges allow (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 10 }), (low, span, extra) => {
    const high = low + span;
    const size = high + extra;
    const t = parse(`log 127.0.0.1 sample ${span ? `${low}-${high}` : low}:${size} local0`) as LogTarget;
    let n = 0;
    for (let i = 0; i < size * 3; i++) if (t.sampling!.take()) n++;
    return n === (span + 1) * 3;
  }));
});
