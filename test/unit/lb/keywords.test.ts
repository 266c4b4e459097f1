import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBalance, parseHashType, validateBalance } from '../../../src/lb/keywords.ts';
import { proxyKeyword, type ParseContext } from '../../../src/config/registry.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { ProxyConfig, defaultServerConfig } from '../../../src/config/model.ts';
import type { BalanceConfig, Config } from '../../../src/config/model.ts';

const HAP_BALANCE_ERR = "only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.";

// Every expectation below was checked against "haproxy -c" of HAProxy 2.6.12.
test('balance: algorithms and HAProxy quirks', () => {
  assert.deepEqual(parseBalance([]), { algo: 'roundrobin', draws: 2 });
  assert.deepEqual(parseBalance(['']), { algo: 'roundrobin', draws: 2 });
  for (const a of ['roundrobin', 'static-rr', 'leastconn', 'first', 'source'] as const) {
    assert.deepEqual(parseBalance([a]), { algo: a, draws: 2 });
    assert.deepEqual(parseBalance([a, 'ignored']), { algo: a, draws: 2 });
  }
  assert.deepEqual(parseBalance(['random']), { algo: 'random', draws: 2 });
  assert.deepEqual(parseBalance(['random()']), { algo: 'random', draws: 2 });
  assert.deepEqual(parseBalance(['randomly']), { algo: 'random', draws: 2 });
  assert.deepEqual(parseBalance(['random(1)']), { algo: 'random', draws: 1 });
  assert.deepEqual(parseBalance(['random(+5)']), { algo: 'random', draws: 5 });
  assert.deepEqual(parseBalance(['random(0x10)']), { algo: 'random', draws: 16 });
  assert.deepEqual(parseBalance(['random(010)']), { algo: 'random', draws: 8 });
  assert.deepEqual(parseBalance(['random( 3)']), { algo: 'random', draws: 3 });
  assert.deepEqual(parseBalance(['random(3)x']), { algo: 'random', draws: 3 });
  // The count is stored in a C int.
  assert.deepEqual(parseBalance(['random(4294967297)']), { algo: 'random', draws: 1 });
});

test('balance: errors as HAProxy', () => {
  assert.equal(parseBalance(['foo']), HAP_BALANCE_ERR);
  assert.equal(parseBalance(['Roundrobin']), HAP_BALANCE_ERR);
  assert.equal(parseBalance(['random(0)']), 'random : number of draws must be at least 1.');
  assert.equal(parseBalance(['random(-1)']), 'random : number of draws must be at least 1.');
  assert.equal(parseBalance(['random(2147483648)']), 'random : number of draws must be at least 1.');
  assert.equal(parseBalance(['random(99999999999999999999)']), 'random : number of draws must be at least 1.');
  assert.equal(parseBalance(['random(2']), 'random : missing closing parenthesis.');
  assert.equal(parseBalance(['random(']), 'random : missing closing parenthesis.');
  assert.equal(parseBalance(['random(abc)']), "random : unexpected character 'a' after argument.");
  assert.equal(parseBalance(['random(08)']), "random : unexpected character '8' after argument.");
  assert.equal(parseBalance(['random(0x)']), "random : unexpected character 'x' after argument.");
  assert.equal(parseBalance(['random(-)']), "random : unexpected character '-' after argument.");
});

test('balance: HTTP and RDP hashing algorithms with their options', () => {
  assert.deepEqual(parseBalance(['uri']), { algo: 'uri', draws: 2, whole: false, pathOnly: false, len: 0, depth: 0 });
  assert.deepEqual(parseBalance(['uri', 'whole', 'len', '5abc', 'path-only', 'depth', '4294967297']),
    { algo: 'uri', draws: 2, whole: true, pathOnly: true, len: 5, depth: 1 });
  assert.deepEqual(parseBalance(['url_param', 'userid']), { algo: 'url_param', draws: 2, arg: 'userid' });
  assert.deepEqual(parseBalance(['url_param', 'userid', 'check_post', '64']), { algo: 'url_param', draws: 2, arg: 'userid' });
  assert.deepEqual(parseBalance(['hdr(Host)']), { algo: 'hdr', draws: 2, arg: 'host', domainOnly: false });
  assert.deepEqual(parseBalance(['hdr(host)x', 'use_domain_only']), { algo: 'hdr', draws: 2, arg: 'host', domainOnly: true });
  assert.deepEqual(parseBalance(['rdp-cookie']), { algo: 'rdp-cookie', draws: 2, arg: 'mstshash' });
  assert.deepEqual(parseBalance(['rdp-cookie(Sess)y']), { algo: 'rdp-cookie', draws: 2, arg: 'Sess' });
});

