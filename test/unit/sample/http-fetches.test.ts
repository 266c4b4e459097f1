import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSampleExpr, parseAclTerm, sampleToString, findFetch, checkUsable, parseCondition } from '../../../src/sample/index.ts';
import { PhaseBit, type SampleStream } from '../../../src/sample/types.ts';
import { aclCtx, fakeStream, httpStream } from './helpers.ts';

function ev(text: string, s: SampleStream): string | null {
  const e = parseSampleExpr(text);
  if (typeof e === 'string') throw new Error(`${text}: ${e}`);
  const r = e.eval(s);
  return r === null ? null : sampleToString(r);
}

function acl(words: string, s: SampleStream): boolean | null {
  const t = parseAclTerm(words.split(' '), aclCtx());
  if (typeof t === 'string') throw new Error(`${words}: ${t}`);
  return t.eval(s);
}

/** Decodes a chunked body (test input only). */
function dechunk(b: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const nl = b.indexOf('\r\n', i);
    const n = parseInt(b.slice(i, nl), 16);
    if (!n) return out;
    out += b.slice(nl + 2, nl + 2 + n);
    i = nl + 4 + n;
  }
}

test('HTTP fetches give what haproxy 2.6 gives (recorded)', () => {
  const fix = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/sample/haproxy-http-fetches.json'), 'utf8')) as {
    cases: { kind: 'req' | 'res' | 'body'; msg: string; results: Record<string, string | null> }[];
  };
  for (const c of fix.cases) {
    let s: SampleStream;
    if (c.kind === 'req') s = httpStream(c.msg, {}, { srcAddr: '127.0.0.1' });
    else if (c.kind === 'res') s = httpStream('GET / HTTP/1.1\r\nHost: h\r\n\r\n', { res: c.msg });
    else {
      const [head, body] = c.msg.split(/\r\n\r\n(.*)/s) as [string, string];
      s = httpStream(head, { body: head.includes('chunked') ? dechunk(body) : body });
    }
    for (const [expr, want] of Object.entries(c.results)) {
      // HAProxy only captured the request line with logging configured on the frontend
      if (c.kind === 'res' && (expr === 'capture.req.method' || expr === 'capture.req.uri')) continue;
      // response bodies are not buffered by Turnpike: res.body* are not implemented
      if (expr.startsWith('res.body')) continue;
      assert.equal(ev(expr, s), want, `${c.msg.split('\r\n')[0]}: ${expr}`);
    }
  }
});

test('header occurrences, comma splitting and counts', () => {
  const s = httpStream('GET / HTTP/1.1\r\nHost: h\r\nX-L: 1,2,3,4,5,6,7,8,9,10,11\r\nX-Q: "a,b", c\r\nX-Empty:\r\n\r\n');
  assert.equal(ev('hdr(x-l,-10)', s), '2');
  assert.equal(ev('hdr(x-l,11)', s), '11');
  assert.equal(ev('hdr(x-l,12)', s), null);
  assert.equal(ev('hdr(x-q,1)', s), '"a,b"');
  assert.equal(ev('hdr_cnt(x-q)', s), '2');
  assert.equal(ev('hdr()', s), '', 'an empty name reads every header');
  assert.equal(ev('hdr(,1)', s), 'h');
  assert.equal(ev('hdr_cnt()', s), '15');
  assert.equal(ev('hdr', s), null, 'no name, no value');
  assert.equal(ev('hdr(X-EMPTY)', s), '');
  assert.equal(parseSampleExpr('hdr(x,-11)'), "invalid args in fetch method 'hdr' : header occurrence must be >= -10");
  assert.equal(parseSampleExpr('req.fhdr(x,-11)'), "invalid args in fetch method 'req.fhdr' : header occurrence must be >= -10");
  assert.equal(ev('req.hdr_names(;)', s), 'host;x-l;x-q;x-empty');
  assert.equal(ev('req.hdrs_bin,hex', s), '04686F737401680378' + '2D6C' + '17' + Buffer.from('1,2,3,4,5,6,7,8,9,10,11').toString('hex').toUpperCase() +
    '03782D71' + '08' + Buffer.from('"a,b", c').toString('hex').toUpperCase() + '07782D656D70747900' + '0000');
});

