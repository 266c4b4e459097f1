import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceKey, bodyParam, headerKey, queryParam, tcpBalanceKey, uriKey } from '../../../src/lb/http-keys.ts';
import { rdpCookie, scanRdpCookie, RDP_SHORT } from '../../../src/lb/rdp-cookie.ts';
import { KeyHashLb } from '../../../src/lb/key-hash.ts';
import { parseBalance, parseHashType } from '../../../src/lb/keywords.ts';
import { HttpHeaders, HttpRequest } from '../../../src/protocols/http1/message.ts';
import type { BalanceConfig, HashTypeConfig } from '../../../src/config/model.ts';
import { servers } from './helpers.ts';

// HAProxy 2.6.12's choices were recorded with a listen section in mode http with the "balance"
// and "hash-type" lines shown, four servers of weights 1, 2, 3, 10 (ids 1..4), one request per
// connection, sent in the order below.
const URIS = [
  '/index.html/a/v2/bar /bar95/a/logo.png/bar /foo7/cache17/api/v2?id=482&user=u24 /static56/cache/',
  '/users?id=843 /v1/users/img4/bar /foo/logo.png82/v1/v1 /foo/v189?id=587',
  '/v193/static88/x.js?id=336&user=u6/ /logo.png/img/x.js /logo.png/x.js85',
  '/cache/static14/v212?id=330&user=u49 /b15/bar?id=287 /bar/b?id=62 /x.js42/static89/static/img',
  '/a/users89?id=396 /a/v152/x.js/foo?id=25 /bar/index.html/api?id=355&user=u44',
  '/logo.png54/x.js?id=805&user=u24 /x.js31/a /v2/v1 /static41/img92/foo/img',
  '/a47/index.html?id=631&user=u18 /v1?id=122/ /a?id=859&user=u25 /v2/v194/bar/x.js',
  '/bar34/index.html/users57/logo.png /index.html/ /x.js/a9/v2/bar /b/api78/foo?id=33 /cache/',
  '/bar/img37/ /cache/static5/x.js /users /users53/x.js /static/api /x.js/index.html51/api/foo46?id=941',
  '/cache66/a72?id=483 /users/a/ /api/v117/index.html /api82/v2 /a/cache/users74?id=271&user=u45',
  '/bar/index.html/users /users/api75/cache/v2 /x.js/users92?id=524&user=u44',
  '/b/v1/img/img?id=420&user=u39 /api30/b?id=37&user=u47 /users/cache/v2 /v138/bar',
  '/foo31/logo.png/cache/users /logo.png /logo.png7/a80/img68 /static/index.html73/a/',
  '/users2/x.js/b/foo /img/bar /b/img/api/api42 /a/cache/v2 /foo55/v1/v2/b /logo.png50 /v1/bar',
].join(' ').split(' ');

interface Req {
  method?: string;
  uri: string;
  headers?: string[];
  body?: string;
}

