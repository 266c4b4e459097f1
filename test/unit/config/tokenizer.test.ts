// Expectations come from HAProxy 2.6.12 itself (".notice" lines run through `haproxy -c`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quoteWord, sanitizeForPrinting, tokenizeLine, type Env } from '../../../src/config/tokenizer.ts';

const words = (line: string, env: Env = {}) => tokenizeLine(line, env);
const ok = (w: string[]) => ({ words: w });
const err = (error: string) => ({ error });

test('blanks separate words; leading and trailing blanks are ignored', () => {
  assert.deepEqual(words('  bind  :80\tname x  '), ok(['bind', ':80', 'name', 'x']));
  assert.deepEqual(words('a\vb\fc'), ok(['a', 'b', 'c']));
  assert.deepEqual(words(''), ok([]));
  assert.deepEqual(words(' \t '), ok([]));
});

test('a line ends at CR, LF or NUL', () => {
  assert.deepEqual(words('a\rb c'), ok(['a']));
  assert.deepEqual(words('a b\r'), ok(['a', 'b']));
  assert.deepEqual(words('a\0b c'), ok(['a']));
  // A blank run swallows a CR after it, as isspace() does.
  assert.deepEqual(words('a \rb'), ok(['a', 'b']));
});

test("'#' starts a comment unless escaped or quoted", () => {
  assert.deepEqual(words('a#b c'), ok(['a']));
  assert.deepEqual(words('a # c'), ok(['a']));
  assert.deepEqual(words('a\\#b'), ok(['a#b']));
  assert.deepEqual(words('"a#b"'), ok(['a#b']));
  assert.deepEqual(words("'a#b'"), ok(['a#b']));
  assert.deepEqual(words('"a\\#b"'), ok(['a#b']));
  assert.deepEqual(words('# only a comment'), ok([]));
});

test('backslash escapes outside quotes', () => {
  const cases: [string, string][] = [
    ['a\\ b', 'a b'],
    ['a\\#b', 'a#b'],
    ['a\\\\b', 'a\\b'],
    ["a\\'b", "a'b"],
    ['a\\"b', 'a"b'],
    ['a\\tb', 'a\tb'],
    ['a\\nb', 'a\nb'],
    ['a\\rb', 'a\rb'],
    ['a\\x41b', 'aAb'],
    ['\\x4a\\x4A', 'JJ'],
    // Not escape sequences: the backslash stays.
    ['a\\qb', 'a\\qb'],
    ['a\\1b', 'a\\1b'],
    ['a\\$b', 'a\\$b'],
    ['x\\', 'x\\'],
  ];
  for (const [line, word] of cases) assert.deepEqual(words(line), ok([word]), line);
  // "\<TAB>" is not an escape (whatever the documentation table says): the tab separates.
  assert.deepEqual(words('a\\\tb'), ok(['a\\', 'b']));
});

test('double quotes: blanks, quotes and # are literal, escapes apply', () => {
  assert.deepEqual(words('"a b"'), ok(['a b']));
  assert.deepEqual(words('"a\\ b"'), ok(['a b']));
  assert.deepEqual(words('"a\\$b"'), ok(['a$b']));
  assert.deepEqual(words('"a\\qb"'), ok(['a\\qb']));
  assert.deepEqual(words('"a\\\'b"'), ok(["a'b"]));
  assert.deepEqual(words('"it\'s"'), ok(["it's"]));
  assert.deepEqual(words('"a\\"b"'), ok(['a"b']));
});

test('single quotes: everything literal', () => {
  assert.deepEqual(words("'a\\\\b'"), ok(['a\\\\b']));
  assert.deepEqual(words("'a\\'b"), ok(['a\\b']));
  assert.deepEqual(words("'$HOME \"x\"'", { HOME: '/root' }), ok(['$HOME "x"']));
});

test('quoted parts join adjacent text into one word', () => {
  assert.deepEqual(words('a"b c"d'), ok(['ab cd']));
  assert.deepEqual(words("a'b c'd"), ok(['ab cd']));
  assert.deepEqual(words('log-format "%{+Q}o %t"\' %s\'\\ %{-Q}r'), ok(['log-format', '%{+Q}o %t %s %{-Q}r']));
});

