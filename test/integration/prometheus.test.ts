// The Prometheus exporter of the real process: traffic through an HTTP proxy, then GET /metrics
// on a "use-service prometheus-exporter" frontend. Counters must match the traffic, the text
// must pass promtool's checks, and the families Turnpike prints must be HAProxy 2.6's (same
// HELP, TYPE, label sets and order, and the same values for what the traffic determines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tempDir, writeConfig, startTurnpike, freePort, sleep, waitListening, HAPROXY, REFERENCE } from './harness.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpGet(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

interface Family {
  help: string;
  type: string;
  samples: { labels: string; value: string }[];
}

/** Families in order of appearance; a sample's labels kept as printed ('' when none). */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      out.set(help[1]!, { help: help[2]!, type: '', samples: [] });
      continue;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      out.get(type[1]!)!.type = type[2]!;
      continue;
    }
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    out.get(m[1]!)!.samples.push({ labels: m[2] ?? '', value: m[3]! });
  }
  return out;
}

function value(f: Map<string, Family>, name: string, labels: string): string | undefined {
  return f.get(name)?.samples.find((s) => s.labels === labels)?.value;
}

async function httpServer(): Promise<{ server: HttpServer; port: number }> {
  const server = createHttpServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function config(ports: { prom: number; web: number; raw: number }, srv: number, dead: number): string {
  return `defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend prometheus
  bind 127.0.0.1:${ports.prom}
  http-request use-service prometheus-exporter if { path /metrics }
  no log

frontend web
  bind 127.0.0.1:${ports.web}
  option socket-stats
  default_backend app

backend app
  server s1 127.0.0.1:${srv} check inter 200 fall 1 rise 1
  server s2 127.0.0.1:${dead} check inter 200 fall 1 rise 1
  server s3 127.0.0.1:${srv} disabled

listen raw
  mode tcp
  bind 127.0.0.1:${ports.raw}
  server t1 127.0.0.1:${srv}
`;
}

/** Waits until both checks have run (s1 passed, s2 refused), polling the exporter itself. */
async function checksDone(promPort: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const f = families((await httpGet(promPort, '/metrics?scope=server')).body);
    if (value(f, 'haproxy_server_check_status', 'proxy="app",server="s1",state="L4OK"') === '1'
      && value(f, 'haproxy_server_check_status', 'proxy="app",server="s2",state="L4CON"') === '1') return;
    if (Date.now() > deadline) throw new Error('health checks did not run');
    await sleep(100);
  }
}

/** The same traffic for each proxy under test: 5 OK and 2 not found, one connection each. */
async function traffic(webPort: number): Promise<void> {
  for (let i = 0; i < 5; i++) assert.equal((await httpGet(webPort, '/')).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await httpGet(webPort, '/missing')).status, 404);
}

async function ports(): Promise<{ prom: number; web: number; raw: number }> {
  return { prom: await freePort(), web: await freePort(), raw: await freePort() };
}

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

function hasPromex(): boolean {
  const r = spawnSync(HAPROXY, ['-vv'], { encoding: 'utf8' });
  return r.status === 0 && /Available services : .*prometheus-exporter/.test(r.stdout);
}

