// HTTP/2 benchmark (node bench/run.ts h2): Turnpike and Debian's HAProxy, alternately, serving
// HTTP/2 to h2load and proxying to one HTTP/1.1 nginx on 127.0.0.1:
//   h2c-m10: clear-text h2 (prior knowledge, "bind ... proto h2"), 50 connections x 10 streams;
//   h2c-m1:  the same with one stream per connection;
//   tls-m10: h2 over TLS (ALPN, RSA-2048 certificate), keep-alive, 50 connections x 10 streams.
// Both run `nbthread 1` from the same configuration file, are restarted every round and take turns.
// Prints a table with the Turnpike/HAProxy ratio against the target and writes
// bench/results/h2-<date>.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  alive,
  benchTempDir,
  consoleTable,
  describeExit,
  describeMachine,
  ensurePackages,
  fmt,
  fmtMs,
  freePort,
  log,
  machineMarkdown,
  markdownTable,
  measureQuietly,
  median,
  noiseBudget,
  noiseNote,
  pin,
  run,
  runLoad,
  runProxyRounds,
  selfSignedPem,
  shellWords,
  sleep,
  startNginx,
  stopNginx,
  tail,
  waitForPort,
  which,
  BACKEND_BODY,
  NOISE_PCT,
  QUIET_PCT,
  quietRuns,
  type Machine,
  type NginxBackend,
  type Proc,
} from './lib.ts';
import type { Mode } from './tcp.ts';

export const H2_SCENARIOS = ['h2c-m10', 'h2c-m1', 'tls-m10'] as const;
export type H2Scenario = (typeof H2_SCENARIOS)[number];

export interface H2Options {
  modes: Mode[];
  rounds: number;
  durationS: number;
  warmupS: number;
  /** Run HAProxy in the Turnpike slot (to check the harness). */
  standIn: boolean;
  turnpikeBin: string;
  repo: string;
  nodeBin: string;
  resultsDir: string;
  command: string;
  quick: boolean;
  quietWaitS: number;
  noisyRetries: number;
}

const PROXIES = ['haproxy', 'turnpike'] as const;
type Proxy = (typeof PROXIES)[number];

/** The issue's target for Turnpike: HTTP/2 req/s at least half HAProxy's. */
const TARGET_VS_HAPROXY = 0.5;

interface ScenarioDef {
  title: string;
  tls: boolean;
  conns: number;
  streams: number;
}

const SCENARIOS: Record<H2Scenario, ScenarioDef> = {
  'h2c-m10': { title: 'h2c, 50 conns x 10 streams', tls: false, conns: 50, streams: 10 },
  'h2c-m1': { title: 'h2c, 50 conns x 1 stream', tls: false, conns: 50, streams: 1 },
  'tls-m10': { title: 'h2 TLS, 50 conns x 10 streams', tls: true, conns: 50, streams: 10 },
};

/** h2load's warm-up phase opens the connections and lets V8 optimise; only the main duration is counted. */
function h2loadArgs(s: ScenarioDef, url: string, durationS: number, warmupS: number): string[] {
  return ['-t', '1', '-c', String(s.conns), '-m', String(s.streams), '-D', String(durationS), `--warm-up-time=${warmupS}`, url];
}

// ---------------------------------------------------------------------------
// h2load output

export interface H2loadResult {
  /** "finished in" figure: requests of the main duration / its length */
  rps: number;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** response body bytes ("data" in the traffic line) */
  dataBytes: number;
  /** "time for request": per-request latency */
  latencyMs: { min: number; max: number; mean: number; sd: number };
  /** "Application protocol" (h2c, h2, http/1.1) */
  protocol: string;
}

const H2LOAD_TIME_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

function h2loadTimeMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s);
  if (!m) throw new Error(`unexpected h2load duration ${JSON.stringify(s)}`);
  return Number(m[1]) * H2LOAD_TIME_MS[m[2]!]!;
}