test('balance: option errors as HAProxy', () => {
  assert.equal(parseBalance(['uri', 'foo']), "uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo').");
  assert.equal(parseBalance(['uri', 'len']), "uri : 'len' expects a positive integer (got '').");
  assert.equal(parseBalance(['uri', 'len', '-1']), "uri : 'len' expects a positive integer (got '-1').");
  assert.equal(parseBalance(['uri', 'len', '4294967295']), "uri : 'len' expects a positive integer (got '4294967295').");
  assert.equal(parseBalance(['uri', 'depth', '0']), "uri : 'depth' expects a positive integer (got '0').");
  assert.equal(parseBalance(['uri', 'len', 'abc']), "uri : 'len' expects a positive integer (got 'abc').");
  assert.equal(parseBalance(['url_param']), 'url_param requires an URL parameter name.');
  assert.equal(parseBalance(['url_param', 'a', 'foo']), "url_param only accepts 'check_post' modifier (got 'foo').");
  assert.equal(parseBalance(['hdr']), HAP_BALANCE_ERR);
  assert.equal(parseBalance(['hdr(']), 'hdr requires an http header field name.');
  assert.equal(parseBalance(['hdr()']), 'hdr requires an http header field name.');
  assert.equal(parseBalance(['hdr(host)', 'foo']), "hdr(host) only accepts 'use_domain_only' modifier (got 'foo').");
  for (const w of ['rdp-cookie(', 'rdp-cookie(x', 'rdp-cookie()', 'rdp-cookiex']) assert.equal(parseBalance([w]), 'rdp-cookie : missing cookie name.');
  assert.match(parseBalance(['hash', 'req.hdr(host)']) as string, /^algorithm 'hash' is not supported by Turnpike yet/);
});

test('balance: HTTP hashing outside mode http falls back to round robin with HAProxy\'s warning', () => {
  const loc = { file: 't.cfg', line: 1 };
  const diag = new Diagnostics();
  const be = new ProxyConfig('b', 'backend', loc, defaultServerConfig(loc));
  be.balance = parseBalance(['uri']) as BalanceConfig;
  validateBalance(be, diag);
  assert.deepEqual(be.balance, { algo: 'roundrobin', draws: 2 });
  assert.deepEqual(diag.messages.map((m) => m.text), ["config : Layer 7 hash not possible for backend 'b' (needs 'mode http'). Falling back to round robin."]);
  const l = new ProxyConfig('l', 'listen', loc, defaultServerConfig(loc));
  l.balance = parseBalance(['hdr(host)']) as BalanceConfig;
  validateBalance(l, diag);
  assert.equal(diag.messages[1]!.text, "config : Layer 7 hash not possible for proxy 'l' (needs 'mode http'). Falling back to round robin.");
  // rdp-cookie works on TCP payload; in mode http the HTTP algorithms stay.
  for (const [mode, words] of [['tcp', ['rdp-cookie']], ['http', ['uri']], ['http', ['url_param', 'u']]] as const) {
    const p = new ProxyConfig('p', 'backend', loc, defaultServerConfig(loc));
    p.mode = mode;
    p.balance = parseBalance([...words]) as BalanceConfig;
    const before = { ...p.balance };
    validateBalance(p, diag);
    assert.deepEqual(p.balance, before);
  }
  assert.equal(diag.warnings, 2);
});

test('hash-balance-factor: 0 or more than 100, atol() parsing, every section', () => {
  const kw = proxyKeyword('hash-balance-factor');
  assert.ok(kw);
  assert.deepEqual([...kw.sections].sort(), ['backend', 'defaults', 'frontend', 'listen']);
  const loc = { file: 't.cfg', line: 1 };
  const px = new ProxyConfig('b', 'backend', loc, defaultServerConfig(loc));
  const diag = new Diagnostics();
  const run = (...w: string[]) => kw.parse(px, ['hash-balance-factor', ...w], ctxFor(['hash-balance-factor', ...w], diag));
  assert.equal(run('150', 'x'), undefined);
  assert.equal(px.hashBalanceFactor, 150);
  assert.equal(run('abc'), undefined);
  assert.equal(px.hashBalanceFactor, 0);
  for (const v of ['50', '100', '-5']) assert.equal(run(v), "'hash-balance-factor' must be 0 or greater than 100.");
  assert.equal(run(), "'hash-balance-factor' expects an integer argument.");
  // inherited from defaults
  const d = new ProxyConfig('d', 'defaults', loc, defaultServerConfig(loc));
  d.hashBalanceFactor = 125;
  const child = new ProxyConfig('c', 'backend', loc, defaultServerConfig(loc));
  child.inheritFrom(d);
  assert.equal(child.hashBalanceFactor, 125);
});

