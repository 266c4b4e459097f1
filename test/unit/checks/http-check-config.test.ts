import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, applyAll, makeProxy } from './helpers.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { getTcpCheckRules } from '../../../src/checks/tcp-check.ts';
import {
  getHttpCheckRules, inheritHttpChecks, parseOptionRequest, validateHttpChecks,
  type HttpCheckExpectRule, type HttpCheckRule, type HttpCheckSendRule,
} from '../../../src/checks/http-check.ts';

const rulesOf = (lines: string[][]): HttpCheckRule[] => getHttpCheckRules(applyAll(makeProxy('backend'), lines))!;
const send = (r: HttpCheckRule | undefined): HttpCheckSendRule => {
  assert.equal(r?.kind, 'http-send');
  return r as HttpCheckSendRule;
};
const expect = (r: HttpCheckRule | undefined): HttpCheckExpectRule => {
  assert.equal(r?.kind, 'http-expect');
  return r as HttpCheckExpectRule;
};

test('option httpchk alone: implicit connect, the option request, implicit "expect status 200-399"', () => {
  const rules = rulesOf([['option', 'httpchk']]);
  assert.deepEqual(rules.map((r) => r.kind), ['connect', 'http-send', 'http-expect']);
  const s = send(rules[1]);
  assert.deepEqual([s.method, s.uri, s.version], [null, null, null]);
  const e = expect(rules[2]);
  assert.equal(e.type, 'status');
  assert.deepEqual(e.codes, [[200, 399]]);
  assert.equal(e.errorStatus, null);
});

test('option httpchk [<meth>] <uri> [<ver>], and headers hidden in the version (deprecated)', () => {
  assert.deepEqual(pick(parseOptionRequest(['/health'])), [null, '/health', null]);
  assert.deepEqual(pick(parseOptionRequest(['HEAD', '/x?y=1'])), ['HEAD', '/x?y=1', null]);
  assert.deepEqual(pick(parseOptionRequest(['GET', '/', 'HTTP/1.1'])), ['GET', '/', 'HTTP/1.1']);
  const r = parseOptionRequest(['GET', '/o', 'HTTP/1.1\r\nHost: www\r\nX-Y: z\r\n\r\nbody']);
  assert.ok(typeof r !== 'string');
  assert.equal(r.rule.version, 'HTTP/1.1');
  assert.deepEqual(r.rule.headers, [{ name: 'Host', value: 'www' }, { name: 'X-Y', value: 'z' }]);
  assert.equal(r.rule.body, 'body');
  assert.match(r.warning!, /^hiding headers or body at the end of the version string is deprecated/);
  const diag = new Diagnostics();
  assert.equal(apply(makeProxy('backend'), ['option', 'httpchk', 'GET', '/', 'HTTP/1.1', 'extra'], diag), "'option httpchk' cannot handle unexpected argument 'extra'.");
  assert.equal(apply(makeProxy('backend'), ['no', 'option', 'httpchk'], diag), undefined);
  assert.equal(diag.messages[0]!.text, "config : parsing [test.cfg:1]: negation/default is not supported for option 'httpchk'.");
});

function pick(r: ReturnType<typeof parseOptionRequest>): (string | null)[] {
  assert.ok(typeof r !== 'string');
  return [r.rule.method, r.rule.uri, r.rule.version];
}

test('the option request merges with the first explicit send, whichever comes first', () => {
  // option first: the explicit rule overrides what it sets
  let rules = rulesOf([['option', 'httpchk', 'GET', '/a'], ['http-check', 'send', 'ver', 'HTTP/1.1', 'hdr', 'Host', 'h', 'body', 'x']]);
  let s = send(rules[1]);
  assert.deepEqual([s.method, s.uri, s.version, s.body], ['GET', '/a', 'HTTP/1.1', 'x']);
  assert.deepEqual(s.headers, [{ name: 'Host', value: 'h' }]);
  // explicit first: the option's method/uri/version win; the explicit headers stay (the option has none)
  rules = rulesOf([['http-check', 'send', 'ver', 'HTTP/1.1', 'hdr', 'X-A', '1', 'body', 'b'], ['option', 'httpchk', 'POST', '/o', 'HTTP/1.0']]);
  s = send(rules[1]);
  assert.deepEqual([s.method, s.uri, s.version, s.body], ['POST', '/o', 'HTTP/1.0', 'b']);
  assert.deepEqual(s.headers, [{ name: 'X-A', value: '1' }]);
  // content-length and transfer-encoding headers are dropped
  rules = rulesOf([['option', 'httpchk'], ['http-check', 'send', 'hdr', 'content-length', '9', 'hdr', 'X-Q', '1']]);
  assert.deepEqual(send(rules[1]).headers, [{ name: 'X-Q', value: '1' }]);
});

