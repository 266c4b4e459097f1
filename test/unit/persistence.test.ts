import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../src/config/diagnostics.ts';
import { parseConfigText } from '../../src/config/parser.ts';
import { Backend } from '../../src/runtime/backend.ts';
import type { Server } from '../../src/runtime/server.ts';
import { ProxyCounters } from '../../src/observe/counters.ts';
import { HttpHeaders, HttpRequest, HttpResponse } from '../../src/protocols/http1/message.ts';
import {
  PersistState, applyPersistRules, applyResponseCookie, b64tos30, cookieLogChars, dynamicCookie, persistServer, responseCacheable, s30tob64,
} from '../../src/runtime/persistence.ts';
import { parseCookie } from '../../src/runtime/persistence-keywords.ts';
import type { SampleStream } from '../../src/sample/types.ts';

/** A backend "l" of mode http built from the given lines (servers s1..s3 on ports 8001..8003). */
async function backend(lines: string): Promise<Backend> {
  const diag = new Diagnostics();
  const cfg = parseConfigText('t.cfg', `defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\nbackend l\n${lines}\n`, diag, {});
  assert.equal(diag.alerts, 0, diag.messages.map((m) => m.text).join('\n'));
  const be = new Backend(cfg.proxies.find((p) => p.name === 'l')!, new ProxyCounters());
  for (const s of be.servers) assert.equal(await s.resolve(), null);
  return be;
}

interface Req {
  method?: string;
  headers?: string[];
}

function headers(lines: readonly string[]): HttpHeaders {
  const h = new HttpHeaders();
  for (const l of lines) {
    const c = l.indexOf(':');
    h.add(l.slice(0, c), l.slice(c + 1).trim());
  }
  return h;
}

/**
 * One exchange as the recorded HAProxy runs did it: the client's request (x-set: the server
 * answers with that Set-Cookie; x-cc: with that Cache-Control; x-status: with that status),
 * round-robin unless the cookie designates the server. Returns what the server saw and what
 * the client got, in the shape of the recordings.
 */
function exchange(be: Backend, r: Req, now = 1_700_000_000): string {
  const h = headers(r.headers ?? []);
  const method = r.method ?? 'GET';
  const req = new HttpRequest(method, '/', 'HTTP/1.1', h);
  const st = new PersistState();
  let srv: Server | null = persistServer(be, req, st, now);
  srv ??= be.lb.pick(null, null) as Server;
  const seen = h.getAll('cookie');
  const res = new HttpResponse('HTTP/1.1', Number(h.get('x-status') ?? 200), 'OK');
  const set = h.get('x-set');
  if (set !== undefined) res.headers.add('set-cookie', set);
  const cc = h.get('x-cc');
  if (cc !== undefined) res.headers.add('cache-control', cc);
  applyResponseCookie(be, res, method, srv, st, now);
  const out = [`${srv.name} seen=${seen.length ? JSON.stringify(seen.join('; ')) : 'null'}`];
  for (let i = 0; i < res.headers.length; i++) out.push(`${res.headers.lowerName(i)}: ${res.headers.values[i]}`);
  out.push(cookieLogChars(be.cfg, st));
  return out.join(' | ');
}

async function run(lines: string, reqs: Req[]): Promise<string[]> {
  const be = await backend(lines);
  return reqs.map((r) => exchange(be, r));
}

const SERVERS = '  server s1 127.0.0.1:8001 cookie a\n  server s2 127.0.0.1:8002 cookie b';