test('empty words: kept before a separator, dropped at the very end', () => {
  assert.deepEqual(words('x "" y'), ok(['x', '', 'y']));
  assert.deepEqual(words('x ""'), ok(['x']));
  // HAProxy keeps an empty word followed by a blank.
  assert.deepEqual(words('x "" '), ok(['x', '']));
  assert.deepEqual(words('""'), ok([]));
  assert.deepEqual(words('"" x'), ok(['', 'x']));
});

test('an escaped NUL ends the word, as a C string', () => {
  assert.deepEqual(words('a\\x00b c'), ok(['a', 'c']));
  assert.deepEqual(words('x \\x00'), ok(['x']));
});

test('environment variables: only inside double quotes', () => {
  const env = { HOME: '/root', E: '', L: 'p  q' };
  assert.deepEqual(words('$HOME', env), ok(['$HOME']));
  assert.deepEqual(words('"$HOME"', env), ok(['/root']));
  assert.deepEqual(words('"${HOME}x"', env), ok(['/rootx']));
  assert.deepEqual(words('"$L$L"', env), ok(['p  qp  q']));
  assert.deepEqual(words('"${L}-x"', env), ok(['p  q-x']));
  assert.deepEqual(words('"$_A1"', env), ok([]));
  // Undefined (the name runs on: HOMEx) expands to nothing.
  assert.deepEqual(words('x "$HOMEx" y', env), ok(['x', '', 'y']));
  assert.deepEqual(words('"$HOMEx"', env), ok([]));
  // Only own entries: no "constructor" from Object.prototype.
  assert.deepEqual(words('x "$constructor" "$toString"', {}), ok(['x', '']));
});

test('${VAR-default}: only for unset variables, taken verbatim up to the first }', () => {
  const env = { E: '', L: 'v' };
  assert.deepEqual(words('"${NOPE-def}"', env), ok(['def']));
  assert.deepEqual(words('"${L-def}"', env), ok(['v']));
  assert.deepEqual(words('"${E-def}x"', env), ok(['x']));
  assert.deepEqual(words('"${NOPE-a b}"', env), ok(['a b']));
  assert.deepEqual(words('"${NOPE-a}b}"', env), ok(['ab}']));
  assert.deepEqual(words('"${NOPE-$L}"', env), ok(['$L']));
  assert.deepEqual(words('"${NOPE-"x"}"', env), ok(['"x"']));
  assert.deepEqual(words('"${NOPE-}x"', env), ok(['x']));
});

test('${VAR[*]} splits the value into words', () => {
  const env = { L: 'p  q', E: '', S: ' p ' };
  assert.deepEqual(words('x "${L[*]}"', env), ok(['x', 'p', 'q']));
  assert.deepEqual(words('x "a${L[*]}b"', env), ok(['x', 'ap', 'qb']));
  assert.deepEqual(words('x"${L[*]}"y', env), ok(['xp', 'qy']));
  assert.deepEqual(words('x ${L[*]}', env), ok(['x', '${L[*]}']));
  assert.deepEqual(words('x "$L[*]"', env), ok(['x', 'p  q[*]']));
  assert.deepEqual(words('x "${NOPE[*]}"', env), ok(['x']));
  assert.deepEqual(words('x "${L[*]-zz}"', env), ok(['x', 'p', 'q']));
  assert.deepEqual(words('x "${NOPE[*]-y z}"', env), ok(['x', 'y', 'z']));
  assert.deepEqual(words('x "${E[*]}" z', env), ok(['x', '', 'z']));
  // Blanks at the ends of the value still cut words, empty ones included.
  assert.deepEqual(words('x "${S[*]}" ', env), ok(['x', '', 'p', '']));
});

