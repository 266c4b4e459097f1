import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/sample/keywords.ts';
import { proxyKeyword, type ParseContext, type ProxySection } from '../../../src/config/registry.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { ProxyConfig, defaultServerConfig, defaultGlobal, type Config } from '../../../src/config/model.ts';
import { parseCondition } from '../../../src/sample/index.ts';
import { fakeStream } from './helpers.ts';

const loc = { file: 'k.cfg', line: 3 };

function setup(kind: ProxySection = 'frontend', name = 'f') {
  const px = new ProxyConfig(name, kind, loc, defaultServerConfig(loc));
  const diag = new Diagnostics();
  const config: Config = { global: defaultGlobal(), defaults: [], proxies: [px], userlists: [], files: ['k.cfg'] };
  const run = (line: string): string | void => {
    const words = line.split(' ');
    const ctx: ParseContext = { loc, diag, section: kind, config, env: {}, words, negated: false, defaulted: false };
    return proxyKeyword('acl')!.parse(px, words, ctx);
  };
  return { px, diag, run };
}

test("the 'acl' keyword is registered for frontend, backend, listen and defaults", () => {
  const kw = proxyKeyword('acl');
  assert.ok(kw);
  assert.deepEqual([...kw.sections].sort(), ['backend', 'defaults', 'frontend', 'listen']);
});

test('acl lines with the same name are ORed in ProxyConfig.acls', () => {
  const { px, run } = setup();
  assert.equal(run('acl bad src 1.1.1.1'), undefined);
  assert.equal(run('acl bad dst_port 22'), undefined);
  assert.equal(run('acl other always_true'), undefined);
  assert.equal(px.acls.size, 2);
  assert.equal(px.acls.get('bad')!.terms.length, 2);
  const c = parseCondition(['if', 'bad'], { loc, diag: new Diagnostics(), acls: px.acls, baseDir: process.cwd() });
  assert.ok(typeof c !== 'string');
  assert.equal(c.eval(fakeStream({ srcAddr: '9.9.9.9', dstPort: 22 })), true);
  assert.equal(c.eval(fakeStream({ srcAddr: '9.9.9.9', dstPort: 80 })), false);
});

test('acl errors: HAProxy wording', () => {
  const { run } = setup();
  assert.equal(run('acl c! src 1.1.1.1'), "character '!' is not permitted in acl name 'c!'.");
  assert.equal(run('acl or src 1.1.1.1'), "acl name 'or' will never match. 'or' is used to express a logical disjunction within a condition.");
  assert.equal(run('acl a src_foo 1'), "error detected while parsing ACL 'a' : unknown fetch method 'src_foo' in ACL expression 'src_foo'.");
  assert.equal(run('acl a src 1.2.3.4/33'), "error detected while parsing ACL 'a' : '1.2.3.4/33' is not a valid IPv4 or IPv6 address.");
  assert.equal(run('acl a src -f /nonexistent.lst'), "error detected while parsing ACL 'a' : failed to open pattern file </nonexistent.lst>.");
  assert.equal(run('acl a str(abc),foo eq 1'), "error detected while parsing ACL 'a' : unknown converter 'foo' in ACL expression 'str(abc),foo'.");
  assert.match(run('acl') as string, /expects an ACL name/);
  // valid name characters
  assert.equal(run('acl My-acl_1.x:y src 1.1.1.1'), undefined);
});

test("acl in defaults: refused in an anonymous one, accepted in a named one", () => {
  const anon = setup('defaults', '');
  assert.equal(anon.run('acl x src 1.2.3.4'), "'acl' not allowed in anonymous 'defaults' section.");
  const named = setup('defaults', 'foo');
  assert.equal(named.run('acl x src 1.2.3.4'), undefined);
  assert.equal(named.px.acls.size, 1);
});

test('server arguments without a backend refer to the proxy being parsed', () => {
  const { px, run } = setup('listen', 'app');
  assert.equal(run('acl up srv_is_up(s1) 1'), undefined);
  const t = px.acls.get('up')!.terms[0]!;
  const other = { name: 'other', id: 2, mode: 'tcp' as const, feConn: 0, beConn: 0, queued: 0, servers: [], server: () => undefined };
  const srv = { name: 's1', id: 1, isUp: true, curConns: 0, queued: 0, maxconn: 0, maxqueue: 0 };
  const app = { ...other, name: 'app', servers: [srv], server: (n: string) => (n === 's1' ? srv : undefined) };
  // the stream's backend is "other", but the ACL was written in "app"
  assert.equal(t.eval(fakeStream({ frontend: other, backend: other, proxies: [app] })), true);
});

test('warnings go to the diagnostics (no pattern, space before parenthesis)', () => {
  const { diag, run } = setup();
  run('acl a src');
  run('acl b src (1.2.3.4)');
  assert.equal(diag.warnings, 1, "'(1.2.3.4)' is an invalid address: error, no warning");
  run('acl c fe_name (x)');
  assert.equal(diag.warnings, 2);
  assert.match(diag.messages[1]!.text, /^config : parsing acl 'c' :\n {2}matching 'fe_name' for pattern '\(x\)' is likely a mistake/);
});
