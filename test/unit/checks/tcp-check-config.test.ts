import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, applyAll, makeProxy, rulesOf } from './helpers.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { defaultServerConfig } from '../../../src/config/model.ts';
import {
  getTcpCheckRules, serverCheckPortError, validateTcpChecks, type TcpCheckExpectRule, type TcpCheckSendRule,
} from '../../../src/checks/tcp-check.ts';

const line = (s: string): string[] => s.split(' ');

test('no "option tcp-check": no ruleset (plain connect checks)', () => {
  const px = applyAll(makeProxy('backend'), [line('tcp-check send PING')]);
  assert.equal(getTcpCheckRules(px), null);
  const diag = new Diagnostics();
  validateTcpChecks(px, diag);
  assert.deepEqual(diag.messages.map((m) => m.text), ["config : backend 'be' uses tcp-check rules without 'option tcp-check', so the rules are ignored."]);
});

test('option tcp-check alone: an implicit connect (step 0)', () => {
  const rules = rulesOf([]);
  assert.equal(rules.length, 1);
  assert.equal(rules[0]!.kind, 'connect');
  assert.ok(rules[0]!.kind === 'connect' && rules[0]!.implicit && rules[0]!.useDefault);
});

test('send / send-binary / expect rules, indexes and comments', () => {
  const rules = rulesOf([
    ['tcp-check', 'send', 'PING\r\n'],
    ['tcp-check', 'comment', 'the answer'],
    ['tcp-check', 'expect', 'string', '+PONG'],
    ['tcp-check', 'send-binary', '50494e47', 'comment', 'bin'],
    ['tcp-check', 'expect', 'min-recv', '4', 'binary', '504f4e47', 'error-status', 'L7STS', 'ok-status', 'l6ok'],
  ]);
  assert.deepEqual(rules.map((r) => [r.kind, r.index, r.comment]), [
    ['connect', 0, null], ['send', 0, null], ['expect', 2, 'the answer'], ['send', 3, 'bin'], ['expect', 4, null],
  ]);
  assert.equal((rules[1] as TcpCheckSendRule).data.toString(), 'PING\r\n');
  assert.equal((rules[3] as TcpCheckSendRule).data.toString(), 'PING');
  const e = rules[4] as TcpCheckExpectRule;
  assert.equal(e.data!.toString(), 'PONG');
  assert.equal(e.minRecv, 4);
  assert.equal(e.errorStatus, 'L7STS');
  assert.equal(e.okStatus, 'L6OK');
});

test('negation, regexes and expect chains', () => {
  const rules = rulesOf([
    ['tcp-check', 'expect', '!', 'string', 'ERR'],
    ['tcp-check', 'expect', 'rstring', '^OK [0-9]+'],
    ['tcp-check', 'expect', '!rbinary', '^00'],
    ['tcp-check', 'send', 'x'],
    ['tcp-check', 'expect', 'string', 'y'],
  ]);
  const ex = rules.filter((r): r is TcpCheckExpectRule => r.kind === 'expect');
  assert.deepEqual(ex.map((e) => [e.type, e.inverse, e.head]), [['string', true, 1], ['rstring', false, 1], ['rbinary', true, 1], ['string', false, 5]]);
  assert.ok(ex[1]!.regex!.test('OK 200'));
  assert.equal(ex[1]!.regex!.flags, 'l');
  assert.ok(rulesOf([['tcp-check', 'expect', '!!string', 'x']]).some((r) => r.kind === 'expect' && !r.inverse));
});

test('an explicit first connect replaces the implicit one; connect options', () => {
  const rules = rulesOf([
    ['tcp-check', 'comment', 'first'],
    ['tcp-check', 'connect', 'port', '8080', 'send-proxy', 'linger'],
    ['tcp-check', 'send', 'x'],
    ['tcp-check', 'connect', 'addr', '10.0.0.1:81', 'default', 'comment', 'second'],
  ]);
  assert.equal(rules.length, 3);
  const [c1, , c2] = rules;
  assert.ok(c1!.kind === 'connect' && !c1!.implicit && c1!.port === 8080 && c1!.sendProxy && c1!.linger && c1!.comment === 'first');
  assert.ok(c2!.kind === 'connect' && c2!.useDefault && c2!.addr?.host === '10.0.0.1' && c2!.addr.port === 81 && c2!.comment === 'second');
});