test('explicit connect/send/expect sequences, comments, the option request after the first connect', () => {
  const rules = rulesOf([
    ['option', 'httpchk', 'GET', '/'],
    ['http-check', 'connect'],
    ['http-check', 'send', 'hdr', 'Host', 'h'],
    ['http-check', 'comment', 'first'],
    ['http-check', 'expect', 'status', '200'],
    ['http-check', 'connect', 'port', '8081'],
    ['http-check', 'send', 'meth', 'HEAD', 'uri', '/two'],
    ['http-check', 'expect', '!', 'string', 'err'],
  ]);
  assert.deepEqual(rules.map((r) => [r.kind, r.index, r.comment]), [
    ['connect', 0, null], ['http-send', 0, null], ['http-expect', 2, 'first'], ['connect', 3, null], ['http-send', 4, null], ['http-expect', 5, null],
  ]);
  // the option's request merged into the first explicit send
  assert.equal(send(rules[1]).method, 'GET');
  assert.deepEqual(send(rules[1]).headers, [{ name: 'Host', value: 'h' }]);
  assert.ok(rules[3]!.kind === 'connect' && rules[3]!.port === 8081);
  assert.equal(expect(rules[5]).inverse, true);
  assert.equal(expect(rules[5]).head, 5);
});

test('expect: every match type and option', () => {
  const parse = (...w: string[]) => expect(rulesOf([['option', 'httpchk'], ['http-check', 'expect', ...w]])[2]);
  assert.deepEqual(parse('status', '200,201,300-310').codes, [[200, 200], [201, 201], [300, 310]]);
  assert.ok(parse('rstatus', '^5').regex!.test('503'));
  assert.ok(parse('rstring', 'a.c').regex!.test('xabcx'));
  assert.equal(parse('string', 'OK').data!.toString(), 'OK');
  const h = parse('hdr', 'name', 'X-Ok', 'value', '-m', 'beg', 'ye').header!;
  assert.deepEqual([h.name, h.nameMatch, h.value, h.valueMatch, h.full], ['X-Ok', 'str', 'ye', 'beg', false]);
  const f = parse('fhdr', 'name', '-m', 'reg', '^x-', 'value', '-m', 'reg', 'a,b').header!;
  assert.ok(f.full && f.nameRegex!.test('X-Foo') && f.valueRegex!.test('a,b'));
  assert.equal(parse('hdr', 'name', 'x-present').header!.value, null);
  const all = parse('min-recv', '10', 'comment', 'c', 'ok-status', 'L7OKC', 'error-status', 'l7rsp', 'tout-status', 'L6TOUT', 'on-success', 'fine', 'on-error', 'bad', '!', 'status', '500');
  assert.deepEqual([all.minRecv, all.comment, all.okStatus, all.errorStatus, all.toutStatus, all.onSuccess, all.onError, all.inverse],
    [10, 'c', 'L7OKC', 'L7RSP', 'L6TOUT', 'fine', 'bad', true]);
});

