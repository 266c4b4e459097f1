// res.body, res.body_len, res.body_size: the response body buffered by "http-response
// wait-for-body", read as req.body* read the request's; only in response rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUsable, parseCondition, parseSampleExpr, sampleToString } from '../../../src/sample/index.ts';
import { PhaseBit, type SampleHttpTxn, type SampleStream } from '../../../src/sample/types.ts';
import { aclCtx, fakeStream, rawRequest, rawResponse } from './helpers.ts';

function stream(res: string | null, body: string | null, final: boolean): SampleStream {
  const txn: SampleHttpTxn = {
    req: rawRequest('GET / HTTP/1.1\r\nHost: h\r\n\r\n'),
    res: res === null ? null : rawResponse(res),
    reqBody: null,
    reqBodyFinal: false,
    resBody: body === null ? null : Buffer.from(body, 'latin1'),
    resBodyFinal: final,
    reqCaptures: [],
    resCaptures: [],
  };
  return fakeStream({ txn });
}

function ev(text: string, s: SampleStream): { v: string | null; mayChange: boolean } {
  const e = parseSampleExpr(text);
  if (typeof e === 'string') throw new Error(e);
  const r = e.eval(s);
  return { v: r === null ? null : sampleToString(r), mayChange: r?.mayChange === true };
}

test('the buffered body, its length and the advertised size', () => {
  const s = stream('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n', 'hello world', true);
  assert.deepEqual(ev('res.body', s), { v: 'hello world', mayChange: false });
  assert.deepEqual(ev('res.body_len', s), { v: '11', mayChange: false });
  assert.deepEqual(ev('res.body_size', s), { v: '11', mayChange: false });
  assert.deepEqual(ev('res.body,hex', s), { v: '68656C6C6F20776F726C64', mayChange: false });
});

test('a partial body may change; body_size is the Content-Length, or what is there when chunked', () => {
  const partial = stream('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'abc', false);
  assert.deepEqual(ev('res.body_len', partial), { v: '3', mayChange: true });
  assert.deepEqual(ev('res.body_size', partial), { v: '100', mayChange: false });
  const chunked = stream('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'abcd', true);
  assert.deepEqual(ev('res.body_size', chunked), { v: '4', mayChange: false });
});

test('not waited for: an empty body that may change; no response yet: no sample', () => {
  const s = stream('HTTP/1.1 204 No Content\r\n\r\n', null, false);
  assert.deepEqual(ev('res.body_len', s), { v: '0', mayChange: true });
  assert.deepEqual(ev('res.body', s), { v: '', mayChange: true });
  assert.deepEqual(ev('res.body_len', stream(null, null, false)), { v: null, mayChange: false });
  assert.deepEqual(ev('res.body', fakeStream()), { v: null, mayChange: false });
});

test('an ACL on the body; refused in request rules as HAProxy does', () => {
  const cond = parseCondition(['if', '{', 'res.body', '-m', 'sub', 'secret', '}'], aclCtx());
  if (typeof cond === 'string') throw new Error(cond);
  assert.equal(cond.eval(stream('HTTP/1.1 200 OK\r\n\r\n', 'a secret here', true)), true);
  assert.equal(cond.eval(stream('HTTP/1.1 200 OK\r\n\r\n', 'nothing', true)), false);
  assert.equal(checkUsable(cond, PhaseBit.L7Res, 'x'), null);
  assert.match(String(checkUsable(cond, PhaseBit.L7ReqFe, 'x')), /keyword 'res.body' which is incompatible with 'frontend http-request header rule'/);
});
