import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSampleExpr, sampleToString } from '../../../src/sample/index.ts';
import type { SampleStream } from '../../../src/sample/types.ts';
import { fakeStream } from './helpers.ts';

function ev(text: string, s: SampleStream = fakeStream()): string | null {
  const e = parseSampleExpr(text);
  if (typeof e === 'string') throw new Error(`${text}: ${e}`);
  const r = e.eval(s);
  return r === null ? null : sampleToString(r);
}

/** A stream with variables set as in the recorded haproxy 2.6 run. */
function withVars(): SampleStream {
  const s = fakeStream();
  for (const set of ['str(a),set-var(txn.a)', 'str(c),set-var(txn.c)', 'str(ab),set-var(txn.ab)', 'str(),set-var(txn.e)', 'int(5),set-var(txn.n)']) ev(set, s);
  return s;
}

test('var() and set-var/unset-var (recorded against haproxy 2.6)', () => {
  const s = withVars();
  assert.equal(ev('var(txn.n)', s), '5');
  assert.equal(ev('var(txn.nope,dflt)', s), 'dflt');
  assert.equal(ev('var(txn.n,dflt)', s), '5');
  assert.equal(ev('var(txn.e)', s), '');
  assert.equal(ev('var(txn.nope)', s), null);
  ev('int(5),set-var(txn.gt)', s);
  ev('int(3),set-var(txn.gt,ifgt)', s);
  assert.equal(ev('var(txn.gt)', s), '3', 'ifgt: set when the variable is greater than the input');
  ev('int(5),set-var(txn.lt)', s);
  assert.equal(ev('int(3),set-var(txn.lt,iflt)', s), null, 'a failed condition fails the converter');
  assert.equal(ev('var(txn.lt)', s), '5');
  assert.equal(ev('str(x),set-var(txn.q,ifnotexists)', s), 'x');
  assert.equal(ev('str(y),set-var(txn.q,ifnotexists)', s), null);
  assert.equal(ev('str(),set-var(txn.r,ifnotempty)', s), null);
  ev('str(1),unset-var(txn.q)', s);
  assert.equal(ev('var(txn.q)', s), null);
  ev('str(p),set-var(proc.shared)', s);
  assert.equal(ev('var(proc.shared)', fakeStream()), null, "the fake stream's proc scope is its own");
  assert.equal(ev('var(check.x)', s), null, 'health-check variables are not visible to streams');
});

test('variable names are checked with HAProxy messages', () => {
  const scopeMsg = "A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'";
  assert.equal(parseSampleExpr('var(txn.a-b)'), "invalid args in fetch method 'var' : invalid syntax at char '-b'");
  assert.equal(parseSampleExpr('var()'), "invalid args in fetch method 'var' : Empty variable name cannot be accepted");
  assert.equal(parseSampleExpr('var(x)'), `invalid args in fetch method 'var' : invalid variable name 'x'. ${scopeMsg}`);
  assert.equal(parseSampleExpr('str(a),set-var(txn.)'), `invalid args in converter 'set-var' : invalid variable name 'txn.'. ${scopeMsg}`);
  assert.equal(parseSampleExpr('str(a),set-var(txn.a,foo)'), 'invalid args in converter \'set-var\' : unknown condition "foo"');
  assert.equal(parseSampleExpr('str(a),concat(,x,)'), "invalid args in converter 'concat' : failed to register variable name 'x'");
  assert.equal(parseSampleExpr('str(a),strcmp()'), "invalid args in converter 'strcmp' : missing variable name");
  assert.equal(parseSampleExpr('str(a),add_item(,)'), "invalid args in converter 'add_item' : one of the optional arguments has to be nonempty");
  assert.equal(parseSampleExpr('int(1),add(x.y)'), "invalid args in converter 'add' : expects an integer or a variable name");
});

test('converters reading variables (recorded against haproxy 2.6)', () => {
  const s = withVars();
  assert.equal(ev('str(a),strcmp(txn.c)', s), '-2');
  assert.equal(ev('str(c),strcmp(txn.a)', s), '2');
  assert.equal(ev('str(ab),strcmp(txn.a)', s), '1');
  assert.equal(ev('str(a),strcmp(txn.ab)', s), '-1');
  assert.equal(ev('str(a),strcmp(txn.nope)', s), null);
  assert.equal(ev('str(a),secure_memcmp(txn.a)', s), '1');
  assert.equal(ev('str(a),secure_memcmp(txn.ab)', s), '0');
  assert.equal(ev('str(x),concat(<,txn.nope,>)', s), 'x<>');
  assert.equal(ev('str(x),concat(<,txn.n,>)', s), 'x<5>');
  assert.equal(ev('str(),add_item(-,txn.a,s)', s), 'as');
  assert.equal(ev('str(x),add_item(-,txn.nope,)', s), 'x');
  assert.equal(ev('str(x),add_item(-,txn.e,)', s), 'x');
  assert.equal(ev('str(x),add_item(-,txn.e,s)', s), 'x-s');
  assert.equal(ev('int(3),add(txn.n)', s), '8');
  assert.equal(ev('int(3),add(txn.a)', s), '3', "a string variable that is not a number counts as 0");
  assert.equal(ev('int(3),add(txn.nope)', s), null);
  assert.equal(ev('int(20),div(txn.n)', s), '4');
});

