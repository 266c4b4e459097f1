import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkUsable, checkUsableDetailed, compileLogFormat, parseAcl, parseCondition, parseSampleExpr, renderLogFormat, checkSampleRefs,
} from '../../../src/sample/index.ts';
import { PhaseBit, type AclDef } from '../../../src/sample/types.ts';
import { ProxyConfig, defaultServerConfig, defaultGlobal, type Config, type LogFormatLike } from '../../../src/config/model.ts';
import { aclCtx, fakeProxy, fakeStream } from './helpers.ts';

function acls(lines: string[][]): Map<string, AclDef> {
  const m = new Map<string, AclDef>();
  for (const l of lines) {
    const r = parseAcl(l, m, aclCtx(m));
    if (typeof r === 'string') throw new Error(r);
  }
  return m;
}

function cond(text: string, known = new Map<string, AclDef>()) {
  const c = parseCondition(text.split(' '), aclCtx(known));
  if (typeof c === 'string') throw new Error(c);
  return c;
}

const CONN = 'tcp-request connection';

test('anonymous ACL incompatible with the rule: HAProxy warning', () => {
  assert.equal(checkUsable(cond('if { req.payload(0,1) -m bin 16 }'), PhaseBit.L4Conn, CONN),
    "anonymous acl will never match in 'tcp-request connection' because it uses keyword 'req.payload' which is incompatible with 'frontend tcp-request connection rule'");
  assert.equal(checkUsable(cond('if { be_name b } { src 1.1.1.1 }'), PhaseBit.L4Conn, CONN),
    "anonymous acl will never match in 'tcp-request connection' because it uses keyword 'be_name' which is incompatible with 'frontend tcp-request connection rule'");
  assert.equal(checkUsable(cond('if { be_id 1 }'), PhaseBit.L6ReqFe, 'tcp-request content'),
    "anonymous acl will never match in 'tcp-request content' because it uses keyword 'be_id' which is incompatible with 'frontend tcp-request content rule'");
  assert.equal(checkUsable(cond('if { src 1.1.1.1 }'), PhaseBit.L4Conn, CONN), null);
  assert.equal(checkUsable(cond('if WAIT_END'), PhaseBit.L4Conn, CONN), null);
  assert.equal(checkUsableDetailed(cond('if { be_id 1 }'), PhaseBit.L4Conn, CONN)?.level, 'warning');
});

test('named ACLs: never match, or partly incompatible', () => {
  const known = acls([['x', 'src', '1.1.1.1'], ['x', 'be_name', 'b'], ['y', 'be_name', 'b']]);
  assert.equal(checkUsable(cond('if y', known), PhaseBit.L4Conn, CONN),
    "acl 'y' will never match in 'tcp-request connection' because it only involves keywords that are incompatible with 'frontend tcp-request connection rule'");
  assert.equal(checkUsable(cond('if x', known), PhaseBit.L4Conn, CONN),
    "acl 'x' involves keyword 'be_name' which is incompatible with 'frontend tcp-request connection rule'");
  assert.equal(checkUsable(cond('if x y', known), PhaseBit.L4Conn, CONN),
    "acl 'y' will never match in 'tcp-request connection' because it only involves keywords that are incompatible with 'frontend tcp-request connection rule'");
  assert.equal(checkUsable(cond('if REQ_CONTENT'), PhaseBit.L4Conn, CONN),
    "acl 'REQ_CONTENT' will never match in 'tcp-request connection' because it only involves keywords that are incompatible with 'frontend tcp-request connection rule'");
});

test('use_backend-style messages (no rule name)', () => {
  const known = acls([['x', 'src', '1.1.1.1'], ['x', 'be_name', 'b'], ['y', 'be_name', 'b']]);
  assert.equal(checkUsable(cond('if { be_id 1 }'), PhaseBit.UseBackend, ''),
    "anonymous acl will never match because it uses keyword 'be_id' which is incompatible with 'frontend use-backend rule'");
  assert.equal(checkUsable(cond('if y', known), PhaseBit.UseBackend, ''),
    "acl 'y' will never match because it only involves keywords that are incompatible with 'frontend use-backend rule'");
  assert.equal(checkUsable(cond('if x', known), PhaseBit.UseBackend, ''),
    "acl 'x' involves keywords 'be_name' which is incompatible with 'frontend use-backend rule'");
  assert.equal(checkUsable(cond('if { req.payload(0,1) -m found }'), PhaseBit.UseBackend, ''), null);
});

test('condition usable phases: OR of suites, AND within a suite', () => {
  const c = cond('if { src 1.1.1.1 } { req.len gt 0 } || { be_id 1 }');
  assert.equal(c.usable & PhaseBit.L4Conn, 0);
  assert.ok(c.usable & PhaseBit.L6ReqFe);
  assert.ok(c.usable & PhaseBit.L6ReqBe);
  assert.equal(cond('if TRUE').usable & PhaseBit.L4Conn, PhaseBit.L4Conn);
});

test('sample expressions: alert wording', () => {
  const e = parseSampleExpr('be_name');
  assert.ok(typeof e !== 'string');
  assert.equal(checkUsable(e, PhaseBit.L4Conn, CONN), "fetch method 'be_name' extracts information from 'backend', none of which is available here");
  assert.equal(checkUsableDetailed(e, PhaseBit.L4Conn, CONN)?.level, 'alert');
  const p = parseSampleExpr('req.len');
  assert.ok(typeof p !== 'string');
  assert.equal(checkUsable(p, PhaseBit.L4Conn, CONN), "fetch method 'req.len' extracts information from 'request buffer', none of which is available here");
  assert.equal(checkUsable(p, PhaseBit.L6ReqFe, 'tcp-request content'), null);
});

