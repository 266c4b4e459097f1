// The catalogue of HAProxy 2.6 keywords: presence of representative keywords, consistency between
// the tables, and the messages of removed keywords, which must equal what HAProxy 2.6.12 prints
// (`haproxy -c`, Debian's 2.6.12-1+deb12u4; the lines below are copied from its output, after
// "[ALERT]    (pid) : config : parsing [file:line]").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BIND_OPTIONS, GLOBAL_BUILD_OPTIONS, GLOBAL_KEYWORDS, NAMED_DEFAULTS_ONLY, PROXY_KEYWORDS, PROXY_OPTIONS,
  PROXY_SUBKEYWORDS, REMOVED_KEYWORDS, SECTION_KEYWORDS, SECTION_NAMES, SERVER_OPTIONS, SUGGESTION_LISTS,
  TIMEOUT_NAMES, notSupportedYet, removedKeyword,
} from '../../../src/config/known-keywords.ts';

const D = 'defaults', F = 'frontend', B = 'backend', L = 'listen';

test('global keywords', () => {
  for (const kw of [
    'daemon', 'maxconn', 'nbthread', 'chroot', 'pidfile', 'user', 'group', 'log', 'stats', 'cpu-map', 'master-worker',
    'tune.bufsize', 'tune.maxrewrite', 'tune.http.maxhdr', 'tune.ssl.default-dh-param', 'tune.h2.max-frame-size',
    'tune.lua.maxmem', 'tune.vars.check-max-size', 'ssl-default-bind-ciphers', 'ssl-default-server-options',
    'ssl-dh-param-file', 'lua-load', 'lua-prepend-path', 'h1-case-adjust', 'h1-case-adjust-file', 'hard-stop-after',
    'expose-experimental-directives', 'fd-hard-limit', 'grace', 'quiet', 'zero-warning', 'setenv', 'set-var-fmt',
    '51degrees-data-file', 'wurfl-data-file', 'deviceatlas-json-file', 'tune.quic.retry-threshold', 'ssl-engine',
  ]) {
    assert.ok(GLOBAL_KEYWORDS.has(kw), kw);
  }
  // removed (REMOVED_KEYWORDS), section names, never global keywords, or proxy-only
  for (const kw of ['nbproc', 'tune.chksize', 'debug', 'global', 'defaults', 'balance', 'bind-process', 'tune.foo']) {
    assert.ok(!GLOBAL_KEYWORDS.has(kw), kw);
  }
  assert.equal(GLOBAL_BUILD_OPTIONS.get('51degrees-cache-size'), 'USE_51DEGREES');
  assert.equal(GLOBAL_BUILD_OPTIONS.get('tune.zlib.memlevel'), 'USE_ZLIB');
  assert.equal(GLOBAL_BUILD_OPTIONS.get('daemon'), undefined);
  for (const kw of GLOBAL_BUILD_OPTIONS.keys()) assert.ok(GLOBAL_KEYWORDS.has(kw), kw);
});

