// Expectations come from HAProxy 2.6.12 (`haproxy -c -f` on the same text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { listConfigFiles, readConfigLines } from '../../../src/config/reader.ts';

type Env = Record<string, string | undefined>;

/** The yielded lines as "<line>: <words>" and the messages as "<LEVEL> <line>: <text>". */
function read(text: string, env: Env = {}, diagMode = false): { lines: string[]; msgs: string[] } {
  const diag = new Diagnostics();
  diag.diagMode = diagMode;
  const lines = [...readConfigLines('t.cfg', text, diag, env)].map((l) => `${l.loc.line}: ${l.words.join('|')}`);
  const msgs = diag.messages.map((m) => `${m.level} ${m.text.replace(/^config : parsing \[t\.cfg:(\d+)\] : /, '$1: ')}`);
  return { lines, msgs };
}

test('yields the words of each line, skipping blank and comment lines', () => {
  assert.deepEqual(read('global\n\n  # comment\n\tmaxconn 10 # ten\n   \ndefaults\n'), {
    lines: ['1: global', '4: maxconn|10', '6: defaults'],
    msgs: [],
  });
});

test('CRLF line ends are accepted', () => {
  assert.deepEqual(read('global\r\n  maxconn "10"\r\n'), { lines: ['1: global', '2: maxconn|10'], msgs: [] });
});

test('a line whose first word is empty is ignored whole', () => {
  assert.deepEqual(read('"" x\n"$UNSET" maxconn 10\nglobal\n'), { lines: ['3: global'], msgs: [] });
});

test('cutting errors are alerts and the line is skipped', () => {
  assert.deepEqual(read('a "b\nc\n'), {
    lines: ['2: c'],
    msgs: ['ALERT 1: unmatched quote at position 3:\n  a "b\n    ^'],
  });
});

test('the last line must end with a line feed', () => {
  assert.deepEqual(read('global\n  maxconn 1'), {
    lines: ['1: global', '2: maxconn|1'],
    msgs: ['ALERT 2: Missing LF on last line, file might have been truncated at position 12.'],
  });
  assert.deepEqual(read(''), { lines: [], msgs: [] });
});

test('a NUL character ends the line and the reading', () => {
  assert.deepEqual(read('a\n  b\0c\nd\n'), { lines: ['1: a', '2: b'], msgs: ['ALERT 2: Stray NUL character at position 4.'] });
  assert.deepEqual(read('a\nb\0c\n'), {
    lines: ['1: a', '2: b'],
    msgs: ['ALERT 2: Missing LF on last line, file might have been truncated at position 2.'],
  });
});

test('.notice, .warning, .alert and .diag', () => {
  assert.deepEqual(read('.notice "hello world"\n.warning w\n.diag d\n.notice\n'), {
    lines: [],
    msgs: ["NOTICE 1: 'hello world'.", "WARNING 2: 'w'.", "NOTICE 4: ''."],
  });
  assert.deepEqual(read('.diag "d"\n', {}, true).msgs, ["DIAG 1: 'd'."]);
  assert.deepEqual(read('.notice a b\n.warning a "" c\n').msgs, [
    "ALERT 1: Unexpected argument 'b' for '.notice'. Use quotes if the message should contain spaces.",
    "WARNING 2: 'a'.",
  ]);
});

test('.alert is fatal and stops the file', () => {
  assert.deepEqual(read('a\n.alert "stop here"\nb\n'), { lines: ['1: a'], msgs: ["ALERT 2: 'stop here'."] });
});

test('an unknown directive stops the file', () => {
  assert.deepEqual(read('a\n.foo x\nb\n'), { lines: ['1: a'], msgs: ["ALERT 2: unknown directive '.foo'."] });
});

test('.if, .elif, .else, .endif with nesting', () => {
  const text = [
    '.if 0', //              1
    '  .if garbage(', //     2: not evaluated in a false block
    '  a1', //               3
    '  .else', //            4
    '  a2', //               5
    '  .endif', //           6
    '.elif 1', //            7
    '  b', //                8
    '  .if 1', //            9
    '    c', //              10
    '  .elif 1', //          11
    '    no1', //            12
    '  .else', //            13
    '    no2', //            14
    '  .endif', //           15
    '.elif garbage(', //     16: not evaluated once a branch was taken
    '  no3', //              17
    '.else', //              18
    '  no4', //              19
    '.endif', //             20
    '.if 0', //              21
    '.elif 0', //            22
    '.else', //              23
    '  d', //                24
    '.endif', //             25
    '.if', //                26: empty: false
    '  no5', //              27
    '.endif # comment', //   28
    '.if "" 1', //           29: the words re-merge into " 1"
    '  e # comment', //      30
    '.endif', //             31
  ].join('\n') + '\n';
  assert.deepEqual(read(text), { lines: ['8: b', '10: c', '24: d', '30: e'], msgs: [] });
});