test('hdr_ip and hdr_val semantics (strl2ic, ports, IPv6)', () => {
  const s = httpStream('GET / HTTP/1.1\r\nX-A: 10.0.0.1:8080\r\nX-B: 1.2.3.4:65536\r\nX-C: 2001:db8::1\r\nX-C: nope\r\nX-N: +5\r\nX-N: 2147483648\r\n\r\n');
  assert.equal(ev('hdr_ip(x-a)', s), '10.0.0.1');
  assert.equal(ev('hdr_ip(x-b)', s), null);
  assert.equal(ev('hdr_ip(x-c,1)', s), '2001:db8::1');
  assert.equal(ev('hdr_ip(x-c)', s), null, 'the last value is not an address');
  assert.equal(acl('hdr_ip(x-c) 2001:db8::/32', s), true, 'ACLs try every value');
  assert.equal(ev('hdr_val(x-n,1)', s), '-45');
  assert.equal(ev('hdr_val(x-n)', s), '-2147483648', '32-bit wrap as HAProxy');
  assert.equal(acl('hdr_val(x-n) -- -45', s), true);
});

test('cookies: Cookie lists, Set-Cookie first pair, names and counts', () => {
  const s = httpStream('GET / HTTP/1.1\r\nCookie: a=1, b=2; c="x;y"; a="q"; $Path=/\r\n\r\n');
  assert.equal(ev('req.cook(a)', s), '"q"');
  assert.equal(ev('req.cook(c)', s), '"x;y"');
  assert.equal(ev('req.cook', s), '1');
  assert.equal(ev('req.cook_cnt', s), '4');
  assert.equal(acl('cook(a) 1', s), true, 'every occurrence is tried');
  assert.equal(acl('cook_beg(a) "', s), true);
  const r = httpStream('GET / HTTP/1.1\r\n\r\n', { res: 'HTTP/1.1 200 OK\r\nSet-Cookie: SID=abc; Path=/; a=1\r\n\r\n' });
  assert.equal(ev('res.cook(SID)', r), 'abc');
  assert.equal(ev('res.cook(a)', r), null, 'only the first pair of Set-Cookie names a cookie');
  assert.equal(ev('cookie(SID)', r), 'abc', 'cookie() reads Set-Cookie in responses');
  assert.equal(acl('scook(SID) abc', r), true);
});

test('URL parameters', () => {
  const s = httpStream('GET /p;c=4?a=1&a=2;b=x&d HTTP/1.1\r\n\r\n');
  assert.equal(ev('urlp(a)', s), '1');
  assert.equal(ev('urlp(c,;)', s), '4?a=1');
  assert.equal(ev('urlp(d)', s), null);
  assert.equal(ev('urlp_val(a)', s), '1');
  assert.equal(acl('urlp(a) 2', s), true);
  assert.equal(acl('urlp(a) 3', s), false);
  assert.equal(acl('urlp_reg ^x$', s), true, 'without a name every value is tried');
});

test('body fetches wait for more data until the body is complete', () => {
  const s = httpStream('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n', { body: 'a=1', bodyFinal: false });
  assert.equal(acl('req.body_param(b) -m found', s), null, 'cannot tell yet');
  assert.equal(acl('req.body_param(a) -m str 1', s), true);
  assert.equal(ev('req.body_size', s), '10');
  assert.equal(ev('req.body_len', s), '3');
});