/** Parses h2load (nghttp2 1.x) output; throws with the output's tail when a summary line is missing. */
export function parseH2load(out: string): H2loadResult {
  const fin = /^finished in [\d.]+(?:us|ms|s), ([\d.]+) req\/s/m.exec(out);
  const req = /^requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(out);
  const st = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(out);
  const traffic = /^traffic: .*\((\d+)\) data/m.exec(out);
  const lat = /^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out);
  if (!fin || !req || !st || !traffic || !lat) throw new Error(`could not parse h2load output:\n${tail(out, 20)}`);
  return {
    rps: Number(fin[1]),
    total: Number(req[1]),
    done: Number(req[2]),
    succeeded: Number(req[3]),
    failed: Number(req[4]),
    errored: Number(req[5]),
    timeout: Number(req[6]),
    status: { '2xx': Number(st[1]), '3xx': Number(st[2]), '4xx': Number(st[3]), '5xx': Number(st[4]) },
    dataBytes: Number(traffic[1]),
    latencyMs: { min: h2loadTimeMs(lat[1]!), max: h2loadTimeMs(lat[2]!), mean: h2loadTimeMs(lat[3]!), sd: h2loadTimeMs(lat[4]!) },
    protocol: /^Application protocol: (\S+)/m.exec(out)?.[1] ?? 'none negotiated',
  };
}

// ---------------------------------------------------------------------------
// Configurations

function proxyConfig(h2cPort: number, tlsPort: number, pem: string, backendPort: number): string {
  // Only what both HAProxy 2.6 and Turnpike accept; maxconn 4000 keeps HAProxy's computed
  // FD need under the open-files limit.
  return [
    'global',
    '    maxconn 4000',
    '    nbthread 1',
    '',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '',
    'listen bench',
    `    bind 127.0.0.1:${h2cPort} proto h2`,
    `    bind 127.0.0.1:${tlsPort} ssl crt ${pem} alpn h2,http/1.1`,
    `    server s1 127.0.0.1:${backendPort}`,
    '',
  ].join('\n');
}


// ---------------------------------------------------------------------------
// Running

interface Measurement {
  mode: Mode;
  round: number;
  proxy: Proxy;
  scenario: H2Scenario;
  h2?: H2loadResult;
  proxyCpu?: number; // % of one core
  nginxCpu?: number;
  loadCpu?: number;
  otherCpu?: number;
  coreBusy?: number[];
  peakRssMiB?: number;
  failure?: string;
  warnings: string[];
}

interface Setup {
  h2loadBin: string;
  /** CPU for nginx and h2load in pinned mode */
  loadCpu: number | undefined;
  urls: Record<'clear' | 'tls', string>;
  durationS: number;
  warmupS: number;
}

const urlOf = (u: Setup['urls'], s: ScenarioDef): string => (s.tls ? u.tls : u.clear);