// Recorded from HAProxy 2.6.12 (listen in mode http, balance roundrobin, servers answering
// with the cookies they saw; "%tsc" log characters 3 and 4).
test('insert indirect nocache: insertion, removal from requests, invalid and server cookies', async () => {
  const out = await run(`  balance roundrobin\n  cookie SRV insert indirect nocache\n${SERVERS}\n  server s3 127.0.0.1:8003 backup`, [
    {},
    { headers: ['Cookie: SRV=b'] },
    { headers: ['Cookie: SRV=b; other=1'] },
    { headers: ['Cookie: other=1; SRV=b; x=2'] },
    { headers: ['Cookie: other=1', 'Cookie: SRV=a'] },
    { headers: ['Cookie: SRV=zz'] },
    { method: 'POST' },
    { headers: ['x-set: SRV=server; Path=/'] },
    { headers: ['Cookie: SRV=a', 'x-set: SRV=server; Path=/'] },
    { headers: ['x-status: 302'] },
    { headers: ['x-cc: no-cache'] },
    { headers: ['x-cc: public'] },
    { headers: ['x-status: 404'] },
    { headers: ['Cookie: SRV=a|abc'] },
    { headers: ['Cookie: $Version=1; SRV=a; $Path=/; o=1'] },
    { headers: ['Cookie: SRV = a ; o=1'] },
    { headers: ['Cookie: SRV='] },
    { headers: ['Cookie: SRV=a, o=1'] },
  ]);
  assert.deepEqual(out, [
    's1 seen=null | set-cookie: SRV=a; path=/ | NI',
    's2 seen=null | VN',
    's2 seen="other=1" | VN',
    's2 seen="other=1; x=2" | VN',
    's1 seen="other=1" | VN',
    's2 seen=null | set-cookie: SRV=b; path=/ | II',
    's1 seen=null | set-cookie: SRV=a; path=/ | NI',
    's2 seen=null | set-cookie: SRV=b; path=/ | NI',
    's1 seen=null | VD',
    's1 seen=null | set-cookie: SRV=a; path=/ | NI',
    's2 seen=null | cache-control: no-cache | set-cookie: SRV=b; path=/ | NI',
    's1 seen=null | cache-control: public | set-cookie: SRV=a; path=/ | NI',
    's2 seen=null | set-cookie: SRV=b; path=/ | NI',
    's1 seen=null | VN',
    's1 seen="$Version=1; o=1" | VN',
    's1 seen="o=1" | VN',
    's1 seen=null | set-cookie: SRV=a; path=/ | II',
    's1 seen="o=1" | VN',
  ]);
});

const MODE_REQS: Req[] = [
  {},
  { headers: ['x-set: JS=abc; Path=/'] },
  { headers: ['Cookie: JS=a~abc'] },
  { headers: ['Cookie: JS=b~abc', 'x-set: JS=def; Path=/'] },
  { headers: ['Cookie: JS=zz~abc'] },
  { headers: ['Cookie: JS=abc'] },
  { headers: ['Cookie: JS=a'] },
  { headers: ['x-set: JS=server; Path=/', 'Cookie: JS=a'] },
  { headers: ['x-set: other=1'] },
  { method: 'POST' },
  { headers: ['Cookie: JS=c'] },
];

const modes = (cookie: string, s3: string) => `  balance roundrobin\n  ${cookie}\n${SERVERS}\n  server s3 127.0.0.1:8003 ${s3}`;

test('prefix, rewrite, passive, indirect, preserve, postonly modes as HAProxy', async () => {
  assert.deepEqual(await run(modes('cookie JS prefix', 'cookie c backup'), MODE_REQS), [
    's1 seen=null | NN',
    's2 seen=null | set-cookie: JS=b~abc; Path=/ | NR',
    's1 seen="JS=abc" | VN',
    's2 seen="JS=abc" | set-cookie: JS=b~def; Path=/ | VR',
    's1 seen="JS=abc" | IN',
    's2 seen="JS=abc" | IN',
    's1 seen="JS=a" | VN',
    's1 seen="JS=a" | set-cookie: JS=a~server; Path=/ | VR',
    's1 seen=null | set-cookie: other=1 | NN',
    's2 seen=null | NN',
    's3 seen="JS=c" | VN',
  ]);
  assert.deepEqual(await run(modes('cookie JS rewrite', 'cookie c backup'), MODE_REQS), [
    's1 seen=null | NN',
    's2 seen=null | set-cookie: JS=b; Path=/ | NR',
    's1 seen="JS=a~abc" | IN',
    's2 seen="JS=b~abc" | set-cookie: JS=b; Path=/ | IR',
    's1 seen="JS=zz~abc" | IN',
    's2 seen="JS=abc" | IN',
    's1 seen="JS=a" | VN',
    's1 seen="JS=a" | set-cookie: JS=a; Path=/ | VR',
    's1 seen=null | set-cookie: other=1 | NN',
    's2 seen=null | NN',
    's3 seen="JS=c" | VN',
  ]);
  const passive = await run(modes('cookie JS', 'cookie c backup'), MODE_REQS);
  assert.deepEqual(passive.map((l) => l.split(' | ').at(-1)), Array(11).fill('--'));
  assert.deepEqual(passive.map((l) => l.split(' ')[0]), ['s1', 's2', 's1', 's2', 's1', 's2', 's1', 's1', 's1', 's2', 's3']);
  assert.deepEqual(await run(modes('cookie JS indirect', 'cookie c backup'), MODE_REQS), [
    's1 seen=null | NN',
    's2 seen=null | set-cookie: JS=abc; Path=/ | NP',
    's1 seen="JS=a~abc" | IN',
    's2 seen="JS=b~abc" | set-cookie: JS=def; Path=/ | IP',
    's1 seen="JS=zz~abc" | IN',
    's2 seen="JS=abc" | IN',
    's1 seen="JS=a" | VN',
    's1 seen="JS=a" | VD',
    's1 seen=null | set-cookie: other=1 | NN',
    's2 seen=null | NN',
    's3 seen="JS=c" | VN',
  ]);
  assert.deepEqual(await run(modes('cookie JS insert preserve', 'cookie c backup'), MODE_REQS), [
    's1 seen=null | set-cookie: JS=a; path=/ | NI',
    's2 seen=null | set-cookie: JS=abc; Path=/ | NP',
    's1 seen="JS=a~abc" | set-cookie: JS=a; path=/ | II',
    's2 seen="JS=b~abc" | set-cookie: JS=def; Path=/ | IP',
    's1 seen="JS=zz~abc" | set-cookie: JS=a; path=/ | II',
    's2 seen="JS=abc" | set-cookie: JS=b; path=/ | II',
    's1 seen="JS=a" | VN',
    's1 seen="JS=a" | set-cookie: JS=server; Path=/ | VP',
    's1 seen=null | set-cookie: other=1 | set-cookie: JS=a; path=/ | NI',
    's2 seen=null | set-cookie: JS=b; path=/ | NI',
    's3 seen="JS=c" | VN',
  ]);
  assert.deepEqual(await run(modes('cookie JS insert postonly', 'backup'), MODE_REQS), [
    's1 seen=null | NN',
    's2 seen=null | ND',
    's1 seen="JS=a~abc" | IN',
    's2 seen="JS=b~abc" | ID',
    's1 seen="JS=zz~abc" | IN',
    's2 seen="JS=abc" | IN',
    's1 seen="JS=a" | VN',
    's1 seen="JS=a" | VD',
    's1 seen=null | set-cookie: other=1 | NN',
    's2 seen=null | set-cookie: JS=b; path=/ | NI',
    's1 seen="JS=c" | IN',
  ]);
  assert.deepEqual((await run(modes('cookie JS prefix indirect', 'cookie c backup'), MODE_REQS)).map((l) => l.split(' | ').at(-1)),
    ['NN', 'NR', 'VN', 'VD', 'IN', 'IN', 'VN', 'VD', 'NN', 'NN', 'VN']);
});

