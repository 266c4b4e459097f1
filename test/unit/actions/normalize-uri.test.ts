// http-request normalize-uri: each normalizer on the request lines haproxy 2.6.12 was sent
// (its backend recorded what it received), the experimental gate, and the parse errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Verdict } from '../../../src/actions/http-rule-target.ts';
import { runRequestRules } from '../../../src/actions/http-rules.ts';
import {
  fragmentEncode, fragmentStrip, mergeSlashes, percentDecodeUnreserved, percentUpper, sortQuery, stripDot, stripDotdot,
} from '../../../src/actions/http/normalize-uri.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { fakeTarget, loadConfig } from './helpers.ts';

const CFG = (global: string, rule: string): string =>
  `global\n${global}defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\n` +
  `frontend f\n  bind 127.0.0.1:8999\n  ${rule}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`;
const EXPOSE = '  expose-experimental-directives\n';

/** The messages of a parse, without the closing summary. */
function alerts(diag: Diagnostics): string[] {
  return diag.messages.map((m) => m.text).filter((t) => !t.includes('Error(s) found'));
}

/** What the backend gets for <uri> after "http-request normalize-uri <normalizer>" (a status when replied). */
function normalize(normalizer: string, uri: string): string {
  const { px } = loadConfig(CFG(EXPOSE, `http-request normalize-uri ${normalizer}`));
  const fe = px('f');
  const t = fakeTarget(`GET ${uri} HTTP/1.1\r\nHost: h\r\n\r\n`, { fe });
  const v = runRequestRules(fe, t);
  if (v !== Verdict.Continue) return `${t.reply!.res.status} ${t.term}`;
  return t.txn.req.uri;
}

const RECORDED: Readonly<Record<string, readonly [string, string][]>> = {
  'path-merge-slashes': [['//a//b///?x//y', '/a/b/?x//y'], ['http://h//a', 'http://h/a'], ['*', '*'], ['http://h', 'http://h']],
  'path-strip-dot': [
    ['/.', '/'], ['/./bar/', '/bar/'], ['/a/./a', '/a/a'], ['/.well-known/', '/.well-known/'], ['/a/.', '/a/'],
    ['/a/.?./.', '/a/?./.'], ['/./', '/'], ['//./', '//'], ['/a/..', '/a/..'],
  ],
  'path-strip-dotdot': [
    ['/foo/../', '/'], ['/foo/../bar/', '/bar/'], ['/foo/bar/../', '/foo/'], ['/../bar/', '/../bar/'], ['/bar/../../', '/../'],
    ['/foo//../', '/foo/'], ['/foo/%2E%2E/', '/foo/%2E%2E/'], ['/a/b/..', '/a/'], ['/a/..?x/../', '/?x/../'], ['/..', '/../'],
    ['/a/..b/../c', '/a/c'], ['http://h/a/../b', 'http://h/b'], ['/a/../../../b/./c', '/../../b/./c'],
  ],
  'path-strip-dotdot full': [['/../bar/', '/bar/'], ['/bar/../../', '/'], ['/..', '/'], ['/a/..', '/']],
  'query-sort-by-name': [
    ['/a?b=1&a=2&a=1&c', '/a?a=2&a=1&b=1&c'], ['/a', '/a'], ['/a?', '/a?'], ['/a?&', '/a?'], ['/a?b&a=&=x&a', '/a?=x&a=&a&b'],
    ['http://h/x?z&y', 'http://h/x?y&z'], ['*', '*'], ['/a?b=2&ab=1&a=3', '/a?a=3&ab=1&b=2'],
  ],
  'percent-to-uppercase': [
    ['/%6f', '/%6F'], ['/%zz', '/%zz'], ['/a%2fb?x=%3a', '/a%2Fb?x=%3A'], ['/%', '/%'], ['/%a', '/%a'], ['/%6f%', '/%6F%'],
    ['http://h/%6f', 'http://h/%6F'],
  ],
  'percent-to-uppercase strict': [['/%6f', '/%6F'], ['/%zz', '400 PR'], ['/%', '400 PR'], ['/a?%x', '400 PR'], ['/ok', '/ok']],
  'percent-decode-unreserved': [
    ['/%61dmin', '/admin'], ['/foo%3Fbar=baz', '/foo%3Fbar=baz'], ['/%%36%36', '/%66'], ['/%ZZ', '/%ZZ'],
    ['/%7e%2D%2e%5F%41%7A%30', '/~-._Az0'], ['/%2f%20', '/%2f%20'], ['/a?b=%61', '/a?b=a'], ['/%', '/%'], ['/%6', '/%6'],
  ],
  'percent-decode-unreserved strict': [['/%%36%36', '400 PR'], ['/%ZZ', '400 PR'], ['/%61', '/a'], ['/a?%', '400 PR']],
  // sent with "option accept-invalid-http-request", without which HAProxy refuses '#' with a 400
  'fragment-strip': [['/#foo', '/'], ['/a?b#c', '/a?b'], ['/a#b#c', '/a'], ['/a', '/a'], ['http://h/x#y', 'http://h/x']],
  'fragment-encode': [['/#foo', '/%23foo'], ['/a?b#c#', '/a?b%23c%23'], ['/a#b#c', '/a%23b%23c'], ['/a', '/a'], ['/#', '/%23']],
};

