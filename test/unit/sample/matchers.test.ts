import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAclTerm, AclTermImpl } from '../../../src/sample/index.ts';
import type { SampleStream } from '../../../src/sample/types.ts';
import { aclCtx, fakeStream } from './helpers.ts';

function term(words: string[]): AclTermImpl {
  const t = parseAclTerm(words, aclCtx());
  if (typeof t === 'string') throw new Error(t);
  return t;
}
function matches(words: string[], s: SampleStream = fakeStream()): boolean | null {
  return term(words).eval(s);
}
function err(words: string[]): string {
  const t = parseAclTerm(words, aclCtx());
  assert.equal(typeof t, 'string', `expected an error for ${words.join(' ')}`);
  return t as string;
}

test('-m str: exact, case-sensitive unless -i', () => {
  assert.equal(matches(['str(abc)', 'abc']), true);
  assert.equal(matches(['str(abc)', 'ab']), false);
  assert.equal(matches(['str(abc)', 'ABC']), false);
  assert.equal(matches(['str(abc)', '-i', 'ABC']), true);
  assert.equal(matches(['str(abc)', 'x', 'y', 'abc']), true);
  assert.equal(matches(['str(abc)', '-m', 'str', 'abc']), true);
});

test('-m beg / end / sub', () => {
  assert.equal(matches(['str(/static/img.png)', '-m', 'beg', '/static', '/img']), true);
  assert.equal(matches(['str(/static/img.png)', '-m', 'beg', '/img']), false);
  assert.equal(matches(['str(/static/img.png)', '-m', 'beg', '-i', '/STATIC']), true);
  assert.equal(matches(['str(/static/img.png)', '-m', 'end', '.png']), true);
  assert.equal(matches(['str(/static/img.png)', '-m', 'end', '.PNG']), false);
  assert.equal(matches(['str(/static/img.png)', '-m', 'end', '-i', '.PNG']), true);
  assert.equal(matches(['str(a)', '-m', 'end', 'longer-than-a']), false);
  assert.equal(matches(['str(/static/img.png)', '-m', 'sub', 'tic/im']), true);
  assert.equal(matches(['str(/static/img.png)', '-m', 'sub', 'TIC']), false);
  assert.equal(matches(['str(/static/img.png)', '-m', 'sub', '-i', 'TIC']), true);
});

test('-m dir: slash-delimited portions (documented examples, checked against haproxy 2.6)', () => {
  const s = 'str(/images/png/logo/32x32.png)';
  for (const p of ['/images', '/images/png', 'images/png', '/png/logo', 'logo/32x32.png', '32x32.png']) {
    assert.equal(matches([s, '-m', 'dir', p]), true, p);
  }
  // the documentation says "png" does not match, but haproxy 2.6 matches it ("/png/")
  assert.equal(matches([s, '-m', 'dir', 'png']), true);
  assert.equal(matches([s, '-m', 'dir', '32x32']), false);
  assert.equal(matches(['str(/a/b?x=1)', '-m', 'dir', 'b']), true, "'?' delimits too");
});

test('-m dom: dot, colon, slash and ? delimited (documented examples)', () => {
  const s = 'str(http://www1.dc-eu.example.com:80/blah)';
  for (const p of ['http', 'www1', '.www1', 'dc-eu', 'example', 'com', '80', 'dc-eu.example', 'blah', ':www1:', 'example.com:80']) {
    assert.equal(matches([s, '-m', 'dom', p]), true, p);
  }
  // "dc-eu.example:80" is listed as matching in the documentation, haproxy 2.6 does not match it
  for (const p of ['eu', 'dc', 'dc-eu.example:80']) assert.equal(matches([s, '-m', 'dom', p]), false, p);
  assert.equal(matches(['str(WWW.Example.COM)', '-m', 'dom', '-i', 'example']), true);
});

test('-m reg, with -i folding', () => {
  assert.equal(matches(['str(GET /index.html)', '-m', 'reg', '^GET /[a-z]+\\.html$']), true);
  assert.equal(matches(['str(get /index.html)', '-m', 'reg', '^GET']), false);
  assert.equal(matches(['str(get /index.html)', '-m', 'reg', '-i', '^GET']), true);
  assert.equal(matches(['str(xyz)', '-m', 'reg', 'y']), true, 'unanchored search');
});

test('-m len', () => {
  assert.equal(matches(['str(hello)', '-m', 'len', '5']), true);
  assert.equal(matches(['str(hello)', '-m', 'len', 'gt', '5']), false);
  assert.equal(matches(['str(hello)', '-m', 'len', '3:6']), true);
  assert.equal(err(['str(x)', '-m', 'len', 'x']), "'x' is not a number");
});