test('errors worded as HAProxy 2.6 (haproxy -c)', () => {
  const cases: [string[], string][] = [
    [['tcp-check', 'send-binary', '123'], "'tcp-check send-binary' : '123' invalid binary string (an even number of hex digit is expected)."],
    [['tcp-check', 'send-binary', '12zz'], "'tcp-check send-binary' : '12zz' invalid binary string (an hex digit is expected (found 'z'))."],
    [['tcp-check', 'send'], "'tcp-check send' : 'string' expects a send as argument."],
    [['tcp-check', 'expect'], "'tcp-check expect' : expects at least a matching pattern as arguments."],
    [['tcp-check', 'expect', 'string'], "'tcp-check expect' : 'string' expects a <pattern> as argument."],
    [['tcp-check', 'expect', 'foo', 'bar'], "'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got 'foo' as argument.."],
    [['tcp-check', 'expect', 'string', 'a', 'ok-status', 'FOO'], "'tcp-check expect' : 'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got 'FOO').."],
    [['tcp-check', 'expect', 'string', 'a', 'string', 'b'], "'tcp-check expect' : only on pattern expected."],
    [['tcp-check', 'expect', 'min-recv', '5'], "'tcp-check expect' : pattern not found."],
    [['tcp-check', 'expect', '!min-recv', '5', 'string', 'x'], "'tcp-check expect' : [!] not supported with 'min-recv'."],
    [['tcp-check', 'frob'], "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'frob'"],
    [['tcp-check'], "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got ''"],
    [['tcp-check', 'connect', 'port', '0'], "'tcp-check connect' : expects a valid TCP port (from range 1 to 65535) or a sample expression, got 0.."],
    [['tcp-check', 'connect', 'port', '70000'], "'tcp-check connect' : expects a valid TCP port (from range 1 to 65535) or a sample expression, got 70000.."],
    [['tcp-check', 'connect', 'blah'], "'tcp-check connect' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got 'blah' as argument.."],
    [['tcp-check', 'comment'], "'tcp-check comment' : expects a string as argument."],
    [['tcp-check', 'send', 'abc', 'extra'], "'tcp-check send' : expects 'comment' but got 'extra' as argument.."],
    [['tcp-check', 'send', 'abc', 'comment'], "'tcp-check send' : 'comment' expects a string as argument.."],
    [['option', 'tcp-check', 'foo'], "'option tcp-check' cannot handle unexpected argument 'foo'."],
    [['no', 'option', 'tcp-check'], "negation/default is not supported for option 'tcp-check'."],
  ];
  for (const [words, msg] of cases) assert.equal(apply(makeProxy('backend'), words), msg, words.join(' '));
  // "min-recv abc" is atol("abc") = 0 for HAProxy: accepted.
  assert.equal(apply(makeProxy('backend'), ['tcp-check', 'expect', 'min-recv', 'abc', 'string', 'x']), undefined);
});

test('a connect rule must come first when there is one', () => {
  const px = makeProxy('backend');
  assert.equal(apply(px, ['tcp-check', 'send', 'x']), undefined);
  assert.equal(apply(px, ['tcp-check', 'connect']),
    "'tcp-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.");
});

test('regexes: invalid ones and non-linear ones are refused at load', () => {
  assert.match(apply(makeProxy('backend'), ['tcp-check', 'expect', 'rstring', '(a']) as string, /^'tcp-check expect' : regex '\(a' is invalid \(error=.+\)\.$/);
  assert.match(apply(makeProxy('backend'), ['tcp-check', 'expect', 'rstring', '(a)\\1']) as string, /cannot be matched in linear time/);
  assert.match(apply(makeProxy('backend'), ['tcp-check', 'expect', 'rbinary', '^(?=00)']) as string, /cannot be matched in linear time/);
});

test('features Turnpike does not have yet are clear errors', () => {
  for (const words of [
    ['tcp-check', 'send-lf', '%[src]'], ['tcp-check', 'set-var(check.x)', 'int(1)'], ['tcp-check', 'connect', 'ssl'],
    ['tcp-check', 'expect', 'string-lf', '%[src]'], ['tcp-check', 'expect', 'string', 'x', 'on-error', '%[res.payload(0,0)]'],
    ['tcp-check', 'connect', 'port', 'var(check.port)'],
  ]) {
    assert.match(apply(makeProxy('backend'), words) as string, /not supported by Turnpike yet/, words.join(' '));
  }
});

