import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAll, makeProxy } from './helpers.ts';
import { getHttpCheckRules, type HttpCheckExpectRule, type HttpCheckSendRule } from '../../../src/checks/http-check.ts';
import {
  buildHttpCheckRequest, evalHttpExpect, INCOMPLETE, INVALID, readHttpCheckResponse, serverStateHeader,
} from '../../../src/checks/http-check-run.ts';

function rules(lines: string[][]): { send: HttpCheckSendRule; expect: HttpCheckExpectRule } {
  const r = getHttpCheckRules(applyAll(makeProxy('backend'), [['option', 'httpchk'], ...lines]))!;
  return { send: r[1] as HttpCheckSendRule, expect: r[2] as HttpCheckExpectRule };
}

const req = (lines: string[][], state: string | null = null) => buildHttpCheckRequest(rules(lines).send, state).toString('latin1');

// Requests recorded from HAProxy 2.6.12 checks with the same configuration lines.
test('requests as HAProxy sends them', () => {
  assert.equal(req([]), 'OPTIONS / HTTP/1.0\r\n\r\n');
  assert.equal(buildHttpCheckRequest({ ...rules([]).send, method: 'HEAD', uri: '/x?y=1', version: 'HTTP/1.1' }, null).toString(),
    'HEAD /x?y=1 HTTP/1.1\r\nconnection: close\r\n\r\n');
  assert.equal(req([['http-check', 'send', 'meth', 'POST', 'uri', '/p', 'ver', 'HTTP/1.1', 'hdr', 'Host', 'example.com', 'hdr', 'X-A', 'a b', 'body', 'hello=1']]),
    'POST /p HTTP/1.1\r\nhost: example.com\r\nx-a: a b\r\ncontent-length: 7\r\nconnection: close\r\n\r\nhello=1');
  assert.equal(req([['http-check', 'send', 'meth', 'PUT', 'uri', '/a', 'body', 'xyz', 'hdr', 'content-length', '99', 'hdr', 'X-Q', '1']]),
    'PUT /a HTTP/1.0\r\nx-q: 1\r\ncontent-length: 3\r\n\r\nxyz');
  // a configured keep-alive connection header removes "connection: close"
  assert.equal(req([['http-check', 'send', 'uri', '/c', 'ver', 'HTTP/1.1', 'hdr', 'Connection', 'keep-alive', 'hdr', 'Host', 'h']]),
    'OPTIONS /c HTTP/1.1\r\nhost: h\r\n\r\n');
  assert.equal(req([['http-check', 'send', 'ver', 'HTTP/1.1', 'hdr', 'X-A', '1', 'hdr', 'X-B', '2', 'body', 'bb']], 'UP 1/3; address=127.0.0.1; port=80; name=b4/s1; node=vm; weight=1/1; scur=0/0; qcur=0'),
    'OPTIONS / HTTP/1.1\r\nx-a: 1\r\nx-b: 2\r\nx-haproxy-server-state: UP 1/3; address=127.0.0.1; port=80; name=b4/s1; node=vm; weight=1/1; scur=0/0; qcur=0\r\ncontent-length: 2\r\nconnection: close\r\n\r\nbb');
});

test('send-state header as HAProxy builds it', () => {
  const base = {
    checkEnabled: true, state: 'up', health: 2, rise: 2, fall: 3, address: '127.0.0.1', port: '35645', backend: 'b4', server: 's1',
    node: 'vm', weight: 3, totalWeight: 5, serverConns: 0, backendConns: 0, queued: 0,
  } as const;
  assert.equal(serverStateHeader(base), 'UP 1/3; address=127.0.0.1; port=35645; name=b4/s1; node=vm; weight=3/5; scur=0/0; qcur=0');
  assert.equal(serverStateHeader({ ...base, health: 4 }).split(';')[0], 'UP');
  assert.equal(serverStateHeader({ ...base, state: 'stopping', health: 4 }).split(';')[0], 'NOLB');
  assert.equal(serverStateHeader({ ...base, state: 'stopping', health: 3 }).split(';')[0], 'NOLB 2/3');
  assert.equal(serverStateHeader({ ...base, state: 'down', health: 0 }).split(';')[0], 'DOWN');
  assert.equal(serverStateHeader({ ...base, state: 'down', health: 1 }).split(';')[0], 'DOWN 1/2');
  assert.equal(serverStateHeader({ ...base, checkEnabled: false }).split(';')[0], 'no check');
});

test('reading responses: incomplete, invalid, bodies by length, chunks, close; HEAD and 204 have none', () => {
  const r = (s: string, eos = false, head = false) => readHttpCheckResponse(Buffer.from(s, 'latin1'), eos, head);
  assert.equal(r('HTTP/1.1 200 OK\r\nA: b\r\n'), INCOMPLETE);
  assert.equal(r('HTTP/1.1 200 OK\r\nA: b\r\n', true), INVALID);
  assert.equal(r('', true), INVALID);
  assert.equal(r('hello\r\n\r\n'), INVALID);
  assert.equal(r('HTTP/1.1 abc OK\r\n\r\n'), INVALID);
  assert.equal(r('HTTP/1.1 200 OK\r\nbad header\r\n\r\n'), INVALID);
  let x = r('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\n\r\nab');
  assert.ok(typeof x === 'object');
  assert.deepEqual([x.status, x.reason, x.body.toString(), x.complete], [503, 'Service Unavailable', 'ab', false]);
  x = r('HTTP/1.0 200\r\n\r\nall', true);
  assert.ok(typeof x === 'object');
  assert.deepEqual([x.status, x.reason, x.body.toString(), x.complete], [200, '', 'all', true]);
  x = r('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n');
  assert.ok(typeof x === 'object');
  assert.deepEqual([x.body.toString(), x.complete], ['abcde', true]);
  x = r('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', false, true);
  assert.ok(typeof x === 'object' && x.complete && x.body.length === 0);
  x = r('HTTP/1.1 204 No Content\r\n\r\n');
  assert.ok(typeof x === 'object' && x.complete);
});

