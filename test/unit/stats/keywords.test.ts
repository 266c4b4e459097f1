import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, DEFAULTS } from './helpers.ts';

const LISTEN = 'listen l\n  bind 127.0.0.1:9999\n  mode http\n';
const TCP_LISTEN = 'listen l\n  bind 127.0.0.1:9999\n';

test('global stats socket/timeout/maxconn, with HAProxy 2.6 error texts', () => {
  const ok = parse(`global\n  stats socket /tmp/x.sock mode 600 level admin expose-fd listeners\n  stats socket ipv4@127.0.0.1:9998 level user\n  stats timeout 2m\n  stats maxconn 3\n${DEFAULTS}${TCP_LISTEN}`);
  assert.deepEqual(ok.messages, []);
  const g = ok.config.global;
  assert.equal(g.statsSockets.length, 2);
  assert.equal(g.statsSockets[0]!.level, 'admin');
  assert.equal(g.statsSockets[0]!.unixMode, 0o600);
  assert.equal(g.statsSockets[1]!.level, 'user');
  assert.equal(g.statsTimeout, 120_000);
  assert.equal(g.statsMaxconn, 3);
  // The CLI frontend takes proxy id 1.
  assert.equal(ok.config.proxies[0]!.id, 2);
  const cases: [string, string][] = [
    ['stats', "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '')"],
    ['stats socket', "'stats socket' in global section expects an address or a path to a UNIX socket"],
    ['stats socket /tmp/x level', "'stats socket' : ''level' : missing level'"],
    ['stats socket /tmp/x level foo', "'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got 'foo')'"],
    ['stats socket /tmp/x mode 9', "'stats socket' : ''mode' : missing or invalid mode '9' (octal integer expected)'"],
    ['stats socket /tmp/x expose-fd foo', "'stats socket' : ''expose-fd' only supports 'listeners' (got 'foo')'"],
    ['stats socket /tmp/x lvl admin', "'stats socket' : unknown keyword 'lvl'."],
    ['stats timeout 0', "'stats timeout' expects a positive value"],
    ['stats timeout 5x', "'stats timeout' : unexpected character 'x'"],
    ['stats maxconn abc', "'stats maxconn' expects a positive value"],
  ];
  for (const [line, msg] of cases) {
    const r = parse(`global\n  ${line}\n${DEFAULTS}${TCP_LISTEN}`);
    assert.ok(r.messages.some((m) => m.endsWith(msg)), `${line}: ${r.messages.join(' | ')}`);
  }
  // Without any global "stats" line, ids start at 1.
  assert.equal(parse(`${DEFAULTS}${TCP_LISTEN}`).config.proxies[0]!.id, 1);
});

test('proxy stats keywords build the page configuration, inherited from defaults', () => {
  const r = parse(`${DEFAULTS}  stats realm R\nlisten l\n  bind 127.0.0.1:9999\n  mode http\n  stats uri /st\n  stats auth a:b\n  stats refresh 10s\n  stats admin if TRUE\n  stats show-legends\n  stats show-node n1\n  stats scope .\n  stats http-request deny if FALSE\n`);
  assert.deepEqual(r.messages, []);
  const st = r.config.proxies[0]!.stats!;
  assert.equal(st.uri, '/st');
  assert.equal(st.realm, 'R');
  assert.deepEqual(st.auths, ['a:b']);
  assert.equal(st.refresh, 10);
  assert.equal(st.admin.length, 1);
  assert.equal(st.showLegends, true);
  assert.equal(st.showNode, 'n1');
  assert.deepEqual(st.scopes, ['.']);
  assert.equal(st.httpRules[0]!.action, 'deny');
  // "stats enable" alone gives HAProxy's default URI.
  assert.equal(parse(`${DEFAULTS}${LISTEN}  stats enable\n`).config.proxies[0]!.stats!.uri, '/haproxy?stats');
  const errors: [string, string][] = [
    ['stats', "missing keyword in 'stats', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."],
    ['stats foo', "unknown stats parameter 'foo', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."],
    ['stats uri', "'uri' needs an URI prefix."],
    ['stats realm', "'realm' needs an realm name."],
    ['stats auth', "'auth' needs a user:password account."],
    ['stats admin foo', "'stats admin' requires either 'if' or 'unless' followed by a condition."],
    ['stats refresh x', "unexpected character 'x' in argument to stats refresh interval."],
    ['stats scope', "'scope' needs a proxy name."],
  ];
  for (const [line, msg] of errors) {
    const e = parse(`${DEFAULTS}${LISTEN}  ${line}\n`);
    assert.ok(e.messages.some((m) => m.endsWith(msg)), `${line}: ${e.messages.join(' | ')}`);
  }
  const tcp = parse(`${DEFAULTS}listen l\n  bind 127.0.0.1:9999\n  stats enable\n`);
  assert.ok(tcp.messages.some((m) => m.endsWith("'stats' statement ignored for proxy 'l' as it requires HTTP mode.")));
  assert.equal(tcp.config.proxies[0]!.stats, null);
});