test('authentication fetches', () => {
  const ul = {
    name: 'L',
    users: new Map([
      ['alice', { password: '$1$abc$iCQ2D3nhptRYi27fDYv2s1', insecure: false, groups: ['admin'] }],
      ['bob', { password: 'pw', insecure: true, groups: [] }],
    ]),
    groups: new Map([['admin', []], ['ops', ['bob', 'alice']]]),
  };
  const auth = (u: string, p: string): SampleStream => {
    const s = httpStream(`GET / HTTP/1.1\r\nAuthorization: Basic ${Buffer.from(`${u}:${p}`).toString('base64')}\r\n\r\n`);
    return { ...s, world: { ...s.world, userlist: (n: string) => (n === 'L' ? ul : undefined) } };
  };
  assert.equal(ev('http_auth(L)', auth('alice', 'secret')), '1');
  assert.equal(ev('http_auth(L)', auth('alice', 'wrong')), '0');
  assert.equal(ev('http_auth(L)', auth('bob', 'pw')), '1');
  assert.equal(ev('http_auth(L)', auth('carol', 'pw')), '0');
  assert.equal(ev('http_auth_group(L)', auth('alice', 'secret')), 'alice');
  assert.equal(acl('http_auth_group(L) ops', auth('alice', 'secret')), true);
  assert.equal(acl('http_auth_group(L) admin', auth('bob', 'pw')), false);
  assert.equal(acl('http_auth_group(L) ops', auth('bob', 'bad')), false);
  assert.equal(ev('http_auth_user', auth('u', 'p:q')), 'u');
  assert.equal(ev('http_auth_pass', auth('u', 'p:q')), 'p:q');
  const bearer = httpStream('GET / HTTP/1.1\r\nAuthorization: bearer tok\r\nX-T: Bearer abc\r\n\r\n');
  assert.equal(ev('http_auth_type', bearer), 'Bearer');
  assert.equal(ev('http_auth_bearer', bearer), 'tok');
  assert.equal(ev('http_auth_bearer(x-t)', bearer), 'abc');
  assert.equal(ev('http_auth_type', httpStream('GET / HTTP/1.1\r\nAuthorization: B dTpw\r\n\r\n')), 'Basic', 'a prefix of "Basic" is Basic');
});

test('captures, versions, status, method', () => {
  const s = httpStream('get /a?b HTTP/1.0\r\n\r\n', {
    res: 'HTTP/1.1 404 Not Found\r\n\r\n', reqCaptures: ['host.example', null], resCaptures: ['x'], reqLine: 'POST /orig?q HTTP/1.0', firstReq: false,
  });
  assert.equal(ev('capture.req.hdr(0)', s), 'host.example');
  assert.equal(ev('capture.req.hdr(1)', s), null);
  assert.equal(ev('capture.req.hdr(5)', s), null);
  assert.equal(ev('capture.res.hdr(0)', s), 'x');
  assert.equal(ev('capture.req.method', s), 'POST', 'the request line as received');
  assert.equal(ev('capture.req.uri', s), '/orig?q');
  assert.equal(ev('capture.req.ver', s), 'HTTP/1.0');
  assert.equal(ev('capture.res.ver', s), 'HTTP/1.1');
  assert.equal(ev('status', s), '404');
  assert.equal(ev('res.ver', s), '1.1');
  assert.equal(ev('method', s), 'get');
  assert.equal(acl('method get', s), true);
  assert.equal(acl('method GET', s), false, 'methods compare exactly');
  assert.equal(ev('http_first_req', s), '0');
  assert.equal(ev('http_first_req', httpStream('GET / HTTP/1.1\r\n\r\n')), null, 'unknown when the stream does not tell');
});

test('without an HTTP transaction HTTP fetches give nothing', () => {
  const s = fakeStream();
  for (const f of ['path', 'url', 'hdr(host)', 'method', 'req.ver', 'status', 'req.cook(a)', 'base', 'req.body', 'req.proto_http']) {
    assert.equal(ev(f, s), null, f);
  }
});