/** The outcome of one expect line on a response, as [kind, status, info]. */
function outcome(expectLine: string[] | null, response: string, opts: { eos?: boolean; soft404?: boolean } = {}): (string | undefined)[] {
  const e = rules(expectLine ? [['http-check', 'expect', ...expectLine]] : []).expect;
  const res = readHttpCheckResponse(Buffer.from(response, 'latin1'), opts.eos ?? true, false);
  const r = evalHttpExpect(e, res, opts.eos ?? true, opts.soft404 ?? false);
  return r.kind === 'stop' ? [r.kind, r.status, r.info] : [r.kind];
}

const ok = (status: number, reason: string, body = '', extra = '') => `HTTP/1.1 ${status} ${reason}\r\n${extra}content-length: ${body.length}\r\n\r\n${body}`;

// Statuses and infos observed on HAProxy 2.6.12 for the same rules and responses.
test('expect outcomes: statuses and infos as HAProxy reports them', () => {
  assert.deepEqual(outcome(null, ok(200, 'OK')), ['continue']);
  assert.deepEqual(outcome(null, ok(302, 'Found')), ['continue']);
  assert.deepEqual(outcome(null, ok(503, 'Service Unavailable')), ['stop', 'L7STS', 'Service Unavailable']);
  assert.deepEqual(outcome(null, ok(404, 'Not Found')), ['stop', 'L7STS', 'Not Found']);
  assert.deepEqual(outcome(null, ok(404, 'Not Found'), { soft404: true }), ['continue']);
  assert.deepEqual(outcome(null, ''), ['stop', 'L7RSP', '']);
  assert.deepEqual(outcome(null, 'hello\r\n'), ['stop', 'L7RSP', '']);
  assert.deepEqual(outcome(['status', '200', 'comment', 'need 200'], ok(503, 'Oops')), ['stop', 'L7STS', 'Oops comment: need 200']);
  assert.deepEqual(outcome(['comment', 'no reply', 'status', '200'], ''), ['stop', 'L7RSP', ' comment: no reply']);
  assert.deepEqual(outcome(['hdr', 'name', 'x-ok', 'value', 'yes'], ok(200, 'OK', 'x', 'X-Ok: no\r\n')), ['stop', 'L7STS', 'OK']);
  assert.deepEqual(outcome(['hdr', 'name', 'x-ok', 'value', 'b'], ok(200, 'OK', 'x', 'X-Ok: a, b\r\n')), ['continue']);
  assert.deepEqual(outcome(['fhdr', 'name', 'x-ok', 'value', 'b'], ok(200, 'OK', 'x', 'X-Ok: a, b\r\n')), ['stop', 'L7STS', 'OK']);
  assert.deepEqual(outcome(['hdr', 'name', '-m', 'beg', 'x-'], ok(200, 'OK', 'x', 'X-Ok: a\r\n')), ['continue']);
  assert.deepEqual(outcome(['!', 'string', 'SQL Error'], ok(200, 'OK', 'SQL Error here')), ['stop', 'L7RSP', 'HTTP check matched unwanted content']);
  assert.deepEqual(outcome(['on-error', 'server broken', 'error-status', 'L7RSP', '!', 'rstatus', '^5'], ok(500, 'Internal')), ['stop', 'L7RSP', 'server broken']);
  assert.deepEqual(outcome(['string', 'abc'], ok(200, 'OK')), ['stop', 'L7RSP', 'HTTP content check could not find a response body']);
  assert.deepEqual(outcome(['string', 'good'], ok(200, 'OK', 'error page')), ['stop', 'L7RSP', 'HTTP content check did not match']);
  assert.deepEqual(outcome(['string', 'abcd'], 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'), ['stop', 'L7RSP', 'HTTP content check did not match']);
  assert.deepEqual(outcome(['rstring', 'go+d'], ok(200, 'OK', 'all good here')), ['continue']);
  assert.deepEqual(outcome(['error-status', 'L7OKC', 'status', '200'], ok(404, 'Not Found')), ['stop', 'L7OKC', 'Not Found']);
});

test('expect waits for more data until the response can decide', () => {
  assert.deepEqual(outcome(null, 'HTTP/1.1 200 OK\r\n', { eos: false }), ['wait']);
  // a status check decides on the headers alone
  assert.deepEqual(outcome(null, 'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n', { eos: false }), ['continue']);
  // a body check waits for the body unless the message is complete or the stream closed
  assert.deepEqual(outcome(['string', 'done'], 'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nnot yet', { eos: false }), ['wait']);
  assert.deepEqual(outcome(['string', 'done'], 'HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\ndone', { eos: false }), ['continue']);
  assert.deepEqual(outcome(['min-recv', '3', 'string', 'zz'], 'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nabcd', { eos: false }),
    ['stop', 'L7RSP', 'HTTP content check did not match']);
});
