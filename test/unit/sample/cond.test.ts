import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAcl, parseCondition, ConditionImpl, registerPredefinedAcl, registerFetches } from '../../../src/sample/index.ts';
import type { AclDef, SampleStream } from '../../../src/sample/types.ts';
import { aclCtx, fakeStream } from './helpers.ts';

/** A proxy's ACLs from "acl" lines (name then criterion...). */
function acls(lines: string[][]): Map<string, AclDef> {
  const m = new Map<string, AclDef>();
  const ctx = aclCtx(m);
  for (const l of lines) {
    const r = parseAcl(l, m, ctx);
    if (typeof r === 'string') throw new Error(r);
  }
  return m;
}

function cond(text: string, known = new Map<string, AclDef>()): ConditionImpl {
  const c = parseCondition(text.split(' '), aclCtx(known));
  if (typeof c === 'string') throw new Error(c);
  return c;
}

const S = fakeStream({ srcAddr: '10.1.2.3', srcPort: 40000, dstPort: 80 });

test('implicit AND, ||/or, and ! negation', () => {
  const known = acls([['lan', 'src', '10.0.0.0/8'], ['web', 'dst_port', '80'], ['ssh', 'dst_port', '22']]);
  assert.equal(cond('if lan web', known).eval(S), true);
  assert.equal(cond('if lan ssh', known).eval(S), false);
  assert.equal(cond('if ssh || web', known).eval(S), true);
  assert.equal(cond('if ssh or web', known).eval(S), true);
  assert.equal(cond('if ssh OR web', known).eval(S), true, "'or' is case-insensitive");
  assert.equal(cond('if !ssh', known).eval(S), true);
  assert.equal(cond('if !!ssh', known).eval(S), false);
  assert.equal(cond('if ! ssh', known).eval(S), true, 'a lone ! applies to the next ACL');
  assert.equal(cond('if ssh lan || !web', known).eval(S), false);
  assert.equal(cond('if ssh lan || web lan', known).eval(S), true);
  assert.equal(cond('unless ssh', known).eval(S), true);
  assert.equal(cond('unless web', known).eval(S), false);
  // ! is reset by "or"
  assert.equal(cond('if ! or web', known).eval(S), true);
});

test('anonymous ACLs in braces, negated too', () => {
  assert.equal(cond('if { src 10.0.0.0/8 }').eval(S), true);
  assert.equal(cond('if !{ src 10.0.0.0/8 }').eval(S), false);
  assert.equal(cond('if ! { src 10.0.0.0/8 }').eval(S), false);
  assert.equal(cond('if { src 1.1.1.1 } || { dst_port 80 }').eval(S), true);
  assert.equal(cond('if { src_port gt 1024 } { dst_port 80 }').eval(S), true);
  assert.equal(cond('if { src_port gt 1024 } { dst_port 81 }').eval(S), false);
});

test('named ACLs declared on several lines are ORed, including lines added after the rule', () => {
  const known = acls([['bad', 'src', '1.1.1.1'], ['bad', 'dst_port', '80']]);
  assert.equal(known.get('bad')!.terms.length, 2);
  const c = cond('if bad', known);
  assert.equal(c.eval(S), true);
  assert.equal(c.eval(fakeStream({ srcAddr: '1.1.1.1', dstPort: 22 })), true);
  assert.equal(c.eval(fakeStream({ srcAddr: '2.2.2.2', dstPort: 22 })), false);
  // HAProxy shares the ACL: a later line with the same name extends earlier rules
  parseAcl(['bad', 'src', '2.2.2.2'], known, aclCtx(known));
  assert.equal(c.eval(fakeStream({ srcAddr: '2.2.2.2', dstPort: 22 })), true);
});

test('an empty condition never matches with if, always with unless', () => {
  assert.equal(cond('if').eval(S), false);
  assert.equal(cond('unless').eval(S), true);
});

test('pre-defined ACLs', () => {
  assert.equal(cond('if TRUE').eval(S), true);
  assert.equal(cond('if FALSE').eval(S), false);
  assert.equal(cond('if LOCALHOST').eval(fakeStream({ srcAddr: '127.0.0.5' })), true);
  assert.equal(cond('if LOCALHOST').eval(fakeStream({ srcAddr: '::1', family: 'ipv6' })), true);
  assert.equal(cond('if LOCALHOST').eval(S), false);
  assert.equal(cond('if REQ_CONTENT').eval(fakeStream({ reqData: Buffer.from('x'), reqDataFinal: false })), true);
  assert.equal(cond('if REQ_CONTENT').eval(fakeStream({ reqData: null, reqDataFinal: false })), null, 'empty for now, may still come');
  assert.equal(cond('if REQ_CONTENT').eval(fakeStream({ reqData: null, reqDataFinal: true })), false);
  assert.equal(cond('if WAIT_END').eval(fakeStream({ reqDataFinal: false })), null);
  assert.equal(cond('if WAIT_END').eval(fakeStream({ reqDataFinal: true })), true);
  // user ACLs take precedence over pre-defined names
  assert.equal(cond('if TRUE', acls([['TRUE', 'always_false']])).eval(S), false);
});

