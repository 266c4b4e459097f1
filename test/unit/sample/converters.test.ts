import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSampleExpr, canCast, castSample, SampleExprImpl } from '../../../src/sample/index.ts';
import type { Sample } from '../../../src/sample/types.ts';
import { fakeProxy, fakeServer, fakeStream } from './helpers.ts';

function expr(text: string): SampleExprImpl {
  const e = parseSampleExpr(text);
  if (typeof e === 'string') throw new Error(e);
  return e;
}
function ev(text: string, s = fakeStream()): Sample['value'] | null {
  const r = expr(text).eval(s);
  return r === null ? null : r.value;
}

test('string converters', () => {
  assert.equal(ev('str(MiXeD),lower'), 'mixed');
  assert.equal(ev('str(MiXeD),upper'), 'MIXED');
  assert.equal(ev('str(hello),length'), 5);
  assert.equal(ev('str(é),length'), 2, 'length in bytes');
  assert.equal(ev("str(xxabcxx),ltrim(x)"), 'abcxx');
  assert.equal(ev("str(xxabcxy),rtrim(xy)"), 'xxabc');
  assert.equal(ev('str(a),concat(<,,>)'), 'a<>');
  assert.equal(ev('str(l1\\r\\nl2),cut_crlf'), 'l1');
  assert.equal(ev('bool(1),iif(yes,no)'), 'yes');
  assert.equal(ev('int(0),iif(yes,no)'), 'no');
});

test('field and word (documented examples)', () => {
  const s = 'str(f1_f2_f3__f5)';
  assert.equal(ev(`${s},field(5,_)`), 'f5');
  assert.equal(ev(`${s},field(2,_,0)`), 'f2_f3__f5');
  assert.equal(ev(`${s},field(2,_,2)`), 'f2_f3');
  assert.equal(ev(`${s},field(-2,_,3)`), 'f2_f3_');
  assert.equal(ev(`${s},field(-3,_,0)`), 'f1_f2_f3');
  assert.equal(ev(`${s},field(4,_)`), '');
  assert.equal(ev(`${s},field(9,_)`), null);
  assert.equal(ev(`${s},word(4,_)`), 'f5');
  assert.equal(ev(`${s},word(2,_,0)`), 'f2_f3__f5');
  assert.equal(ev(`${s},word(3,_,2)`), 'f3__f5');
  assert.equal(ev(`${s},word(-2,_,3)`), 'f1_f2_f3');
  assert.equal(ev(`${s},word(-3,_,0)`), 'f1_f2');
  assert.equal(ev('str(/f1/f2/f3/f4),word(1,/)'), 'f1');
  assert.equal(parseSampleExpr('str(a),field(0,_)'), "invalid args in converter 'field' : Unexpected value 0 for index");
  assert.equal(parseSampleExpr('str(a),word(1,)'), "invalid args in converter 'word' : Empty separators list");
  assert.equal(parseSampleExpr('str(a),word(1)'), "invalid arg 2 in converter 'word' : missing arguments (got 1/2), type 'string' expected");
  assert.equal(parseSampleExpr('str(a),word(x,_)'), "invalid arg 1 in converter 'word' : failed to parse 'x' as type 'integer' at position 1");
});

test('arithmetic and bitwise converters on 64-bit integers', () => {
  assert.equal(ev('int(5),add(3)'), 8);
  assert.equal(ev('int(5),add(-3)'), 2);
  assert.equal(ev('int(5),sub(10)'), -5);
  assert.equal(ev('int(5),sub(10),neg'), 5);
  assert.equal(ev('int(6),mul(7)'), 42);
  assert.equal(ev('int(7),div(2)'), 3);
  assert.equal(ev('int(-7),div(2)'), -3);
  assert.equal(ev('int(10),div(0)'), 9223372036854775807);
  assert.equal(ev('int(-7),mod(3)'), -1);
  assert.equal(ev('int(7),mod(0)'), 0);
  assert.equal(ev('int(-1),and(255)'), 255);
  assert.equal(ev('int(6),or(1)'), 7);
  assert.equal(ev('int(1),xor(3)'), 2);
  assert.equal(ev('int(0),cpl'), -1);
  assert.equal(ev('int(4096),and(4096),bool'), true);
  assert.equal(ev('int(3),not'), false);
  assert.equal(ev('int(3),odd'), true);
  assert.equal(ev('int(3),even'), false);
  // saturation instead of wrapping
  assert.equal(ev('int(9223372036854775807),add(1)'), 9223372036854775807);
  assert.equal(ev('int(-9223372036854775808),sub(1)'), -9223372036854775808);
  assert.equal(ev('int(4611686018427387904),mul(4)'), 9223372036854775807);
  assert.equal(ev('src_port,add()'), 40000, 'an empty operand is 0');
  assert.equal(parseSampleExpr('src,add(foo)'), "invalid args in converter 'add' : expects an integer or a variable name");
  assert.equal(parseSampleExpr('src,add(txn.a-b)'), "invalid args in converter 'add' : expects an integer or a variable name");
  assert.equal(parseSampleExpr('src_port,add(1,2)'), "invalid arg 2 in converter 'add' : expected ')' before ',2)'");
  assert.equal(parseSampleExpr('src_port,neg(1)'), "invalid arg 1 in converter 'neg' : expected ')' before '1)'");
  assert.equal(parseSampleExpr('str(a),lower('), "invalid arg 1 in converter 'lower' : expected ')'");
});