test('pseudo-variables .FILE, .LINE, .SECTION', () => {
  const pseudo = { file: 'a.cfg', line: 18, section: 'fe1' };
  assert.deepEqual(tokenizeLine('"$.LINE" "${.FILE}" "${.SECTION}"', {}, { pseudo }), ok(['18', 'a.cfg', 'fe1']));
  // Outside of a file (e.g. -cc): line 0, no file, no section.
  assert.deepEqual(tokenizeLine('"$.LINE" "${.FILE}" x', {}), ok(['0', '', 'x']));
  // Never looked up in the environment.
  assert.deepEqual(tokenizeLine('"${.SECTION}" x', { '.SECTION': 'no' }), ok(['', 'x']));
});

test("comments: false (as for -cc) keeps '#'", () => {
  assert.deepEqual(tokenizeLine('1 #x', {}, { comments: false }), ok(['1', '#x']));
  assert.deepEqual(tokenizeLine('1 \\#', {}, { comments: false }), ok(['1', '\\#']));
});

test('syntax errors, worded and located as HAProxy', () => {
  const env = { L: 'x' };
  const cases: [string, string][] = [
    ['.notice a\\x4', 'truncated or invalid hexadecimal sequence at position 10:\n  .notice a\\x4\n           ^'],
    ['.notice x\\xg1', 'truncated or invalid hexadecimal sequence at position 10:\n  .notice x\\xg1\n           ^'],
    ['.notice "x\tb', 'unmatched quote at position 9:\n  .notice "x b\n          ^'],
    // The position counts leading blanks, the excerpt does not show them.
    ['\t.notice "x\tb', 'unmatched quote at position 10:\n  .notice "x b\n          ^'],
    [".notice 'x", "unmatched quote at position 9:\n  .notice 'x\n          ^"],
    ['.notice "x\\"', 'unmatched quote at position 9:\n  .notice "x\\"\n          ^'],
    ['.notice x "${L"', 'unmatched brace in environment variable name at position 13:\n  .notice x "${L"\n              ^'],
    ['.notice x "${L-abc"', 'unmatched brace in environment variable name at position 13:\n  .notice x "${L-abc"\n              ^'],
    ['.notice x "$"', 'forbidden first char in environment variable name at position 13:\n  .notice x "$"\n              ^'],
    ['.notice x "$1"', 'forbidden first char in environment variable name at position 13:\n  .notice x "$1"\n              ^'],
    ['.notice x "${}"', 'forbidden first char in environment variable name at position 14:\n  .notice x "${}"\n               ^'],
    // HAProxy's excerpt stops where it cut the line in place.
    ['.notice "${.FOO}"', 'forbidden first char in environment variable name at position 12:\n  .notice "${.FOO\n             ^'],
    ['.notice "$.1"', 'forbidden first char in environment variable name at position 11:\n  .notice "$.1\n            ^'],
    ['.notice x "${L[x]}"', 'truncated or invalid word expansion sequence at position 15:\n  .notice x "${L[x]}"\n                ^'],
    ['.notice x "${L[*}"', 'truncated or invalid word expansion sequence at position 15:\n  .notice x "${L[*}"\n                ^'],
    ['"${X-a}" "open', 'unmatched quote at position 10:\n  "${X-a\n           ^'],
  ];
  for (const [line, error] of cases) assert.deepEqual(tokenizeLine(line, env), err(error), line);
});

test('long lines are shown around the error, unprintable characters as ?', () => {
  assert.deepEqual(
    words(`.notice ${'a'.repeat(200)} "x`),
    err(`unmatched quote at position 210:\n  ...${'a'.repeat(36)} "x...\n  ${' '.repeat(40)}^`),
  );
  assert.deepEqual(
    words(`   .notice ${'a'.repeat(30)} "x${'b'.repeat(200)}`),
    err(`unmatched quote at position 43:\n  .notice ${'a'.repeat(30)} "x${'b'.repeat(39)}\n  ${' '.repeat(39)}^`),
  );
  assert.deepEqual(words('.notice "x\x01\x7fb'), err('unmatched quote at position 9:\n  .notice "x??b\n          ^'));
});