test('inheritance: defaults rulesets, own rulesets, and option placement (HAProxy ownership)', () => {
  // defaults with option + rules: a backend without lines uses them
  const d1 = applyAll(makeProxy('defaults'), [line('option tcp-check'), line('tcp-check send A')]);
  const b1 = makeProxy('backend', 'b1', d1);
  assert.deepEqual(getTcpCheckRules(b1)!.map((r) => r.kind), ['connect', 'send']);
  // ... its own first line starts a new ruleset (defaults rules are not merged)
  const b2 = applyAll(makeProxy('backend', 'b2', d1), [line('tcp-check send B')]);
  assert.deepEqual(getTcpCheckRules(b2)!.map((r) => r.kind === 'send' && r.data.toString()), [false, 'B']);
  // defaults with rules but no option: "option tcp-check" in the backend does not use them
  // (HAProxy 2.6 runs a plain connect there: "Layer4 check passed")
  const d2 = applyAll(makeProxy('defaults'), [line('tcp-check send C')]);
  const b3 = applyAll(makeProxy('backend', 'b3', d2), [line('option tcp-check')]);
  assert.deepEqual(getTcpCheckRules(b3)!.map((r) => r.kind), ['connect']);
  // own lines written before the option are used
  const b4 = applyAll(makeProxy('backend', 'b4', d2), [line('tcp-check send D'), line('option tcp-check')]);
  assert.deepEqual(getTcpCheckRules(b4)!.map((r) => r.kind === 'send' && r.data.toString()), [false, 'D']);
  // a backend not created from those defaults has an empty ruleset
  assert.deepEqual(getTcpCheckRules(applyAll(makeProxy('backend'), [line('option tcp-check')]))!.map((r) => r.kind), ['connect']);
  // the defaults' own rules are not touched by the backends
  assert.deepEqual(getTcpCheckRules(d1)!.map((r) => r.kind), ['connect', 'send']);
});

test('server port checks as init_srv_check()', () => {
  const srv = (port: number, checkPort: number | null = null) => {
    const s = defaultServerConfig({ file: 'test.cfg', line: 2 });
    s.name = 's';
    s.addr = { kind: 'ipv4', host: '127.0.0.1', port };
    s.check.enabled = true;
    s.check.port = checkPort;
    return s;
  };
  const plain = makeProxy('backend');
  assert.equal(serverCheckPortError(plain, srv(80)), null);
  assert.equal(serverCheckPortError(plain, srv(0, 81)), null);
  assert.equal(serverCheckPortError(plain, srv(0)), "config: backend 'be': server 's' has neither service port nor check port nor tcp_check rule 'connect' with port information.");
  const empty = applyAll(makeProxy('backend'), [line('option tcp-check')]);
  assert.equal(serverCheckPortError(empty, srv(0)), "config: backend 'be': server 's' has neither service port nor check port.");
  const withPort = applyAll(makeProxy('backend'), [line('option tcp-check'), line('tcp-check connect port 81')]);
  assert.equal(serverCheckPortError(withPort, srv(0)), null);
  const second = applyAll(makeProxy('listen', 'li'), [line('option tcp-check'), line('tcp-check connect port 81'), line('tcp-check connect')]);
  assert.equal(serverCheckPortError(second, srv(0)), "config: proxy 'li': server 's' has neither service port nor check port, and a tcp_check rule 'connect' with no port information.");
});

test('through the real configuration parser, when it loads', async (t) => {
  let parser: typeof import('../../../src/config/parser.ts');
  try {
    parser = await import('../../../src/config/parser.ts');
  } catch (e) {
    t.skip(`configuration parser not loadable yet: ${(e as Error).message}`);
    return;
  }
  const diag = new Diagnostics();
  const cfg = parser.parseConfigText('t.cfg', [
    'defaults', '  mode tcp', '  timeout connect 1s', '  timeout client 1s', '  timeout server 1s',
    '  option tcp-check', '  tcp-check send PING\\r\\n', '  tcp-check expect string PONG',
    'backend b', '  server s 127.0.0.1:80 check',
    'backend c', '  tcp-check connect port 81', '  server s 127.0.0.1:80 check', '',
  ].join('\n'), diag, {});
  assert.equal(diag.alerts, 0, diag.messages.map((m) => m.text).join('\n'));
  const b = cfg.proxies.find((p) => p.name === 'b')!;
  const rules = getTcpCheckRules(b)!;
  assert.deepEqual(rules.map((r) => r.kind), ['connect', 'send', 'expect']);
  assert.equal((rules[1] as TcpCheckSendRule).data.toString(), 'PING\r\n');
  const c = cfg.proxies.find((p) => p.name === 'c')!;
  assert.deepEqual(getTcpCheckRules(c)!.map((r) => r.kind === 'connect' && r.port), [81]);
});