test('binary converters', () => {
  assert.equal(ev('str(a),hex'), '61');
  assert.equal(ev('int(1),hex'), '0000000000000001', 'int cast to 8 big-endian bytes');
  assert.equal(ev('bool(1),hex'), '0000000000000001');
  assert.equal(ev('src,hex'), '0A010203');
  assert.equal(ev('str(abc),base64'), 'YWJj');
  assert.equal(ev('str(YWJj),b64dec,hex'), '616263');
  assert.equal(ev('str(YWJj!),b64dec'), null);
  assert.equal(ev('str(_-8),ub64dec,ub64enc'), '_-8');
  assert.equal(ev('str(ff),hex2i'), 255);
  assert.equal(ev('bin(0102030405),bytes(1,2),hex'), '0203');
  assert.equal(ev('bin(0102030405),bytes(3),hex'), '0405');
  assert.equal(ev('int(258),htonl,hex'), '00000102');
  assert.equal(ev('bin(610062),hex'), '610062');
  assert.equal(ev('bin(610062),lower'), 'a', 'binary to string stops at NUL');
});

test('ipmask', () => {
  assert.equal(ev('src,ipmask(24)'), '10.1.2.0');
  assert.equal(ev('src,ipmask(255.255.0.0)'), '10.1.0.0');
  assert.equal(ev('src,ipmask(255.0.255.0)'), '10.0.2.0');
  assert.equal(ev('str(1.2.3.4),ipmask(24)'), '1.2.3.0');
  assert.equal(ev('ipv6(::ffff:10.1.2.3),ipmask(16)'), '10.1.0.0', 'mapped IPv6 is masked as IPv4');
  assert.equal(ev('ipv6(2001:db8::1),ipmask(16)'), null, 'IPv6 needs mask6');
  assert.equal(ev('ipv6(2001:db8:ffff::1),ipmask(16,32)'), '2001:db8::');
  assert.equal(ev('ipv6(2001:db8:ffff::1),ipmask(16,ffff:ffff::)'), '2001:db8::');
  assert.equal(parseSampleExpr('src,ipmask(33)'), "invalid arg 1 in converter 'ipmask' : failed to parse '33' as type 'IPv4 mask' at position 1");
  assert.equal(parseSampleExpr('src,ipmask(24,129)'), "invalid arg 2 in converter 'ipmask' : failed to parse '129' as type 'IPv6 mask' at position 2");
});

test('nbsrv converter looks up a backend named at run time', () => {
  const be = fakeProxy('app', { servers: [fakeServer('a'), fakeServer('b', { isUp: false })] });
  assert.equal(ev('str(app),nbsrv', fakeStream({ proxies: [be] })), 1);
  assert.equal(ev('str(nope),nbsrv', fakeStream({ proxies: [be] })), null);
});