test('conditions see the environment', () => {
  const text = '.if defined(A) && streq("$A",yes)\nyes\n.else\nno\n.endif\n';
  assert.deepEqual(read(text, { A: 'yes' }).lines, ['2: yes']);
  assert.deepEqual(read(text, { A: 'no' }).lines, ['4: no']);
  assert.deepEqual(read(text).lines, ['4: no']);
});

test('lines of false blocks are still cut, and their errors reported', () => {
  assert.deepEqual(read('.if 0\n.notice "open\n.foo\n.endif\nx\n'), {
    lines: ['5: x'],
    msgs: ['ALERT 2: unmatched quote at position 9:\n  .notice "open\n          ^'],
  });
});

test('misplaced conditional directives', () => {
  assert.deepEqual(read('.else\nx\n'), { lines: [], msgs: ["ALERT 1: lone '.else' with no matching '.if'."] });
  assert.deepEqual(read('.elif 1\nx\n'), { lines: [], msgs: ["ALERT 1: lone '.elif' with no matching '.if'."] });
  assert.deepEqual(read('.endif\nx\n'), { lines: [], msgs: ["ALERT 1: lone '.endif' with no matching '.if'."] });
  assert.deepEqual(read('.if 1\n.else\n.else\nx\n').msgs, ["ALERT 3: '.else' after '.else' is not permitted."]);
  assert.deepEqual(read('.if 1\n.else\n.elif 1\nx\n').msgs, ["ALERT 3: '.elif' after '.else' is not permitted."]);
  // These stop the reading but still check for an open block.
  assert.deepEqual(read('.if 1\n.else x\ny\n'), {
    lines: [],
    msgs: ["ALERT 2: Unexpected argument 'x' for '.else'.", "ALERT 2: non-terminated '.if' block."],
  });
  assert.deepEqual(read('.if 1\n.endif x\ny\n').msgs, ["ALERT 2: Unexpected argument 'x' for '.endif'.", "ALERT 2: non-terminated '.if' block."]);
});

test('an unterminated .if is an error at the end of the file', () => {
  assert.deepEqual(read('.if 1\nx\n'), { lines: ['2: x'], msgs: ["ALERT 2: non-terminated '.if' block."] });
  assert.deepEqual(read('.if 1\nx').msgs, [
    'ALERT 2: Missing LF on last line, file might have been truncated at position 2.',
    "ALERT 2: non-terminated '.if' block.",
  ]);
});

test('at most 99 nested .if', () => {
  const nested = (n: number) => '.if 1\n'.repeat(n) + 'deep\n' + '.endif\n'.repeat(n);
  assert.deepEqual(read(nested(99)), { lines: ['100: deep'], msgs: [] });
  assert.deepEqual(read(nested(100)), { lines: [], msgs: ["ALERT 100: too many nested '.if', max is 100."] });
});

test('condition errors show the condition with a caret, and stop the file', () => {
  assert.deepEqual(read('.if streq(a,b\nx\n'), {
    lines: [],
    msgs: ["ALERT 1: expected ')' in argument 1 of predicate 'streq' used in conditional expression in '.if' at position 10:\n  .if streq(a,b\n               ^"],
  });
  assert.deepEqual(read('.if 0\n.elif 1 &&  foo\nx\n').msgs, [
    "ALERT 2: unparsable conditional expression 'foo' in '.elif' at position 6:\n  .elif 1 && foo\n             ^",
  ]);
  assert.deepEqual(read('.if "" || 1\n.endif\n').msgs, [
    "ALERT 1: unparsable conditional expression ' || 1' in '.if' at position 1:\n  .if  || 1\n      ^",
  ]);
});