export async function runH2(opts: H2Options): Promise<number> {
  ensurePackages([
    { bin: 'h2load', pkg: 'nghttp2-client' },
    { bin: 'nginx', pkg: 'nginx-light' },
    { bin: 'haproxy', pkg: 'haproxy' },
    { bin: 'taskset', pkg: 'util-linux' },
    { bin: 'openssl', pkg: 'openssl' },
  ]);
  const haproxyBin = which('haproxy') ?? '/usr/sbin/haproxy';
  const h2loadBin = which('h2load') ?? '/usr/bin/h2load';
  const machine = describeMachine(opts.nodeBin, opts.repo);
  const h2loadVersion = execFileSync(h2loadBin, ['--version'], { encoding: 'utf8' }).trim();
  const startedAt = new Date();
  const t0 = Date.now();

  const dir = benchTempDir('turnpike-bench-h2-');
  const pem = selfSignedPem(dir);

  const backendPort = await freePort();
  const h2cPort = await freePort();
  const tlsPort = await freePort();
  const cfgText = proxyConfig(h2cPort, tlsPort, pem, backendPort);
  const cfgFile = path.join(dir, 'proxy.cfg');
  writeFileSync(cfgFile, cfgText);
  // keepalive_requests far above what one backend connection sees in a run, so
  // nginx never closes the proxies' pooled connections.
  const backend: NginxBackend = { dir, port: backendPort, keepaliveRequests: 100000000, keepaliveTimeout: '75s', files: [] };

  const proxyCmd: Record<Proxy, [string, string[]]> = {
    haproxy: [haproxyBin, ['-db', '-f', cfgFile]],
    turnpike: opts.standIn ? [haproxyBin, ['-db', '-f', cfgFile]] : [opts.turnpikeBin, ['-db', '-f', cfgFile]],
  };
  const label = (p: Proxy): string => (p === 'turnpike' && opts.standIn ? 'turnpike*' : p);

  const results: Measurement[] = [];
  const noise = noiseBudget(opts.quietWaitS, opts.noisyRetries);
  const initialRetries = noise.retriesLeft;
  const startFailures: Partial<Record<Proxy, string>> = {};
  const urls = { clear: `http://127.0.0.1:${h2cPort}/`, tls: `https://127.0.0.1:${tlsPort}/` };
  const scenarios = H2_SCENARIOS;

  for (const mode of opts.modes) {
    const proxyCpu = mode === 'pinned' ? 0 : undefined;
    const setup: Setup = { h2loadBin, loadCpu: mode === 'pinned' ? 1 : undefined, urls, durationS: opts.durationS, warmupS: opts.warmupS };
    log(`\nbench: === h2, ${mode}${mode === 'pinned' ? ' (proxy on cpu 0; nginx and h2load on cpu 1)' : ''} ===`);

    const nginx = await startNginx(backend, setup.loadCpu);
    await runProxyRounds({
      mode,
      rounds: opts.rounds,
      // Reverse the order every other round so drift (thermal, other jobs) does not favour one proxy.
      order: (round) => (round % 2 ? PROXIES : [...PROXIES].reverse()),
      scenarios,
      label,
      command: (proxy) => pin(proxyCpu, ...proxyCmd[proxy]),
      ready: (p) => checkProxy(p, h2cPort, tlsPort, setup),
      measure: (proxy, scenario, round, p) =>
        measureQuietly(
          noise,
          p,
          () => measure(setup, mode, round, proxy, scenario, p, nginx),
          (m) => `${SCENARIOS[scenario].title.padEnd(30)} ${summarizeOne(m)}`,
        ),
      failed: (proxy, scenario, round, failure) => ({ mode, round, proxy, scenario, failure, warnings: [] }),
      stopGraceMs: 10_000,
      results,
      startFailures,
    });
    await stopNginx(nginx);
  }

  const elapsedS = (Date.now() - t0) / 1000;
  noise.retries = initialRetries - noise.retriesLeft;
  const rows = summarize(results, opts.modes, scenarios);
  const cells = rows.map((r) => rowCells(r, label));
  process.stdout.write(`\n${consoleTable(HEADERS, NUMERIC_COLS, cells, rows.map((r) => `${r.mode}/${r.scenario}`))}\n`);
  for (const [proxy, why] of Object.entries(startFailures)) process.stdout.write(`\n${proxy} failed the start check:\n${why}\n`);
  const note = noiseNote(noise);
  process.stdout.write(`\n${note}\n`);
  const file = writeReport(opts, machine, h2loadVersion, startedAt, elapsedS, cfgText, scenarios, rows, results, label, startFailures, note);
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), file) || file} (${elapsedS.toFixed(0)} s)\n`);
  return results.some((r) => r.failure) ? 1 : 0;
}

/**
 * Waits for both binds, then sends 20 requests on each with h2load: all must succeed with
 * nginx's body over the expected protocol (h2c in clear, h2 by ALPN over TLS). Returns an error text or undefined.
 */
async function checkProxy(p: Proc, h2cPort: number, tlsPort: number, setup: Setup): Promise<string | undefined> {
  try {
    await waitForPort(h2cPort, p, 15_000);
    await waitForPort(tlsPort, p, 5_000);
    for (const [url, proto] of [[setup.urls.clear, 'h2c'], [setup.urls.tls, 'h2']] as const) {
      const args = ['-n', '20', '-c', '1', '-m', '2', url];
      const r = await run('h2load-check', setup.h2loadBin, args, 15_000);
      let h: H2loadResult;
      try {
        h = parseH2load(r.output);
      } catch (err) {
        return `h2load ${shellWords(args)}: ${r.timedOut ? 'timed out' : (err as Error).message}\nproxy output:\n${tail(p.output())}`;
      }
      if (h.protocol !== proto || h.succeeded !== 20 || h.status['2xx'] !== 20 || h.dataBytes !== 20 * BACKEND_BODY.length) {
        return `h2load ${shellWords(args)}: protocol ${h.protocol}, ${h.succeeded} of 20 succeeded, ${h.status['2xx']} 2xx, ${h.dataBytes} body bytes (want ${proto}, 20, 20, ${20 * BACKEND_BODY.length})\n${tail(r.output, 8)}\nproxy output:\n${tail(p.output())}`;
      }
    }
    return undefined;
  } catch (err) {
    await sleep(200);
    return `${(err as Error).message}\n${tail(p.output())}`;
  }
}

async function measure(setup: Setup, mode: Mode, round: number, proxy: Proxy, scenario: H2Scenario, p: Proc, nginx: Proc): Promise<Measurement> {
  const m: Measurement = { mode, round, proxy, scenario, warnings: [] };
  const s = SCENARIOS[scenario];
  // CPU is counted over warm-up and main duration alike: both load the proxy the same way.
  const load = await runLoad('h2load', setup.h2loadBin, h2loadArgs(s, urlOf(setup.urls, s), setup.durationS, setup.warmupS), setup.loadCpu, (setup.durationS + setup.warmupS + 30) * 1000, p, nginx);
  const r = load.result;
  m.proxyCpu = load.proxyCpu;
  m.nginxCpu = load.nginxCpu;
  m.coreBusy = load.coreBusy;
  m.loadCpu = load.loadCpu;
  m.otherCpu = load.otherCpu;

  if (r.timedOut || r.code !== 0) {
    m.failure = `h2load ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`}:\n${tail(r.output)}`;
  } else {
    try {
      const h = (m.h2 = parseH2load(r.output));
      const want = s.tls ? 'h2' : 'h2c';
      const bad = h.failed + h.errored + h.timeout;
      const non2xx = h.status['3xx'] + h.status['4xx'] + h.status['5xx'];
      if (h.protocol !== want) m.failure = `application protocol ${h.protocol}, expected ${want}`;
      else if (h.done === 0) m.failure = 'no request completed';
      // Failed and error responses are cheap to produce: more than 0.1% of them invalidates the figure.
      else if (bad + non2xx > h.total / 1000) m.failure = `${h.failed} failed, ${h.errored} errored, ${h.timeout} timed out, ${non2xx} non-2xx of ${h.total} requests`;
      else if (bad + non2xx) m.warnings.push(`${h.failed} failed, ${h.errored} errored, ${h.timeout} timed out, ${non2xx} non-2xx`);
      if (h.succeeded > 0 && h.dataBytes < h.succeeded * BACKEND_BODY.length) m.warnings.push(`${h.dataBytes} body bytes for ${h.succeeded} responses of ${BACKEND_BODY.length}`);
      if (m.otherCpu !== undefined && m.otherCpu > NOISE_PCT) m.warnings.push(`noisy: other processes used ${fmt(m.otherCpu)}% of a core during this run`);
    } catch (err) {
      m.failure = (err as Error).message;
    }
  }
  if (m.failure) m.failure += `\nh2load: ${shellWords(h2loadArgs(s, urlOf(setup.urls, s), setup.durationS, setup.warmupS))}\nproxy output:\n${tail(p.output()) || '(none)'}`;
  if (!alive(p)) m.failure = `${m.failure ? `${m.failure}\n` : ''}proxy ${describeExit(p)} during the run:\n${tail(p.output())}`;
  if (!alive(nginx)) throw new Error(`nginx ${describeExit(nginx)} during the run:\n${tail(nginx.output())}`);
  return m;
}

