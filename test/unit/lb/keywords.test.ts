import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBalance, parseHashType } from '../../../src/lb/keywords.ts';
import { proxyKeyword, type ParseContext } from '../../../src/config/registry.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { ProxyConfig, defaultServerConfig } from '../../../src/config/model.ts';
import type { Config } from '../../../src/config/model.ts';

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

test('balance: algorithms not implemented yet are refused clearly', () => {
  for (const [words, name] of [[['uri'], 'uri'], [['uri', 'whole'], 'uri'], [['url_param', 'id'], 'url_param'], [['hdr(host)'], 'hdr'],
    [['rdp-cookie'], 'rdp-cookie'], [['rdp-cookie(mstshash)'], 'rdp-cookie'], [['hash', 'req.hdr(host)'], 'hash']] as const) {
    const r = parseBalance(words);
    assert.equal(typeof r, 'string');
    assert.match(r as string, new RegExp(`^algorithm '${name.replace('(', '\\(')}' is not supported by Turnpike yet`));
  }
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
