// Expectations are `haproxy -cc '<expr>'` exit codes from HAProxy 2.6.12 (0: true, 1: false,
// 2: error, whose text is checked too), with its argument already unquoted as -cc does.
// Version predicates compare with Turnpike's HAPROXY_COMPAT_VERSION ("2.6", i.e. 2.6.0): the
// cases marked "2.6.0" are answered differently by the 2.6.12 binary, the others alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalIfCondition } from '../../../src/config/if-condition.ts';
import { FEATURES } from '../../../src/version.ts';

const ENV = { FOO: 'bar', EMPTY: '', HOME: '/root' };

/** [expression, exit code, error text for exit code 2] */
type Case = readonly [string, 0 | 1 | 2, string?];

function check(cases: readonly Case[], env: Record<string, string> = ENV): void {
  for (const [expr, code, error] of cases) {
    const r = evalIfCondition(expr === '' ? [] : [expr], env);
    if (code === 2) {
      assert.equal(typeof r, 'object', expr);
      assert.equal((r as { error: string }).error, error, expr);
    } else {
      assert.equal(r, code === 0, expr);
    }
  }
}

test('integers: zero is false, anything else true (strtol, base 0)', () => {
  check([
    ['0', 1], ['1', 0], ['-1', 0], ['+0', 1], ['-0', 1], [' 0', 1], ['00', 1],
    ['0x10', 0], [' 0x1f ', 0], ['010', 0], ['9999999999999999999999', 0],
    ['0x', 2, "unexpected character 'x' at the end of conditional expression '0x'"],
    ['08', 2, "unexpected character '8' at the end of conditional expression '08'"],
    ['0.5', 2, "unexpected character '.' at the end of conditional expression '0.5'"],
    ['1abc', 2, "unexpected character 'a' at the end of conditional expression '1abc'"],
  ]);
});

test('an empty condition is false; blanks alone or bare strings are errors', () => {
  check([
    ['', 1],
    [' ', 2, "unparsable conditional sub-expression ' '"],
    ['abc', 2, "unparsable conditional expression 'abc'"],
    ['1 1', 2, "unexpected character '1' at the end of conditional expression '1 1'"],
  ]);
  assert.equal(evalIfCondition([], ENV), false);
});

test('negation', () => {
  check([
    ['!0', 0], ['!1', 1], ['!!1', 0], ['!!!0', 0], ['! 1', 1], ['! ! 0', 1], ['!(0)', 0],
    ['!', 2, "unparsable conditional expression '!'"],
    ['!!', 2, "unparsable conditional expression '!!'"],
  ]);
});

test('&& and ||, && binding tighter', () => {
  check([
    ['1 && 1', 0], ['1&&0', 1], ['0 || 1', 0], ['0||0', 1],
    ['0 || 1 && 0', 1], ['1 || 0 && 0', 0], ['(1)&&(0)', 1], ['!(1 || 0) || !0', 0],
    ['1 &&', 2, "unparsable conditional expression '&&'"],
    ['1&&', 2, "unparsable conditional expression '&&'"],
    ['&& 1', 2, "unparsable conditional expression '&& 1'"],
    ['1 || ', 2, "unparsable conditional expression '1 || '"],
    ['1 & 1', 2, "unexpected character '&' at the end of conditional expression '1 & 1'"],
    ['1 | 0', 2, "unexpected character '|' at the end of conditional expression '1 | 0'"],
    ['1 &&& 1', 2, "unparsable conditional expression '& 1'"],
    // Everything is parsed before evaluating: no short-circuit around syntax errors.
    ['1 || foo', 2, "unparsable conditional expression 'foo'"],
    ['0 && foo', 2, "unparsable conditional expression 'foo'"],
  ]);
});

test('parentheses', () => {
  check([
    ['(1)', 0], ['( 1 )', 0], ['(0)', 1], ['((1))', 0],
    ['(1', 2, "expected ')' after conditional expression '(1'"],
    ['(1 ', 2, "expected ')' after conditional expression '(1 '"],
    ['(1 1)', 2, "expected ')' after conditional expression '(1 1)'"],
    ['1)', 2, "unexpected character ')' at the end of conditional expression '1)'"],
    ['()', 2, "unparsable conditional expression ')'"],
    ['( )', 2, "unparsable conditional expression ')'"],
  ]);
});