function summarizeOne(m: Measurement): string {
  if (m.failure) return `FAILED: ${m.failure.split('\n')[0]}`;
  const warn = m.warnings.length ? `  [${m.warnings.join('; ')}]` : '';
  const h = m.h2!;
  return (
    `${fmt(h.rps).padStart(7)} req/s  latency mean ${fmtMs(h.latencyMs.mean)} sd ${fmtMs(h.latencyMs.sd)} max ${fmtMs(h.latencyMs.max)} ms  ` +
    `CPU% proxy ${fmt(m.proxyCpu)} nginx ${fmt(m.nginxCpu)} h2load ${fmt(m.loadCpu)} other ${fmt(m.otherCpu)} ` +
    `(cores ${m.coreBusy?.map((c) => fmt(c)).join('/')})${warn}`
  );
}

// ---------------------------------------------------------------------------
// Summary

interface Row {
  mode: Mode;
  scenario: H2Scenario;
  proxy: Proxy;
  roundsNote: string;
  rps?: number;
  mean?: number;
  sd?: number;
  max?: number;
  proxyCpu?: number;
  rpsPerCore?: number;
  nginxCpu?: number;
  loadCpu?: number;
  otherCpu?: number;
  errors: string;
  /** Turnpike only: req/s ÷ HAProxy's req/s */
  vsHaproxy?: number;
}

