// json_query: expected values are what haproxy 2.6.12 returned for the same bodies and paths
// (req.body,json_query(...) stored with set-var and sent back in a header, recorded by hand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSampleExpr, sampleToString } from '../../../src/sample/index.ts';
import { formatG, jsonFind, jsonQuery, mjsonStrtod, strtoll0 } from '../../../src/sample/json-query.ts';
import { fakeStream } from './helpers.ts';

/** json_query(<path>[,int]) on a UTF-8 body: the value as a string, null for no sample. */
function q(body: string, path: string, asInt = false): string | null {
  const r = jsonQuery(Buffer.from(body, 'utf8').toString('latin1'), path, asInt, 16384);
  if (r === null) return null;
  return typeof r.value === 'boolean' ? (r.value ? '1' : '0') : String(r.value);
}

test('values of each JSON type, with and without the int output type', () => {
  const cases: [string, string | null, string | null][] = [
    // body, json_query('$.a'), json_query('$.a','int')
    ['{"a":4}', '4', '4'],
    ['{"a":1234567}', '1.23457e+06', '1234567'],
    ['{"a":1234565}', '1.23456e+06', '1234565'],
    ['{"a":1.5}', '1.5', '1'],
    ['{"a":-0.000001}', '-1e-06', '0'],
    ['{"a":-0}', '-0', '0'],
    ['{"a":2.5e-5}', '2.5e-05', '2'],
    ['{"a":1e3}', '1000', '1'],
    ['{"a":010}', '10', '8'],
    ['{"a":0x1F}', '0', '31'],
    ['{"a":1e999}', 'inf', '1'],
    ['{"a":0e999}', '-nan', '0'],
    ['{"a":1e-+5}', '1e-05', '1'],
    ['{"a":1.}', '1', '1'],
    ['{"a":-}', '0', '0'],
    ['{"a":9223372036854775807}', '9.22337e+18', null],
    ['{"a":-9223372036854775808}', '-9.22337e+18', null],
    ['{"a":99999999999999999999}', '1e+20', null],
    ['{"a":true}', '1', '1'],
    ['{"a":false}', '0', '0'],
    ['{"a":null}', null, null],
    ['{"a":[1]}', null, null],
    ['{"a":{}}', null, null],
    ['{"a":"x\\u00e9\\n"}', 'x\xe9\n', 'x\xe9\n'],
    ['{"a":"\\u004a"}', 'J', 'J'],
    ['{"a":"\\u0100"}', null, null],
    ['{"a":"a\\/b"}', null, null],
    ['{"a":"a\\qb"}', null, null],
    ['{ "a" : "q\\"" }', 'q"', 'q"'],
    ['{"a":"é"}', '\xc3\xa9', '\xc3\xa9'],
    ['{"a":+5}', null, null],
    ['{"a":truex}', '1', '1'],
    ['{"a":1,}', '1', '1'],
    ['{"b":[1,],"a":3}', '3', '3'],
    ['{"a":1}junk', '1', '1'],
    ['{"a":4,', '4', '4'],
    ['{"a":"x"', 'x', 'x'],
    ["{'a':1}", null, null],
    ['{"a" 1}', null, null],
    ['{"b":1,"a":2,"a":3}', '2', '2'],
    ['{"x":{"a":1},"a":2}', '2', '2'],
    ['[1,2,3]', null, null],
    ['5', null, null],
  ];
  for (const [body, str, int] of cases) {
    assert.equal(q(body, '$.a'), str, `${body} $.a`);
    assert.equal(q(body, '$.a', true), int, `${body} $.a int`);
  }
});

test('paths: keys, escaped dots, indexes, the root', () => {
  const doc = '{"my.key":1,"a":{"b":2},"l":[0,1,2,3,4,5,6,7,8,9,10,11]}';
  assert.equal(q(doc, '$.my\\.key'), '1');
  assert.equal(q(doc, '$.a.b'), '2');
  assert.equal(q(doc, '$.l[10]'), '10');
  assert.equal(q(doc, '$.l[01]'), '1');
  assert.equal(q(doc, '$.l[1.9]'), '1');
  assert.equal(q(doc, '$.l[1'), '1');
  assert.equal(q(doc, '$.l[-1]'), null);
  assert.equal(q(doc, '$.l[1]x'), null);
  assert.equal(q(doc, '$.*'), null);
  assert.equal(q(doc, '$a'), null);
  assert.equal(q(doc, 'a'), null);
  assert.equal(q('{"a":[{"b":1},{"b":"two"}]}', '$.a[1].b'), 'two');
  assert.equal(q('[[1,2],[3,4]]', '$[0][1]'), '2');
  assert.equal(q('{"":5,"a":6}', '$.'), '5');
  assert.equal(q('{"a":{"c":1,"b":2}}', '$.a.b'), '2');
  assert.equal(q('{"x":{"b":9},"a":{"b":3}}', '$.a.b'), '3');
  // a key met at the matched depth that is not the next one ends the search
  assert.equal(q('{"a":1,"b":{"c":2}}', '$.a.c'), null);
  assert.equal(q('"str"', '$'), 'str');
  assert.equal(q('{"a":1}', '$'), null);
  // objects and arrays are found, then refused by json_query
  assert.equal(jsonFind('{"a":[1,{"b":2}]}', '$.a')?.tok, 91);
  assert.equal(jsonFind('{"a":{"b":2}}', '$.a')?.tok, 123);
});

