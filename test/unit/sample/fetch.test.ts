import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSampleExpr, registerFetches, findFetch, PENDING, SampleExprImpl, parseAclTerm } from '../../../src/sample/index.ts';
import { PhaseBit } from '../../../src/sample/types.ts';
import { aclCtx, fakeProxy, fakeServer, fakeStream } from './helpers.ts';

function expr(text: string, proxyName?: string): SampleExprImpl {
  const e = parseSampleExpr(text, proxyName !== undefined ? { proxyName } : undefined);
  if (typeof e === 'string') throw new Error(e);
  return e;
}

test('layer 4 fetches', () => {
  const s = fakeStream({ srcAddr: '10.1.2.3', srcPort: 4567, dstAddr: '192.168.0.1', dstPort: 443, rcvdProxy: true });
  assert.deepEqual(expr('src').eval(s), { type: 'ipv4', value: '10.1.2.3' });
  assert.deepEqual(expr('src_port').eval(s), { type: 'sint', value: 4567 });
  assert.deepEqual(expr('dst').eval(s), { type: 'ipv4', value: '192.168.0.1' });
  assert.deepEqual(expr('dst_port').eval(s), { type: 'sint', value: 443 });
  assert.deepEqual(expr('fc_rcvd_proxy').eval(s), { type: 'bool', value: true });
  const v6 = fakeStream({ srcAddr: '2001:DB8:0::1', family: 'ipv6' });
  assert.deepEqual(expr('src').eval(v6), { type: 'ipv6', value: '2001:db8::1' });
  const unix = fakeStream({ srcAddr: '/run/sock', family: 'unix' });
  assert.equal(expr('src').eval(unix), null);
  assert.equal(expr('src_port').eval(unix), null);
  assert.equal(findFetch('src')!.out, 'ipv4', 'declared IPv4 as in HAProxy');
});

test('frontend, backend and server identity', () => {
  const fe = fakeProxy('web', { id: 3 });
  const be = fakeProxy('app', { id: 7 });
  const srv = fakeServer('s1', { id: 2 });
  assert.deepEqual(expr('fe_name').eval(fakeStream({ frontend: fe })), { type: 'str', value: 'web' });
  assert.deepEqual(expr('fe_id').eval(fakeStream({ frontend: fe })), { type: 'sint', value: 3 });
  // before a backend is chosen, the frontend stands for it (HAProxy's strm->be)
  assert.equal(expr('be_name').eval(fakeStream({ frontend: fe }))!.value, 'web');
  assert.equal(expr('be_name').eval(fakeStream({ frontend: fe, backend: be }))!.value, 'app');
  assert.equal(expr('be_id').eval(fakeStream({ frontend: fe, backend: be }))!.value, 7);
  assert.equal(expr('srv_name').eval(fakeStream({ server: srv }))!.value, 's1');
  assert.equal(expr('srv_id').eval(fakeStream()), null);
});

test('internal state fetches: constants and env', () => {
  const s = fakeStream({ env: { HOME: '/root' } });
  assert.deepEqual(expr('always_true').eval(s), { type: 'bool', value: true });
  assert.deepEqual(expr('always_false').eval(s), { type: 'bool', value: false });
  assert.deepEqual(expr('int(-42)').eval(s), { type: 'sint', value: -42 });
  assert.deepEqual(expr('str(hello)').eval(s), { type: 'str', value: 'hello' });
  assert.deepEqual(expr('str').eval(s), { type: 'str', value: '' }, 'a missing string argument is empty');
  assert.deepEqual(expr('bool(false)').eval(s), { type: 'bool', value: false });
  assert.deepEqual(expr('bool(1)').eval(s), { type: 'bool', value: true });
  assert.deepEqual(expr('ipv4(10.0.0.1)').eval(s), { type: 'ipv4', value: '10.0.0.1' });
  assert.deepEqual(expr('ipv6(2001:db8::0:1)').eval(s), { type: 'ipv6', value: '2001:db8::1' });
  assert.equal((expr('bin(00ff)').eval(s)!.value as Buffer).toString('hex'), '00ff');
  assert.deepEqual(expr('env(HOME)').eval(s), { type: 'str', value: '/root' });
  assert.equal(expr('env(NOPE)').eval(s), null);
  assert.deepEqual(expr('str("a,b)")').eval(s), { type: 'str', value: 'a,b)' }, 'quoted arguments');
  assert.deepEqual(expr("str('x y'),upper").eval(s), { type: 'str', value: 'X Y' });
  assert.equal(parseSampleExpr('int(abc)'), "fetch method 'int' : failed to parse 'abc' as type 'integer' at position 1");
  assert.equal(parseSampleExpr('ipv4(1.2.3)'), "fetch method 'ipv4' : failed to parse '1.2.3' as type 'IPv4 address' at position 1");
  assert.equal(parseSampleExpr('ipv6(x)'), "fetch method 'ipv6' : failed to parse 'x' as type 'IPv6 address' at position 1");
  assert.equal(parseSampleExpr('env(HOME,x)'), "fetch method 'env' : expected ')' before ',x)'");
  assert.equal(parseSampleExpr('bin(zz)'), "invalid args in fetch method 'bin' : an hex digit is expected (found 'z')");
  assert.equal(parseSampleExpr('nosuch'), "unknown fetch method 'nosuch'");
  assert.equal(parseSampleExpr(''), 'missing fetch method');
});