// Texts checked against "haproxy -c" of HAProxy 2.6.12.
test('errors as HAProxy', () => {
  const err = (...lines: string[][]) => {
    const px = makeProxy('backend');
    for (let i = 0; i < lines.length - 1; i++) assert.equal(apply(px, lines[i]!), undefined);
    return apply(px, lines[lines.length - 1]!);
  };
  assert.equal(err(['http-check', 'foo']),
    "'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'");
  assert.equal(err(['http-check', 'expect']), "'http-check expect' : expects at least a matching pattern as arguments.");
  assert.equal(err(['http-check', 'expect', 'status']), "'http-check expect' : 'status' expects a <pattern> as argument.");
  assert.equal(err(['http-check', 'expect', 'status', '300-200']), "'http-check expect' : invalid range of status codes '300-200'.");
  assert.equal(err(['http-check', 'expect', 'status', '200;']), "'http-check expect' : invalid character ';' in the list of status codes.");
  assert.equal(err(['http-check', 'expect', 'binary', '00']),
    "'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got 'binary' as argument..");
  assert.equal(err(['http-check', 'expect', 'string', 'a', 'rstring', 'b']), "'http-check expect' : only on pattern expected.");
  assert.equal(err(['http-check', 'expect', 'hdr', 'name']), "'http-check expect' : 'hdr' expects at the name keyword as first argument followed by a pattern.");
  assert.equal(err(['http-check', 'expect', 'hdr', 'name', 'x', 'value']), "'http-check expect' : 'hdr' expect a pattern with the value keyword.");
  assert.equal(err(['http-check', 'expect', 'hdr', 'name', '-m', 'foo', 'x']),
    "'http-check expect' : 'hdr' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got 'foo').");
  assert.equal(err(['http-check', 'expect', '!comment', 'x', 'status', '200']), "'http-check expect' : [!] not supported with 'comment'.");
  assert.equal(err(['http-check', 'send', 'foo']),
    "'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got 'foo' as argument..");
  assert.equal(err(['http-check', 'send', 'hdr', 'x']), "'http-check send' : 'hdr' expects <name> and <value> as arguments.");
  assert.equal(err(['http-check', 'send', 'hdr', 'host', 'a', 'hdr', 'Host', 'b']), "'http-check send' : 'Host' header already defined (previous value is 'a').");
  assert.equal(err(['http-check', 'send-state', 'x']), "'http-check' cannot handle unexpected argument 'x'.");
  assert.equal(err(['http-check', 'comment']), "'http-check comment' : expects a string as argument.");
  assert.equal(err(['option', 'httpchk'], ['http-check', 'send', 'meth', 'GET'], ['http-check', 'send', 'meth', 'HEAD']),
    "'http-check send' : unable to add http-check send rule at step 2 (missing connect rule)..");
  assert.equal(err(['option', 'httpchk'], ['http-check', 'connect'], ['http-check', 'expect', 'status', '200']),
    "'http-check expect' : unable to add http-check expect rule at step 2 (missing send rule)..");
  assert.equal(err(['option', 'httpchk'], ['http-check', 'expect', 'status', '200'], ['http-check', 'connect']),
    "'http-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.");
  // Not supported yet: refused, never ignored.
  assert.match(err(['http-check', 'send', 'uri-lf', '/%[var(x)]']) as string, /not supported by Turnpike yet/);
  assert.match(err(['http-check', 'send', 'hdr', 'X-A', '%[date()]']) as string, /not supported by Turnpike yet/);
  assert.match(err(['http-check', 'expect', 'status-code', 'int(1)', 'status', '200']) as string, /not supported by Turnpike yet/);
});

test('rules without the option are ignored with a warning; httpchk and tcp-check exclude each other', () => {
  const px = applyAll(makeProxy('backend'), [['http-check', 'expect', 'status', '200']]);
  assert.equal(getHttpCheckRules(px), null);
  const diag = new Diagnostics();
  validateHttpChecks(px, diag);
  assert.deepEqual(diag.messages.map((m) => m.text), ["config : backend 'be' uses http-check rules without 'option httpchk', so the rules are ignored."]);
  const both = applyAll(makeProxy('backend'), [['option', 'httpchk'], ['option', 'tcp-check']]);
  assert.equal(getHttpCheckRules(both), null);
  assert.ok(getTcpCheckRules(both));
  const back = applyAll(makeProxy('backend'), [['option', 'tcp-check'], ['option', 'httpchk']]);
  assert.equal(getTcpCheckRules(back), null);
  assert.ok(getHttpCheckRules(back));
});

test('defaults hand their ruleset down until the proxy writes its own rules', () => {
  const d = applyAll(makeProxy('defaults'), [['option', 'httpchk', 'GET', '/d'], ['http-check', 'expect', 'status', '204'], ['http-check', 'disable-on-404']]);
  const child = makeProxy('backend', 'c', d);
  inheritHttpChecks(d, child);
  const rules = getHttpCheckRules(child)!;
  assert.equal(send(rules[1]).uri, '/d');
  assert.deepEqual(expect(rules[2]).codes, [[204, 204]]);
  assert.equal(child.httpCheckDisable404, true);
  const own = makeProxy('backend', 'o', d);
  inheritHttpChecks(d, own);
  applyAll(own, [['http-check', 'send', 'meth', 'HEAD']]);
  const r2 = getHttpCheckRules(own)!;
  assert.deepEqual(r2.map((r) => r.kind), ['connect', 'http-send', 'http-expect']);
  assert.equal(send(r2[1]).method, 'HEAD');
  assert.deepEqual(expect(r2[2]).codes, [[200, 399]]);
});