test('nesting is limited to 20 levels, as mjson', () => {
  const nest = (n: number): string => '['.repeat(n) + '1' + ']'.repeat(n);
  assert.equal(q(nest(20), '$' + '[0]'.repeat(20)), '1');
  assert.equal(q(nest(21), '$' + '[0]'.repeat(21)), null);
});

test('a string as long as the buffer is refused', () => {
  const body = `{"a":"${'x'.repeat(100)}"}`;
  assert.equal(jsonQuery(body, '$.a', false, 101)?.value, 'x'.repeat(100));
  assert.equal(jsonQuery(body, '$.a', false, 100), null);
});

test('%g formatting', () => {
  const cases: [number, string][] = [
    [0, '0'], [-0, '-0'], [1, '1'], [0.5, '0.5'], [100000, '100000'], [1e6, '1e+06'], [123456.5, '123456'],
    [123457.5, '123458'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1e100, '1e+100'], [5e-324, '4.94066e-324'],
    [1.7976931348623157e308, '1.79769e+308'], [-3.14159265, '-3.14159'], [999999.5, '1e+06'], [Infinity, 'inf'],
    [-Infinity, '-inf'], [NaN, '-nan'],
  ];
  for (const [v, s] of cases) assert.equal(formatG(v), s, String(v));
});

test('mjson strtod and strtoll base 0', () => {
  assert.deepEqual(mjsonStrtod('12.5e1,', 0), { value: 125, end: 6 });
  assert.deepEqual(mjsonStrtod('1.', 0), { value: 1, end: 0 });
  assert.deepEqual(mjsonStrtod('-x', 0), { value: 0, end: 0 });
  assert.deepEqual(mjsonStrtod('1e', 0), { value: 1, end: 2 });
  assert.equal(strtoll0('0x1f}', 0), 31n);
  assert.equal(strtoll0('0x}', 0), 0n);
  assert.equal(strtoll0('017', 0), 15n);
  assert.equal(strtoll0('-12abc', 0), -12n);
  assert.equal(strtoll0('99999999999999999999', 0), 9223372036854775807n);
  assert.equal(strtoll0('-99999999999999999999', 0), -9223372036854775808n);
});

test('the converter: argument checks, output types, chaining', () => {
  assert.equal(parseSampleExpr("req.body,json_query('')"), "invalid args in converter 'json_query' : json_path must not be empty");
  assert.equal(parseSampleExpr('req.body,json_query'), "invalid args in converter 'json_query' : json_path must not be empty");
  assert.equal(parseSampleExpr("req.body,json_query('$.a','str')"), 'invalid args in converter \'json_query\' : output_type only supports "int" as argument');
  assert.equal(typeof parseSampleExpr("req.body,json_query('$.a','')"), 'object');
  const ev = (expr: string, body: string): string | null => {
    const e = parseSampleExpr(expr);
    if (typeof e === 'string') throw new Error(e);
    const s = fakeStream();
    s.vars('txn').set('body', { type: 'bin', value: Buffer.from(body) });
    const r = e.eval(s);
    return r === null ? null : sampleToString(r);
  };
  // the doc's examples
  assert.equal(ev("var(txn.body),json_query('$.integer','int'),add(1)", '{"integer":4}'), '5');
  // as the configuration tokenizer hands it over: quotes removed, "\\" then read as "\"
  assert.equal(ev('var(txn.body),json_query($.my\\\\.key)', '{"my.key":"myvalue"}'), 'myvalue');
  assert.equal(ev("var(txn.body),json_query('$.boolean-false')", '{"boolean-false":false}'), '0');
  const e = parseSampleExpr("var(txn.body),json_query('$.a')");
  if (typeof e === 'string') throw new Error(e);
  const s = fakeStream();
  s.vars('txn').set('body', { type: 'str', value: '{"a":true}' });
  assert.equal(e.eval(s)?.type, 'bool');
  s.vars('txn').set('body', { type: 'str', value: '{"a":"t"}' });
  assert.equal(e.eval(s)?.type, 'str');
});

test('property: never throws, whatever the input and the path', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string(), fc.boolean(), (input, path, asInt) => {
    jsonQuery(Buffer.from(input, 'utf8').toString('latin1'), path, asInt, 16384);
  }), { numRuns: 2000 });
  // inputs made of JSON's own characters reach deeper into the scanner
  const jsonish = fc.string({ unit: fc.constantFrom(...'{}[],:"\\ 0123456789.-+eEtrufalsn$ab'.split('')), maxLength: 60 });
  fc.assert(fc.property(jsonish, jsonish, (input, path) => {
    jsonQuery(input, '$' + path, false, 16384);
    jsonQuery(input, '$' + path, true, 16384);
  }), { numRuns: 5000 });
});

test('property: members of a JSON object are found with their value', () => {
  const key = fc.string({ unit: fc.constantFrom(...'abcxyz_-0123'.split('')), minLength: 1, maxLength: 8 });
  const value = fc.oneof(fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: fc.constantFrom(...'ab c"\\\n\t/'.split('')) }));
  fc.assert(fc.property(fc.dictionary(key, value, { minKeys: 1 }), (obj) => {
    const text = JSON.stringify(obj);
    for (const [k, v] of Object.entries(obj)) {
      const got = q(text, `$.${k}`);
      if (typeof v === 'boolean') assert.equal(got, v ? '1' : '0');
      else if (typeof v === 'number') assert.equal(got, formatG(mjsonStrtod(JSON.stringify(v), 0).value));
      // JSON.stringify writes "/" unescaped, which mjson reads back
      else assert.equal(got, v);
    }
  }), { numRuns: 500 });
});