test('converter input types are checked at load time', () => {
  assert.equal(parseSampleExpr('req.payload(0,1),add(1)'), "converter 'add' cannot be applied");
  assert.equal(parseSampleExpr('ipv6(::1),add(1)'), "converter 'add' cannot be applied");
  assert.equal(parseSampleExpr('bool(1),ipmask(8)'), "converter 'ipmask' cannot be applied");
  assert.equal(parseSampleExpr('str(x),nosuch'), "unknown converter 'nosuch'");
  assert.equal(parseSampleExpr('str(x);'), "missing comma after fetch keyword 'str'");
  assert.equal(parseSampleExpr('str(x),lower;'), "missing comma after converter 'lower'");
  assert.equal(parseSampleExpr('str(x),strcmp(x)'), "invalid args in converter 'strcmp' : failed to register variable name 'x'");
  // accepted chains
  for (const ok of ['src,add(1)', 'src_port,lower', 'src_port,ipmask(8)', 'src,base64', 'str(1),add(1)', 'bool(1),add(1)', 'str(a),hex,lower', 'src,,lower,']) {
    assert.ok(typeof parseSampleExpr(ok) !== 'string', ok);
  }
  // an address fetch declared IPv4 may give IPv6 at run time: the converter then fails
  assert.equal(ev('src,add(1)', fakeStream({ srcAddr: '::1', family: 'ipv6' })), null);
});

test('the sample_casts matrix', () => {
  const yes: [string, string][] = [
    ['bool', 'sint'], ['bool', 'str'], ['bool', 'bin'], ['sint', 'bool'], ['sint', 'ipv4'], ['sint', 'ipv6'], ['sint', 'str'], ['sint', 'bin'],
    ['ipv4', 'sint'], ['ipv4', 'ipv6'], ['ipv4', 'str'], ['ipv4', 'bin'], ['ipv4', 'addr'], ['ipv6', 'ipv4'], ['ipv6', 'str'], ['ipv6', 'bin'],
    ['str', 'bool'], ['str', 'sint'], ['str', 'addr'], ['str', 'ipv4'], ['str', 'ipv6'], ['str', 'bin'], ['str', 'meth'],
    ['bin', 'str'], ['bin', 'meth'], ['meth', 'str'], ['meth', 'bin'],
  ];
  const no: [string, string][] = [
    ['bool', 'ipv4'], ['bool', 'addr'], ['ipv4', 'bool'], ['ipv6', 'sint'], ['ipv6', 'bool'], ['bin', 'sint'], ['bin', 'bool'], ['bin', 'ipv4'],
    ['meth', 'sint'], ['sint', 'meth'],
  ];
  for (const [a, b] of yes) assert.equal(canCast(a as never, b as never), true, `${a}->${b}`);
  for (const [a, b] of no) assert.equal(canCast(a as never, b as never), false, `${a}->${b}`);
});

test('cast values', () => {
  assert.deepEqual(castSample({ type: 'str', value: '5abc' }, 'sint'), { type: 'sint', value: 5 });
  assert.deepEqual(castSample({ type: 'str', value: 'abc' }, 'sint'), { type: 'sint', value: 0 });
  assert.equal(castSample({ type: 'str', value: '' }, 'sint'), null);
  assert.deepEqual(castSample({ type: 'ipv4', value: '10.0.0.1' }, 'sint'), { type: 'sint', value: 167772161 });
  assert.deepEqual(castSample({ type: 'sint', value: 167772161 }, 'ipv4'), { type: 'ipv4', value: '10.0.0.1' });
  assert.deepEqual(castSample({ type: 'ipv4', value: '10.0.0.1' }, 'ipv6'), { type: 'ipv6', value: '::ffff:10.0.0.1' });
  assert.deepEqual(castSample({ type: 'ipv6', value: '::ffff:10.0.0.1' }, 'ipv4'), { type: 'ipv4', value: '10.0.0.1' });
  assert.equal(castSample({ type: 'ipv6', value: '2001:db8::1' }, 'ipv4'), null);
  assert.deepEqual(castSample({ type: 'ipv6', value: '2001:0db8:0:0:0:0:0:1' }, 'str'), { type: 'str', value: '2001:db8::1' });
  assert.deepEqual(castSample({ type: 'bool', value: true }, 'str'), { type: 'str', value: '1' });
  assert.deepEqual(castSample({ type: 'str', value: '10.1.1.1' }, 'addr'), { type: 'ipv4', value: '10.1.1.1' });
  assert.deepEqual(castSample({ type: 'str', value: '::1' }, 'addr'), { type: 'ipv6', value: '::1' });
  const mc = castSample({ type: 'sint', value: 1, mayChange: true }, 'str');
  assert.equal(mc?.mayChange, true, 'casts keep the may-change flag');
});
