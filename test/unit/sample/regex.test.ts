import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRegex, foldCase, linearEngineAvailable, parseAclTerm, type SafeRegex } from '../../../src/sample/index.ts';
import { aclCtx, fakeStream } from './helpers.ts';

function re(p: string, icase = false): SafeRegex {
  const r = compileRegex(p, icase);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

test('the linear-time engine is available (tests run with --enable-experimental-regexp-engine)', () => {
  assert.equal(linearEngineAvailable(), true);
});

test('catastrophic patterns run in linear time', () => {
  const r = re('^(a+)+$');
  const t0 = performance.now();
  assert.equal(r.test('a'.repeat(50_000) + 'b'), false);
  assert.equal(r.test('a'.repeat(100)), true);
  assert.ok(performance.now() - t0 < 2000);
  const r2 = re('(x+x+)+y');
  assert.equal(r2.test('x'.repeat(5000)), false);
});

test('patterns the linear engine cannot run are refused at load time, naming the pattern', () => {
  for (const p of ['(a)\\1', '(?=a)b', '(?!a)b', '(?<n>a)\\k<n>']) {
    const r = compileRegex(p, false);
    assert.equal(typeof r, 'string', p);
    assert.match(r as string, new RegExp(`^regex '${p.replace(/[\\()?=<>!]/g, '\\$&')}' is not supported: it cannot be matched in linear time`));
  }
  assert.equal(compileRegex('(a', false), "regex '(a' is invalid (error=Unterminated group)");
  assert.match(compileRegex('a++', false) as string, /^regex 'a\+\+' is invalid \(error=Nothing to repeat\)/);
  // in an ACL, the error is the term's error
  assert.match(parseAclTerm(['str(x)', '-m', 'reg', '^A(b)\\1'], aclCtx()) as string, /^regex '\^A\(b\)\\1' is not supported/);
});

test('-i is done by folding the pattern text', () => {
  assert.equal(foldCase('abc'), '[aA][bB][cC]');
  assert.equal(foldCase('a1-'), '[aA]1-');
  assert.equal(foldCase('[a-c]'), '[a-cA-C]');
  assert.equal(foldCase('[^xY]'), '[^xYXy]');
  assert.equal(foldCase('\\w+\\d\\x41\\u0042\\n'), '\\w+\\d\\x41\\u0042\\n', 'escapes are kept');
  assert.equal(foldCase('a{2,3}'), '[aA]{2,3}');
  assert.equal(foldCase('(?<name>a)'), '(?<name>[aA])');
  assert.equal(foldCase('(?:ab)'), '(?:[aA][bB])');
  assert.equal(foldCase('\\y[\\z]'), '[yY][\\zZ]', 'identity escapes of letters are letters');
  assert.equal(foldCase('[A-]'), '[A\\-a]');
  assert.equal(foldCase('[\\]a]'), '[\\]aA]');
  assert.equal(re('^get /[a-z]+$', true).test('GET /Index'), true);
  assert.equal(re('^get$', true).test('GeT'), true);
  assert.equal(re('^get$', false).test('GeT'), false);
  assert.equal(re('[^a]', true).test('A'), false);
  assert.equal(re('^\\x41$', true).test('A'), true);
  const t = parseAclTerm(['env(UA)', '-m', 'reg', '-i', 'curl/[0-9.]+'], aclCtx());
  assert.ok(typeof t !== 'string');
  assert.equal(t.eval(fakeStream({ env: { UA: 'CURL/8.1' } })), true);
});

test('folded patterns match exactly like the i flag on ASCII input', () => {
  const pat = fc.stringMatching(/^[a-cA-CxyZ0-9_.*+?|()[\]^$\\{},-]{0,10}$/);
  fc.assert(fc.property(pat, fc.stringMatching(/^[a-cA-CxyZ0-9_[\]^\\-]{0,8}$/), (p, subject) => {
    let ref: RegExp;
    try {
      ref = new RegExp(p, 'i');
    } catch {
      return; // not a valid pattern
    }
    const r = compileRegex(p, true);
    if (typeof r === 'string') return; // valid with backtracking but not for the linear engine
    assert.equal(r.test(subject), ref.test(subject), `/${p}/i on '${subject}' (folded: ${foldCase(p)})`);
  }), { numRuns: 5000 });
});