test('proxy keywords and their sections (keyword matrix)', () => {
  const expect: [string, string[]][] = [
    ['acl', [D, F, B, L]], ['balance', [D, B, L]], ['bind', [F, L]], ['server', [B, L]], ['timeout', [D, F, B, L]],
    ['option', [D, F, B, L]], ['http-request', [D, F, B, L]], ['stats', [D, F, B, L]], ['use_backend', [F, L]],
    ['default_backend', [D, F, L]], ['compression', [D, F, B, L]], ['stick-table', [F, B, L]], ['mode', [D, F, B, L]],
    ['maxconn', [D, F, L]], ['fullconn', [D, B, L]], ['description', [F, B, L]], ['id', [F, B, L]],
    ['dispatch', [B, L]], ['tcp-response', [D, B, L]], ['monitor', [F, L]], ['declare', [F, L]],
    ['hash-balance-factor', [D, B, L]], ['max-session-srv-conns', [D, F, L]], ['transparent', [D, B, L]],
    ['error-log-format', [D, F, L]], ['use-fcgi-app', [B, L]], ['http-error', [D, F, B, L]],
  ];
  for (const [kw, sections] of expect) assert.deepEqual(PROXY_KEYWORDS.get(kw), sections, kw);
  for (const kw of ['reqadd', 'block', 'bind-process', 'monitor-net', 'redispatch', 'grace', 'balanc', 'log-balance']) {
    assert.equal(PROXY_KEYWORDS.has(kw), false, kw);
  }
  assert.deepEqual(PROXY_SUBKEYWORDS.get('stats')?.get('admin'), [F, B, L]);
  assert.deepEqual(PROXY_SUBKEYWORDS.get('stats')?.get('uri'), [D, F, B, L]);
  assert.deepEqual(PROXY_SUBKEYWORDS.get('tcp-request')?.get('connection'), [D, F, L]);
  assert.deepEqual(PROXY_SUBKEYWORDS.get('capture')?.get('cookie'), [F, L]);
  assert.deepEqual(PROXY_SUBKEYWORDS.get('http-check')?.get('send'), [D, B, L]);
  for (const [first, subs] of PROXY_SUBKEYWORDS) {
    const all = PROXY_KEYWORDS.get(first);
    assert.ok(all, first);
    for (const [second, sections] of subs) {
      for (const s of sections) assert.ok(all.includes(s), `${first} ${second} in ${s}`);
    }
  }
  assert.ok(NAMED_DEFAULTS_ONLY.has('http-request') && NAMED_DEFAULTS_ONLY.has('tcp-request'));
  for (const kw of NAMED_DEFAULTS_ONLY) assert.ok(PROXY_KEYWORDS.get(kw)?.includes('defaults'), kw);
});

test('proxy options', () => {
  for (const name of [
    'httplog', 'tcplog', 'httpslog', 'redispatch', 'allbackups', 'tcpka', 'http-keep-alive', 'http-server-close',
    'httpclose', 'forwardfor', 'originalto', 'tcp-check', 'httpchk', 'mysql-check', 'pgsql-check', 'redis-check',
    'ldap-check', 'smtpchk', 'ssl-hello-chk', 'spop-check', 'external-check', 'log-health-checks', 'dontlognull',
    'abortonclose', 'http-buffer-request', 'independent-streams', 'splice-auto', 'h1-case-adjust-bogus-client',
  ]) {
    assert.ok(PROXY_OPTIONS.has(name), name);
  }
  assert.deepEqual(PROXY_OPTIONS.get('httplog'), { sections: [D, F, L], negatable: false });
  assert.deepEqual(PROXY_OPTIONS.get('redispatch'), { sections: [D, B, L], negatable: true });
  assert.deepEqual(PROXY_OPTIONS.get('forwardfor'), { sections: [D, F, B, L], negatable: false });
  assert.deepEqual(PROXY_OPTIONS.get('accept-invalid-http-request'), { sections: [D, F, L], negatable: true });
  // Not options of HAProxy 2.6: misspellings, later versions, removed ones.
  for (const name of ['independant-streams', 'original-to', 'forwarded', 'forceclose', 'http-tunnel', 'http_proxy']) {
    assert.equal(PROXY_OPTIONS.has(name), false, name);
  }
});

test('timeouts', () => {
  // The order of HAProxy's message "'timeout' supports 'client', 'server', ... (got 'x')".
  assert.deepEqual(
    [...TIMEOUT_NAMES.keys()].sort(),
    ['client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin', 'server-fin'].sort(),
  );
  assert.deepEqual(TIMEOUT_NAMES.get('client'), [D, F, L]);
  assert.deepEqual(TIMEOUT_NAMES.get('server'), [D, B, L]);
  assert.deepEqual(TIMEOUT_NAMES.get('http-request'), [D, F, B, L]);
});