test('attributes, Cache-control: private on cacheable responses only', async () => {
  const be = await backend('  cookie SRV insert nocache domain .example.com domain .b.org httponly secure attr SameSite=Lax attr Foo\n  server s1 127.0.0.1:8001 cookie a');
  assert.equal(exchange(be, { headers: ['x-cc: max-age=60'] }),
    's1 seen=null | cache-control: max-age=60 | set-cookie: SRV=a; path=/; domain=.example.com; domain=.b.org; HttpOnly; Secure; SameSite=Lax; Foo | cache-control: private | NI');
  const res = (status: number, cc: string[] = []) => new HttpResponse('HTTP/1.1', status, '', headers(cc.map((c) => `cache-control: ${c}`)));
  // the statuses and methods HAProxy 2.6.12 marked private (max-age=60 responses)
  for (const st of [200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]) assert.ok(responseCacheable('GET', res(st, ['max-age=60'])), `${st}`);
  for (const st of [302, 307, 500]) assert.ok(!responseCacheable('GET', res(st, ['max-age=60'])), `${st}`);
  for (const m of ['HEAD', 'OPTIONS', 'TRACE']) assert.ok(responseCacheable(m, res(200, ['max-age=9'])), m);
  for (const m of ['POST', 'PUT']) assert.ok(!responseCacheable(m, res(200, ['max-age=9'])), m);
  assert.ok(!responseCacheable('GET', res(200)), 'no freshness nor validator');
  assert.ok(!responseCacheable('GET', res(200, ['public'])));
  assert.ok(!responseCacheable('GET', res(200, ['no-cache, max-age=60'])));
  assert.ok(!responseCacheable('GET', res(200, ['max-age=0'])));
  assert.ok(!responseCacheable('GET', res(200, ['private, max-age=5'])));
  assert.ok(responseCacheable('GET', res(200, ['s-maxage=10'])));
  assert.ok(responseCacheable('GET', res(200, ['no-cache="set-cookie", max-age=5'])));
  assert.ok(responseCacheable('GET', new HttpResponse('HTTP/1.1', 200, '', headers(['etag: "x"']))));
});