test('"[scope]" lines are checked and skipped, even in false blocks', () => {
  assert.deepEqual(read('[foo] # c\n[]\n  [ a b ] x\n[a]b\n[x\n.if 0\n[\n.endif\ny\n'), {
    lines: ['9: y'],
    msgs: [
      'ALERT 2: empty scope name is forbidden.',
      "ALERT 3: character ' ' is not permitted in a scope name.",
      "ALERT 4: character 'b' is not permitted after scope declaration.",
      'ALERT 5: empty scope name is forbidden.',
      'ALERT 7: empty scope name is forbidden.',
    ],
  });
});

test('lines are cut when pulled: the caller may change the environment in between', () => {
  const env: Env = {};
  const diag = new Diagnostics();
  const it = readConfigLines('t.cfg', 'setenv X 1\nv "$X"\n.if defined(Y)\ny\n.endif\n', diag, env);
  assert.deepEqual(it.next().value?.words, ['setenv', 'X', '1']);
  env['X'] = '1';
  env['Y'] = '';
  assert.deepEqual(it.next().value?.words, ['v', '1']);
  assert.deepEqual(it.next().value?.words, ['y']);
  assert.equal(it.next().done, true);
  assert.equal(diag.alerts, 0);
});

test('pseudo-variables: .FILE, .LINE and the section given by the caller', () => {
  let section = '';
  const diag = new Diagnostics();
  const got: string[][] = [];
  for (const l of readConfigLines('t.cfg', 'x "$.FILE:$.LINE" "${.SECTION}"\nfrontend fe\ny "${.SECTION}"\n', diag, {}, () => section)) {
    got.push(l.words);
    if (l.words[0] === 'frontend') section = l.words[1]!;
  }
  assert.deepEqual(got, [['x', 't.cfg:1'], ['frontend', 'fe'], ['y', 'fe']]);
});

test('50 fatal errors stop the file, alerts raised by the caller included', () => {
  const bad = '"\n'.repeat(30) + 'kw\n'.repeat(30);
  const diag = new Diagnostics();
  const seen: number[] = [];
  for (const l of readConfigLines('t.cfg', bad, diag, {})) {
    seen.push(l.loc.line);
    diag.alert(l.loc, 'rejected');
  }
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => 31 + i));
  assert.equal(diag.messages.at(-1)!.text, 'config : parsing [t.cfg:51] : too many fatal errors (50), stopping now.');
});

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-reader-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('listConfigFiles: files stay, directories give their *.cfg files in byte order', () => {
  withDir((dir) => {
    const d = join(dir, 'd');
    mkdirSync(d);
    mkdirSync(join(d, 'sub.cfg'));
    for (const f of ['b.cfg', 'a.cfg', '.h.cfg', 'A.cfg', 'x.CFG', 'y.cfg.bak', 'z.cfg.cfg', '_u.cfg', '10.cfg', '9.cfg', 'sp ace.cfg', '.cfg', 'é.cfg']) {
      writeFileSync(join(d, f), '');
    }
    symlinkSync('a.cfg', join(d, 'link.cfg'));
    writeFileSync(join(dir, 'main.conf'), '');
    const diag = new Diagnostics();
    const names = ['10.cfg', '9.cfg', 'A.cfg', '_u.cfg', 'a.cfg', 'b.cfg', 'link.cfg', 'sp ace.cfg', 'é.cfg'];
    assert.deepEqual(listConfigFiles([join(dir, 'main.conf'), d, `${d}/`], diag), [
      join(dir, 'main.conf'),
      ...names.map((n) => `${d}/${n}`),
      ...names.map((n) => `${d}//${n}`),
    ]);
    assert.equal(diag.alerts, 0);
  });
});

test('listConfigFiles: a path that cannot be opened is an alert, and nothing is loaded', () => {
  withDir((dir) => {
    const diag = new Diagnostics();
    assert.deepEqual(listConfigFiles([join(dir, 'nope.cfg'), dir], diag), []);
    assert.deepEqual(diag.messages.map((m) => m.text), [`config : Cannot open configuration file/directory ${join(dir, 'nope.cfg')} : No such file or directory`]);

    // A dangling link in a directory: HAProxy names the directory.
    symlinkSync('nowhere', join(dir, 'dangling.cfg'));
    const diag2 = new Diagnostics();
    assert.deepEqual(listConfigFiles([dir], diag2), []);
    assert.deepEqual(diag2.messages.map((m) => m.text), [`config : Cannot open configuration file ${dir} : No such file or directory`]);
  });
});