test('bind and server settings', () => {
  const bind: [string, boolean][] = [
    ['ssl', false], ['crt', true], ['alpn', true], ['accept-proxy', false], ['transparent', false], ['v4v6', false],
    ['maxconn', true], ['name', true], ['process', true], ['thread', true], ['mode', true], ['level', true],
    ['expose-fd', true], ['tfo', false], ['defer-accept', false], ['strict-sni', false], ['verify', true],
  ];
  for (const [name, takesArg] of bind) assert.equal(BIND_OPTIONS.get(name)?.takesArg, takesArg, name);
  assert.deepEqual(BIND_OPTIONS.get('quic-cc-algo'), { takesArg: true, build: 'USE_QUIC' });
  assert.equal(BIND_OPTIONS.has('chek'), false);

  const server: [string, boolean][] = [
    ['check', false], ['weight', true], ['inter', true], ['rise', true], ['fall', true], ['backup', false],
    ['maxconn', true], ['ssl', false], ['verify', true], ['sni', true], ['send-proxy', false], ['cookie', true],
    ['resolvers', true], ['init-addr', true], ['source', true], ['usesrc', false], ['disabled', false], ['track', true],
  ];
  for (const [name, takesArg] of server) assert.equal(SERVER_OPTIONS.get(name)?.takesArg, takesArg, name);
  assert.equal(SERVER_OPTIONS.get('id')?.defaultServer, false);
  assert.equal(SERVER_OPTIONS.get('no-tlsv12')?.defaultServer, false);
  assert.equal(SERVER_OPTIONS.get('check')?.defaultServer, true);
  assert.equal(SERVER_OPTIONS.has('no-verifyhost'), false); // documented in 2.6, unknown to 2.6
  assert.equal(SERVER_OPTIONS.has('wieght'), false);
});

test('sections', () => {
  assert.deepEqual([...SECTION_NAMES].sort(), [
    'backend', 'cache', 'defaults', 'fcgi-app', 'frontend', 'global', 'http-errors', 'listen', 'log-forward',
    'mailers', 'namespace_list', 'peers', 'program', 'resolvers', 'ring', 'userlist',
  ]);
  for (const s of ['crt-store', 'traces', 'acme', 'spoe-agent']) assert.equal(SECTION_NAMES.has(s), false, s);
  for (const section of SECTION_KEYWORDS.keys()) assert.ok(SECTION_NAMES.has(section), section);
  assert.ok(SECTION_KEYWORDS.get('resolvers')?.has('nameserver'));
  assert.ok(SECTION_KEYWORDS.get('userlist')?.has('user'));
  assert.ok(SECTION_KEYWORDS.get('peers')?.has('peer'));
});