test('log-format: literal text and %[expr] parts', () => {
  const lf = compileLogFormat('be_%[src,ipmask(16)]-%[fe_name] 100%% %[env(NOPE)]') as LogFormatLike;
  assert.equal(typeof lf, 'object');
  assert.equal(lf.parts.length, 6);
  const s = fakeStream({ frontend: fakeProxy('web') });
  assert.equal(renderLogFormat(lf, s), 'be_10.1.0.0-web 100% -');
  assert.equal(renderLogFormat(compileLogFormat('plain') as LogFormatLike, s), 'plain');
});

test('log-format errors, and use_backend phase check (HAProxy wording)', () => {
  assert.equal(compileLogFormat('%[src,be_name]'), "failed to parse sample expression <src,be_name]> : unknown converter 'be_name'");
  assert.equal(compileLogFormat('%[be_name]', {}, PhaseBit.L7ReqFe),
    "sample fetch <be_name]> may not be reliably used here because it needs 'backend' which is not available here");
  assert.equal(compileLogFormat('%[req.payload(0,3)]', {}, PhaseBit.L7ReqFe) instanceof Object, true, 'request buffer is fine for use_backend');
  assert.equal(compileLogFormat('%[src'), "missing ']' after 'src'");
  assert.equal(compileLogFormat('%[src)x'), "expected ']' after 'src', but found ')'");
  assert.equal(compileLogFormat('%ci %foo'), "no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you need to use '%%'");
  const lf = compileLogFormat('%[be_name]') as LogFormatLike;
  assert.equal(checkUsable(lf, PhaseBit.L7ReqFe, ''), "sample fetch <be_name> may not be reliably used here because it needs 'backend' which is not available here");
});

function configWith(...pxs: ProxyConfig[]): Config {
  return { global: defaultGlobal(), defaults: [], proxies: pxs, userlists: [], files: ['t.cfg'] };
}

test('proxy and server references are checked once the configuration is complete', () => {
  const loc = { file: 'c.cfg', line: 3 };
  const f = new ProxyConfig('f', 'frontend', loc, defaultServerConfig(loc));
  const b = new ProxyConfig('b', 'backend', loc, defaultServerConfig(loc));
  b.servers.push({ ...defaultServerConfig(loc), name: 's1' });
  const ctx = (line: number) => aclCtx(f.acls, { loc: { file: 'c.cfg', line }, proxyName: 'f' });
  for (const [line, words] of [
    [3, ['y', 'srv_is_up(foo)', '1']], [4, ['z', 'srv_is_up(b/nos)', '1']], [5, ['aa', 'be_conn(f)', '1']],
    [6, ['ab', 'fe_conn(b)', '1']], [7, ['ac', 'nbsrv(nob)', '1']], [8, ['ok', 'srv_is_up(b/s1)', '1']], [9, ['ok2', 'nbsrv(b)', '1']],
  ] as const) {
    const r = parseAcl(words, f.acls, ctx(line));
    assert.ok(typeof r !== 'string', r as string);
  }
  assert.equal(checkSampleRefs(f, configWith(f, b)), 'multiple argument resolution errors:\n' +
    "        parsing [c.cfg:3]: unable to find server 'foo' in proxy 'f', referenced in arg 1 of ACL keyword 'srv_is_up' in proxy 'f'.\n" +
    "        parsing [c.cfg:4]: unable to find server 'nos' in proxy 'b', referenced in arg 1 of ACL keyword 'srv_is_up' in proxy 'f'.\n" +
    "        parsing [c.cfg:5]: unable to find backend 'f' referenced in arg 1 of ACL keyword 'be_conn' in proxy 'f'.\n" +
    "        parsing [c.cfg:6]: unable to find frontend 'b' referenced in arg 1 of ACL keyword 'fe_conn' in proxy 'f'.\n" +
    "        parsing [c.cfg:7]: unable to find backend 'nob' referenced in arg 1 of ACL keyword 'nbsrv' in proxy 'f'.");
  const g = new ProxyConfig('g', 'frontend', loc, defaultServerConfig(loc));
  const lf = compileLogFormat('%[nbsrv(zz)]') as LogFormatLike;
  g.useBackends.push({ loc, name: '%[nbsrv(zz)]', dynamic: lf, cond: null });
  assert.equal(checkSampleRefs(g, configWith(g, b)),
    "parsing [c.cfg:3]: unable to find backend 'zz' referenced in arg 1 of sample fetch keyword 'nbsrv' in use_backend expression in proxy 'g'.");
  const c = parseCondition(['if', '{', 'nbsrv(nob)', '1', '}'], aclCtx(new Map(), { loc }));
  assert.ok(typeof c !== 'string');
  const h = new ProxyConfig('h', 'frontend', loc, defaultServerConfig(loc));
  h.tcpRequestConnection.push({ loc, action: 'reject', cond: c });
  assert.match(checkSampleRefs(h, configWith(h, b)) ?? '', /unable to find backend 'nob'/);
  assert.equal(checkSampleRefs(b, configWith(b)), null);
});