function summarize(results: Measurement[], modes: Mode[], scenarios: readonly H2Scenario[]): Row[] {
  const rows: Row[] = [];
  for (const mode of modes) {
    for (const scenario of scenarios) {
      const byProxy: Partial<Record<Proxy, Row>> = {};
      for (const proxy of PROXIES) {
        const ms = results.filter((r) => r.mode === mode && r.scenario === scenario && r.proxy === proxy);
        const ok = ms.filter((r) => !r.failure && r.h2);
        const sum = (f: (h: H2loadResult) => number): number => ok.reduce((a, r) => a + f(r.h2!), 0);
        const errParts = Object.entries({
          failed: sum((h) => h.failed),
          errored: sum((h) => h.errored),
          timeout: sum((h) => h.timeout),
          non2xx: sum((h) => h.status['3xx'] + h.status['4xx'] + h.status['5xx']),
        })
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`);
        const failedRuns = ms.length - ok.length;
        if (failedRuns) errParts.push(`${failedRuns} failed run${failedRuns > 1 ? 's' : ''}`);
        const { used, roundsNote } = quietRuns(ms, ok);
        const rps = median(used.map((r) => r.h2!.rps));
        const proxyCpu = median(used.map((r) => r.proxyCpu!));
        const row: Row = {
          mode,
          scenario,
          proxy,
          roundsNote,
          rps,
          mean: median(used.map((r) => r.h2!.latencyMs.mean)),
          sd: median(used.map((r) => r.h2!.latencyMs.sd)),
          max: median(used.map((r) => r.h2!.latencyMs.max)),
          proxyCpu,
          rpsPerCore: rps !== undefined && proxyCpu ? rps / (proxyCpu / 100) : undefined,
          nginxCpu: median(used.map((r) => r.nginxCpu!)),
          loadCpu: median(used.map((r) => r.loadCpu ?? NaN)),
          otherCpu: median(used.map((r) => r.otherCpu ?? NaN)),
          errors: errParts.length ? errParts.join(', ') : '0',
        };
        byProxy[proxy] = row;
        rows.push(row);
      }
      const ha = byProxy.haproxy;
      const tp = byProxy.turnpike;
      if (tp && ha?.rps && tp.rps !== undefined) tp.vsHaproxy = tp.rps / ha.rps;
    }
  }
  return rows;
}

const HEADERS = [
  'mode',
  'scenario',
  'proxy',
  'rounds',
  'req/s',
  'mean ms',
  'sd ms',
  'max ms',
  'proxy CPU%',
  'req/s per core',
  'nginx CPU%',
  'h2load CPU%',
  'other CPU%',
  'errors',
  'Turnpike / HAProxy',
  `target ≥ ${TARGET_VS_HAPROXY}×`,
];
const NUMERIC_COLS = new Set([4, 5, 6, 7, 8, 9, 10, 11, 12, 14]);

function rowCells(r: Row, label: (p: Proxy) => string): string[] {
  return [
    r.mode,
    SCENARIOS[r.scenario].title,
    label(r.proxy),
    r.roundsNote,
    fmt(r.rps),
    fmtMs(r.mean),
    fmtMs(r.sd),
    fmtMs(r.max),
    fmt(r.proxyCpu),
    fmt(r.rpsPerCore),
    fmt(r.nginxCpu),
    fmt(r.loadCpu),
    fmt(r.otherCpu),
    r.errors,
    r.vsHaproxy === undefined ? '' : `${r.vsHaproxy.toFixed(2)}×`,
    r.vsHaproxy === undefined ? '' : r.vsHaproxy >= TARGET_VS_HAPROXY ? 'met' : 'MISSED',
  ];
}

function writeReport(
  opts: H2Options,
  machine: Machine,
  h2loadVersion: string,
  startedAt: Date,
  elapsedS: number,
  cfgText: string,
  scenarios: readonly H2Scenario[],
  rows: Row[],
  results: Measurement[],
  label: (p: Proxy) => string,
  startFailures: Partial<Record<Proxy, string>>,
  noiseNote: string,
): string {
  mkdirSync(opts.resultsDir, { recursive: true });
  const iso = startedAt.toISOString();
  const stamp = `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  const file = path.join(opts.resultsDir, `h2-${stamp}${opts.standIn ? '-standin' : ''}${opts.quick ? '-quick' : ''}.md`);
  const md: string[] = [];
  md.push(`# HTTP/2 benchmark: Turnpike vs HAProxy — ${iso.slice(0, 16).replace('T', ' ')} UTC`, '');
  if (opts.standIn) md.push('> **Harness check only:** HAProxy was run in the Turnpike slot (`turnpike*`); no Turnpike figures here.', '');
  if (opts.quick) md.push('> **Quick run** (short single round): indicative only.', '');
  md.push(`Command: \`${opts.command}\` (${elapsedS.toFixed(0)} s)`, '');
  md.push('## Machine', '');
  md.push(...machineMarkdown(machine, []).filter((l) => !l.startsWith('| wrk |')), `| h2load | ${h2loadVersion} |`, '');
  md.push('## Results', '');
  md.push(markdownTable(HEADERS, NUMERIC_COLS, rows.map((r) => rowCells(r, label))), '');
  md.push(
    `${opts.rounds} round${opts.rounds > 1 ? 's' : ''} per proxy and mode; the proxies take turns (order reversed every other round) ` +
      'and each is restarted for every round. ' +
      `Figures are medians over the quiet rounds (other CPU ≤ ${NOISE_PCT}%, "rounds" says how many), or over all rounds, marked NOISY, when none was quiet. ` +
      'req/s is h2load\'s figure for the main duration (after its warm-up phase); mean/sd/max are the medians of each round\'s "time for request" line. ' +
      'CPU% is 100 × (utime+stime from /proc/<pid>/stat) ÷ wall time over warm-up and main duration, so 100% = one core fully busy; ' +
      '"req/s per core" is req/s ÷ (proxy CPU% / 100). "other CPU%" is machine-wide busy time minus proxy, nginx and h2load. ' +
      'In pinned mode the proxy runs alone on cpu 0 and nginx and h2load share cpu 1: if nginx + h2load is near 100% the load side limits the figure.',
    '',
  );
  md.push(`Target for Turnpike: HTTP/2 req/s ≥ ${TARGET_VS_HAPROXY}× HAProxy's in the same run.`, '');
  md.push(
    `${noiseNote} Before each measurement the harness waits (bounded) until the machine is below ${QUIET_PCT}% busy; ` +
      `a measurement during which other processes used more than ${NOISE_PCT}% of a core is repeated while the retry budget lasts, keeping the quieter one.`,
    '',
  );
  const failures = results.filter((r) => r.failure && !r.failure.startsWith('skipped'));
  const warnings = results.filter((r) => r.warnings.length);
  if (Object.keys(startFailures).length || failures.length || warnings.length) {
    md.push('## Problems and warnings', '');
    for (const [proxy, why] of Object.entries(startFailures)) md.push(`- ${proxy} failed the start check:`, '', '```', why, '```', '');
    for (const f of failures) {
      if (startFailures[f.proxy] === f.failure) continue;
      md.push(`- ${f.mode} round ${f.round}, ${label(f.proxy)}, ${SCENARIOS[f.scenario].title}:`, '', '```', f.failure!, '```', '');
    }
    for (const w of warnings) md.push(`- ${w.mode} round ${w.round}, ${label(w.proxy)}, ${SCENARIOS[w.scenario].title}: ${w.warnings.join('; ')}`);
    md.push('');
  }
  md.push('## Per-round figures', '');
  md.push('| mode | round | proxy | scenario | req/s | mean ms | sd ms | max ms | succeeded | proxy CPU% | nginx CPU% | h2load CPU% | other CPU% | cpu0/cpu1 busy% | proxy peak RSS MiB | notes |');
  md.push('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|');
  for (const r of results) {
    const h = r.h2;
    md.push(
      `| ${r.mode} | ${r.round} | ${label(r.proxy)} | ${SCENARIOS[r.scenario].title} | ${fmt(h?.rps)} | ` +
        `${fmtMs(h?.latencyMs.mean)} | ${fmtMs(h?.latencyMs.sd)} | ${fmtMs(h?.latencyMs.max)} | ${fmt(h?.succeeded)} | ${fmt(r.proxyCpu)} | ${fmt(r.nginxCpu)} | ${fmt(r.loadCpu)} | ${fmt(r.otherCpu)} | ` +
        `${r.coreBusy?.map((c) => fmt(c)).join('/') ?? '—'} | ${fmt(r.peakRssMiB)} | ${[r.failure?.split('\n')[0], ...r.warnings].filter(Boolean).join('; ').replace(/\|/g, '\\|')} |`,
    );
  }
  md.push('');
  md.push('## Setup', '');
  md.push('- Backend: one HTTP/1.1 nginx (`worker_processes 1`, `master_process off`, access_log off, `keepalive_requests 100000000`) on 127.0.0.1, `/` → `return 200 "ok\\n"`.');
  md.push(
    '- HAProxy and Turnpike: `haproxy -db -f proxy.cfg` and `bin/turnpike -db -f proxy.cfg`, the same file; clear-text h2 by prior knowledge on the `proto h2` bind, ' +
      'h2 over TLS (ALPN) on the `ssl` bind with a self-signed RSA-2048 certificate; both proxy to nginx over HTTP/1.1 keep-alive:',
    '',
    '```',
    cfgText.trimEnd(),
    '```',
    '',
  );
  md.push('- Start check: after each start, `h2load -n 20 -c 1 -m 2` on each bind must get 20 × 200 with nginx\'s body over h2c and h2 respectively.');
  for (const sc of scenarios) {
    const s = SCENARIOS[sc];
    md.push(`- ${s.title}: \`h2load ${shellWords(h2loadArgs(s, s.tls ? 'https://127.0.0.1:TLSPORT/' : 'http://127.0.0.1:PORT/', opts.durationS, opts.warmupS))}\``);
  }
  md.push(`- Modes: ${opts.modes.join(', ')}. Pinned = \`taskset -c 0\` for the proxy, \`taskset -c 1\` for nginx and h2load.`);
  md.push('');
  writeFileSync(file, md.join('\n'));
  return file;
}