/** [line in a listen section, level, what follows "parsing [file:line]" in HAProxy's alert] */
const REMOVED_PROXY: readonly (readonly [string, 'ALERT' | 'WARNING', string])[] = [
  ["reqrep ^Host:\\ foo Host:\\ bar", 'ALERT', " : The 'reqrep' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead."],
  ["reqirep ^Host:\\ foo Host:\\ bar", 'ALERT', " : The 'reqirep' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-header' instead."],
  ["reqdel ^X-Foo:", 'ALERT', " : The 'reqdel' directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead."],
  ["reqidel ^X-Foo:", 'ALERT', " : The 'reqidel' directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead."],
  ["reqdeny ^GET", 'ALERT', " : The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead."],
  ["reqideny ^GET", 'ALERT', " : The 'reqideny' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' instead."],
  ["reqpass ^GET", 'ALERT', " : The 'reqpass' not supported anymore since HAProxy 2.1."],
  ["reqipass ^GET", 'ALERT', " : The 'reqipass' directive is not supported anymore since HAProxy 2.1."],
  ["reqallow ^GET", 'ALERT', " : The 'reqallow' directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead."],
  ["reqiallow ^GET", 'ALERT', " : The 'reqiallow' directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead."],
  ["reqtarpit ^GET", 'ALERT', " : The 'reqtarpit' directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead."],
  ["reqitarpit ^GET", 'ALERT', " : The 'reqitarpit' directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead."],
  ["reqadd X-Foo:\\ bar", 'ALERT', " : The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead."],
  ["rsprep ^Server:.* Server:\\ x", 'ALERT', " : The 'rsprep' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead."],
  ["rspirep ^Server:.* Server:\\ x", 'ALERT', " : The 'rspirep' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead."],
  ["rspdel ^Server:", 'ALERT', " : The 'rspdel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' ."],
  ["rspidel ^Server:", 'ALERT', " : The 'rspidel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' instead."],
  ["rspdeny ^Server:", 'ALERT', " : The 'rspdeny' directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead."],
  ["rspideny ^Server:", 'ALERT', " : The 'rspideny' directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead."],
  ["rspadd X-Foo:\\ bar", 'ALERT', " : The 'rspadd' directive is not supported anymore since HAProxy 2.1. Use 'http-response add-header' instead."],
  ["cliexp ^/a /b", 'ALERT', " : The 'cliexp' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead."],
  ["srvexp ^Server:.* Server:\\ x", 'ALERT', " : The 'srvexp' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead."],
  ["block if TRUE", 'ALERT', " : The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax."],
  ["redisp", 'ALERT', " : keyword 'redisp' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'."],
  ["redispatch", 'ALERT', " : keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'."],
  ["monitor-net 10.0.0.0/8", 'ALERT', " : 'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src 10.0.0.0/8 }' instead."],
  ["monitor-net", 'ALERT', " : 'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src  }' instead."],
  ["appsession JSESSIONID len 52 timeout 3h", 'ALERT', " : 'appsession' is not supported anymore since HAProxy 1.6."],
  ["grace 10s", 'ALERT', ": the 'grace' keyword is not supported any more since HAProxy version 2.5."],
  ["contimeout 5s", 'ALERT', " : the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'."],
  ["clitimeout 5s", 'ALERT', " : the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'."],
  ["srvtimeout 5s", 'ALERT', " : the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'."],
  ["timeout contimeout 5s", 'ALERT', " : the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'."],
  ["timeout clitimeout 5s", 'ALERT', " : the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'."],
  ["timeout srvtimeout 5s", 'ALERT', " : the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'."],
  ["bind-process all", 'WARNING', ": 'bind-process' has no effect, is deprecated, and will be removed in version 2.7."],
  ["mode health", 'ALERT', " : 'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead."],
  ["option forceclose", 'ALERT', ": option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed."],
  ["option http-tunnel", 'ALERT', ": option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed."],
  ["option http_proxy", 'ALERT', ": option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired."],
  ["usesrc 1.2.3.4", 'ALERT', " : 'usesrc' only allowed after a 'source' statement."],
];

const REMOVED_GLOBAL: readonly (readonly [string, 'ALERT' | 'WARNING', string])[] = [
  ['nbproc 2', 'ALERT', ' : nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.'],
  ['tune.chksize 100', 'ALERT', ": option 'tune.chksize' is not supported any more (tune.bufsize is used instead)."],
];

function checkRemoved(section: 'global' | 'proxy', cases: typeof REMOVED_GLOBAL): void {
  for (const [line, level, text] of cases) {
    const words = line.split(' ');
    const entry = removedKeyword(section, words);
    assert.ok(entry, line);
    assert.equal(entry.level, level, line);
    assert.equal(`${entry.tight ? '' : ' '}: ${entry.message(words)}`, text, line);
  }
}

test('removed keywords: messages of HAProxy 2.6.12', () => {
  checkRemoved('proxy', REMOVED_PROXY);
  checkRemoved('global', REMOVED_GLOBAL);
  const pool = removedKeyword('resolvers', ['resolution_pool_size', '10']);
  assert.equal(pool?.message(['resolution_pool_size']),
    "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).");
  // every entry was checked
  const checked = new Set([...REMOVED_PROXY, ...REMOVED_GLOBAL].map(([line]) => {
    const w = line.split(' ');
    return REMOVED_KEYWORDS.has(`${w[0]} ${w[1]}`) ? `${w[0]} ${w[1]}` : w[0];
  }));
  checked.add('resolution_pool_size');
  assert.deepEqual([...REMOVED_KEYWORDS.keys()].filter((k) => !checked.has(k)), []);
});