test('proxy state fetches: nbsrv, be_conn, fe_conn, queue, connslots, srv_is_up', () => {
  const app = fakeProxy('app', {
    beConn: 5, queued: 2,
    servers: [
      fakeServer('a', { maxconn: 10, curConns: 4, maxqueue: 5, queued: 1 }),
      fakeServer('b', { isUp: false, maxconn: 10, maxqueue: 5 }),
      fakeServer('c', { backup: true, maxconn: 3, maxqueue: 2 }),
    ],
  });
  const down = fakeProxy('down', { servers: [fakeServer('x', { isUp: false }), fakeServer('y', { backup: true })] });
  const fe = fakeProxy('web', { feConn: 9 });
  const s = fakeStream({ frontend: fe, backend: app, proxies: [app, down] });
  assert.equal(expr('nbsrv').eval(s)!.value, 1, 'active servers only when some are up');
  assert.equal(expr('nbsrv(down)').eval(s)!.value, 1, 'backups when no active server is up');
  assert.equal(expr('nbsrv(nope)').eval(s), null);
  assert.equal(expr('be_conn').eval(s)!.value, 5);
  assert.equal(expr('be_conn(app)').eval(s)!.value, 5);
  assert.equal(expr('fe_conn').eval(s)!.value, 9);
  assert.equal(expr('fe_conn(web)').eval(s)!.value, 9);
  assert.equal(expr('queue').eval(s)!.value, 3, 'backend queue plus server queues');
  assert.equal(expr('connslots(app)').eval(s)!.value, (10 - 4 + 5 - 1) + (3 + 2));
  assert.equal(expr('connslots(down)').eval(s)!.value, -1, 'unlimited maxconn gives -1');
  assert.equal(expr('srv_is_up(app/a)').eval(s)!.value, true);
  assert.equal(expr('srv_is_up(app/b)').eval(s)!.value, false);
  assert.equal(expr('srv_is_up(app/zz)').eval(s), null);
  assert.equal(expr('srv_is_up(b)').eval(s)!.value, false, 'without a backend: the current one');
  assert.equal(expr('srv_is_up(x)', 'down').eval(s)!.value, false, 'without a backend: the proxy it was written in');
});

test('req.len and req.payload report "may change" until the inspection ends', () => {
  const partial = fakeStream({ reqData: Buffer.from('GET'), reqDataFinal: false });
  const final = fakeStream({ reqData: Buffer.from('GET'), reqDataFinal: true });
  assert.deepEqual(expr('req.len').eval(partial), { type: 'sint', value: 3, mayChange: true });
  assert.deepEqual(expr('req.len').eval(final), { type: 'sint', value: 3 });
  assert.deepEqual(expr('req_len').eval(fakeStream({ reqData: null, reqDataFinal: false })), { type: 'sint', value: 0, mayChange: true });
  assert.equal((expr('req.payload(0,3)').eval(partial)!.value as Buffer).toString(), 'GET');
  assert.equal(expr('req.payload(0,4)').evalRaw(partial), PENDING, 'too short yet');
  assert.equal(expr('req.payload(0,4)').evalRaw(final), null, 'too short for good');
  const whole = expr('req.payload(1,0)').eval(partial)!;
  assert.equal((whole.value as Buffer).toString(), 'ET');
  assert.equal(whole.mayChange, true, 'length 0: the rest of the buffer, which may grow');
  assert.equal(expr('req.payload(0,20000)').evalRaw(partial), null, 'beyond bufsize: never');
  assert.equal(expr('payload(0,1),hex').eval(final)!.value, '47');
  // a converter failing on a may-change sample is "pending" too
  assert.equal(expr('req.payload(0,0),b64dec').evalRaw(partial), PENDING);
});