test('every normalizer gives what haproxy 2.6.12 forwarded', () => {
  for (const [normalizer, cases] of Object.entries(RECORDED)) {
    for (const [uri, want] of cases) assert.equal(normalize(normalizer, uri), want, `${normalizer}: ${uri}`);
  }
});

test('experimental: refused without the global expose-experimental-directives, as HAProxy', () => {
  const diag = new Diagnostics();
  parseConfigText('test.cfg', CFG('', 'http-request normalize-uri path-merge-slashes'), diag, {});
  assert.deepEqual(alerts(diag), [
    "config : parsing [test.cfg:9] : 'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'",
  ]);
  // HAProxy ignores arguments after the keyword
  assert.doesNotThrow(() => loadConfig(CFG('  expose-experimental-directives yes\n', 'http-request normalize-uri fragment-strip if TRUE')));
});

test('parse errors, worded as HAProxy', () => {
  const err = (rule: string): string[] => {
    const diag = new Diagnostics();
    parseConfigText('test.cfg', CFG(EXPOSE, rule), diag, {});
    return alerts(diag);
  };
  const pre = "config : parsing [test.cfg:10] : error detected in frontend 'f' while parsing 'http-request normalize-uri' rule : ";
  assert.deepEqual(err('http-request normalize-uri'), [`${pre}missing argument <normalizer>.`]);
  assert.deepEqual(err('http-request normalize-uri foo'), [`${pre}unknown normalizer 'foo'.`]);
  assert.deepEqual(err('http-request normalize-uri path-strip-dotdot fulll'), [`${pre}unknown argument 'fulll' for 'path-strip-dotdot' normalizer.`]);
  assert.deepEqual(err('http-request normalize-uri percent-to-uppercase x'), [`${pre}unknown argument 'x' for 'percent-to-uppercase' normalizer.`]);
  assert.deepEqual(err('http-request normalize-uri percent-decode-unreserved x'), [`${pre}unknown argument 'x' for 'percent-decode-unreserved' normalizer.`]);
  assert.deepEqual(err('http-request normalize-uri path-merge-slashes foo'), [
    "config : parsing [test.cfg:10]: 'http-request normalize-uri' expects either 'if' or 'unless' followed by a condition but found 'foo'.",
  ]);
  assert.deepEqual(err('http-request normalize-uri path-strip-dotdot full unless TRUE'), []);
});

test('the condition applies', () => {
  const { px } = loadConfig(CFG(EXPOSE, 'http-request normalize-uri path-merge-slashes if { hdr(x-n) 1 }'));
  const fe = px('f');
  const a = fakeTarget('GET //a HTTP/1.1\r\nHost: h\r\nx-n: 1\r\n\r\n', { fe });
  const b = fakeTarget('GET //a HTTP/1.1\r\nHost: h\r\n\r\n', { fe });
  runRequestRules(fe, a);
  runRequestRules(fe, b);
  assert.equal(a.txn.req.uri, '/a');
  assert.equal(b.txn.req.uri, '//a');
});

const uriChars = fc.string({ unit: fc.constantFrom(...'/./.%?&=#aZ09fF'.split('')), maxLength: 40 }).map((s) => '/' + s);

test('property: the idempotent normalizers are idempotent', () => {
  const idempotent: [string, (s: string) => string | null][] = [
    ['path-merge-slashes', mergeSlashes], ['path-strip-dot', stripDot], ['path-strip-dotdot', (s) => stripDotdot(s, false)],
    ['path-strip-dotdot full', (s) => stripDotdot(s, true)],
    ['query-sort-by-name', sortQuery], ['percent-to-uppercase', (s) => percentUpper(s, false)],
    ['fragment-strip', fragmentStrip], ['fragment-encode', fragmentEncode],
  ];
  fc.assert(fc.property(uriChars, (s) => {
    for (const [name, fn] of idempotent) {
      const once = fn(name === 'query-sort-by-name' ? '?' + s : s);
      if (once !== null) assert.equal(fn(once), once, `${name}: ${s}`);
    }
  }), { numRuns: 3000 });
});

test('property: strict variants only refuse what the lenient ones leave undecoded, and never throw', () => {
  fc.assert(fc.property(uriChars, (s) => {
    const strict = percentDecodeUnreserved(s, true);
    if (strict !== null) assert.equal(strict, percentDecodeUnreserved(s, false));
    const up = percentUpper(s, true);
    if (up !== null) assert.equal(up, percentUpper(s, false));
    // a strict refusal means a '%' not followed by two hex digits
    assert.equal(up === null, /%(?![0-9A-Fa-f]{2})/.test(s));
    // "full" leaves no "/../" in front; merge-slashes no "//"
    assert.ok(!stripDotdot(s, true).startsWith('/../'));
    assert.ok(!mergeSlashes(s).includes('//'));
  }), { numRuns: 3000 });
});