test('derived ACL keywords and predefined HTTP ACLs', () => {
  const s = httpStream('GET /static/img/logo.PNG?x=1 HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 3\r\n\r\n');
  assert.equal(acl('path_beg /static/', s), true);
  assert.equal(acl('path_end -i .png', s), true);
  assert.equal(acl('path_dir img', s), true);
  assert.equal(acl('path_len 20', s), true);
  assert.equal(acl('path_reg ^/static/.*PNG$', s), true);
  assert.equal(acl('path_sub img', s), true);
  assert.equal(acl('url_sub x=1', s), true);
  assert.equal(acl('hdr_dom(host) example.com', s), true);
  assert.equal(acl('hdr_beg(host) www.', s), true);
  assert.equal(acl('base_beg www.example.com/static', s), true);
  assert.equal(acl('hdr(host) www.example.com', s), true);
  for (const [name, want] of [['HTTP', true], ['HTTP_1.1', true], ['HTTP_1.0', false], ['METH_GET', true], ['METH_POST', false],
    ['HTTP_URL_SLASH', true], ['HTTP_URL_ABS', false], ['HTTP_URL_STAR', false], ['HTTP_CONTENT', true]] as const) {
    const c = parseCondition(['if', name], aclCtx());
    assert.ok(typeof c !== 'string', `${name}: ${c as string}`);
    assert.equal(c.eval(s), want, name);
  }
});

test('sources and phases as haproxy -dKsmp lists them', () => {
  const P = PhaseBit;
  const REQ = P.L6ReqFe | P.L6ReqBe | P.L7ReqFe | P.L7ReqBe | P.UseBackend | P.UseServer;
  const RES = P.L6Res | P.L7Res;
  const want: Record<string, number> = {
    path: REQ, 'req.hdr': REQ, 'req.body': REQ, hdr: REQ | RES, cookie: REQ | RES, 'res.hdr': RES, shdr: RES, status: RES | P.Log,
    'capture.req.hdr': REQ | RES | P.Log, 'capture.res.hdr': RES | P.Log, method: REQ | RES | P.Log, 'req.proto_http': REQ | RES | P.Log,
    'capture.res.ver': REQ | RES | P.Log, var: (1 << 11) - 1,
  };
  for (const [name, usable] of Object.entries(want)) assert.equal(findFetch(name)!.usable, usable, name);
  const e = parseSampleExpr('res.hdr(x)');
  assert.ok(typeof e !== 'string');
  assert.equal(checkUsable(e, P.L7ReqFe, 'http-request'), "fetch method 'res.hdr' extracts information from 'HTTP response headers', none of which is available here");
  const h = parseSampleExpr('hdr(x)');
  assert.ok(typeof h !== 'string');
  assert.equal(checkUsable(h, P.L4Conn, 'tcp-request connection'),
    "fetch method 'hdr' extracts information from 'HTTP request headers,HTTP response headers', none of which is available here");
});

test('userlist references and http_auth_group groups are checked once the configuration is complete', async () => {
  const { ProxyConfig, defaultServerConfig, defaultGlobal } = await import('../../../src/config/model.ts');
  const { parseAcl, checkSampleRefs } = await import('../../../src/sample/index.ts');
  const loc = { file: 'u.cfg', line: 1 };
  const f = new ProxyConfig('f', 'frontend', loc, defaultServerConfig(loc));
  const ul = { name: 'L', loc, users: new Map(), groups: new Map([['g1', []]]) };
  const config = { global: defaultGlobal(), defaults: [], proxies: [f], userlists: [ul], files: ['u.cfg'] };
  for (const [line, words] of [
    [4, ['a', 'http_auth(nope)']], [5, ['b', 'http_auth()']], [6, ['c', 'http_auth_group(L)', 'g1', 'g3']], [7, ['d', 'http_auth_group(L)', '-m', 'sub', 'g1']],
  ] as const) {
    const r = parseAcl(words, f.acls, aclCtx(f.acls, { loc: { file: 'u.cfg', line }, proxyName: 'f' }));
    assert.ok(typeof r !== 'string', r as string);
  }
  assert.equal(checkSampleRefs(f, config), 'multiple argument resolution errors:\n' +
    "        parsing [u.cfg:4]: unable to find userlist 'nope' referenced in arg 1 of ACL keyword 'http_auth' in proxy 'f'.\n" +
    "        parsing [u.cfg:5]: missing userlist name in arg 1 of ACL keyword 'http_auth' in proxy 'f'.\n" +
    "        proxy f: acl c http_auth_group(): invalid group 'g3'.");
});