test('pre-defined ACLs: a clear "not supported yet" until their fetches are registered', () => {
  for (const name of ['RDP_COOKIE']) {
    const r = parseCondition(['if', name], aclCtx());
    assert.equal(typeof r, 'string', name);
    assert.match(r as string, new RegExp(`^pre-defined ACL '${name}' is not supported by Turnpike yet`));
  }
  // once a module registers the fetch, the pre-defined ACL works
  registerFetches({ name: 'test.proto_http', out: 'bool', use: 'l6req', fn: () => ({ type: 'bool', value: true }) });
  registerPredefinedAcl('TEST_HTTP', ['test.proto_http']);
  assert.equal(cond('if TEST_HTTP').eval(S), true);
});

test('3-state evaluation: "cannot tell yet" propagates as HAProxy MISS', () => {
  const partial = fakeStream({ reqData: Buffer.from('GE'), reqDataFinal: false });
  const known = acls([['get', 'req.payload(0,3)', '-m', 'str', 'GET'], ['lan', 'src', '10.0.0.0/8'], ['wan', 'src', '1.0.0.0/8']]);
  assert.equal(cond('if get', known).eval(partial), null);
  assert.equal(cond('if !get', known).eval(partial), null, 'negating MISS is MISS');
  assert.equal(cond('unless get', known).eval(partial), null);
  assert.equal(cond('if wan get', known).eval(partial), false, 'AND stops on a failure');
  assert.equal(cond('if lan get', known).eval(partial), null);
  assert.equal(cond('if get || lan', known).eval(partial), true, 'OR passes on any match');
  assert.equal(cond('if get || wan', known).eval(partial), null);
  const full = fakeStream({ reqData: Buffer.from('GET /'), reqDataFinal: false });
  assert.equal(cond('if get', known).eval(full), true);
  // a sample that may still change but does not match yet: MISS; once final: FAIL
  const k2 = acls([['big', 'req.len', 'gt', '10']]);
  assert.equal(cond('if big', k2).eval(full), null);
  assert.equal(cond('if big', k2).eval(fakeStream({ reqData: Buffer.from('GET /'), reqDataFinal: true })), false);
});

test('condition errors use HAProxy wording', () => {
  const err = (t: string) => parseCondition(t.split(' '), aclCtx());
  assert.equal(err('if nosuchacl'), "no such ACL : 'nosuchacl'");
  assert.equal(err('if { src 1.1.1.1'), "missing closing '}' in condition");
  assert.equal(err('if { }'), "missing fetch method in ACL expression ''");
  assert.equal(err('if { src 1.1.1.1 } }'), "no such ACL : '}'");
  assert.equal(err('if { a }'), "unknown fetch method 'a' in ACL expression 'a'");
  assert.equal(err('when a'), "conditions must start with either 'if' or 'unless'");
  assert.equal(parseCondition([], aclCtx()), "conditions must start with either 'if' or 'unless'");
});

test('the condition parser never throws on arbitrary words', () => {
  const known = acls([['a', 'src', '10.0.0.0/8'], ['b', 'dst_port', '80']]);
  const word = fc.oneof(
    fc.constantFrom('if', 'unless', '{', '}', '!', '!!', 'or', '||', 'a', 'b', '!a', 'TRUE', 'HTTP', 'src', 'src_port', '-m', '-i', '-f', '-u', '--',
      'str', 'reg', 'int', 'gt', 'eq', '1:2', '10.0.0.0/8', 'req.payload(0,1)', 'str(x),lower', 'int(', 'bin', 'found', '(a+)+$', '\\'),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(fc.property(fc.array(word, { maxLength: 12 }), (words) => {
    const ctx = aclCtx(known, { baseDir: '/nonexistent-dir' });
    const r = parseCondition(words, ctx);
    if (typeof r !== 'string') {
      const v = r.eval(S);
      assert.ok(v === true || v === false || v === null);
    }
  }), { numRuns: 3000 });
});
