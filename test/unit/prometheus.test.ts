import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formDecode, parseMetricsQuery, prometheusReply } from '../../src/observe/prometheus/exporter.ts';
import { ALL_SCOPES, Scope, renderMetrics } from '../../src/observe/prometheus/render.ts';
import { serverState } from '../../src/observe/prometheus/metrics.ts';
import { startServerChecks, stopServerChecks, serverHealthCheck } from '../../src/runtime/server-health.ts';
import { HttpHeaders, HttpRequest } from '../../src/protocols/http1/message.ts';
import { VERSION } from '../../src/version.ts';
import { parse, runtime } from './stats/helpers.ts';

const HTTP_DEFAULTS = 'defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';

const CFG = `${HTTP_DEFAULTS}frontend prometheus\n  bind 127.0.0.1:8405\n  http-request use-service prometheus-exporter if { path /metrics }\n  no log\n`
  + 'frontend web\n  bind 127.0.0.1:8080\n  option socket-stats\n  default_backend app\n'
  + 'backend app\n  server s1 127.0.0.1:1 check\n  server s2 127.0.0.1:2 maxconn 10\n  server s3 127.0.0.1:3 disabled\n'
  + 'listen raw\n  mode tcp\n  bind 127.0.0.1:8100\n  server t1 127.0.0.1:4\n';

interface Family {
  help: string;
  type: string;
  samples: { labels: Record<string, string>; value: string }[];
}