/** HAProxy itself on the same kind of configuration, in the foreground. */
async function startHaproxy(cfgPath: string, listen: number[]): Promise<{ stop(): Promise<number | null> }> {
  const proc = spawn(HAPROXY, ['-db', '-f', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  if (!(await waitListening(proc.pid!, listen))) {
    proc.kill('SIGKILL');
    throw new Error(`haproxy did not start: ${err}`);
  }
  return {
    stop: async () => {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      try { return await exit; } finally { clearTimeout(t); }
    },
  };
}

/** Runs the scenario on one proxy; returns the full /metrics text after the traffic. */
async function scrapeAfterTraffic(start: (cfg: string, listen: number[]) => Promise<{ stop(): Promise<unknown> }>, dir: string, srv: number, dead: number): Promise<{ text: string; reply: Reply; p: { prom: number; web: number; raw: number } }> {
  const p = await ports();
  const proxy = await start(writeConfig(dir, config(p, srv, dead), `p-${p.prom}.cfg`), [p.prom, p.web, p.raw]);
  try {
    await checksDone(p.prom);
    await traffic(p.web);
    const reply = await httpGet(p.prom, '/metrics');
    return { text: reply.body, reply, p };
  } finally {
    await proxy.stop();
  }
}

test('exporter: counters match the traffic; scope, no-maint, HEAD and bad queries', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backend = await httpServer();
  const dead = await freePort();
  const p = await ports();
  const tp = await startTurnpike(writeConfig(dir.path, config(p, backend.port, dead)), [p.prom, p.web, p.raw]);
  try {
    await checksDone(p.prom);
    await traffic(p.web);
    const r = await httpGet(p.prom, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4');
    assert.equal(r.headers['cache-control'], 'no-cache');
    const f = families(r.body);
    assert.equal(value(f, 'haproxy_frontend_http_requests_total', 'proxy="web"'), '7');
    assert.equal(value(f, 'haproxy_frontend_http_responses_total', 'proxy="web",code="2xx"'), '5');
    assert.equal(value(f, 'haproxy_frontend_http_responses_total', 'proxy="web",code="4xx"'), '2');
    assert.equal(value(f, 'haproxy_frontend_sessions_total', 'proxy="web"'), '7');
    assert.equal(value(f, 'haproxy_listener_sessions_total', 'proxy="web",listener="sock-1"'), '7');
    assert.equal(value(f, 'haproxy_backend_http_requests_total', 'proxy="app"'), '7');
    assert.equal(value(f, 'haproxy_backend_http_responses_total', 'proxy="app",code="2xx"'), '5');
    assert.equal(value(f, 'haproxy_backend_http_responses_total', 'proxy="app",code="4xx"'), '2');
    assert.equal(value(f, 'haproxy_backend_loadbalanced_total', 'proxy="app"'), '7');
    assert.equal(value(f, 'haproxy_backend_active_servers', 'proxy="app"'), '1');
    assert.equal(value(f, 'haproxy_backend_agg_server_status', 'proxy="app",state="UP"'), '1');
    assert.equal(value(f, 'haproxy_backend_agg_server_status', 'proxy="app",state="DOWN"'), '1');
    assert.equal(value(f, 'haproxy_backend_agg_server_status', 'proxy="app",state="MAINT"'), '1');
    assert.equal(value(f, 'haproxy_server_http_responses_total', 'proxy="app",server="s1",code="2xx"'), '5');
    assert.equal(value(f, 'haproxy_server_loadbalanced_total', 'proxy="app",server="s1"'), '7');
    assert.equal(value(f, 'haproxy_server_loadbalanced_total', 'proxy="app",server="s2"'), '0');
    assert.equal(value(f, 'haproxy_server_status', 'proxy="app",server="s1",state="UP"'), '1');
    assert.equal(value(f, 'haproxy_server_status', 'proxy="app",server="s2",state="DOWN"'), '1');
    assert.equal(value(f, 'haproxy_server_status', 'proxy="app",server="s3",state="MAINT"'), '1');
    assert.equal(value(f, 'haproxy_server_check_code', 'proxy="app",server="s1"'), '0');
    assert.equal(value(f, 'haproxy_server_check_status', 'proxy="app",server="s3",state="L4OK"'), undefined);
    assert.equal(value(f, 'haproxy_frontend_status', 'proxy="raw",state="UP"'), '1');
    assert.equal(value(f, 'haproxy_frontend_http_requests_total', 'proxy="raw"'), undefined);
    assert.ok(Number(value(f, 'haproxy_frontend_intercepted_requests_total', 'proxy="prometheus"')) >= 2);
    assert.ok(Number(value(f, 'haproxy_process_requests_total', '')) >= 9);
    if (!REFERENCE) {
      // Left out rather than printed as a fake 0.
      assert.equal(f.has('haproxy_process_current_ssl_connections'), false);
      assert.equal(f.has('haproxy_frontend_http_comp_bytes_in_total'), false);
    }

    const scoped = families((await httpGet(p.prom, '/metrics?scope=frontend&scope=server&no-maint')).body);
    assert.deepEqual([...new Set([...scoped.keys()].map((n) => n.split('_')[1]))], ['frontend', 'server']);
    assert.deepEqual([...new Set(scoped.get('haproxy_server_status')!.samples.map((s) => /server="(\w+)"/.exec(s.labels)![1]))], ['s1', 's2', 't1']);
    assert.equal((await httpGet(p.prom, '/metrics?scope=')).body, '');
    const bad = await httpGet(p.prom, '/metrics?scope=nope');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /400 Bad request/);
    const head = await httpGet(p.prom, '/metrics?scope=global', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    // Outside the rule's condition the frontend has no backend: 503, as HAProxy.
    assert.equal((await httpGet(p.prom, '/other')).status, 503);
  } finally {
    await tp.stop();
    backend.server.close();
    dir.cleanup();
  }
});

test('exporter: promtool check metrics accepts the output', {
  timeout: 60_000,
  skip: REFERENCE ? 'HAProxy 2.6 fails it itself (haproxy_process_failed_resolutions is a counter without _total)'
    : !hasPromtool() ? 'needs promtool (Debian package prometheus)' : false,
}, async () => {
  const dir = tempDir();
  const backend = await httpServer();
  try {
    const { text } = await scrapeAfterTraffic((cfg, listen) => startTurnpike(cfg, listen), dir.path, backend.port, await freePort());
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  } finally {
    backend.server.close();
    dir.cleanup();
  }
});

test('exporter: the families Turnpike prints are HAProxy 2.6\'s, with the same labels and traffic counts', {
  timeout: 60_000,
  skip: REFERENCE ? 'compares Turnpike with HAProxy' : !hasPromex() ? 'needs /usr/sbin/haproxy with the Prometheus exporter' : false,
}, async () => {
  const dir = tempDir();
  const backend = await httpServer();
  const dead = await freePort();
  try {
    const ours = families((await scrapeAfterTraffic((cfg, listen) => startTurnpike(cfg, listen), dir.path, backend.port, dead)).text);
    const theirs = families((await scrapeAfterTraffic(startHaproxy, dir.path, backend.port, dead)).text);
    const names = [...ours.keys()];
    assert.ok(names.length > 100, `${names.length} families`);
    // Same relative order, and nothing HAProxy does not print.
    assert.deepEqual(names, [...theirs.keys()].filter((n) => ours.has(n)));
    for (const n of names) {
      const a = ours.get(n)!;
      const b = theirs.get(n)!;
      assert.equal(a.help, b.help, `HELP of ${n}`);
      assert.equal(a.type, b.type, `TYPE of ${n}`);
      if (n === 'haproxy_process_build_info') continue;
      assert.deepEqual(a.samples.map((s) => s.labels), b.samples.map((s) => s.labels), `label sets of ${n}`);
    }
    // Values the traffic and the server states determine (the exporter's own frontend aside).
    const exact = [
      'haproxy_frontend_http_requests_total', 'haproxy_frontend_http_responses_total', 'haproxy_frontend_sessions_total',
      'haproxy_frontend_connections_total', 'haproxy_frontend_status', 'haproxy_listener_sessions_total', 'haproxy_listener_status',
      'haproxy_backend_http_requests_total', 'haproxy_backend_http_responses_total', 'haproxy_backend_sessions_total',
      'haproxy_backend_loadbalanced_total', 'haproxy_backend_status', 'haproxy_backend_active_servers', 'haproxy_backend_weight',
      'haproxy_backend_agg_server_status', 'haproxy_backend_agg_server_check_status', 'haproxy_backend_agg_check_status',
      'haproxy_server_status', 'haproxy_server_check_status', 'haproxy_server_check_code', 'haproxy_server_http_responses_total',
      'haproxy_server_loadbalanced_total', 'haproxy_server_sessions_total', 'haproxy_server_weight', 'haproxy_server_limit_sessions',
      'haproxy_server_check_failures_total', 'haproxy_server_queue_limit',
    ];
    for (const n of exact) {
      const pick = (f: Family) => f.samples.filter((s) => !s.labels.startsWith('proxy="prometheus"'));
      assert.deepEqual(pick(ours.get(n)!), pick(theirs.get(n)!), `values of ${n}`);
    }
  } finally {
    backend.server.close();
    dir.cleanup();
  }
});