test('regsub (recorded against haproxy 2.6)', () => {
  const cases: [string, string][] = [
    ['str(aaa),regsub(^a,b,g)', 'baa'],
    ['str(ab),regsub(x*,-,g)', '-a-b-'],
    ['str(ab),regsub(x*,-)', '-ab'],
    ['str(/////a///b/c/),regsub(/+,/,g)', '/a/b/c/'],
    ["str(fooBar12),regsub('(foo|bar)([0-9]+)?','\\2\\1',i)", 'fooBar12'],
    ["str(FOObar12),regsub('(foo|bar)([0-9]+)?','\\2\\1',ig)", 'FOO12bar'],
    ['str(abc),regsub(b,\\x41\\x4a)', 'aAJc'],
    ['str(abc),regsub(b,\\9)', 'ac'],
    ['str(abc),regsub($,!,g)', 'abc!!'],
    ['str(abcabc),regsub(b,X)', 'aXcabc'],
    ['str(a.b.c),regsub(\\.,_,g)', 'a_b_c'],
  ];
  for (const [expr, want] of cases) assert.equal(ev(expr), want, expr);
  assert.equal(parseSampleExpr('str(a),regsub(a,b,x)'), "invalid args in converter 'regsub' : invalid regex flag 'x', only 'i' and 'g' are supported");
  assert.match(parseSampleExpr('str(a),regsub(a(,b)') as string, /^invalid args in converter 'regsub' : regex 'a\(' is invalid/);
  assert.match(parseSampleExpr("str(a),regsub('(a)\\1',b)") as string, /linear time/, 'backreferences are refused (ReDoS)');
});

/** lf-string's escaping of the recorded output: control characters but tab, and DEL, as %XX. */
function lfEscape(s: string): string {
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

test('encoding converters give what haproxy 2.6 gives (recorded)', async () => {
  const { readFileSync } = await import('node:fs');
  const fix = JSON.parse(readFileSync('test/fixtures/sample/haproxy-text-converters.json', 'utf8')) as {
    bodies: string[]; exprs: string[]; results: (string | null)[][];
  };
  const { httpStream } = await import('./helpers.ts');
  fix.bodies.forEach((hex, i) => {
    const body = Buffer.from(hex, 'hex').toString('latin1');
    const s = httpStream(`POST / HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`, { body });
    fix.exprs.forEach((expr, j) => {
      const got = ev(expr, s);
      assert.equal(got === null ? null : lfEscape(got), fix.results[i]![j], `${expr} on ${hex}`);
    });
  });
});

test('hex2i, dates and host values', () => {
  assert.equal(ev('str(abc),hex2i'), '2748');
  assert.equal(ev('str(7fffffffffffffffff),hex2i'), '-1');
  assert.equal(ev('str(),hex2i'), '0');
  assert.equal(ev('str(x1),hex2i'), null);
  assert.equal(ev('int(1700000000),http_date'), 'Tue, 14 Nov 2023 22:13:20 GMT');
  assert.equal(ev('int(1700000000),http_date(3600)'), 'Tue, 14 Nov 2023 23:13:20 GMT');
  assert.equal(ev('int(1700000000005),http_date(0,ms)'), 'Tue, 14 Nov 2023 22:13:20.5 GMT');
  assert.equal(ev('int(1700000000000123),http_date(0,us)'), 'Tue, 14 Nov 2023 22:13:20.123 GMT');
  assert.equal(ev('int(1700000000),utime(%Y-%m-%d %H:%M:%S %a %b %j %e %y %Z %z %s %%)'), '2023-11-14 22:13:20 Tue Nov 318 14 23 GMT +0000 1700000000 %');
  assert.equal(ev('int(1700000000),utime(%c|%x|%X|%D|%F|%T|%R|%p|%I|%l|%k|%u|%w|%C|%G|%g|%V|%U|%W|%h|%A|%B|%q)'),
    'Tue Nov 14 22:13:20 2023|11/14/23|22:13:20|11/14/23|2023-11-14|22:13:20|22:13|PM|10|10|22|2|2|20|2023|23|46|46|46|Nov|Tuesday|November|%q');
  assert.equal(ev('int(1700000000),utime(%Y,86400)'), '2023');
  assert.equal(parseSampleExpr('str(a),http_date(0,x)'), "invalid args in converter 'http_date' : expects 's', 'ms' or 'us', got 'x'");
  assert.equal(parseSampleExpr('str(a),url_enc(x)'), "invalid args in converter 'url_enc' : Unexpected encode type. Allowed value is 'query'");
  assert.equal(parseSampleExpr('str(a),json(foo)'),
    "invalid args in converter 'json' : Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'");
  assert.equal(parseSampleExpr('str(a),be2dec(,0)'), "invalid args in converter 'be2dec' : chunk_size out of [1..8] range (0)");
  assert.equal(parseSampleExpr('str(a),be2hex(:)'), "invalid args in converter 'be2hex' : chunk_size needs to be positive (0)");
});

test('url_dec never throws and round-trips url_enc', async () => {
  const fc = (await import('fast-check')).default;
  const { urlDecode, urlEncode } = await import('../../../src/sample/text-converters.ts');
  fc.assert(fc.property(fc.string(), fc.boolean(), (t, form) => {
    const b = Buffer.from(t, 'utf8').toString('latin1');
    urlDecode(b, form);
    assert.equal(urlDecode(urlEncode(b), false), b);
  }));
});

test('srv_queue reads the queue of a server named at run time', async () => {
  const { fakeProxy, fakeServer } = await import('./helpers.ts');
  const be = fakeProxy('app', { servers: [fakeServer('s1', { queued: 3 })] });
  const s = fakeStream({ backend: be, proxies: [be] });
  assert.equal(ev('str(s1),srv_queue', s), '3');
  assert.equal(ev('str(app/s1),srv_queue', s), '3');
  assert.equal(ev('str(app/nope),srv_queue', s), null);
});