/**
 * A strict reader of the text exposition format 0.0.4: every sample's family is announced by
 * HELP then TYPE, families are contiguous and appear once, label sets are unique, values are
 * numbers or NaN, and counters end in "_total".
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  assert.ok(text === '' || text.endsWith('\n'), 'ends with a newline');
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  let current: string | null = null;
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (help) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(lines[++i] ?? '');
      assert.ok(type && type[1] === help[1], `TYPE follows HELP for ${help[1]}`);
      assert.ok(!families.has(help[1]!), `${help[1]} announced once`);
      families.set(help[1]!, { help: help[2]!, type: type[2]!, samples: [] });
      current = help[1]!;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (NaN|-?\d+(?:\.\d+)?)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    assert.equal(m[1], current, `${m[1]} follows its own HELP/TYPE`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) {
      for (const pair of m[2].split(',')) {
        const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"$/.exec(pair);
        assert.ok(l, `label ${pair}`);
        labels[l[1]!] = l[2]!;
      }
    }
    const key = `${m[1]}${JSON.stringify(labels)}`;
    assert.ok(!seen.has(key), `unique series ${key}`);
    seen.add(key);
    families.get(current!)!.samples.push({ labels, value: m[3]! });
  }
  for (const [name, f] of families) {
    if (f.type === 'counter') assert.ok(name.endsWith('_total'), `counter ${name} ends in _total`);
    assert.ok(f.samples.length > 0, `${name} has samples`);
  }
  return families;
}

function value(fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): string | undefined {
  return fams.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

function request(uri: string): HttpRequest {
  return new HttpRequest('GET', uri, 'HTTP/1.1', new HttpHeaders());
}

test('query: scope and no-maint as HAProxy 2.6 reads them (checked against its exporter)', () => {
  const q = (s: string) => parseMetricsQuery(`/metrics${s}`);
  assert.deepEqual(q(''), { scopes: ALL_SCOPES, noMaint: false });
  assert.deepEqual(q('?'), { scopes: ALL_SCOPES, noMaint: false });
  assert.deepEqual(q('?scope=frontend&scope=server'), { scopes: Scope.Frontend | Scope.Server, noMaint: false });
  assert.deepEqual(q('?scope=listener'), { scopes: Scope.Listener, noMaint: false });
  assert.deepEqual(q('?scope=sticktable'), { scopes: Scope.StickTable, noMaint: false });
  assert.deepEqual(q('?scope='), { scopes: 0, noMaint: false });
  assert.deepEqual(q('?scope=global&scope='), { scopes: 0, noMaint: false });
  assert.deepEqual(q('?scope=&scope=global'), { scopes: Scope.Global, noMaint: false });
  assert.deepEqual(q('?scope=*'), { scopes: ALL_SCOPES, noMaint: false });
  assert.deepEqual(q('?scope=%2A'), { scopes: ALL_SCOPES, noMaint: false });
  assert.deepEqual(q('?scope=front%65nd'), { scopes: Scope.Frontend, noMaint: false });
  assert.deepEqual(q('?no-maint'), { scopes: ALL_SCOPES, noMaint: true });
  assert.deepEqual(q('?scope=server&no-maint=0'), { scopes: Scope.Server, noMaint: true });
  assert.deepEqual(q('?x=1&scope=backend'), { scopes: Scope.Backend, noMaint: false });
  assert.deepEqual(q('?scope=global#scope=server'), { scopes: Scope.Global, noMaint: false });
  assert.deepEqual(q('?&scope=backend&'), { scopes: Scope.Backend, noMaint: false });
  // A decoded NUL ends the C string: "scope\0x" is "scope".
  assert.deepEqual(q('?scope%00x=server'), { scopes: Scope.Server, noMaint: false });
  // 400 Bad request
  for (const bad of ['?scope=foo', '?scope', '?scope=a=b', '?x=1=2', '?scope=%zz', '?%g0=1', '?scope=Global', '?scope=+global']) {
    assert.equal(q(bad), null, bad);
  }
  assert.deepEqual(parseMetricsQuery('http://h:1/metrics?scope=backend'), { scopes: Scope.Backend, noMaint: false });
});

test('formDecode: %XX escapes and "+" as a space, null on a bad escape', () => {
  assert.equal(formDecode('a+b%20c%41'), 'a b cA');
  assert.equal(formDecode('plain'), 'plain');
  assert.equal(formDecode('%4'), null);
  assert.equal(formDecode('%x1'), null);
  assert.equal(formDecode('ab%00cd'), 'ab');
});

test('render: HAProxy\'s families, labels and order; valid exposition format', () => {
  const { rt } = runtime(CFG);
  const [prom, web, app, raw] = rt.proxies;
  web!.counters.reqTotal = 7;
  web!.counters.hrsp[1] = 5;
  web!.counters.hrsp[3] = 2;
  app!.counters.beReqTotal = 7;
  app!.counters.hrsp[1] = 5;
  app!.counters.times.add(0, 2, 30, 45);
  const s1 = app!.backend!.servers[0]!;
  s1.counters.hrsp[1] = 3;
  s1.counters.lbTotal = 4;
  prom!.counters.intercepted = 3;
  const text = renderMetrics(rt, { scopes: ALL_SCOPES, noMaint: false });
  const fams = parseExposition(text);
  const names = [...fams.keys()];
  // Scope order: process, frontend, listener, backend, server.
  const prefixes = names.map((n) => n.split('_')[1]);
  assert.deepEqual([...new Set(prefixes)], ['process', 'frontend', 'listener', 'backend', 'server']);
  assert.equal(names[0], 'haproxy_process_nbthread');
  assert.equal(value(fams, 'haproxy_process_build_info', { version: VERSION }), '1');
  assert.equal(value(fams, 'haproxy_process_max_connections'), String(rt.maxconn));
  // Frontends: label proxy; HTTP-only families leave out the TCP proxy.
  assert.deepEqual(fams.get('haproxy_frontend_current_sessions')!.samples.map((s) => s.labels.proxy), ['prometheus', 'web', 'raw']);
  assert.deepEqual(fams.get('haproxy_frontend_http_requests_total')!.samples.map((s) => s.labels.proxy), ['prometheus', 'web']);
  assert.equal(value(fams, 'haproxy_frontend_http_requests_total', { proxy: 'web' }), '7');
  assert.equal(value(fams, 'haproxy_frontend_intercepted_requests_total', { proxy: 'prometheus' }), '3');
  assert.equal(value(fams, 'haproxy_frontend_status', { proxy: 'web', state: 'UP' }), '1');
  assert.equal(value(fams, 'haproxy_frontend_status', { proxy: 'web', state: 'DOWN' }), '0');
  // hrsp: one family, code by code, each over the proxies; described as the 1xx field.
  const rsp = fams.get('haproxy_frontend_http_responses_total')!;
  assert.equal(rsp.type, 'counter');
  assert.match(rsp.help, /status 100-199/);
  assert.deepEqual(rsp.samples.slice(0, 4).map((s) => `${s.labels.proxy}/${s.labels.code}`), ['prometheus/1xx', 'web/1xx', 'prometheus/2xx', 'web/2xx']);
  assert.equal(value(fams, 'haproxy_frontend_http_responses_total', { proxy: 'web', code: '2xx' }), '5');
  assert.equal(value(fams, 'haproxy_frontend_http_responses_total', { proxy: 'web', code: '4xx' }), '2');
  // Listeners only with option socket-stats.
  assert.deepEqual(fams.get('haproxy_listener_current_sessions')!.samples.map((s) => s.labels), [{ proxy: 'web', listener: 'sock-1' }]);
  assert.equal(value(fams, 'haproxy_listener_status', { proxy: 'web', listener: 'sock-1', state: 'OPEN' }), '1');
  // Backends.
  assert.deepEqual(fams.get('haproxy_backend_current_queue')!.samples.map((s) => s.labels.proxy), ['app', 'raw']);
  assert.equal(value(fams, 'haproxy_backend_http_requests_total', { proxy: 'app' }), '7');
  assert.equal(value(fams, 'haproxy_backend_http_responses_total', { proxy: 'app', code: '2xx' }), '5');
  assert.equal(value(fams, 'haproxy_backend_response_time_average_seconds', { proxy: 'app' }), '0.030000');
  assert.equal(value(fams, 'haproxy_backend_max_total_time_seconds', { proxy: 'app' }), '0.045000');
  assert.equal(value(fams, 'haproxy_backend_status', { proxy: 'app', state: 'UP' }), '1');
  assert.equal(value(fams, 'haproxy_backend_agg_server_status', { proxy: 'app', state: 'UP' }), '2');
  assert.equal(value(fams, 'haproxy_backend_agg_server_status', { proxy: 'app', state: 'MAINT' }), '1');
  assert.equal(value(fams, 'haproxy_backend_last_session_seconds', { proxy: 'raw' }), '-1');
  // Servers: labels proxy and server; empty stats fields are NaN, as HAProxy prints them.
  assert.deepEqual(fams.get('haproxy_server_current_queue')!.samples.map((s) => `${s.labels.proxy}/${s.labels.server}`), ['app/s1', 'app/s2', 'app/s3', 'raw/t1']);
  assert.equal(value(fams, 'haproxy_server_limit_sessions', { proxy: 'app', server: 's1' }), 'NaN');
  assert.equal(value(fams, 'haproxy_server_limit_sessions', { proxy: 'app', server: 's2' }), '10');
  assert.equal(value(fams, 'haproxy_server_http_responses_total', { proxy: 'app', server: 's1', code: '2xx' }), '3');
  assert.equal(value(fams, 'haproxy_server_loadbalanced_total', { proxy: 'app', server: 's1' }), '4');
  assert.equal(value(fams, 'haproxy_server_status', { proxy: 'app', server: 's3', state: 'MAINT' }), '1');
  assert.equal(value(fams, 'haproxy_server_status', { proxy: 'app', server: 's1', state: 'UP' }), '1');
  assert.equal(fams.has('haproxy_server_http_requests_total'), false);
  // No check has run here: no check metric at all.
  assert.equal(fams.has('haproxy_server_check_status'), false);
  // What Turnpike does not measure is left out rather than printed as 0.
  for (const n of ['haproxy_process_current_ssl_connections', 'haproxy_frontend_http_comp_bytes_in_total', 'haproxy_backend_http_cache_hits_total',
    'haproxy_server_internal_errors_total', 'haproxy_server_idle_connections_current', 'haproxy_process_current_tasks']) {
    assert.equal(fams.has(n), false, n);
  }
});

test('render: scopes and no-maint', () => {
  const { rt } = runtime(CFG);
  const only = (scopes: number, noMaint = false) => [...new Set([...parseExposition(renderMetrics(rt, { scopes, noMaint })).keys()].map((n) => n.split('_')[1]))];
  assert.deepEqual(only(Scope.Frontend | Scope.Server), ['frontend', 'server']);
  assert.deepEqual(only(Scope.Global), ['process']);
  assert.deepEqual(only(Scope.StickTable), []);
  assert.equal(renderMetrics(rt, { scopes: 0, noMaint: false }), '');
  const fams = parseExposition(renderMetrics(rt, { scopes: Scope.Server | Scope.Backend, noMaint: true }));
  assert.deepEqual(fams.get('haproxy_server_current_queue')!.samples.map((s) => s.labels.server), ['s1', 's2', 't1']);
  // no-maint hides servers, not their count in the backend's aggregate.
  assert.equal(value(fams, 'haproxy_backend_agg_server_status', { proxy: 'app', state: 'MAINT' }), '1');
});

test('render: server states, check status, code and duration, backend aggregates', () => {
  const { rt } = runtime(CFG);
  const app = rt.proxies[2]!;
  const be = app.backend!;
  const [s1, s2, s3] = be.servers;
  startServerChecks(be, 0, 16384);
  stopServerChecks(be);
  const h = serverHealthCheck(s1!)!.health;
  h.record('L7STS', 'HTTP status check returned code <503>', 12, 503);
  s2!.drain = true;
  assert.equal(serverState(s2!), 'DRAIN');
  s2!.stopping = true;
  assert.equal(serverState(s2!), 'NOLB');
  s2!.up = false;
  assert.equal(serverState(s2!), 'DOWN');
  assert.equal(serverState(s3!), 'MAINT');
  let fams = parseExposition(renderMetrics(rt, { scopes: Scope.Server | Scope.Backend, noMaint: false }));
  const states = fams.get('haproxy_server_check_status')!.samples;
  assert.deepEqual(states.map((s) => s.labels.state), [
    'HANA', 'SOCKERR', 'L4OK', 'L4TOUT', 'L4CON', 'L6OK', 'L6TOUT', 'L6RSP', 'L7TOUT', 'L7RSP', 'L7OK', 'L7OKC', 'L7STS', 'PROCERR', 'PROCTOUT', 'PROCOK',
  ]);
  assert.ok(states.every((s) => s.labels.server === 's1' && s.value === (s.labels.state === 'L7STS' ? '1' : '0')));
  assert.equal(value(fams, 'haproxy_server_check_code', { proxy: 'app', server: 's1' }), '503');
  assert.equal(value(fams, 'haproxy_server_check_duration_seconds', { proxy: 'app', server: 's1' }), '0.012000');
  assert.equal(value(fams, 'haproxy_server_check_failures_total', { proxy: 'app', server: 's2' }), 'NaN');
  assert.equal(value(fams, 'haproxy_server_status', { proxy: 'app', server: 's2', state: 'DOWN' }), '1');
  assert.equal(value(fams, 'haproxy_backend_agg_check_status', { proxy: 'app', state: 'L7STS' }), '1');
  assert.equal(value(fams, 'haproxy_backend_agg_server_check_status', { proxy: 'app', state: 'DOWN' }), '1');
  // Layer 4 statuses carry no code; a paused check shows no status but keeps its duration.
  h.record('L4OK', '', 3, 0);
  s1!.setMaint(true);
  serverHealthCheck(s1!)!.setMaintenance(true);
  fams = parseExposition(renderMetrics(rt, { scopes: Scope.Server | Scope.Backend, noMaint: false }));
  assert.equal(fams.has('haproxy_server_check_status'), false);
  assert.equal(fams.has('haproxy_server_check_code'), false);
  assert.equal(value(fams, 'haproxy_server_check_duration_seconds', { proxy: 'app', server: 's1' }), '0.003000');
  assert.equal(value(fams, 'haproxy_backend_agg_check_status', { proxy: 'app', state: 'L4OK' }), '1');
  s1!.setMaint(false);
  serverHealthCheck(s1!)!.setMaintenance(false);
  fams = parseExposition(renderMetrics(rt, { scopes: Scope.Server, noMaint: false }));
  assert.equal(value(fams, 'haproxy_server_check_code', { proxy: 'app', server: 's1' }), '0');
});

test('reply: 200 text/plain version 0.0.4, or the built-in 400 for a bad query', () => {
  const { rt } = runtime(CFG);
  const ok = prometheusReply(rt, request('/metrics?scope=frontend'));
  assert.equal(ok.res.status, 200);
  assert.equal(ok.res.headers.get('content-type'), 'text/plain; version=0.0.4');
  assert.equal(ok.res.headers.get('cache-control'), 'no-cache');
  assert.equal(ok.res.headers.get('content-length'), String(ok.body.length));
  assert.match(ok.body.toString('latin1'), /^# HELP haproxy_frontend_current_sessions /);
  const bad = prometheusReply(rt, request('/metrics?scope=nope'));
  assert.equal(bad.res.status, 400);
  assert.match(bad.body.toString('latin1'), /400 Bad request/);
});

test('use-service: HAProxy\'s parse errors; unknown services named as HAProxy does', () => {
  const fe = `${HTTP_DEFAULTS}frontend f\n  bind 127.0.0.1:9999\n`;
  const err = (line: string) => parse(`${fe}  ${line}\n`).messages.join('\n');
  assert.match(err('http-request use-service'),
    /error detected in frontend 'f' while parsing 'http-request use-service' rule : 'use-service' expects a service name\.\./);
  assert.match(err('http-request use-service foo'),
    /error detected in frontend 'f' while parsing 'http-request use-service' rule : 'foo' unknown service name\.\./);
  assert.match(err('http-request use-service prometheus-exporter extra'),
    /'http-request use-service' expects either 'if' or 'unless' followed by a condition but found 'extra'\./);
  assert.match(err('http-response use-service prometheus-exporter'), /'http-response' expects .*but got 'use-service'/);
  const okCfg = parse(`${fe}  http-request use-service prometheus-exporter if { path /metrics }\n  http-request deny\n`);
  assert.equal(okCfg.diag.alerts, 0);
  assert.equal(okCfg.config.proxies[0]!.httpRequestRules[0]!.action.name, 'use-service');
  // Not a final action for HAProxy: no "further entries are NOOP" warning.
  assert.deepEqual(parse(`${fe}  http-request use-service prometheus-exporter\n  http-request deny\n`).messages, []);
});