test('hash-type: methods, functions, modifier', () => {
  assert.deepEqual(parseHashType(['map-based']), { method: 'map-based', fn: 'sdbm', avalanche: false });
  // consistent without a function implies sdbm + avalanche
  assert.deepEqual(parseHashType(['consistent']), { method: 'consistent', fn: 'sdbm', avalanche: true });
  assert.deepEqual(parseHashType(['consistent', 'djb2']), { method: 'consistent', fn: 'djb2', avalanche: false });
  assert.deepEqual(parseHashType(['map-based', 'wt6', 'avalanche']), { method: 'map-based', fn: 'wt6', avalanche: true });
  assert.deepEqual(parseHashType(['map-based', 'crc32', 'avalanche', 'extra']), { method: 'map-based', fn: 'crc32', avalanche: true });
  assert.deepEqual(parseHashType(['consistent', 'none']), { method: 'consistent', fn: 'none', avalanche: false });
  assert.deepEqual(parseHashType(['map-based', '']), { method: 'map-based', fn: 'sdbm', avalanche: false });
  assert.deepEqual(parseHashType(['map-based', 'sdbm', '']), { method: 'map-based', fn: 'sdbm', avalanche: false });
});

test('hash-type: errors as HAProxy', () => {
  assert.equal(parseHashType([]), "'hash-type' only supports 'consistent' and 'map-based'.");
  assert.equal(parseHashType(['Consistent']), "'hash-type' only supports 'consistent' and 'map-based'.");
  assert.equal(parseHashType(['avalanche']),
    "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.");
  assert.equal(parseHashType(['consistent', 'md5']), "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.");
  assert.equal(parseHashType(['consistent', 'sdbm', 'foo']), "'hash-type' only supports 'avalanche' as a modifier for hash functions.");
});

function ctxFor(words: string[], diag: Diagnostics): ParseContext {
  return {
    loc: { file: 't.cfg', line: 3 }, diag, section: 'backend', config: {} as Config, env: {},
    words, negated: false, defaulted: false,
  };
}

test('keywords are registered for defaults, backend and listen and update the proxy', () => {
  const balance = proxyKeyword('balance');
  const hashType = proxyKeyword('hash-type');
  assert.ok(balance && hashType);
  assert.deepEqual([...balance.sections].sort(), ['backend', 'defaults', 'listen']);
  assert.deepEqual([...hashType.sections].sort(), ['backend', 'defaults', 'listen']);
  const loc = { file: 't.cfg', line: 1 };
  const px = new ProxyConfig('b', 'backend', loc, defaultServerConfig(loc));
  const diag = new Diagnostics();
  let words = ['balance', 'random(3)'];
  assert.equal(balance.parse(px, words, ctxFor(words, diag)), undefined);
  assert.deepEqual(px.balance, { algo: 'random', draws: 3 });
  words = ['balance', 'foo'];
  assert.equal(balance.parse(px, words, ctxFor(words, diag)), `balance ${HAP_BALANCE_ERR}`);
  assert.deepEqual(px.balance, { algo: 'random', draws: 3 });
  words = ['balance', 'random(0)'];
  assert.equal(balance.parse(px, words, ctxFor(words, diag)), 'balance random : number of draws must be at least 1.');
  words = ['hash-type', 'consistent'];
  assert.equal(hashType.parse(px, words, ctxFor(words, diag)), undefined);
  assert.deepEqual(px.hashType, { method: 'consistent', fn: 'sdbm', avalanche: true });
  words = ['hash-type', 'bogus'];
  assert.equal(hashType.parse(px, words, ctxFor(words, diag)), "'hash-type' only supports 'consistent' and 'map-based'.");
  assert.equal(diag.alerts + diag.warnings, 0);
});
