import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSampleExpr, sampleToString } from '../../../src/sample/index.ts';
import { findMap, loadMapFile, parseMapText } from '../../../src/sample/map.ts';
import type { SampleStream } from '../../../src/sample/types.ts';
import { fakeStream, httpStream } from './helpers.ts';

/** Parses <text> with the working directory set to <dir>, where HAProxy opens map files. */
function inDir<T>(dir: string, fn: () => T): T {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

function compile(dir: string, text: string) {
  const e = inDir(dir, () => parseSampleExpr(text));
  if (typeof e === 'string') throw new Error(`${text}: ${e}`);
  return e;
}

function ev(dir: string, text: string, s: SampleStream): string | null {
  const r = compile(dir, text).eval(s);
  return r === null ? null : sampleToString(r);
}

const FIX = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/sample/haproxy-maps.json'), 'utf8')) as {
  files: Record<string, string>;
  cases: { req: string; results: Record<string, string | null> }[];
  mapEnd: { path: string; value: string }[];
};

function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tp-map-'));
  for (const [name, text] of Object.entries(FIX.files)) writeFileSync(join(dir, name), text, 'latin1');
  return dir;
}

test('map converters give what haproxy 2.6 gives (recorded)', () => {
  const dir = fixtureDir();
  for (const c of FIX.cases) {
    const s = httpStream(c.req);
    for (const [expr, want] of Object.entries(c.results)) assert.equal(ev(dir, expr, s), want, `${c.req.split('\r\n')[0]}: ${expr}`);
  }
  for (const { path, value } of FIX.mapEnd) assert.equal(ev(dir, 'path,map_end(mb.map,def)', httpStream(`GET ${path} HTTP/1.1\r\n\r\n`)), value);
});

test('map file errors use HAProxy wording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-map-'));
  writeFileSync(join(dir, 'mi.map'), 'x 1\ny abc\n');
  writeFileSync(join(dir, 'mip.map'), '10.0.0.0/8 a\nnot-an-ip b\n');
  writeFileSync(join(dir, 'mo.map'), 'a 10.0.0.1\n');
  writeFileSync(join(dir, 'mr.map'), 'a( x\n');
  const err = (t: string): string => inDir(dir, () => parseSampleExpr(t)) as string;
  assert.equal(err('str(x),map(nofile.map)'), "invalid args in converter 'map' : failed to open pattern file <nofile.map>");
  assert.equal(err('str(x),map()'), "invalid args in converter 'map' : failed to open pattern file <>");
  assert.equal(err('str(x),map_str_int(mi.map)'), "invalid args in converter 'map_str_int' : unable to parse 'abc' at line 2 of file 'mi.map'");
  assert.equal(err('str(x),map_ip(mip.map)'), "invalid args in converter 'map_ip' : 'not-an-ip' is not a valid IPv4 or IPv6 address at line 2 of file 'mip.map'");
  assert.equal(err('str(x),map_int(mi.map)'), "invalid args in converter 'map_int' : 'x' is not a number at line 1 of file 'mi.map'");
  assert.equal(err('str(x),map_str_int(mo.map,abc)'), "invalid arg 2 in converter 'map_str_int' : failed to parse 'abc' as type 'integer' at position 2");
  assert.equal(err('str(x),map_str_ip(mo.map,nope)'), "invalid args in converter 'map_str_ip' : map: cannot parse default ip <nope>.");
  assert.match(err('str(x),map_reg(mr.map)'), /^invalid args in converter 'map_reg' : regex 'a\(' is invalid .* at line 1 of file 'mr\.map'$/);
});

test('outputs, defaults and input types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-map-'));
  writeFileSync(join(dir, 'o.map'), 'a 10.0.0.1\nb ::1\n');
  const s = httpStream('GET / HTTP/1.1\r\nX-A: a\r\nX-B: b\r\nX-C: c\r\n\r\n');
  assert.deepEqual(compile(dir, 'req.hdr(x-a),map_str_ip(o.map)').eval(s), { type: 'ipv4', value: '10.0.0.1' });
  assert.deepEqual(compile(dir, 'req.hdr(x-b),map_str_ip(o.map)').eval(s), { type: 'ipv6', value: '::1' });
  assert.deepEqual(compile(dir, 'req.hdr(x-z),map_str_ip(o.map,2001:db8::2)').eval(httpStream('GET / HTTP/1.1\r\nX-Z: z\r\n\r\n')), { type: 'ipv6', value: '2001:db8::2' });
  writeFileSync(join(dir, 'n.map'), 'c 42\n');
  assert.deepEqual(compile(dir, 'req.hdr(x-c),map_str_int(n.map)').eval(s), { type: 'sint', value: 42 });
  assert.deepEqual(compile(dir, 'req.hdr(x-a),map_str_int(n.map,-7)').eval(s), { type: 'sint', value: -7 });
  writeFileSync(join(dir, 'net.map'), '10.0.0.0/8 ten\n');
  assert.equal(ev(dir, 'src,map_ip(net.map,none)', fakeStream()), 'ten');
  assert.equal(ev(dir, 'src,map_ip(net.map,none)', fakeStream({ srcAddr: '11.0.0.1' })), 'none');
});

test('the runtime API changes what converters see (add/del/set/clear map)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-map-'));
  writeFileSync(join(dir, 'rt.map'), '/a A\n');
  const e = compile(dir, 'path,map_beg(rt.map,none)');
  const eSub = compile(dir, 'path,map_sub(rt.map,0)');
  const s = (p: string): SampleStream => httpStream(`GET ${p} HTTP/1.1\r\n\r\n`);
  const m = findMap('rt.map')!;
  assert.ok(m);
  assert.equal(sampleToString(e.eval(s('/ab'))!), 'A');
  assert.equal(m.add('/ab', 'AB'), null);
  assert.equal(sampleToString(e.eval(s('/abc'))!), 'AB', 'longest prefix');
  assert.equal(m.set('/a', 'A2'), true);
  assert.equal(sampleToString(e.eval(s('/a'))!), 'A2');
  assert.equal(m.del('/ab'), 1);
  assert.equal(sampleToString(e.eval(s('/abc'))!), 'A2');
  m.clear();
  assert.equal(sampleToString(e.eval(s('/abc'))!), 'none');
  assert.equal(sampleToString(eSub.eval(s('/x'))!), '0');
  // an entry one of the converters cannot parse is refused
  writeFileSync(join(dir, 'ip.map'), '10.0.0.0/8 x\n');
  compile(dir, 'src,map_ip(ip.map)');
  assert.equal(findMap('ip.map')!.add('nope', 'y'), "'nope' is not a valid IPv4 or IPv6 address");
  assert.equal(inDir(dir, () => loadMapFile('rt.map', '.')), m, 'loaded once, shared by path');
});

test('map file parser: comments at column 0, first word key, trimmed value; never throws', () => {
  assert.deepEqual(parseMapText('# c\n  /a   A value  \n\t#k\n/b\tB\n\n/c\nbad key x\r\n'), [
    { line: 2, key: '/a', value: 'A value' }, { line: 3, key: '#k', value: '' }, { line: 4, key: '/b', value: 'B' },
    { line: 6, key: '/c', value: '' }, { line: 7, key: 'bad', value: 'key x' },
  ]);
  fc.assert(fc.property(fc.string(), (t) => {
    for (const l of parseMapText(t)) {
      assert.ok(l.key.length > 0 && !/[ \t\r\n]/.test(l.key));
      assert.ok(!/^[ \t]|[ \t]$/.test(l.value));
    }
  }));
});