test('req.payload_lv: length-prefixed blocks', () => {
  const data = Buffer.from([0x00, 0x03, 0x61, 0x62, 0x63, 0x64]);
  const s = fakeStream({ reqData: data, reqDataFinal: true });
  assert.equal((expr('req.payload_lv(0,2)').eval(s)!.value as Buffer).toString(), 'abc');
  assert.equal((expr('req.payload_lv(0,2,+1)').eval(s)!.value as Buffer).toString(), 'bcd', 'relative offset');
  assert.equal((expr('req.payload_lv(0,2,3)').eval(s)!.value as Buffer).toString(), 'bcd', 'absolute offset');
  assert.equal(expr('req.payload_lv(0,2,4)').eval(s), null);
  assert.equal(expr('req.payload_lv(0,2)').evalRaw(fakeStream({ reqData: data.subarray(0, 3), reqDataFinal: false })), PENDING);
  assert.equal(parseSampleExpr('req.payload_lv(0,0)'), "invalid args in fetch method 'req.payload_lv' : payload length must be > 0");
  assert.equal(parseSampleExpr('req.payload_lv(0,1,+x)'), "invalid args in fetch method 'req.payload_lv' : payload offset2 is not a number");
  assert.equal(parseSampleExpr('req.payload(0)'), "fetch method 'req.payload' : missing arguments (got 1/2), type 'integer' expected");
  assert.equal(parseSampleExpr('req.payload()'), "fetch method 'req.payload' : expected type 'integer' at position 1, but got nothing");
});

test('wait_end: true once the inspection is over, otherwise cannot tell', () => {
  assert.equal(expr('wait_end').evalRaw(fakeStream({ reqDataFinal: false })), PENDING);
  assert.deepEqual(expr('wait_end').eval(fakeStream({ reqDataFinal: true })), { type: 'bool', value: true });
});

test('phases: layer 4 everywhere, buffer contents only with content inspection, backend once known', () => {
  assert.ok(findFetch('src')!.usable & PhaseBit.L4Conn);
  assert.ok(findFetch('src')!.usable & PhaseBit.Log);
  assert.equal(findFetch('req.payload')!.usable & PhaseBit.L4Conn, 0);
  assert.equal(findFetch('req.payload')!.usable & PhaseBit.L5Sess, 0);
  assert.ok(findFetch('req.payload')!.usable & PhaseBit.L6ReqFe);
  assert.ok(findFetch('req.payload')!.usable & PhaseBit.UseBackend);
  assert.equal(findFetch('be_name')!.usable & PhaseBit.L6ReqFe, 0);
  assert.equal(findFetch('be_name')!.usable & PhaseBit.UseBackend, 0);
  assert.ok(findFetch('be_name')!.usable & PhaseBit.L6ReqBe);
  assert.ok(findFetch('always_true')!.usable & PhaseBit.L4Conn);
});

test('other modules can register fetches, including multi-valued ones', () => {
  registerFetches({
    name: 'test.multi', out: 'str', use: 'hrqhv',
    fn: () => ({ type: 'str', value: 'first' }),
    iterate: () => [{ type: 'str', value: 'first' }, { type: 'str', value: 'second' }],
  });
  assert.throws(() => registerFetches({ name: 'test.multi', out: 'str', use: 'internal', fn: () => null }), /duplicate/);
  const t = parseAclTerm(['test.multi', 'second'], aclCtx());
  assert.ok(typeof t !== 'string');
  assert.equal(t.eval(fakeStream()), true, 'an ACL tries every value');
  assert.equal(expr('test.multi,upper').eval(fakeStream())!.value, 'FIRST');
  assert.equal(findFetch('test.multi')!.usable & PhaseBit.L4Conn, 0);
});
