// What each HTTP action does to a transaction. Expected replies are the bytes haproxy 2.6.12
// sent for the same rules (recorded with a raw socket client), header names in lower case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Verdict } from '../../../src/actions/http-rule-target.ts';
import { runAfterResponseRules, runHttpRules, runRequestRules } from '../../../src/actions/http-rules.ts';
import { captureHeaders } from '../../../src/actions/http/capture.ts';
import { fakeTarget, loadConfig, wire } from './helpers.ts';

const DEFAULTS = 'defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 5s\n';
const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`;

/** A frontend "f" with the given lines, and a backend "b". */
function frontend(lines: string) {
  const { px } = loadConfig(`${DEFAULTS}frontend f\n  bind 127.0.0.1:8999\n${lines}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`);
  return px('f');
}

function run(lines: string, req: string, o: { res?: string } = {}) {
  const fe = frontend(lines);
  const t = fakeTarget(req, { fe, ...o });
  const v = o.res === undefined ? runRequestRules(fe, t) : runHttpRules(fe.httpResponseRules, t);
  return { t, v, fe };
}

test('set-header computes the value before removing the old lines; add-header appends', () => {
  const { t, v } = run('  http-request set-header X-A "%[req.hdr(x-a)],new"\n  http-request add-header X-B two', GET('/', 'X-A: old\r\nX-A: older\r\nX-B: one\r\n'));
  assert.equal(v, Verdict.Continue);
  assert.deepEqual(t.txn.req.headers.getAll('x-a'), ['older,new']); // req.hdr() gives the last line
  assert.deepEqual(t.txn.req.headers.getAll('x-b'), ['one', 'two']);
});

test('del-header matches names exactly (any case) or with -m beg/end/sub/reg', () => {
  const req = GET('/', 'X-Foo-1: a\r\nx-foo-2: b\r\nY-Bar: c\r\nZ-Foo: d\r\n');
  const names = (lines: string) => run(lines, req).t.txn.req.headers.names.join(',');
  assert.equal(names('  http-request del-header x-FOO-1'), 'Host,x-foo-2,Y-Bar,Z-Foo');
  assert.equal(names('  http-request del-header x-foo -m beg'), 'Host,Y-Bar,Z-Foo');
  assert.equal(names('  http-request del-header foo -m end'), 'Host,X-Foo-1,x-foo-2,Y-Bar');
  assert.equal(names('  http-request del-header foo -m sub'), 'Host,Y-Bar');
  assert.equal(names('  http-request del-header ^[xy]- -m reg'), 'Host,Z-Foo');
  assert.equal(names('  http-request del-header ^X- -m reg'), 'Host,X-Foo-1,x-foo-2,Y-Bar,Z-Foo');
});

test('replace-header replaces whole matching lines, with back-references (doc examples)', () => {
  const { t } = run(
    '  http-request replace-header Cookie foo=([^;]*);(.*) foo=\\1;ip=%[src];\\2\n  http-request replace-header User-Agent curl foo',
    GET('/', 'Cookie: foo=foobar; expires=Tue, 14-Jun-2016 01:40:45 GMT;\r\nUser-Agent: curl/7.47.0\r\n'),
  );
  assert.equal(t.txn.req.headers.get('cookie'), 'foo=foobar;ip=10.1.2.3; expires=Tue, 14-Jun-2016 01:40:45 GMT;');
  assert.equal(t.txn.req.headers.get('user-agent'), 'foo');
});

// The documentation's examples show the blanks kept, but haproxy 2.6.12 drops the blanks before a
// replaced value ("a, b, c" -> "a,B, c", checked live by test/integration/http-rules.test.ts).
test('replace-value works on each comma-separated value (doc examples, as haproxy 2.6 really writes them)', () => {
  const { t } = run('  http-request replace-value X-Forwarded-For ^192\\.168\\.(.*)$ 172.16.\\1', GET('/', 'X-Forwarded-For: 192.168.10.1, 192.168.13.24, 10.0.0.37\r\n'));
  assert.equal(t.txn.req.headers.get('x-forwarded-for'), '172.16.10.1,172.16.13.24, 10.0.0.37');
  const r = run('  http-response replace-value Cache-control ^public$ private', GET('/'), { res: 'HTTP/1.1 200 OK\r\nCache-Control: max-age=3600, public\r\n\r\n' });
  assert.equal(r.t.txn.res!.headers.get('cache-control'), 'max-age=3600,private');
});

test('request line: set-method, set-path, set-pathq, set-query, set-uri', () => {
  const uri = (lines: string, path: string) => run(lines, GET(path)).t.txn.req.uri;
  assert.equal(uri('  http-request set-path /new', '/old?q=1'), '/new?q=1');
  assert.equal(uri('  http-request set-path /new', 'http://h:81/old?q=1'), 'http://h:81/new?q=1');
  assert.equal(uri('  http-request set-path /new', '*'), '/new');
  assert.equal(uri('  http-request set-pathq /new', '/old?q=1'), '/new');
  assert.equal(uri('  http-request set-query a=1', '/p'), '/p?a=1');
  assert.equal(uri('  http-request set-query a=1', '/p?b=2'), '/p?a=1');
  assert.equal(uri('  http-request set-query %[str()]', '/p'), '/p');
  assert.equal(uri('  http-request set-query %[str()]', '/p?b=2'), '/p?');
  assert.equal(uri('  http-request set-uri http://x/y', '/p'), 'http://x/y');
  assert.equal(run('  http-request set-method POST', GET('/')).t.txn.req.method, 'POST');
});

test('replace-path, replace-pathq and replace-uri (doc examples)', () => {
  const uri = (lines: string, path: string) => run(lines, GET(path)).t.txn.req.uri;
  assert.equal(uri('  http-request replace-path (.*) /foo\\1', '/bar?q=1'), '/foo/bar?q=1');
  assert.equal(uri('  http-request replace-path /foo/(.*) /\\1', '/foo/bar?q=1'), '/bar?q=1');
  assert.equal(uri('  http-request replace-pathq ([^?]*)(\\?(.*))? \\1/foo\\2', '/bar?q=1'), '/bar/foo?q=1');
  assert.equal(uri('  http-request replace-uri ^http://(.*) https://\\1', 'http://h/p'), 'https://h/p');
  assert.equal(uri('  http-request replace-uri ([^/:]*://[^/]*)?(.*) \\1/foo\\2', '/bar?q=1'), '/foo/bar?q=1');
  assert.equal(uri('  http-request replace-path /nomatch /x', '/bar'), '/bar');
});

test('set-var, set-var-fmt and unset-var, with conditions', () => {
  const { t } = run([
    '  http-request set-var(txn.a) int(5)',
    '  http-request set-var(txn.a,ifnotexists) int(6)',
    '  http-request set-var(txn.b,ifgt) int(1)',
    '  http-request set-var(txn.b) int(3)',
    '  http-request set-var(txn.b,ifgt) int(2)',
    '  http-request set-var(txn.b,iflt) int(1)',
    '  http-request set-var(sess.c,ifnotempty) str()',
    '  http-request set-var-fmt(req.d) "%[src]:%[src_port]"',
    '  http-request set-var(txn.e) src',
    '  http-request unset-var(txn.e)',
  ].join('\n'), GET('/'));
  assert.deepEqual(t.vars('txn').get('a'), { type: 'sint', value: 5 });
  assert.deepEqual(t.vars('txn').get('b'), { type: 'sint', value: 2 });
  assert.equal(t.vars('sess').has('c'), false);
  assert.deepEqual(t.vars('req').get('d'), { type: 'str', value: '10.1.2.3:40000' });
  assert.equal(t.vars('txn').has('e'), false);
});

const DENY_403 = 'HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n'
  + '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';

test('deny: the proxy error page by default, or the configured reply', () => {
  let r = run('  http-request deny', GET('/'));
  assert.equal(r.v, Verdict.Deny);
  assert.equal(wire(r.t.reply!), DENY_403);
  assert.equal(r.t.term, 'PR');
  r = run('  http-request deny deny_status 400', GET('/'));
  assert.equal(wire(r.t.reply!), 'HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n'
    + '<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n');
  r = run('  http-request deny status 418', GET('/'));
  assert.equal(wire(r.t.reply!), "HTTP/1.1 418 I'm a teapot\r\ncontent-length: 0\r\n\r\n");
  r = run('  http-response deny', GET('/'), { res: 'HTTP/1.1 200 OK\r\n\r\n' });
  assert.equal(r.v, Verdict.Deny);
  assert.equal(r.t.reply!.res.status, 502);
  assert.equal(r.t.term, 'PH');
});

test('return: dummy, payload with headers, error page', () => {
  let r = run('  http-request return', GET('/'));
  assert.equal(r.v, Verdict.Reply);
  assert.equal(wire(r.t.reply!), 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  assert.equal(r.t.term, 'LR');
  r = run('  http-request return status 404 content-type text/plain string hello hdr X-A %[src]', GET('/'));
  assert.equal(wire(r.t.reply!), 'HTTP/1.1 404 Not Found\r\nx-a: 10.1.2.3\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello');
  r = run('  http-request return status 200 content-type text/plain lf-string "a%[req.hdr(nonexist)]b %[src]" hdr X-A "x%[req.hdr(nope)]y"', GET('/'));
  assert.equal(wire(r.t.reply!), 'HTTP/1.1 200 OK\r\nx-a: xy\r\ncontent-length: 11\r\ncontent-type: text/plain\r\n\r\nab 10.1.2.3');
  r = run('  http-request return status 503 default-errorfiles', GET('/'));
  assert.equal(wire(r.t.reply!), 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n'
    + '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n');
});

test('tarpit answers 500 after the wait; reject closes', () => {
  let r = run('  http-request tarpit', GET('/'));
  assert.equal(r.v, Verdict.Tarpit);
  assert.equal(r.t.reply!.res.status, 500);
  assert.equal(r.t.term, 'PT');
  r = run('  http-request reject', GET('/'));
  assert.equal(r.v, Verdict.Reject);
  assert.equal(r.t.reply, null);
  assert.equal(r.t.term, 'PR');
});

test('auth: the 401 page with a Basic challenge for the realm (the proxy name by default)', () => {
  const body = '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n';
  let r = run('  http-request auth', GET('/'));
  assert.equal(r.v, Verdict.Reply);
  assert.equal(wire(r.t.reply!), `HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm="f"\r\n\r\n${body}`);
  r = run('  http-request auth realm "My Realm"', GET('/'));
  assert.equal(r.t.reply!.res.headers.get('www-authenticate'), 'Basic realm="My Realm"');
  assert.equal(r.t.term, 'LR');
});

test('redirect location, prefix and scheme, with codes, query and cookie options', () => {
  const loc = (lines: string, path: string) => wire(run(lines, GET(path)).t.reply!);
  assert.equal(loc('  http-request redirect location /new', '/redir'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /new\r\ncache-control: no-cache\r\n\r\n');
  assert.equal(loc('  http-request redirect prefix /pfx code 301', '/a?b=1'), 'HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /pfx/a?b=1\r\n\r\n');
  assert.equal(loc('  http-request redirect prefix / set-cookie A=1', '/x?y'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /x?y\r\ncache-control: no-cache\r\nset-cookie: A=1; path=/;\r\n\r\n');
  assert.equal(loc('  http-request redirect scheme https', '/a?q'), 'HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https://example.com/a?q\r\ncache-control: no-cache\r\n\r\n');
  assert.match(loc('  http-request redirect scheme https drop-query append-slash clear-cookie B code 308', '/a?q'), /^HTTP\/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: https:\/\/example.com\/a\/\r\nset-cookie: B; path=\/; Max-Age=0;\r\n\r\n$/);
  const r = run('  http-request redirect location %[req.hdr(x-none)] ignore-empty', GET('/'));
  assert.equal(r.v, Verdict.Continue);
});

test('"redirect" rules run after the http-request rules, even after an allow', () => {
  let r = run('  http-request allow\n  http-request deny\n  redirect location /moved', GET('/'));
  assert.equal(r.v, Verdict.Reply);
  assert.equal(r.t.reply!.res.headers.get('location'), '/moved');
  r = run('  http-request deny\n  redirect location /moved', GET('/'));
  assert.equal(r.v, Verdict.Deny);
  r = run('  redirect location %[src]', GET('/'));
  assert.equal(r.t.reply!.res.headers.get('location'), '%[src]');
});

test('set-status with the default or a given reason; set-log-level', () => {
  let r = run('  http-response set-status 431', GET('/'), { res: 'HTTP/1.1 200 OK\r\n\r\n' });
  assert.deepEqual([r.t.txn.res!.status, r.t.txn.res!.reason], [431, 'Request Header Fields Too Large']);
  r = run('  http-response set-status 503 reason "Slow Down"', GET('/'), { res: 'HTTP/1.1 200 OK\r\n\r\n' });
  assert.deepEqual([r.t.txn.res!.status, r.t.txn.res!.reason], [503, 'Slow Down']);
  assert.equal(run('  http-request set-log-level silent', GET('/')).t.logLevel, -1);
  assert.equal(run('  http-request set-log-level err', GET('/')).t.logLevel, 3);
});

test('http-after-response rules: backend first, then frontend', () => {
  const { px } = loadConfig(`${DEFAULTS}frontend f\n  bind 127.0.0.1:8999\n  http-after-response add-header X-Order fe\n  default_backend b\nbackend b\n  http-after-response add-header X-Order be\n  server s 127.0.0.1:1\n`);
  const t = fakeTarget(GET('/'), { fe: px('f'), be: px('b'), res: 'HTTP/1.1 200 OK\r\n\r\n' });
  runAfterResponseRules(px('b'), px('f'), t);
  assert.deepEqual(t.txn.res!.headers.getAll('x-order'), ['be', 'fe']);
});

test('captures: declared header slots (last line wins, truncated), capture actions by len and by id', () => {
  const fe = frontend([
    '  capture request header Host len 4',
    '  capture request header X-A len 10',
    '  declare capture request len 3',
    '  http-request capture req.hdr(x-a) len 2',
    '  http-request capture src id 2',
  ].join('\n'));
  const t = fakeTarget(GET('/', 'X-A: first\r\nX-A: second\r\n'), { fe });
  captureHeaders(fe.reqCaptures, t.txn.req.headers, t.txn.reqCaptures);
  runRequestRules(fe, t);
  assert.deepEqual(t.txn.reqCaptures, ['exam', 'second', '10.', 'se']);
});

test('wait-for-body yields until the body is complete or at-least bytes are in, then times out with 408', () => {
  const fe = frontend('  http-request wait-for-body time 1s at-least 4\n  http-request set-header X-Done 1');
  const t = fakeTarget('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n', { fe, body: null });
  assert.equal(runRequestRules(fe, t), Verdict.Yield);
  assert.deepEqual(t.buffering, [false]);
  assert.equal(t.yieldRule, 0);
  assert.ok(t.yieldUntil > Date.now());
  t.txn.reqBody = Buffer.from('abcd');
  assert.equal(runRequestRules(fe, t, t.yieldRule), Verdict.Continue);
  assert.equal(t.txn.req.headers.get('x-done'), '1');
  assert.equal(t.yieldUntil, 0);

  const t2 = fakeTarget('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n', { fe, body: '' });
  assert.equal(runRequestRules(fe, t2), Verdict.Yield);
  t2.yieldUntil = Date.now() - 1;
  assert.equal(runRequestRules(fe, t2, t2.yieldRule), Verdict.Reply);
  assert.equal(t2.reply!.res.status, 408);
  assert.equal(t2.term, 'cD');

  const t3 = fakeTarget('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n', { fe, body: 'ab', bodyFinal: true });
  assert.equal(runRequestRules(fe, t3), Verdict.Continue);
});

test('conditions select rules; "unless" inverts', () => {
  const r = run('  http-request set-header X-A 1 if { src 10.0.0.0/8 }\n  http-request set-header X-B 1 unless { src 10.0.0.0/8 }', GET('/'));
  assert.equal(r.t.txn.req.headers.get('x-a'), '1');
  assert.equal(r.t.txn.req.headers.has('x-b'), false);
});