function request(r: Req): HttpRequest {
  const h = new HttpHeaders();
  for (const line of [...(r.headers ?? ['host: x']), 'connection: close']) {
    const c = line.indexOf(':');
    h.add(line.slice(0, c), line.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  return new HttpRequest(r.method ?? 'GET', r.uri, 'HTTP/1.1', h);
}

function balance(...words: string[]): BalanceConfig {
  const b = parseBalance(words);
  assert.notEqual(typeof b, 'string', String(b));
  return b as BalanceConfig;
}

function hashType(...words: string[]): HashTypeConfig {
  const h = parseHashType(words.length ? words : ['map-based']);
  assert.notEqual(typeof h, 'string');
  return h as HashTypeConfig;
}

/** Runs the requests in order through one algorithm instance and returns the server ids. */
function picks(b: BalanceConfig, ht: HashTypeConfig, reqs: readonly Req[]): string {
  const lb = new KeyHashLb(ht);
  lb.rebuild(servers([1, 2, 3, 10]));
  return reqs.map((r) => lb.pick(balanceKey(b, request(r), '127.0.0.1', r.body ?? null), null)!.id).join(' ');
}

const GET: Req[] = URIS.map((uri) => ({ uri }));
const ABS: Req[] = URIS.map((u, i) => {
  const auth = i % 2 ? 'example.com' : `h${i}:8080`;
  return { uri: `${i % 2 ? 'http://' : 'https://'}${auth}${u}`, headers: [`host: ${auth}`] };
});

test('balance uri: HAProxy 2.6 choices (options, hash functions, map-based and consistent)', () => {
  const cases: [string[], string[], Req[], string][] = [
    [['uri'], [], GET, '4 4 4 4 4 4 2 4 3 3 4 4 4 4 4 4 1 3 3 4 4 2 4 3 2 1 4 4 4 4 4 4 4 4 4 2 2 1 4 4 4 4 4 4 1 4 4 4 4 4 3 2 2 4 2 4 4 4 1 4'],
    [['uri', 'whole'], [], GET, '4 4 4 4 4 4 2 3 4 3 4 1 4 4 4 4 4 4 4 4 4 2 1 4 3 1 4 4 4 4 4 4 4 4 4 2 4 4 4 4 4 4 4 4 3 4 3 4 4 4 3 2 2 4 2 4 4 4 1 4'],
    [['uri', 'len', '8', 'depth', '2'], [], GET, '3 2 3 2 4 1 4 3 4 2 2 4 4 4 4 4 3 4 2 4 4 4 3 3 2 3 4 3 4 4 4 2 4 4 4 2 4 4 4 2 4 3 4 4 4 4 4 3 4 2 2 2 2 4 2 4 3 4 2 4'],
    [['uri', 'depth', '1'], [], GET, '4 1 1 4 4 3 4 4 4 3 3 4 4 4 4 2 2 4 4 4 4 3 3 3 2 4 3 4 4 4 4 4 4 4 4 3 4 4 4 4 3 2 4 4 4 4 2 4 4 3 3 2 3 4 4 4 2 4 1 3'],
    [['uri'], ['consistent'], GET, '4 4 4 4 4 4 4 4 4 1 1 2 4 1 4 4 1 4 4 3 4 3 4 2 4 4 2 4 2 1 2 4 3 4 4 4 2 4 3 4 1 4 2 4 1 4 4 1 4 4 2 4 4 4 3 4 4 2 2 1'],
    [['uri'], ['map-based', 'djb2'], GET, '3 4 3 4 4 1 4 4 1 4 4 4 1 3 2 4 4 4 4 4 2 4 3 4 3 3 3 4 4 4 4 4 4 4 1 3 3 3 3 4 4 4 4 3 4 4 2 1 3 4 2 4 4 4 3 3 4 1 3 4'],
    [['uri', 'whole'], ['map-based', 'wt6', 'avalanche'], GET, '3 4 4 4 4 4 2 1 4 3 4 4 4 3 4 3 3 4 4 4 4 4 4 1 3 4 4 4 2 4 4 3 4 4 4 3 4 4 4 3 4 4 4 2 4 4 3 4 3 4 2 3 4 3 4 2 4 4 3 2'],
    [['uri'], ['consistent', 'crc32'], GET, '4 2 3 4 2 3 3 1 2 1 4 2 4 4 4 4 2 4 3 4 4 3 3 4 4 4 4 4 1 4 3 2 4 2 2 2 2 4 4 4 4 4 2 4 4 2 2 4 4 2 4 2 2 4 1 4 2 2 4 4'],
    [['uri'], [], ABS, '3 4 2 4 2 4 4 4 3 1 2 3 4 2 4 4 4 2 4 4 2 4 1 4 4 3 4 4 4 4 2 2 4 4 4 3 4 4 2 4 4 4 2 4 4 4 3 4 4 4 4 3 4 3 3 4 4 4 2 4'],
    // path-only makes absolute URIs hash like their origin-form paths
    [['uri', 'path-only'], [], ABS, '4 4 4 4 4 4 2 4 3 3 4 4 4 4 4 4 1 3 3 4 4 2 4 3 2 1 4 4 4 4 4 4 4 4 4 2 2 1 4 4 4 4 4 4 1 4 4 4 4 4 3 2 2 4 2 4 4 4 1 4'],
    [['uri', 'path-only', 'whole'], [], [...ABS, { method: 'OPTIONS', uri: '*' }, { uri: 'http://nopath', headers: ['host: nopath'] }],
      '4 4 4 4 4 4 2 3 4 3 4 1 4 4 4 4 4 4 4 4 4 2 1 4 3 1 4 4 4 4 4 4 4 4 4 2 4 4 4 4 4 4 4 4 3 4 3 4 4 4 3 2 2 4 2 4 4 4 1 4 1 1'],
  ];
  for (const [b, h, reqs, want] of cases) assert.equal(picks(balance(...b), hashType(...h), reqs), want, `${b.join(' ')} / ${h.join(' ')}`);
});

test('balance url_param: query string, POST body and the round-robin fallback as HAProxy 2.6', () => {
  const prm: Req[] = URIS.map((u, i) => ({ uri: i % 3 === 0 ? `/p?user=u${i}&x=1` : i % 3 === 1 ? `/p?x=1&user=${u}` : '/p?userx=3&user=' }));
  prm.push({ uri: '/p?user' }, { uri: '/p?x=user=5' }, { uri: '/nothing' }, { uri: '/p?user=a&user=b' });
  assert.equal(picks(balance('url_param', 'user'), hashType(), prm),
    '4 4 1 4 4 1 4 3 1 4 4 1 4 4 1 4 4 1 4 4 1 4 1 1 4 1 1 3 4 1 2 4 1 3 4 1 2 4 1 4 4 1 4 4 1 4 2 1 4 4 1 4 2 1 4 4 1 4 1 1 1 4 2 4');
  const post: Req[] = [];
  for (let i = 0; i < 20; i++) {
    post.push({ method: 'POST', uri: '/p', headers: ['host: x', 'content-type: application/x-www-form-urlencoded'], body: `a=1&user=u${i * 7}&b=2` });
  }
  post.push({ method: 'POST', uri: '/p?user=q1', body: 'user=zzz' }, { method: 'POST', uri: '/p', body: 'user= x' },
    { method: 'POST', uri: '/p', body: 'user=\x01abc' }, { method: 'POST', uri: '/p', body: 'user=ab\x01c' });
  assert.equal(picks(balance('url_param', 'user', 'check_post'), hashType(), post), '4 2 2 4 4 4 4 3 4 2 4 3 4 3 4 4 3 4 1 4 1 1 1 4');
});

test('balance hdr(): first value, quotes, blanks, use_domain_only as HAProxy 2.6', () => {
  const hosts = ['www.example.com', 'a.b.c.example.org', 'example', 'foo.bar', '.x', 'x.', 'haproxy.1wt.eu', 'sub.haproxy.1wt.eu', 'WWW.EXAMPLE.COM', 'a,b', '"a,b",c', ' spaced ', ''];
  const hreq: Req[] = [];
  for (let i = 0; i < 40; i++) hreq.push({ uri: '/', headers: [`host: ${hosts[i % hosts.length]}${i >= hosts.length ? i : ''}`] });
  assert.equal(picks(balance('hdr(Host)'), hashType(), hreq), '4 4 3 4 3 4 4 4 4 4 3 4 1 2 4 4 1 1 3 4 3 3 4 3 4 4 3 4 1 2 4 4 2 4 4 4 3 4 3 4');
  assert.equal(picks(balance('hdr(host)', 'use_domain_only'), hashType(), hreq), '3 3 3 4 3 2 4 4 3 4 3 4 1 3 3 4 4 1 2 4 4 3 4 3 4 4 3 3 1 4 4 2 4 4 3 4 3 4 3 3');
  const xreq: Req[] = [];
  for (let i = 0; i < 30; i++) xreq.push({ uri: '/', headers: ['host: x', ...(i % 5 ? [`X-Key: k${i}, other`] : []), ...(i % 7 === 0 ? ['X-Key: second'] : [])] });
  xreq.push({ uri: '/', headers: ['host: x', 'X-Key: ,k'] }, { uri: '/', headers: ['host: x', 'X-Key: "k,1",z'] });
  assert.equal(picks(balance('hdr(x-key)'), hashType(), xreq), '4 4 4 2 4 1 4 4 3 4 4 4 4 3 4 2 1 4 2 4 4 3 4 4 3 4 4 1 4 2 3 4');
});

test('balance rdp-cookie: the cookie of the RDP connection request as HAProxy 2.6 (tcp mode)', () => {
  const pre = '\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00';
  const raw: string[] = [];
  for (let i = 0; i < 30; i++) raw.push(`${pre}Cookie: mstshash=user${i * 13}\r\n\x01\x00\x08\x00\x03\x00\x00\x00`);
  raw.push(`${pre}cookie:   MSTSHASH=Admin\r\n`, `${pre}Cookie: other=1\r\n`, `${pre}Cookie: mstshash=\r\n`, 'hello world, no cookie here\r\n', `${pre}Cookie: mstshash=ab\rc\r\n`);
  const run = (b: BalanceConfig, ht: HashTypeConfig, list: string[]): string => {
    const lb = new KeyHashLb(ht);
    lb.rebuild(servers([1, 2, 3, 10]));
    return list.map((r) => lb.pick(tcpBalanceKey(b, Buffer.from(r, 'latin1'), '127.0.0.1'), null)!.id).join(' ');
  };
  assert.equal(run(balance('rdp-cookie'), hashType(), raw), '3 3 4 4 2 3 4 4 3 4 4 3 4 4 1 2 4 4 2 3 4 4 3 4 4 4 3 4 4 2 4 1 4 2 4');
  const named = raw.map((r) => r.replace(/mstshash/gi, 'Sess'));
  assert.equal(run(balance('rdp-cookie(sess)'), hashType('consistent'), named), '4 4 4 4 4 3 2 4 4 4 4 4 3 4 4 2 3 4 1 4 2 3 4 1 4 4 4 4 4 4 4 3 4 4 3');
});

test('key extraction details', () => {
  const u = balance('uri');
  assert.equal(uriKey(u, '/a/b?c'), '/a/b');
  assert.equal(uriKey(balance('uri', 'depth', '2'), '/a/b/c/d'), '/a/b');
  assert.equal(uriKey(balance('uri', 'len', '3'), '/abcdef'), '/ab');
  assert.equal(uriKey(balance('uri', 'path-only'), 'http://h:1'), '');
  assert.equal(uriKey(balance('uri', 'path-only'), 'h1://user@host/x?y'), '/x');
  assert.equal(uriKey(balance('uri', 'path-only'), 'ht_p://host/x'), '');
  assert.equal(queryParam('/x?a=1&b=2', 'b'), '2');
  assert.equal(queryParam('/x?a=1&b=', 'b'), '');
  assert.equal(queryParam('/x?ab=1', 'b'), null);
  assert.equal(queryParam('/x?B=1', 'b'), null);
  assert.equal(bodyParam('b=\tx', 'b'), '');
  assert.equal(bodyParam('b=/x', 'b'), null);
  assert.equal(bodyParam('b=x/y&c', 'b'), 'x/y');
  const req = (v: string) => new HttpRequest('GET', '/', 'HTTP/1.1', (() => { const h = new HttpHeaders(); h.add('Host', v); return h; })());
  assert.equal(headerKey(req('  a , b'), 'host', false), 'a');
  assert.equal(headerKey(req('"x\\",y",z'), 'host', false), '"x\\",y"');
  assert.equal(headerKey(req(' , b'), 'host', false), null);
  assert.equal(headerKey(req('haproxy.1wt.eu'), 'host', true), '1wt');
  assert.equal(headerKey(req('a.b'), 'host', true), 'a');
  assert.equal(headerKey(req('.b'), 'host', true), '.b');
  assert.equal(headerKey(req('nodot'), 'host', true), 'nodot');
  // Non-HTTP algorithms have no key; source keys on the client address, none for UNIX clients.
  const r = req('h');
  assert.equal(balanceKey(balance('roundrobin'), r, '10.0.0.1'), null);
  assert.equal(balanceKey(balance('source'), r, '10.0.0.1'), '10.0.0.1');
  assert.equal(balanceKey(balance('source'), r, ''), null);
  assert.equal(balanceKey(balance('rdp-cookie'), r, '10.0.0.1'), null);
  assert.equal(tcpBalanceKey(balance('uri'), Buffer.from('x'), '10.0.0.1'), null);
  // Incomplete RDP requests give no key (HAProxy would wait for more data).
  const pre = '\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00';
  assert.equal(rdpCookie(Buffer.from(`${pre}Cookie: mstshash=abc`, 'latin1'), 'mstshash'), null);
  assert.equal(rdpCookie(Buffer.from(`${pre}Cookie: mstshash=abc\r\n`, 'latin1'), 'MSTSHASH'), 'abc');
  const scan = (t: string, name: string) => scanRdpCookie(Buffer.from(pre + t, 'latin1'), name);
  assert.equal(scan('Cookie: mstshash=abc', 'mstshash'), RDP_SHORT);
  assert.equal(scan('Cookie: a', 'mstshash'), RDP_SHORT);
  assert.equal(scan('Cookie: x=1\r\n', ''), '1');
  assert.equal(scan('Cookie: x\r\n=1', ''), null);
  assert.equal(scan('Cookie: mstshash=\r\n', 'mstshash'), '');
  assert.equal(scan('Cookie: other=1\r\n', 'mstshash'), null);
  assert.equal(scan('Cooky: mstshash=1\r\n', 'mstshash'), null);
});

test('hash keys are byte strings: bytes above 0x7f hash as single bytes', () => {
  const lb = new KeyHashLb(hashType('map-based', 'crc32'));
  const list = servers([1, 1, 1, 1, 1, 1, 1]);
  lb.rebuild(list);
  // crc32 of the bytes e9 74 e9 ("été" in latin1) is 0xcbf7d413, which is 3 modulo 7: the 4th slot.
  assert.equal(lb.pick('\xe9t\xe9', null)!.id, 4);
});