test('dynamic cookies, maxidle/maxlife dates as HAProxy', async () => {
  // HAProxy 2.6.12 with "dynamic-cookie-key mysecret" gave 127.0.0.1:34189 the cookie 5a5ca3fd38e15444.
  assert.equal(dynamicCookie('mysecret', Uint8Array.from([127, 0, 0, 1]), 34189), '5a5ca3fd38e15444');
  // and emitted "|awXR0" at 1795543503 (dates in 4-second units)
  assert.equal(s30tob64((1795543503 + 3) >> 2), 'awXR0');
  assert.equal(b64tos30('awXR0', 0) << 2, 1795543504);
  assert.equal(b64tos30('aw*R0', 0), -1);
  const be = await backend('  dynamic-cookie-key mysecret\n  cookie SRV insert dynamic maxidle 30m maxlife 8h\n  server s1 127.0.0.1:34189\n  server s2 127.0.0.1:8002 cookie fixed');
  const now = 1795543503;
  assert.equal(exchange(be, {}, now), 's1 seen=null | set-cookie: SRV=5a5ca3fd38e15444|awXR0|awXR0; path=/ | NI');
  assert.equal(exchange(be, { headers: ['Cookie: SRV=fixed'] }, now), 's2 seen="SRV=fixed" | set-cookie: SRV=fixed|awXR0|awXR0; path=/ | VU');
  assert.equal(exchange(be, { headers: ['Cookie: SRV=fixed|AAAAA|AAAAA'] }, now), 's2 seen="SRV=fixed|AAAAA|AAAAA" | set-cookie: SRV=fixed|awXR0|awXR0; path=/ | VU');
  // a fresh cookie keeps its first date and needs no refresh yet
  const first = s30tob64((now - 100) >> 2);
  const last = s30tob64((now + 8) >> 2);
  assert.equal(exchange(be, { headers: [`Cookie: SRV=fixed|${last}|${first}`] }, now), `s2 seen="SRV=fixed|${last}|${first}" | VN`);
  // idle too long: expired; too old: old
  const stale = s30tob64((now - 3600) >> 2);
  assert.match(exchange(be, { headers: [`Cookie: SRV=fixed|${stale}|${first}`] }, now), / \| EI$/);
  const ancient = s30tob64((now - 9 * 3600) >> 2);
  assert.match(exchange(be, { headers: [`Cookie: SRV=fixed|${last}|${ancient}`] }, now), / \| OI$/);
});

test('down servers: D, option persist, force-persist and ignore-persist', async () => {
  const be = await backend(`  balance roundrobin\n  cookie SRV insert indirect\n${SERVERS}`);
  be.servers[0]!.setUp(false);
  assert.equal(exchange(be, { headers: ['Cookie: SRV=a'] }), 's2 seen=null | set-cookie: SRV=b; path=/ | DI');
  be.cfg.options.set('persist', true);
  assert.equal(exchange(be, { headers: ['Cookie: SRV=a'] }), 's1 seen=null | DN');
  be.cfg.options.delete('persist');
  const st = new PersistState();
  st.force = true;
  const req = new HttpRequest('GET', '/', 'HTTP/1.1', headers(['Cookie: SRV=a']));
  assert.equal(persistServer(be, req, st, 0)?.name, 's1');
  assert.equal(st.ck, 'D');
  const ign = new PersistState();
  ign.ignore = true;
  assert.equal(persistServer(be, new HttpRequest('GET', '/', 'HTTP/1.1', headers(['Cookie: SRV=b'])), ign, 0), null);
  assert.equal(ign.ck, 'U');
  // rules: the first matching one wins
  const rules = await backend(`  cookie SRV insert\n  force-persist if TRUE\n  ignore-persist if TRUE\n${SERVERS}`);
  const ps = new PersistState();
  applyPersistRules(rules.cfg, {} as SampleStream, ps);
  assert.deepEqual([ps.force, ps.ignore], [true, false]);
});

test('cookie keyword options', () => {
  const warn: string[] = [];
  const c = parseCookie(['cookie', 'SRV', 'insert', 'indirect', 'maxidle', '30m', 'maxlife', '1h', 'domain', 'x', 'attr', 'A=1'], null, (t) => warn.push(t));
  assert.ok(typeof c !== 'string');
  assert.deepEqual([c.insert, c.indirect, c.maxidle, c.maxlife, c.domain, c.attrs], [true, true, 1800, 3600, 'x', 'A=1']);
  assert.deepEqual(warn, ["domain 'x' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3)."]);
  // attributes carry over to a later cookie line, as in HAProxy
  const c2 = parseCookie(['cookie', 'S2', 'insert', 'attr', 'B'], c, () => {});
  assert.ok(typeof c2 !== 'string');
  assert.equal(c2.attrs, 'A=1; B');
});