test('-m bin: hex blocks, on binary and string samples', () => {
  const s = fakeStream({ reqData: Buffer.from('Hello\nworld'), reqDataFinal: true });
  assert.equal(matches(['req.payload(0,6)', '-m', 'bin', '48656c6c6f0a'], s), true);
  assert.equal(matches(['req.payload(0,6)', '-m', 'bin', '48656C6C6F0A'], s), true);
  assert.equal(matches(['req.payload(0,5)', '-m', 'bin', '48656c6c6f0a'], s), false);
  assert.equal(matches(['str(AB)', '-m', 'bin', '4142']), true);
  assert.equal(err(['str(a)', '-m', 'bin', '123']), 'an even number of hex digit is expected');
  assert.equal(err(['str(a)', '-m', 'bin', 'zz']), "an hex digit is expected (found 'z')");
});

test('payload ACL keyword matches in binary by default', () => {
  const s = fakeStream({ reqData: Buffer.from([0x16, 0x03, 0x01]), reqDataFinal: true });
  assert.equal(matches(['payload(0,1)', '16'], s), true);
  assert.equal(matches(['payload(0,1)', '17'], s), false);
  assert.equal(err(['req.payload(0,1)', '16']), "matching method must be specified first (using '-m') when using a sample fetch of this type ('req.payload')");
});

test('-m found and -m bool', () => {
  const s = fakeStream({ env: { SET: '', ONE: '1', ZERO: '0' } });
  assert.equal(matches(['env(SET)', '-m', 'found'], s), true);
  assert.equal(matches(['env(UNSET)', '-m', 'found'], s), false);
  assert.equal(matches(['env(ONE)', '-m', 'bool'], s), true);
  assert.equal(matches(['env(ZERO)', '-m', 'bool'], s), false);
  assert.equal(matches(['int(0)', '-m', 'bool']), false);
  assert.equal(matches(['int(7)', '-m', 'bool']), true);
  assert.equal(matches(['always_true']), true);
  assert.equal(matches(['always_false']), false);
  assert.equal(matches(['bool(1)', 'ignored', 'patterns']), true);
  // bool samples match as integers with -m int
  assert.equal(matches(['bool(true)', '-m', 'int', '1']), true);
});

test('integer ranges and operators', () => {
  const port = (p: number) => fakeStream({ srcPort: p });
  assert.equal(matches(['src_port', '1024:65535'], port(40000)), true);
  assert.equal(matches(['src_port', '1024:65535'], port(80)), false);
  assert.equal(matches(['src_port', '1024:'], port(1024)), true);
  assert.equal(matches(['src_port', ':1023'], port(1023)), true);
  assert.equal(matches(['src_port', ':1023'], port(1024)), false);
  assert.equal(matches(['src_port', '1-3'], port(2)), true, "'-' also separates a range");
  assert.equal(matches(['src_port', '--', '-5'], port(5)), true, "'-5' means ':5'");
  assert.equal(matches(['src_port', 'eq', '80'], port(80)), true);
  assert.equal(matches(['src_port', 'gt', '80'], port(80)), false);
  assert.equal(matches(['src_port', 'gt', '80'], port(81)), true);
  assert.equal(matches(['src_port', 'ge', '80'], port(80)), true);
  assert.equal(matches(['src_port', 'lt', '80'], port(80)), false);
  assert.equal(matches(['src_port', 'lt', '80'], port(79)), true);
  assert.equal(matches(['src_port', 'le', '80'], port(80)), true);
  // the operator stays in force for the following values; ranges are passed as they are
  assert.equal(matches(['src_port', 'gt', '100', '10:20'], port(15)), true);
  assert.equal(matches(['int(-3)', 'lt', '0']), true);
  // trailing operator with no value: accepted, never matches
  assert.equal(matches(['src_port', '80', 'eq'], port(80)), true);
});

test('integer pattern errors have HAProxy wording', () => {
  assert.equal(err(['src_port', 'foo']), "'foo' is not a number");
  assert.equal(err(['src_port', '5:3']), "'5:3' is not a valid number range");
  assert.equal(err(['src_port', '1:2:3']), "'1:2:3' is not a valid number range");
  assert.equal(err(['src_port', '--', '-5:-3']), "'-5:-3' is not a valid number range");
  assert.equal(err(['src_port', '99999999999999999999']), "'99999999999999999999' is not a number");
  assert.equal(err(['src_port', '0x10']), "'0x10' is not a number");
  assert.equal(err(['src_port', 'gt', 'x']), "'x' is neither a number nor a supported operator");
  assert.equal(err(['src_port', '-5']), "'-5' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'");
});

