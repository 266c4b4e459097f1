// HTTP benchmark: Turnpike, HAProxy and node-http-proxy, one after the other, in
// `mode http` (node-http-proxy: the `http-proxy` package with a keep-alive agent)
// in front of one nginx, driven by wrk on 127.0.0.1. Prints a table with each
// proxy's ratio to HAProxy (and Turnpike's to node-http-proxy) against the targets
// and writes bench/results/http-<date>.md. A profile mode runs Turnpike alone under
// `--cpu-prof` and prints the functions with the most self time.

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  alive,
  benchTempDir,
  checkBackendBody,
  consoleTable,
  describeExit,
  describeMachine,
  ensurePackages,
  fmt,
  fmtMs,
  freePort,
  httpGet,
  log,
  machineMarkdown,
  markdownTable,
  measureQuietly,
  noiseBudget,
  noiseNote,
  median,
  parseWrk,
  pin,
  profileTop,
  rawExchange,
  run,
  runLoad,
  runProxyRounds,
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
  type WrkResult,
} from './lib.ts';

export type Mode = 'unpinned' | 'pinned';
export const HTTP_PROXIES = ['haproxy', 'turnpike', 'node-http-proxy', 'haproxy-nbthread2', 'turnpike-nbthread2'] as const;
export type HttpProxy = (typeof HTTP_PROXIES)[number];
export const HTTP_SCENARIOS = ['ka50', 'ka200', 'big', 'close'] as const;
export type HttpScenario = (typeof HTTP_SCENARIOS)[number];

export interface HttpOptions {
  modes: Mode[];
  rounds: number;
  durationS: number;
  warmupS: number;
  proxies: HttpProxy[];
  scenarios: HttpScenario[];
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
  /** Profile mode: Turnpike runs with --cpu-prof writing here; no results file. */
  profileDir?: string;
  profileTopN: number;
}

const BIG_BYTES = 64 * 1024;

/** Issue 3's targets for Turnpike. */
const TARGET = { vsHaproxy: 0.6, vsNode: 2, p99VsHaproxy: 2 } as const;

interface ScenarioDef {
  title: string;
  conns: number;
  path: string;
  close: boolean;
  bodyBytes: number;
}

const SCENARIOS: Record<HttpScenario, ScenarioDef> = {
  ka50: { title: 'keep-alive small, 50 conns', conns: 50, path: '/', close: false, bodyBytes: BACKEND_BODY.length },
  ka200: { title: 'keep-alive small, 200 conns', conns: 200, path: '/', close: false, bodyBytes: BACKEND_BODY.length },
  big: { title: 'keep-alive 64 KiB, 50 conns', conns: 50, path: '/64k', close: false, bodyBytes: BIG_BYTES },
  close: { title: 'conn per request, 50 conns', conns: 50, path: '/', close: true, bodyBytes: BACKEND_BODY.length },
};

function wrkArgs(s: ScenarioDef, url: string, durationS: number): string[] {
  return ['-t1', `-c${s.conns}`, `-d${durationS}s`, '--latency', '--timeout', '5s', ...(s.close ? ['-H', 'Connection: close'] : []), `${url}${s.path}`];
}

interface Measurement {
  mode: Mode;
  round: number;
  proxy: HttpProxy;
  scenario: HttpScenario;
  wrk?: WrkResult;
  proxyCpu?: number; // % of one core
  nginxCpu?: number;
  wrkCpu?: number;
  otherCpu?: number;
  coreBusy?: number[];
  peakRssMiB?: number;
  failure?: string;
  warnings: string[];
}

/** The "-nbthread2" rows run the same configuration with two threads, unpinned (they need both CPUs). */
function threadsOf(p: HttpProxy): number {
  return p.endsWith('-nbthread2') ? 2 : 1;
}

function proxyConfig(proxyPort: number, backendPort: number, nbthread = 1): string {
  // Only what both HAProxy 2.6 and Turnpike accept; `http-reuse safe` and keep-alive
  // on both sides are HAProxy's defaults. maxconn 4000 keeps HAProxy's computed FD
  // need (2*maxconn + a few) under the 20,000 open-files limit.
  return [
    'global',
    '    maxconn 4000',
    `    nbthread ${nbthread}`,
    '',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '',
    'listen bench',
    `    bind 127.0.0.1:${proxyPort}`,
    `    server s1 127.0.0.1:${backendPort}`,
    '',
  ].join('\n');
}