test('removed keywords: lookup by section and words', () => {
  assert.equal(removedKeyword('global', ['grace', '10s']), undefined); // global 'grace' is valid
  assert.equal(removedKeyword('proxy', ['nbproc', '2']), undefined);
  assert.equal(removedKeyword('proxy', ['mode', 'http']), undefined);
  assert.equal(removedKeyword('proxy', ['timeout', 'client', '5s']), undefined);
  assert.equal(removedKeyword('proxy', ['option', 'httplog']), undefined);
  assert.equal(removedKeyword('proxy', ['option', 'independant-streams']), undefined); // a plain typo for 2.6
  assert.ok(removedKeyword('proxy', ['redispatch']));
  assert.ok(removedKeyword('proxy', ['option', 'forceclose']));
  // A one-word removed proxy keyword is never also a valid proxy keyword.
  for (const [key, entry] of REMOVED_KEYWORDS) {
    if (!key.includes(' ') && entry.section === 'proxy') assert.equal(PROXY_KEYWORDS.has(key), false, key);
  }
});

test('suggestion lists are made of known words', () => {
  const removed = (section: string) =>
    new Set([...REMOVED_KEYWORDS].filter(([k, e]) => e.section === section && !k.includes(' ')).map(([k]) => k));
  const removedGlobal = removed('global');
  const removedProxy = removed('proxy');
  for (const w of SUGGESTION_LISTS.global) {
    assert.ok(GLOBAL_KEYWORDS.has(w) || SECTION_NAMES.has(w) || removedGlobal.has(w), w);
  }
  for (const w of SUGGESTION_LISTS.proxy) {
    assert.ok(PROXY_KEYWORDS.has(w) || SECTION_NAMES.has(w) || removedProxy.has(w), w);
  }
  for (const w of SUGGESTION_LISTS.option) assert.ok(PROXY_OPTIONS.has(w) || w === 'original-to', w);
  for (const w of SUGGESTION_LISTS.bind) assert.ok(BIND_OPTIONS.has(w), w);
  const serverValues = ['ipv4', 'ipv6', 'legacy', 'octet-count', 'fail-check', 'sudden-death', 'mark-down'];
  for (const w of SUGGESTION_LISTS.server) assert.ok(SERVER_OPTIONS.has(w) || serverValues.includes(w), w);

  // What HAProxy does not suggest although it knows it (checked with "<keyword><last letter>").
  const notSuggested = [...GLOBAL_KEYWORDS].filter((k) => !GLOBAL_BUILD_OPTIONS.has(k) && !SUGGESTION_LISTS.global.includes(k));
  assert.deepEqual(notSuggested.sort(), ['expose-experimental-directives', 'fd-hard-limit', 'h2-workaround-bogus-websocket-clients']);
  assert.deepEqual([...PROXY_KEYWORDS.keys()].filter((k) => !SUGGESTION_LISTS.proxy.includes(k)), []);
  assert.deepEqual(
    [...PROXY_OPTIONS.keys()].filter((k) => !SUGGESTION_LISTS.option.includes(k)).sort(),
    ['http-restrict-req-hdr-names', 'httpslog', 'originalto'],
  );
  assert.deepEqual([...BIND_OPTIONS].filter(([k, v]) => !v.build && !SUGGESTION_LISTS.bind.includes(k)), []);
  assert.deepEqual([...SERVER_OPTIONS.keys()].filter((k) => !SUGGESTION_LISTS.server.includes(k)), []);
  for (const list of Object.values(SUGGESTION_LISTS)) assert.equal(new Set(list).size, list.length);
});

test('not-supported message', () => {
  assert.equal(notSupportedYet('compression'), "'compression' is a HAProxy keyword that Turnpike does not support yet");
});