test('IPv4 addresses and networks', () => {
  const src = (a: string, family: 'ipv4' | 'ipv6' = 'ipv4') => fakeStream({ srcAddr: a, family });
  assert.equal(matches(['src', '10.0.0.0/8'], src('10.200.1.1')), true);
  assert.equal(matches(['src', '10.0.0.0/8'], src('11.0.0.1')), false);
  assert.equal(matches(['src', '10.1.2.3'], src('10.1.2.3')), true);
  assert.equal(matches(['src', '10.1.2.0/255.255.255.0'], src('10.1.2.99')), true);
  assert.equal(matches(['src', '0.0.0.0/0'], src('8.8.8.8')), true);
  // non-contiguous masks are accepted and applied bitwise
  assert.equal(matches(['src', '10.0.2.0/255.0.255.0'], src('10.9.2.9')), true);
  assert.equal(matches(['src', '10.0.2.0/255.0.255.0'], src('10.9.3.9')), false);
  // abbreviated forms, as the resolver reads them
  assert.equal(matches(['src', '127.1'], src('127.0.0.1')), true);
  assert.equal(matches(['src', '10.12/8'], src('10.99.0.1')), true);
  assert.equal(err(['src', '1.2.3.4/33']), "'1.2.3.4/33' is not a valid IPv4 or IPv6 address");
  assert.equal(err(['src', '-n', 'localhost']), "'localhost' is not a valid IPv4 or IPv6 address");
  assert.equal(err(['src', '(', '1.2.3.4']), "'(' is not a valid IPv4 or IPv6 address");
});

test('IPv6 addresses, and IPv4/IPv6 cross matching as HAProxy', () => {
  const src = (a: string, family: 'ipv4' | 'ipv6') => fakeStream({ srcAddr: a, family });
  assert.equal(matches(['src', '2001:db8::/32'], src('2001:db8:1::5', 'ipv6')), true);
  assert.equal(matches(['src', '2001:db8::/32'], src('2001:db9::5', 'ipv6')), false);
  assert.equal(matches(['src', '::1'], src('::1', 'ipv6')), true);
  // IPv6 sample, IPv4 pattern: ::ffff:a.b.c.d, ::a.b.c.d and 2002:a.b.c.d:: forms
  assert.equal(matches(['src', '10.0.0.0/8'], src('::ffff:10.1.1.1', 'ipv6')), true);
  assert.equal(matches(['src', '10.0.0.0/8'], src('::10.1.1.1', 'ipv6')), true);
  assert.equal(matches(['src', '10.0.0.0/8'], src('2002:a01:101::1', 'ipv6')), true);
  assert.equal(matches(['src', '10.0.0.0/8'], src('2001:db8::a01:101', 'ipv6')), false);
  // IPv4 sample, IPv6 pattern: the sample is compared as ::ffff:a.b.c.d
  assert.equal(matches(['src', '::ffff:10.0.0.0/104'], src('10.1.2.3', 'ipv4')), true);
  assert.equal(matches(['src', '::ffff:1.2.3.4/120'], src('1.2.3.200', 'ipv4')), true);
  assert.equal(matches(['src', '::10.1.2.3'], src('10.1.2.3', 'ipv4')), false);
  assert.equal(err(['src', '::1/129']), "'::1/129' is not a valid IPv4 or IPv6 address");
  // LOCALHOST-like lists mixing families
  assert.equal(matches(['src', '127.0.0.1/8', '::1'], src('::1', 'ipv6')), true);
  assert.equal(matches(['src', '127.0.0.1/8', '::1'], src('127.3.2.1', 'ipv4')), true);
});

test('-m ip on strings and integers (casts)', () => {
  assert.equal(matches(['str(10.1.2.3)', '-m', 'ip', '10.0.0.0/8']), true);
  assert.equal(matches(['str(not-an-ip)', '-m', 'ip', '10.0.0.0/8']), false);
  assert.equal(matches(['int(167772161)', '-m', 'ip', '10.0.0.1']), true);
});