export async function runHttp(opts: HttpOptions): Promise<number> {
  ensurePackages([
    { bin: 'wrk', pkg: 'wrk' },
    { bin: 'nginx', pkg: 'nginx-light' },
    { bin: 'haproxy', pkg: 'haproxy' },
    { bin: 'taskset', pkg: 'util-linux' },
  ]);
  const haproxyBin = which('haproxy') ?? '/usr/sbin/haproxy';
  const wrkBin = which('wrk') ?? '/usr/bin/wrk';
  const machine = describeMachine(opts.nodeBin, opts.repo);
  const startedAt = new Date();
  const t0 = Date.now();

  const dir = benchTempDir('turnpike-bench-http-');
  mkdirSync(path.join(dir, 'www'));
  writeFileSync(path.join(dir, 'www', '64k'), randomBytes(BIG_BYTES));

  const backendPort = await freePort();
  const proxyPort = await freePort();
  const cfgText = proxyConfig(proxyPort, backendPort);
  const cfgFile = path.join(dir, 'proxy.cfg');
  writeFileSync(cfgFile, cfgText);
  const cfgFile2 = path.join(dir, 'proxy-nbthread2.cfg');
  writeFileSync(cfgFile2, proxyConfig(proxyPort, backendPort, 2));
  // keepalive_requests far above what one backend connection sees in a run, so
  // nginx never closes the proxies' pooled connections.
  const backend: NginxBackend = { dir, port: backendPort, keepaliveRequests: 100000000, keepaliveTimeout: '75s', files: ['64k'] };

  const nodeProxyScript = path.join(opts.repo, 'bench', 'node-http-proxy.ts');
  const proxyCmd: Record<HttpProxy, [string, string[]]> = {
    haproxy: [haproxyBin, ['-db', '-f', cfgFile]],
    turnpike: opts.standIn ? [haproxyBin, ['-db', '-f', cfgFile]] : [opts.turnpikeBin, ['-db', '-f', cfgFile]],
    'node-http-proxy': [
      opts.nodeBin,
      ['--disable-warning=DEP0060', nodeProxyScript, '--listen', `127.0.0.1:${proxyPort}`, '--target', `127.0.0.1:${backendPort}`],
    ],
    'haproxy-nbthread2': [haproxyBin, ['-db', '-f', cfgFile2]],
    'turnpike-nbthread2': opts.standIn ? [haproxyBin, ['-db', '-f', cfgFile2]] : [opts.turnpikeBin, ['-db', '-f', cfgFile2]],
  };
  const label = (p: HttpProxy): string => (p.startsWith('turnpike') && opts.standIn ? `${p}*` : p);
  // Profile mode: Turnpike's node writes a .cpuprofile when it exits (SIGTERM → process.exit).
  const proxyEnv = (p: HttpProxy): NodeJS.ProcessEnv | undefined =>
    opts.profileDir && p === 'turnpike' && !opts.standIn
      ? { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${opts.profileDir}`.trim() }
      : undefined;
  if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true });
  const profileStart = Date.now();

  const results: Measurement[] = [];
  const noise = noiseBudget(opts.quietWaitS, opts.noisyRetries);
  const initialRetries = noise.retriesLeft;
  const startFailures: Partial<Record<HttpProxy, string>> = {};
  const url = `http://127.0.0.1:${proxyPort}`;

  for (const mode of opts.modes) {
    const proxyCpu = mode === 'pinned' ? 0 : undefined;
    const loadCpu = mode === 'pinned' ? 1 : undefined;
    log(`\nbench: === http, ${mode}${mode === 'pinned' ? ' (proxy on cpu 0; nginx and wrk on cpu 1)' : ''} ===`);

    const nginx = await startNginx(backend, loadCpu, checkResponses);
    await runProxyRounds({
      mode,
      rounds: opts.rounds,
      // Reverse the order every other round so drift (thermal, other jobs) does not favour one proxy.
      order: (round) => (round % 2 ? opts.proxies : [...opts.proxies].reverse()),
      scenarios: opts.scenarios,
      label,
      command: (proxy) => pin(threadsOf(proxy) > 1 ? undefined : proxyCpu, ...proxyCmd[proxy]),
      env: proxyEnv,
      ready: (p) => checkProxy(p, proxyPort),
      // Warm-up (discarded): keep-alive small responses, which also lets V8 optimise the Node proxies.
      warmUp: async () => void (await run('wrk-warmup', ...pin(loadCpu, wrkBin, wrkArgs(SCENARIOS.ka50, url, opts.warmupS)), (opts.warmupS + 15) * 1000)),
      measure: (proxy, scenario, round, p) =>
        measureQuietly(
          noise,
          p,
          () => measure(mode, round, proxy, scenario, p, nginx, wrkBin, loadCpu, url, opts.durationS),
          (m) => `${SCENARIOS[scenario].title.padEnd(28)} ${summarizeOne(m)}`,
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
  const rows = summarize(results, opts);
  const t = tableCells(rows, label);
  process.stdout.write(`\n${consoleTable(HEADERS, NUMERIC_COLS, t.cells, t.groups)}\n`);
  for (const [proxy, why] of Object.entries(startFailures)) process.stdout.write(`\n${proxy} failed to start:\n${why}\n`);
  const note = noiseNote(noise);
  process.stdout.write(`\n${note}\n`);

  if (opts.profileDir) {
    printProfile(opts, profileStart);
  } else {
    const file = writeReport(opts, machine, startedAt, elapsedS, cfgText, rows, results, label, startFailures, note);
    process.stdout.write(`\nresults written to ${path.relative(process.cwd(), file) || file} (${elapsedS.toFixed(0)} s)\n`);
  }
  return results.some((r) => r.failure) ? 1 : 0;
}

function printProfile(opts: HttpOptions, since: number): void {
  const dir = opts.profileDir!;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) {
    process.stdout.write(`\nno .cpuprofile written to ${dir} (did Turnpike exit cleanly?)\n`);
    return;
  }
  for (const file of files) {
    const top = profileTop(file, opts.profileTopN, opts.repo);
    process.stdout.write(`\nTop ${top.length} functions by self time (% of busy time) in ${path.relative(process.cwd(), file) || file}:\n`);
    const w = Math.max(...top.map((e) => e.functionName.length), 8);
    for (const e of top) {
      process.stdout.write(`  ${e.selfPct.toFixed(1).padStart(5)}%  ${fmt(e.selfMs).padStart(7)} ms  ${e.functionName.padEnd(w)}  ${e.where}\n`);
    }
  }
}

/** GET / and GET /64k must come back whole; returns an error text or undefined. */
async function checkResponses(port: number): Promise<string | undefined> {
  const small = await checkBackendBody(port);
  if (small) return small;
  const big = await httpGet(port, '/64k');
  if (big.status !== 200 || big.body.length !== BIG_BYTES) return `GET /64k returned ${big.status} with ${big.body.length} bytes of body`;
  return undefined;
}

/**
 * A proxy that forwards bytes without parsing HTTP (e.g. one that runs `mode http`
 * as `mode tcp`) would be measured doing less work than the others: it must answer
 * a malformed request itself instead of passing it to nginx.
 */
async function checkParsesHttp(port: number): Promise<string | undefined> {
  const reply = (await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n')).toString('latin1');
  if (/^server:\s*nginx/im.test(reply) || reply.includes('<center>nginx')) {
    return `a malformed request was answered by nginx, so the proxy forwards bytes without parsing HTTP:\n${reply.slice(0, 200)}`;
  }
  return undefined;
}

/** Waits for the proxy to accept, checks it parses HTTP and both responses go through; returns an error text or undefined. */
async function checkProxy(p: Proc, port: number): Promise<string | undefined> {
  try {
    await waitForPort(port, p, 15_000);
    const why = (await checkParsesHttp(port)) ?? (await checkResponses(port));
    return why ? `${why}\n${tail(p.output())}` : undefined;
  } catch (err) {
    await sleep(200);
    return `${(err as Error).message}\n${tail(p.output())}`;
  }
}

async function measure(
  mode: Mode,
  round: number,
  proxy: HttpProxy,
  scenario: HttpScenario,
  p: Proc,
  nginx: Proc,
  wrkBin: string,
  loadCpu: number | undefined,
  url: string,
  durationS: number,
): Promise<Measurement> {
  const m: Measurement = { mode, round, proxy, scenario, warnings: [] };
  const s = SCENARIOS[scenario];
  const load = await runLoad('wrk', wrkBin, wrkArgs(s, url, durationS), loadCpu, (durationS + 30) * 1000, p, nginx);
  const r = load.result;
  m.proxyCpu = load.proxyCpu;
  m.nginxCpu = load.nginxCpu;
  m.coreBusy = load.coreBusy;
  m.wrkCpu = load.loadCpu;
  m.otherCpu = load.otherCpu;

  if (r.timedOut || r.code !== 0) {
    m.failure = `wrk ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`}:\n${tail(r.output)}`;
  } else {
    try {
      m.wrk = parseWrk(r.output);
      const w = m.wrk;
      if (w.requests === 0) m.failure = 'no request completed';
      // Error responses are cheap to produce: more than 0.1% of them invalidates the figure.
      else if (w.non2xx > w.requests / 1000) m.failure = `${w.non2xx} of ${w.requests} responses were not 2xx/3xx`;
      else if (w.non2xx) m.warnings.push(`${w.non2xx} non-2xx/3xx responses`);
      // wrk rounds "read" to 3 significant digits; anything well below the bodies alone means truncated responses.
      if (w.requests > 0 && w.bytesRead < w.requests * s.bodyBytes * 0.99) {
        m.warnings.push(`read ${w.bytesRead} bytes for ${w.requests} responses of ${s.bodyBytes} body bytes`);
      }
      const e = w.errors;
      if (e.connect + e.read + e.write + e.timeout) {
        m.warnings.push(`socket errors: connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`);
      }
      if (m.otherCpu !== undefined && m.otherCpu > NOISE_PCT) {
        m.warnings.push(`noisy: other processes used ${fmt(m.otherCpu)}% of a core during this run`);
      }
    } catch (err) {
      m.failure = (err as Error).message;
    }
  }
  if (!alive(p)) m.failure = `${m.failure ? `${m.failure}\n` : ''}proxy ${describeExit(p)} during the run:\n${tail(p.output())}`;
  if (!alive(nginx)) throw new Error(`nginx ${describeExit(nginx)} during the run:\n${tail(nginx.output())}`);
  return m;
}

function summarizeOne(m: Measurement): string {
  if (m.failure) return `FAILED: ${m.failure.split('\n')[0]}`;
  const warn = m.warnings.length ? `  [${m.warnings.join('; ')}]` : '';
  return (
    `${fmt(m.wrk?.rps).padStart(7)} req/s  p50 ${fmtMs(m.wrk?.latencyMs.p50)} ms  p99 ${fmtMs(m.wrk?.latencyMs.p99)} ms  ` +
    `CPU% proxy ${fmt(m.proxyCpu)} nginx ${fmt(m.nginxCpu)} wrk ${fmt(m.wrkCpu)} other ${fmt(m.otherCpu)} ` +
    `(cores ${m.coreBusy?.map((c) => fmt(c)).join('/')})${warn}`
  );
}

// ---------------------------------------------------------------------------
// Summary

interface Row {
  mode: Mode;
  scenario: HttpScenario;
  proxy: HttpProxy;
  roundsNote: string;
  rps?: number;
  p50?: number;
  p99?: number;
  proxyCpu?: number;
  /** req/s divided by the cores the proxy used: the per-core figure in unpinned mode */
  rpsPerCore?: number;
  nginxCpu?: number;
  wrkCpu?: number;
  otherCpu?: number;
  errors: string;
  /** req/s ÷ HAProxy's req/s */
  vsHaproxy?: number;
  /** Turnpike only: req/s ÷ node-http-proxy's req/s */
  vsNode?: number;
  /** p99 ÷ HAProxy's p99 */
  p99VsHaproxy?: number;
  /** Turnpike only: the targets missed, or [] when all measured targets are met */
  missed?: string[];
}

function summarize(results: Measurement[], opts: HttpOptions): Row[] {
  const rows: Row[] = [];
  for (const mode of opts.modes) {
    for (const scenario of opts.scenarios) {
      const byProxy: Partial<Record<HttpProxy, Row>> = {};
      for (const proxy of opts.proxies) {
        const ms = results.filter((r) => r.mode === mode && r.scenario === scenario && r.proxy === proxy);
        const ok = ms.filter((r) => !r.failure && r.wrk);
        const sum = (f: (w: WrkResult) => number): number => ok.reduce((a, r) => a + f(r.wrk!), 0);
        const errParts = Object.entries({
          connect: sum((w) => w.errors.connect),
          read: sum((w) => w.errors.read),
          write: sum((w) => w.errors.write),
          timeout: sum((w) => w.errors.timeout),
          non2xx: sum((w) => w.non2xx),
        })
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`);
        const failed = ms.length - ok.length;
        if (failed) errParts.push(`${failed} failed run${failed > 1 ? 's' : ''}`);
        const { used, roundsNote } = quietRuns(ms, ok);
        const rps = median(used.map((r) => r.wrk!.rps));
        const proxyCpu = median(used.map((r) => r.proxyCpu!));
        const row: Row = {
          mode,
          scenario,
          proxy,
          roundsNote,
          rps,
          p50: median(used.map((r) => r.wrk!.latencyMs.p50 ?? NaN)),
          p99: median(used.map((r) => r.wrk!.latencyMs.p99 ?? NaN)),
          proxyCpu,
          rpsPerCore: rps !== undefined && proxyCpu ? rps / (proxyCpu / 100) : undefined,
          nginxCpu: median(used.map((r) => r.nginxCpu!)),
          wrkCpu: median(used.map((r) => r.wrkCpu ?? NaN)),
          otherCpu: median(used.map((r) => r.otherCpu ?? NaN)),
          errors: errParts.length ? errParts.join(', ') : '0',
        };
        byProxy[proxy] = row;
        rows.push(row);
      }
      const ha = byProxy.haproxy;
      const nhp = byProxy['node-http-proxy'];
      for (const row of Object.values(byProxy)) {
        if (row === ha) continue;
        if (ha?.rps && row.rps !== undefined) row.vsHaproxy = row.rps / ha.rps;
        if (ha?.p99 && row.p99 !== undefined) row.p99VsHaproxy = row.p99 / ha.p99;
      }
      const tp = byProxy.turnpike;
      if (tp) {
        if (nhp?.rps && tp.rps !== undefined) tp.vsNode = tp.rps / nhp.rps;
        const missed: string[] = [];
        if (tp.vsHaproxy !== undefined && tp.vsHaproxy < TARGET.vsHaproxy) missed.push(`req/s < ${TARGET.vsHaproxy}× HAProxy`);
        if (tp.vsNode !== undefined && tp.vsNode < TARGET.vsNode) missed.push(`req/s < ${TARGET.vsNode}× node-http-proxy`);
        if (tp.p99VsHaproxy !== undefined && tp.p99VsHaproxy > TARGET.p99VsHaproxy) missed.push(`p99 > ${TARGET.p99VsHaproxy}× HAProxy`);
        const measured = tp.vsHaproxy !== undefined || tp.vsNode !== undefined || tp.p99VsHaproxy !== undefined;
        if (measured) tp.missed = missed;
      }
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
  'p50 ms',
  'p99 ms',
  'proxy CPU%',
  'req/s per core',
  'nginx CPU%',
  'wrk CPU%',
  'other CPU%',
  'errors',
  '× HAProxy',
  '× node-http-proxy',
  'p99 ÷ HAProxy',
  'targets',
];
const NUMERIC_COLS = new Set([4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15]);

function rowCells(r: Row, label: (p: HttpProxy) => string): string[] {
  const ratio = (x: number | undefined): string => (x === undefined ? '' : `${x.toFixed(2)}×`);
  return [
    r.mode,
    SCENARIOS[r.scenario].title,
    label(r.proxy),
    r.roundsNote,
    fmt(r.rps),
    fmtMs(r.p50),
    fmtMs(r.p99),
    fmt(r.proxyCpu),
    fmt(r.rpsPerCore),
    fmt(r.nginxCpu),
    fmt(r.wrkCpu),
    fmt(r.otherCpu),
    r.errors,
    ratio(r.vsHaproxy),
    ratio(r.vsNode),
    ratio(r.p99VsHaproxy),
    r.missed === undefined ? '' : r.missed.length ? `MISSED: ${r.missed.join('; ')}` : 'met',
  ];
}

/** The rows as table cells, with the group (mode/scenario) of each for the console's blank lines. */
function tableCells(rows: Row[], label: (p: HttpProxy) => string): { cells: string[][]; groups: string[] } {
  return { cells: rows.map((r) => rowCells(r, label)), groups: rows.map((r) => `${r.mode}/${r.scenario}`) };
}

function writeReport(
  opts: HttpOptions,
  machine: Machine,
  startedAt: Date,
  elapsedS: number,
  cfgText: string,
  rows: Row[],
  results: Measurement[],
  label: (p: HttpProxy) => string,
  startFailures: Partial<Record<HttpProxy, string>>,
  noiseNote: string,
): string {
  mkdirSync(opts.resultsDir, { recursive: true });
  const iso = startedAt.toISOString();
  const stamp = `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  const file = path.join(opts.resultsDir, `http-${stamp}${opts.standIn ? '-standin' : ''}${opts.quick ? '-quick' : ''}.md`);
  const md: string[] = [];
  md.push(`# HTTP benchmark: Turnpike vs HAProxy vs node-http-proxy — ${iso.slice(0, 16).replace('T', ' ')} UTC`, '');
  if (opts.standIn) md.push('> **Harness check only:** HAProxy was run in the Turnpike slot (`turnpike*`); no Turnpike figures here.', '');
  if (opts.quick) md.push('> **Quick run** (short single round): indicative only.', '');
  md.push(`Command: \`${opts.command}\` (${elapsedS.toFixed(0)} s)`, '');
  md.push('## Machine', '');
  md.push(...machineMarkdown(machine, [`| node-http-proxy | http-proxy ${httpProxyVersion(opts.repo)} on Node ${machine.node} |`]), '');
  md.push('## Results', '');
  md.push(markdownTable(HEADERS, NUMERIC_COLS, tableCells(rows, label).cells), '');
  md.push(
    `${opts.rounds} round${opts.rounds > 1 ? 's' : ''} per proxy and mode; the proxies take turns (order reversed every other round) ` +
      'and each is restarted for every round. ' +
      `Figures are medians over the quiet rounds (other CPU ≤ ${NOISE_PCT}%, "rounds" says how many), or over all rounds, marked NOISY, when none was quiet. ` +
      "Latencies are the medians of each round's wrk p50/p99. " +
      'CPU% is 100 × (utime+stime of the process and its children, from /proc/<pid>/stat) ÷ wall time, so 100% = one core fully busy; ' +
      '"req/s per core" is req/s ÷ (proxy CPU% / 100). ' +
      "wrk's CPU comes from the cutime+cstime of a wrapping shell; \"other CPU%\" is machine-wide busy time (/proc/stat) minus proxy, nginx and wrk. " +
      'In pinned mode the proxy runs alone on cpu 0 and nginx and wrk share cpu 1: req/s there is the per-core figure, ' +
      'but if nginx + wrk is near 100% the load side, not the proxy, limits it (then compare proxy CPU% and req/s per core).',
    '',
  );
  md.push(
    `Targets (issue 3), for Turnpike: req/s ≥ ${TARGET.vsHaproxy}× HAProxy per core, ≥ ${TARGET.vsNode}× node-http-proxy, ` +
      `p99 ≤ ${TARGET.p99VsHaproxy}× HAProxy's, each against the figures of the same run.`,
    '',
  );
  md.push(
    `${noiseNote} Before each measurement the harness waits (bounded) until the machine is below ${QUIET_PCT}% busy; ` +
      `a measurement during which other processes used more than ${NOISE_PCT}% of a core is repeated while the retry budget lasts, keeping the quieter one.`,
    '',
  );
  const failures = results.filter((r) => r.failure && !r.failure.startsWith('skipped'));
  const warnings = results.filter((r) => r.warnings.length);
  if (Object.keys(startFailures).length || failures.length || warnings.length) {
    md.push('## Problems and warnings', '');
    for (const [proxy, why] of Object.entries(startFailures)) md.push(`- ${proxy} failed to start:`, '', '```', why, '```', '');
    for (const f of failures) {
      if (startFailures[f.proxy] === f.failure) continue;
      md.push(`- ${f.mode} round ${f.round}, ${label(f.proxy)}, ${SCENARIOS[f.scenario].title}:`, '', '```', f.failure!, '```', '');
    }
    for (const w of warnings) md.push(`- ${w.mode} round ${w.round}, ${label(w.proxy)}, ${SCENARIOS[w.scenario].title}: ${w.warnings.join('; ')}`);
    md.push('');
  }
  md.push('## Per-round figures', '');
  md.push('| mode | round | proxy | scenario | req/s | p50 ms | p99 ms | requests | proxy CPU% | nginx CPU% | wrk CPU% | other CPU% | cpu0/cpu1 busy% | proxy peak RSS MiB | notes |');
  md.push('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|');
  for (const r of results) {
    md.push(
      `| ${r.mode} | ${r.round} | ${label(r.proxy)} | ${SCENARIOS[r.scenario].title} | ${fmt(r.wrk?.rps)} | ` +
        `${fmtMs(r.wrk?.latencyMs.p50)} | ${fmtMs(r.wrk?.latencyMs.p99)} | ${fmt(r.wrk?.requests)} | ${fmt(r.proxyCpu)} | ${fmt(r.nginxCpu)} | ${fmt(r.wrkCpu)} | ${fmt(r.otherCpu)} | ` +
        `${r.coreBusy?.map((c) => fmt(c)).join('/') ?? '—'} | ${fmt(r.peakRssMiB)} | ${[r.failure?.split('\n')[0], ...r.warnings].filter(Boolean).join('; ').replace(/\|/g, '\\|')} |`,
    );
  }
  md.push('');
  md.push('## Setup', '');
  md.push(
    '- Backend: one nginx (`worker_processes 1`, `master_process off`, access_log off, sendfile on, `keepalive_requests 100000000`) on 127.0.0.1 serving `/` → ' +
      '`return 200 "ok\\n"` and `/64k` → a 64 KiB file of random bytes.',
  );
  md.push('- HAProxy and Turnpike: `haproxy -db -f proxy.cfg` and `bin/turnpike -db -f proxy.cfg`, the same file (keep-alive on both sides and `http-reuse safe` are the defaults):', '', '```', cfgText.trimEnd(), '```', '');
  md.push(
    '- node-http-proxy: `node bench/node-http-proxy.ts --listen 127.0.0.1:PORT --target 127.0.0.1:BACKEND`: the `http-proxy` package on `http.createServer`, ' +
      'forwarding over an `http.Agent({ keepAlive: true })`.',
  );
  md.push(`- Warm-up: ${opts.warmupS} s of keep-alive small responses (discarded) after each proxy start.`);
  for (const sc of opts.scenarios) md.push(`- ${SCENARIOS[sc].title}: \`wrk ${shellWords(wrkArgs(SCENARIOS[sc], 'http://127.0.0.1:PORT', opts.durationS))}\``);
  md.push(`- Modes: ${opts.modes.join(', ')}. Pinned = \`taskset -c 0\` for the proxy, \`taskset -c 1\` for nginx and wrk.`);
  md.push('');
  writeFileSync(file, md.join('\n'));
  return file;
}

function httpProxyVersion(repo: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repo, 'node_modules', 'http-proxy', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