test('at most 64 words', () => {
  const many = (n: number) => ['.notice', ...Array.from({ length: n - 1 }, (_, i) => `w${i}`)].join(' ');
  assert.equal((words(many(64)) as { words: string[] }).words.length, 64);
  const tooMany = 'too many words, truncating after word 64, position 247: <w62>.';
  assert.deepEqual(words(many(70)), err(tooMany));
  assert.deepEqual(words(many(65)), err(tooMany));
  // A trailing blank opens a 65th (empty) word: HAProxy rejects that too.
  assert.deepEqual(words(`${many(64)} `), err(tooMany));
  // Words from a [*] expansion count.
  assert.deepEqual(tokenizeLine(`${many(63)} "\${L[*]}"`, { L: 'p q' }), err('too many words, truncating after word 64, position 247: <p>.'));
});

test('sanitizeForPrinting keeps short texts and centres long ones', () => {
  assert.deepEqual(sanitizeForPrinting('a\tb\x02', 1, 80), { text: 'a b?', pos: 1 });
  const long = 'x'.repeat(100) + 'Y' + 'z'.repeat(100);
  const shown = sanitizeForPrinting(long, 100, 80);
  assert.equal(shown.text.length, 80);
  assert.equal(shown.text[shown.pos], 'Y');
  assert.ok(shown.text.startsWith('...') && shown.text.endsWith('...'));
});

test('quoteWord', () => {
  assert.equal(quoteWord('plain:80'), 'plain:80');
  assert.equal(quoteWord('$HOME'), '$HOME');
  assert.equal(quoteWord(''), "''");
  assert.equal(quoteWord('a b'), "'a b'");
  assert.equal(quoteWord("it's"), "'it'\\''s'");
  assert.equal(quoteWord("'"), "\\'");
  assert.equal(quoteWord('a\nb'), "'a'\\n'b'");
  assert.equal(quoteWord('[scope]'), "'[scope]'");
  assert.throws(() => quoteWord('a\0b'), RangeError);
});

// Characters that matter to the tokenizer, mixed with any UTF-16 unit (lone surrogates
// included; built by hand because fast-check's 'binary' unit is slow to set up).
const special = fc.constantFrom(' ', '\t', '\v', '\f', '\r', '\n', '"', "'", '\\', '#', '$', '{', '}', '[', '*', ']', '-', 'x', '4', '.', '_');
const anyChar = fc.oneof(special, fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)));

test('property: quoteWord round-trips any word list', () => {
  const word = fc.string({ unit: anyChar, maxLength: 12 }).filter((w) => !w.includes('\0'));
  const list = fc.array(word, { maxLength: 64 }).filter((ws) => ws.length === 0 || ws[ws.length - 1] !== '');
  fc.assert(
    fc.property(list, (ws) => {
      assert.deepEqual(tokenizeLine(ws.map(quoteWord).join(' '), {}), { words: ws });
    }),
    { numRuns: 300 },
  );
});

test('property: tokenizeLine never throws and yields words or an error', () => {
  const env = { A: 'a b', E: '', S: ' x\ty ' };
  fc.assert(
    fc.property(fc.string({ unit: anyChar, maxLength: 60 }), fc.boolean(), (line, comments) => {
      const r = tokenizeLine(line, env, { comments });
      assert.ok('words' in r ? r.words.every((w) => typeof w === 'string' && !w.includes('\0')) : typeof r.error === 'string');
      if ('words' in r) assert.ok(r.words.length <= 64);
    }),
    { numRuns: 500 },
  );
});

test('property: text without special characters splits on blanks', () => {
  const plain = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '9', ':', '/', '.', '%', 'é', '€'), minLength: 1, maxLength: 8 });
  const blanks = fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(fc.array(fc.tuple(plain, blanks), { maxLength: 20 }), blanks, (parts, lead) => {
      const line = lead + parts.map(([w, b]) => w + b).join('');
      assert.deepEqual(tokenizeLine(line, {}), { words: parts.map(([w]) => w) });
    }),
  );
});