test('flags: -i applies to what follows, -- ends options, -u ids are unique, bad options', () => {
  assert.equal(matches(['str(-i)', '--', '-i']), true);
  assert.equal(matches(['str(--)', '--', '--']), true);
  assert.equal(matches(['str(ABC)', 'abc', '-i']), false, "a late '-i' is a pattern");
  const ctx = aclCtx();
  assert.ok(typeof parseAclTerm(['src', '-u', '7', '1.1.1.1'], ctx) !== 'string');
  assert.equal(parseAclTerm(['src', '-u', '7', '1.1.1.1'], ctx), 'the id is already used');
  assert.equal(parseAclTerm(['src', '-u', 'x', '1.1.1.1'], ctx), 'the argument of -u must be an integer');
  assert.equal(err(['src', '-x', '1']), "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'");
  assert.equal(err(['src', '-m', 'foo', '1']), "unknown matching method 'foo' when parsing ACL expression");
  assert.equal(err(['src', '-m']), "unknown matching method '' when parsing ACL expression");
});

test('-m compatibility with the sample type, as sample_casts allows', () => {
  assert.equal(err(['req.payload(0,4)', '-m', 'ip', '1.2.3.4']), "matching method 'ip' cannot be used with fetch keyword 'req.payload'");
  assert.equal(err(['bool(1)', '-m', 'ip', '1.2.3.4']), "matching method 'ip' cannot be used with fetch keyword 'bool'");
  assert.equal(err(['ipv6(::1)', '-m', 'int', '1']), "matching method 'int' cannot be used with fetch keyword 'ipv6'");
  assert.equal(err(['req.payload(0,1)', '-m', 'bool']), "matching method 'bool' cannot be used with fetch keyword 'req.payload'");
  for (const ok of [['bool(1)', '-m', 'str', 'x'], ['bool(1)', '-m', 'bin', '00'], ['src', '-m', 'int', '1'], ['src', '-m', 'bool'],
    ['src', '-m', 'bin', '00'], ['src', '-m', 'len', '1'], ['src_port', '-m', 'ip', '1.2.3.4'], ['str(x)', '-m', 'bool'],
    ['req.payload(0,1)', '-m', 'found']]) {
    assert.ok(typeof parseAclTerm(ok, aclCtx()) !== 'string', ok.join(' '));
  }
});

test('converters change the default matching method (last output type)', () => {
  assert.equal(matches(['src,ipmask(16)', '10.1.0.0']), true);
  assert.equal(matches(['src,lower', '10.1.2.3']), true, 'ip cast to str: string match');
  assert.equal(matches(['src_port,mul(2)', '80000']), true);
  assert.equal(matches(['payload(0,2),hex', '4142'], fakeStream({ reqData: Buffer.from('AB'), reqDataFinal: true })), true);
});

test('no pattern given: HAProxy warning, never matches', () => {
  const ctx = aclCtx();
  const t = parseAclTerm(['src'], ctx);
  assert.ok(t instanceof AclTermImpl);
  assert.equal(t.eval(fakeStream()), false);
  assert.equal(ctx.diag.warnings, 1);
  assert.match(ctx.diag.messages[0]!.text, /^config : parsing acl keyword 'src' :\n {2}no pattern to match against were provided, so this ACL will never match\./);
  const ctx2 = aclCtx();
  parseAclTerm(['src', '--'], ctx2);
  parseAclTerm(['always_true'], ctx2);
  assert.equal(ctx2.diag.warnings, 0);
});

test('fetch and expression errors are wrapped as HAProxy does', () => {
  assert.equal(err(['src_foo', '1']), "unknown fetch method 'src_foo' in ACL expression 'src_foo'");
  assert.equal(err([]), "missing fetch method in ACL expression ''");
  assert.equal(err(['src(1)', '1']), "fetch method 'src' : expected ')' before '1)' in ACL expression 'src(1)'");
  assert.equal(err(['int', '1']), "fetch method 'int' : expected type 'integer' at position 1, but got nothing in ACL expression 'int'");
  assert.equal(err(['str(abc),foo', 'x']), "unknown converter 'foo' in ACL expression 'str(abc),foo'");
  assert.equal(err(['bool(maybe)', '1']), "invalid args in fetch method 'bool' : Expects 'true', 'false', '0' or '1' in ACL expression 'bool(maybe)'");
  assert.equal(err(['payload_lv(0,0)', '-m', 'found']), "in argument to 'payload_lv', payload length must be > 0");
  assert.equal(err(['payload(0)', '00']), "ACL keyword 'payload' : missing arguments (got 1/2), type 'integer' expected");
  assert.equal(err(['src,lower', '-m', 'ip', 'x']), "'x' is not a valid IPv4 or IPv6 address");
});
