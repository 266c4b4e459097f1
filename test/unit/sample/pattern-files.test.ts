import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAclTerm, readPatternLines, AclTermImpl } from '../../../src/sample/index.ts';
import { aclCtx, fakeStream } from './helpers.ts';

const FIX = 'test/fixtures/sample';

function term(words: string[], baseDir = process.cwd()): AclTermImpl {
  const t = parseAclTerm(words, aclCtx(new Map(), { baseDir }));
  if (typeof t === 'string') throw new Error(t);
  return t;
}

test('pattern file lines: # comments at column 0, blanks stripped, empty lines skipped', () => {
  const lines = readPatternLines('# c\n\n  a b \r\n\tc\n #d\n#e\nlast');
  assert.deepEqual(lines, [
    { line: 3, text: 'a b ' }, { line: 4, text: 'c' }, { line: 5, text: '#d' }, { line: 7, text: 'last' },
  ]);
});

test('-f loads IPv4 and IPv6 networks from a file, ignoring comments', () => {
  const t = term(['src', '-f', `${FIX}/blocked.lst`]);
  const src = (a: string, family: 'ipv4' | 'ipv6' = 'ipv4') => t.eval(fakeStream({ srcAddr: a, family }));
  assert.equal(src('10.9.9.9'), true);
  assert.equal(src('192.168.1.77'), true);
  assert.equal(src('192.168.2.1'), false);
  assert.equal(src('172.16.5.5'), true);
  assert.equal(src('10.20.1.1'), true, 'inside 10/8 anyway');
  assert.equal(src('2001:db8:5::1', 'ipv6'), true);
  assert.equal(src('2001:db9::1', 'ipv6'), false);
  assert.equal(t.matcher.patternCount, 4);
});

test('several -f, and inline patterns after them', () => {
  const t = term(['str(x)', '-m', 'str', '-f', `${FIX}/agents.lst`, '-f', `${FIX}/hosts.map`, 'inline']);
  assert.equal(t.matcher.groups.length, 3);
  assert.equal(t.matcher.patternCount, 3 + 2 + 1);
});

test('-i applies to files and patterns after it, not before', () => {
  const t = term(['env(UA)', '-f', `${FIX}/agents.lst`, '-i', '-f', `${FIX}/agents.lst`]);
  const ua = (v: string) => t.eval(fakeStream({ env: { UA: v } }));
  assert.equal(ua('Wget'), true);
  assert.equal(ua('WGET'), true, 'second file is case-insensitive');
  const t2 = term(['env(UA)', '-f', `${FIX}/agents.lst`]);
  assert.equal(t2.eval(fakeStream({ env: { UA: 'WGET' } })), false);
  assert.equal(t2.eval(fakeStream({ env: { UA: '#not-a-comment' } })), true, "' #x' is a pattern");
});

test('-M reads the keys of a map file', () => {
  const t = term(['env(H)', '-M', '-f', `${FIX}/hosts.map`]);
  assert.equal(t.eval(fakeStream({ env: { H: 'example.org' } })), true);
  assert.equal(t.eval(fakeStream({ env: { H: 'backend1' } })), false);
});

test('file names are relative to the base directory (HAProxy: its working directory)', () => {
  const t = term(['src', '-f', 'sample/blocked.lst'], join(process.cwd(), 'test/fixtures'));
  assert.equal(t.eval(fakeStream({ srcAddr: '10.0.0.1' })), true);
});

test('missing file and bad lines: HAProxy wording', () => {
  assert.equal(parseAclTerm(['src', '-f', '/nonexistent.lst'], aclCtx()), 'failed to open pattern file </nonexistent.lst>');
  assert.equal(parseAclTerm(['src', '-f'], aclCtx()), 'failed to open pattern file <>');
  assert.equal(parseAclTerm(['src', '-f', `${FIX}/bad-ip.lst`], aclCtx()),
    `'bogus' is not a valid IPv4 or IPv6 address at line 2 of file '${FIX}/bad-ip.lst'`);
  assert.equal(parseAclTerm(['req.payload(0,1)', '-f', `${FIX}/agents.lst`], aclCtx()),
    "matching method must be specified first (using '-m') when using a sample fetch of this type ('req.payload')");
  assert.equal(parseAclTerm(['str(x)', '-f', `${FIX}/agents.lst`, '-m', 'str'], aclCtx()),
    "'-m' must only be specified before patterns and files in parsing ACL expression");
});

test('100k CIDRs: loads and matches fast (sanity bound)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-sample-'));
  try {
    const lines: string[] = ['# generated abuse list'];
    for (let i = 0; i < 100_000; i++) {
      const a = 1 + (i % 200);
      const b = (i >> 8) & 255;
      const c = i & 255;
      lines.push(i % 3 === 0 ? `${a}.${b}.${c}.0/24` : i % 3 === 1 ? `${a}.${b}.${c}.${(i * 7) & 255}` : `2001:db8:${(i & 0xffff).toString(16)}::/48`);
    }
    const file = join(dir, 'abuse.lst');
    writeFileSync(file, lines.join('\n') + '\n');
    const t0 = performance.now();
    const t = term(['src', '-f', file]);
    const loadMs = performance.now() - t0;
    assert.equal(t.matcher.patternCount, 100_000);
    const t1 = performance.now();
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const v4 = i % 2 === 0;
      const s = v4
        ? fakeStream({ srcAddr: `${1 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.9` })
        : fakeStream({ srcAddr: `2001:db8:${(i & 0xffff).toString(16)}::1`, family: 'ipv6' });
      if (t.eval(s)) hits++;
    }
    const lookupMs = performance.now() - t1;
    assert.ok(hits > 0);
    assert.equal(t.eval(fakeStream({ srcAddr: '250.250.250.250' })), false);
    // generous bounds: a linear scan of 100k entries per lookup would take far longer
    assert.ok(loadMs < 5000, `load took ${loadMs} ms`);
    assert.ok(lookupMs < 5000, `20k lookups took ${lookupMs} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('100k exact strings and prefixes use indexed lookups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-sample-'));
  try {
    const file = join(dir, 'paths.lst');
    writeFileSync(file, Array.from({ length: 100_000 }, (_, i) => `/p${i}/`).join('\n'));
    const beg = term(['env(P)', '-m', 'beg', '-f', file]);
    const str = term(['env(P)', '-f', file]);
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) {
      assert.equal(beg.eval(fakeStream({ env: { P: `/p${i * 5}/x/y` } })), true);
      assert.equal(str.eval(fakeStream({ env: { P: `/p${i * 5}/` } })), true);
    }
    assert.equal(beg.eval(fakeStream({ env: { P: '/q1/' } })), false);
    assert.ok(performance.now() - t0 < 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