test('nesting limit (MAX_CFG_RECURSION)', () => {
  const parens = (n: number) => '('.repeat(n) + '1' + ')'.repeat(n);
  assert.equal(evalIfCondition([parens(340)], {}), true);
  const deep = evalIfCondition([parens(341)], {});
  assert.match((deep as { error: string }).error, /^unparsable conditional sub-expression '1\)\)\)/);
  const chain = (n: number, op: string, t: string) => Array.from({ length: n }, () => t).join(op);
  assert.equal(evalIfCondition([chain(1022, '&&', '1')], {}), true);
  assert.equal(evalIfCondition([chain(1022, '||', '0')], {}), false);
  // The 1023rd term is one level too deep.
  assert.deepEqual(evalIfCondition([chain(1023, '&&', '1')], {}), { error: "unparsable conditional expression '1'", pos: 3066 });
  assert.deepEqual(evalIfCondition([chain(1024, '||', '0')], {}), { error: "unparsable conditional expression '0||0'", pos: 3066 });
});

test('defined()', () => {
  check([
    ['defined(FOO)', 0], ['defined(EMPTY)', 0], ['defined(NOPE)', 1],
    ['defined( FOO )', 1], ['defined(F\\OO)', 1], ['defined("FOO")', 0], ["defined('FOO')", 0],
    // No argument list: one empty argument.
    ['defined', 1], ['defined()', 1],
    ['defined(constructor)', 1],
    ['defined(FOO', 2, "expected ')' in argument 1 of predicate 'defined' used in conditional expression"],
    ['defined(FOO,BAR)', 2, "expected ')' before ',BAR)' in argument 1 of predicate 'defined' used in conditional expression"],
    ['defined (FOO)', 2, "unexpected character '(' at the end of conditional expression 'defined (FOO)'"],
    ['defined(FOO)x', 2, "unexpected character 'x' at the end of conditional expression 'defined(FOO)x'"],
    ['DEFINED(FOO)', 2, "unparsable conditional expression 'DEFINED(FOO)'"],
    ['definedx(FOO)', 2, "unparsable conditional expression 'definedx(FOO)'"],
  ]);
});

test('streq() and strneq(), with quoting and escapes inside the argument list', () => {
  check([
    ['streq(a,a)', 0], ['streq(a,b)', 1], ['strneq(a,b)', 0], ['strneq(a,a)', 1],
    ['streq(a, a)', 1], ['streq( a,a)', 1], ['streq(a,a )', 1],
    ['streq(,)', 0], ['streq("",)', 0], ['streq("a b","a b")', 0], ['streq(a b,a b)', 0],
    ['streq("a,b",x)', 1], ['streq("a,b","a,b")', 0], ["streq('a)','a)')", 0],
    ['streq(a\\\\,a\\)', 0], ['streq(a\\tb,a\tb)', 0], ['streq(a\\ b,a b)', 0], ['streq(\\"a\\",\'"a"\')', 0],
    ['streq(a)', 2, "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression"],
    ['streq', 2, "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression"],
    ['streq(a,b,c)', 2, "expected ')' before ',c)' in argument 1 of predicate 'streq' used in conditional expression"],
    ['streq(a\\,b,x)', 2, "expected ')' before ',x)' in argument 1 of predicate 'streq' used in conditional expression"],
    ['streq(a(b),x)', 2, "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression"],
    ['streq(a"b,a"b)', 2, "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression"],
    ['streq(a\\', 2, "failed to parse '\\' after 'a' as type 'string' at position 1 in argument 0 of predicate 'streq' used in conditional expression"],
  ]);
});

test('feature()', () => {
  const on = [...FEATURES].find(([, v]) => v)![0];
  const off = [...FEATURES].find(([, v]) => !v)![0];
  check([
    [`feature(${on})`, 0], [`feature(${off})`, 1], [`!feature(${off})`, 0],
    ['feature(NOPE)', 1], [`feature(${on.toLowerCase()})`, 1], [`feature(+${on})`, 1],
    // A prefix of a feature name is not that feature.
    [`feature(${on.slice(0, -1)})`, 1],
    // HAProxy reads past its feature list here (and happens to answer true): a name that is no
    // feature is false.
    ['feature()', 1],
  ]);
});

test('version_atleast() and version_before() against 2.6', () => {
  check([
    ['version_atleast(2.6)', 0], ['version_atleast(2.6.0)', 0], ['version_before(2.6)', 1],
    ['version_atleast(2.5)', 0], ['version_atleast(2.7)', 1], ['version_before(2.7)', 0], ['version_before( 2.7)', 0],
    ['version_atleast(3)', 1], ['version_before(3)', 0], ['version_atleast(1.8.1)', 0],
    ['version_atleast(2.6-dev1)', 0], ['version_atleast(2.6-rc1)', 0], ['version_before(2.6-dev1)', 1],
    ['version_atleast(2.4-dev18-f6818d-20)', 0],
    // 2.6.0: a 4th number, or a commit count after a '-', make a later version.
    ['version_atleast(2.6.0.1)', 1], ['version_atleast(2.6-1)', 1], ['version_before(2.6.1)', 0],
    // Negative numbers wrap around as C unsigned ints: huge.
    ['version_atleast(-1)', 1],
    // Unparsable versions: at least, never before.
    ['version_atleast(abc)', 0], ['version_before(abc)', 1],
    ['version_atleast()', 0], ['version_before()', 1],
    ['version_atleast(2.7x)', 0], ['version_before(2.7x)', 1], ['version_atleast(2.7.0.1.2)', 0],
    // A '-' with nothing after it is accepted.
    ['version_atleast(2.6-)', 0], ['version_before(2.6-)', 1], ['version_before(2.6-dev3-)', 1],
  ]);
});

test('words are joined with single spaces, as HAProxy re-merges them', () => {
  assert.equal(evalIfCondition(['defined(FOO)', '&&', '!defined(NOPE)'], ENV), true);
  assert.equal(evalIfCondition(['streq(a', 'b,a', 'b)'], ENV), true);
  assert.equal(evalIfCondition(['', '1'], ENV), true);
  assert.equal(evalIfCondition([''], ENV), false);
});

test('error positions index the joined text', () => {
  assert.deepEqual(evalIfCondition(['1', '&&'], {}), { error: "unparsable conditional expression '&&'", pos: 2 });
  assert.deepEqual(evalIfCondition(['streq(a,b'], {}), {
    error: "expected ')' in argument 1 of predicate 'streq' used in conditional expression", pos: 9,
  });
  assert.deepEqual(evalIfCondition(['1', 'x'], {}), { error: "unexpected character 'x' at the end of conditional expression '1 x'", pos: 2 });
  assert.deepEqual(evalIfCondition(['1', '||', '(2'], {}), { error: "expected ')' after conditional expression '(2'", pos: 5 });
});
