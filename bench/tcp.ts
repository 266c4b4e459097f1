// TCP benchmark: Turnpike and HAProxy, alternately, in `mode tcp` in front of
// one nginx, driven by wrk on 127.0.0.1. Prints a table with the Turnpike/HAProxy
// ratio against the targets and writes bench/results/tcp-<date>.md.

import { mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
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
  log,
  machineMarkdown,
  markdownTable,
  measureQuietly,
  median,
  noiseBudget,
  noiseNote,
  parseWrk,
  pin,
  run,
  runLoad,
  runProxyRounds,
  sleep,
  startNginx,
  stopNginx,
  tail,
  waitForPort,
  which,
  NOISE_PCT,
  QUIET_PCT,
  quietRuns,
  type Machine,
  type NginxBackend,
  type Proc,
  type WrkResult,
} from './lib.ts';

export type Mode = 'unpinned' | 'pinned';
export type ProxyName = 'haproxy' | 'turnpike' | 'haproxy-nbthread2' | 'turnpike-nbthread2';
const PROXY_NAMES: readonly ProxyName[] = ['haproxy', 'turnpike', 'haproxy-nbthread2', 'turnpike-nbthread2'];

/** The "-nbthread2" rows run the same configuration with two threads, unpinned (they need both CPUs). */
function threadsOf(p: ProxyName): number {
  return p.endsWith('-nbthread2') ? 2 : 1;
}
export type Scenario = 'short' | 'bulk';
const SCENARIO_NAMES: readonly Scenario[] = ['short', 'bulk'];

export interface TcpOptions {
  modes: Mode[];
  rounds: number;
  durationS: number;
  warmupS: number;
  /** Run HAProxy in the Turnpike slot too (to develop/check the harness). */
  standIn: boolean;
  turnpikeBin: string;
  repo: string;
  nodeBin: string;
  resultsDir: string;
  command: string;
  quick: boolean;
  /** Total seconds the run may spend waiting for other jobs to quieten. */
  quietWaitS: number;
  /** Total number of noisy measurements that may be repeated. */
  noisyRetries: number;
}

const BIG_FILE_BYTES = 64 * 1024 * 1024;
const SHORT_CONNS = 50;
const BULK_CONNS = 4;

const SCENARIOS: Record<Scenario, { title: string; unit: string; target: number; wrk: (url: string, d: number) => string[] }> = {
  short: {
    title: 'short connections',
    unit: 'conn/s',
    target: 0.7,
    wrk: (url, d) => ['-t1', `-c${SHORT_CONNS}`, `-d${d}s`, '--latency', '--timeout', '5s', '-H', 'Connection: close', `${url}/`],
  },
  bulk: {
    title: 'bulk transfer',
    unit: 'MiB/s',
    target: 0.9,
    wrk: (url, d) => ['-t1', `-c${BULK_CONNS}`, `-d${d}s`, '--latency', '--timeout', '30s', `${url}/big`],
  },
};

interface Measurement {
  mode: Mode;
  round: number;
  proxy: ProxyName;
  scenario: Scenario;
  /** conn/s for short, MiB/s for bulk; undefined when the run failed */
  value?: number;
  wrk?: WrkResult;
  proxyCpu?: number; // % of one core
  nginxCpu?: number;
  wrkCpu?: number;
  /** CPU used by everything else on the machine during the run (other jobs, kernel threads) */
  otherCpu?: number;
  coreBusy?: number[]; // % per core, machine-wide
  peakRssMiB?: number;
  failure?: string;
  warnings: string[];
}

function proxyConfig(proxyPort: number, backendPort: number, nbthread = 1): string {
  // Only what both HAProxy 2.6 and Turnpike accept. maxconn 4000 keeps HAProxy's
  // computed FD need (2*maxconn + a few) under the 20,000 open-files limit.
  return [
    'global',
    '    maxconn 4000',
    `    nbthread ${nbthread}`,
    '',
    'defaults',
    '    mode tcp',
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


function writeBigFile(file: string): void {
  const fd = openSync(file, 'w');
  try {
    const chunk = 1024 * 1024;
    for (let off = 0; off < BIG_FILE_BYTES; off += chunk) writeSync(fd, randomBytes(chunk));
  } finally {
    closeSync(fd);
  }
}

export async function runTcp(opts: TcpOptions): Promise<number> {
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

  const dir = benchTempDir('turnpike-bench-');
  mkdirSync(path.join(dir, 'www'));
  log(`bench: temp dir ${dir}; generating ${BIG_FILE_BYTES / 1024 ** 2} MiB file`);
  writeBigFile(path.join(dir, 'www', 'big'));

  const backendPort = await freePort();
  const proxyPort = await freePort();
  const cfgText = proxyConfig(proxyPort, backendPort);
  const cfgFile = path.join(dir, 'proxy.cfg');
  writeFileSync(cfgFile, cfgText);
  const cfgFile2 = path.join(dir, 'proxy-nbthread2.cfg');
  writeFileSync(cfgFile2, proxyConfig(proxyPort, backendPort, 2));
  const backend: NginxBackend = { dir, port: backendPort, keepaliveRequests: 100000, files: ['big'] };

  const proxyCmd: Record<ProxyName, [string, string[]]> = {
    haproxy: [haproxyBin, ['-db', '-f', cfgFile]],
    turnpike: opts.standIn ? [haproxyBin, ['-db', '-f', cfgFile]] : [opts.turnpikeBin, ['-db', '-f', cfgFile]],
    'haproxy-nbthread2': [haproxyBin, ['-db', '-f', cfgFile2]],
    'turnpike-nbthread2': opts.standIn ? [haproxyBin, ['-db', '-f', cfgFile2]] : [opts.turnpikeBin, ['-db', '-f', cfgFile2]],
  };
  const label = (p: ProxyName): string => (p.startsWith('turnpike') && opts.standIn ? `${p}*` : p);

  const results: Measurement[] = [];
  const noise = noiseBudget(opts.quietWaitS, opts.noisyRetries);
  const initialRetries = noise.retriesLeft;
  const startFailures: Partial<Record<ProxyName, string>> = {};
  const url = `http://127.0.0.1:${proxyPort}`;

  for (const mode of opts.modes) {
    const proxyCpu = mode === 'pinned' ? 0 : undefined;
    const loadCpu = mode === 'pinned' ? 1 : undefined;
    log(`\nbench: === ${mode}${mode === 'pinned' ? ' (proxy on cpu 0; nginx and wrk on cpu 1)' : ''} ===`);
    const nginx = await startNginx(backend, loadCpu);
    await runProxyRounds({
      mode,
      rounds: opts.rounds,
      order: () => PROXY_NAMES,
      scenarios: SCENARIO_NAMES,
      label,
      command: (proxy) => pin(threadsOf(proxy) > 1 ? undefined : proxyCpu, ...proxyCmd[proxy]),
      ready: (p) => checkProxy(p, proxyPort),
      // Warm-up (discarded): short connections.
      warmUp: async () => void (await run('wrk-warmup', ...pin(loadCpu, wrkBin, SCENARIOS.short.wrk(url, opts.warmupS)), (opts.warmupS + 15) * 1000)),
      measure: (proxy, scenario, round, p) =>
        measureQuietly(
          noise,
          p,
          () => measure(mode, round, proxy, scenario, p, nginx, wrkBin, loadCpu, url, opts.durationS),
          (m) => `${SCENARIOS[scenario].title.padEnd(18)} ${summarizeOne(m)}`,
        ),
      failed: (proxy, scenario, round, failure) => ({ mode, round, proxy, scenario, failure, warnings: [] }),
      results,
      startFailures,
    });
    await stopNginx(nginx);
  }

  const elapsedS = (Date.now() - t0) / 1000;
  noise.retries = initialRetries - noise.retriesLeft;
  const rows = summarize(results, opts);
  const t = tableCells(rows, label);
  const table = consoleTable(HEADERS, NUMERIC_COLS, t.cells, t.groups);
  process.stdout.write(`\n${table}\n`);
  for (const [proxy, why] of Object.entries(startFailures)) process.stdout.write(`\n${proxy} failed to start:\n${why}\n`);

  const note = noiseNote(noise);
  process.stdout.write(`\n${note}\n`);
  const file = writeReport(opts, machine, startedAt, elapsedS, cfgText, rows, results, label, startFailures, note);
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), file) || file} (${elapsedS.toFixed(0)} s)\n`);
  const anyFailure = results.some((r) => r.failure);
  return anyFailure ? 1 : 0;
}

/** Waits for the proxy to accept and checks one request goes through; returns an error text or undefined. */
async function checkProxy(p: Proc, port: number): Promise<string | undefined> {
  try {
    await waitForPort(port, p, 15_000);
    const why = await checkBackendBody(port);
    return why ? `${why} through the proxy` : undefined;
  } catch (err) {
    await sleep(200);
    return `${(err as Error).message}\n${tail(p.output())}`;
  }
}

async function measure(
  mode: Mode,
  round: number,
  proxy: ProxyName,
  scenario: Scenario,
  p: Proc,
  nginx: Proc,
  wrkBin: string,
  loadCpu: number | undefined,
  url: string,
  durationS: number,
): Promise<Measurement> {
  const m: Measurement = { mode, round, proxy, scenario, warnings: [] };
  const load = await runLoad('wrk', wrkBin, SCENARIOS[scenario].wrk(url, durationS), loadCpu, (durationS + 30) * 1000, p, nginx);
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
      m.value = scenario === 'short' ? m.wrk.rps : m.wrk.transferBps / 1024 ** 2;
      if (m.wrk.requests === 0) m.failure = 'no request completed';
      if (scenario === 'bulk' && m.wrk.requests > 0 && m.wrk.bytesRead < m.wrk.requests * BIG_FILE_BYTES * 0.99) {
        m.warnings.push(`read ${m.wrk.bytesRead} bytes for ${m.wrk.requests} responses of ${BIG_FILE_BYTES} bytes`);
      }
      const e = m.wrk.errors;
      const errs = e.connect + e.read + e.write + e.timeout;
      if (errs) m.warnings.push(`socket errors: connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`);
      if (m.wrk.non2xx) m.warnings.push(`${m.wrk.non2xx} non-2xx/3xx responses`);
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
  const s = SCENARIOS[m.scenario];
  const lat = m.scenario === 'short' ? `  p50 ${fmtMs(m.wrk?.latencyMs.p50)} ms  p99 ${fmtMs(m.wrk?.latencyMs.p99)} ms` : '';
  const warn = m.warnings.length ? `  [${m.warnings.join('; ')}]` : '';
  return (
    `${fmt(m.value, m.scenario === 'bulk' ? 1 : 0).padStart(9)} ${s.unit}${lat}  CPU% proxy ${fmt(m.proxyCpu)} nginx ${fmt(m.nginxCpu)} ` +
    `wrk ${fmt(m.wrkCpu)} other ${fmt(m.otherCpu)} (cores ${m.coreBusy?.map((c) => fmt(c)).join('/')})${warn}`
  );
}

// ---------------------------------------------------------------------------
// Summary

interface Row {
  mode: Mode;
  scenario: Scenario;
  proxy: ProxyName;
  /** which rounds the medians are over */
  roundsNote: string;
  value?: number;
  p50?: number;
  p99?: number;
  proxyCpu?: number;
  nginxCpu?: number;
  wrkCpu?: number;
  otherCpu?: number;
  errors: string;
  ratio?: number;
  target?: number;
  met?: boolean;
}

function summarize(results: Measurement[], opts: TcpOptions): Row[] {
  const rows: Row[] = [];
  for (const mode of opts.modes) {
    for (const scenario of SCENARIO_NAMES) {
      const byProxy: Partial<Record<ProxyName, Row>> = {};
      for (const proxy of PROXY_NAMES) {
        const ms = results.filter((r) => r.mode === mode && r.scenario === scenario && r.proxy === proxy);
        const ok = ms.filter((r) => !r.failure && r.value !== undefined);
        const sum = (f: (r: Measurement) => number): number => ok.reduce((a, r) => a + f(r), 0);
        const e = {
          connect: sum((r) => r.wrk!.errors.connect),
          read: sum((r) => r.wrk!.errors.read),
          write: sum((r) => r.wrk!.errors.write),
          timeout: sum((r) => r.wrk!.errors.timeout),
          non2xx: sum((r) => r.wrk!.non2xx),
        };
        const errParts = Object.entries(e)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`);
        const failed = ms.length - ok.length;
        if (failed) errParts.push(`${failed} failed run${failed > 1 ? 's' : ''}`);
        const { used, roundsNote } = quietRuns(ms, ok);
        const row: Row = {
          mode,
          scenario,
          proxy,
          roundsNote,
          value: median(used.map((r) => r.value!)),
          p50: scenario === 'short' ? median(used.map((r) => r.wrk!.latencyMs.p50 ?? NaN)) : undefined,
          p99: scenario === 'short' ? median(used.map((r) => r.wrk!.latencyMs.p99 ?? NaN)) : undefined,
          proxyCpu: median(used.map((r) => r.proxyCpu!)),
          nginxCpu: median(used.map((r) => r.nginxCpu!)),
          wrkCpu: median(used.map((r) => r.wrkCpu ?? NaN)),
          otherCpu: median(used.map((r) => r.otherCpu ?? NaN)),
          errors: errParts.length ? errParts.join(', ') : '0',
        };
        byProxy[proxy] = row;
        rows.push(row);
      }
      // Every Turnpike row against HAProxy nbthread 1 of the same run; the target applies to nbthread 1.
      const ha = byProxy.haproxy!;
      for (const name of ['turnpike', 'turnpike-nbthread2'] as const) {
        const tp = byProxy[name]!;
        if (name === 'turnpike') tp.target = SCENARIOS[scenario].target;
        if (ha.value && tp.value !== undefined) {
          tp.ratio = tp.value / ha.value;
          if (tp.target !== undefined) tp.met = tp.ratio >= tp.target;
        }
      }
    }
  }
  return rows;
}

const HEADERS = ['mode', 'scenario', 'proxy', 'rounds', 'median', 'unit', 'p50 ms', 'p99 ms', 'proxy CPU%', 'nginx CPU%', 'wrk CPU%', 'other CPU%', 'errors', 'TP/HA', 'target', 'met'];
const NUMERIC_COLS = new Set([4, 6, 7, 8, 9, 10, 11, 13]);

function rowCells(r: Row, label: (p: ProxyName) => string): string[] {
  const s = SCENARIOS[r.scenario];
  const isTp = r.proxy.startsWith('turnpike');
  const hasTarget = r.target !== undefined;
  return [
    r.mode,
    s.title,
    label(r.proxy),
    r.roundsNote,
    fmt(r.value, r.scenario === 'bulk' ? 1 : 0),
    s.unit,
    fmtMs(r.p50),
    fmtMs(r.p99),
    fmt(r.proxyCpu),
    fmt(r.nginxCpu),
    fmt(r.wrkCpu),
    fmt(r.otherCpu),
    r.errors,
    isTp ? (r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`) : '',
    hasTarget ? `≥ ${r.target!.toFixed(1)}×` : '',
    hasTarget ? (r.met === undefined ? 'n/a' : r.met ? 'yes' : 'NO') : '',
  ];
}

/** The rows as table cells, with the group (mode/scenario) of each for the console's blank lines. */
function tableCells(rows: Row[], label: (p: ProxyName) => string): { cells: string[][]; groups: string[] } {
  return { cells: rows.map((r) => rowCells(r, label)), groups: rows.map((r) => `${r.mode}/${r.scenario}`) };
}

function writeReport(
  opts: TcpOptions,
  machine: Machine,
  startedAt: Date,
  elapsedS: number,
  cfgText: string,
  rows: Row[],
  results: Measurement[],
  label: (p: ProxyName) => string,
  startFailures: Partial<Record<ProxyName, string>>,
  noiseNote: string,
): string {
  mkdirSync(opts.resultsDir, { recursive: true });
  const iso = startedAt.toISOString();
  const stamp = `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  const file = path.join(opts.resultsDir, `tcp-${stamp}${opts.standIn ? '-standin' : ''}${opts.quick ? '-quick' : ''}.md`);
  const d = opts.durationS;
  const md: string[] = [];
  md.push(`# TCP benchmark: Turnpike vs HAProxy — ${iso.slice(0, 16).replace('T', ' ')} UTC`, '');
  if (opts.standIn) md.push('> **Harness check only:** HAProxy was run in the Turnpike slot (`turnpike*`); no Turnpike figures here.', '');
  if (opts.quick) md.push('> **Quick run** (single short round): indicative only.', '');
  md.push(`Command: \`${opts.command}\` (${elapsedS.toFixed(0)} s)`, '');
  md.push('## Machine', '');
  md.push(...machineMarkdown(machine));
  md.push('');
  md.push('## Results', '');
  md.push(markdownTable(HEADERS, NUMERIC_COLS, tableCells(rows, label).cells), '');
  md.push(
    `${opts.rounds} round${opts.rounds > 1 ? 's' : ''} per proxy and mode; HAProxy and Turnpike alternate ` +
      '(HAProxy, Turnpike, HAProxy, Turnpike, …) and each proxy is restarted for every round. ' +
      `Figures are medians over the quiet rounds (other CPU ≤ ${NOISE_PCT}%, "rounds" says how many), or over all rounds, marked NOISY, when none was quiet. ` +
      'Latencies are the medians of each round\'s wrk p50/p99. ' +
      'CPU% is 100 × (utime+stime of the process and its children, from /proc/<pid>/stat) ÷ wall time, so 100% = one core fully busy; ' +
      'wrk\'s CPU comes from the cutime+cstime of a wrapping shell. "other CPU%" is machine-wide busy time (/proc/stat) minus proxy, nginx and wrk: ' +
      `other jobs on the machine and kernel work not charged to a process; runs with more than ${NOISE_PCT}% are flagged as noisy below. ` +
      'In pinned mode the proxy runs on cpu 0 and nginx and wrk share cpu 1: if nginx + wrk is near 100%, the load side, not the proxy, limits the figure.',
    '',
  );
  md.push('Targets: short connections ≥ 0.7× HAProxy, bulk transfer ≥ 0.9× HAProxy.', '');
  md.push(
    `${noiseNote} Before each measurement the harness waits (bounded) until the machine is below ${QUIET_PCT}% busy; ` +
      'a measurement during which other processes used more than ' +
      `${NOISE_PCT}% of a core is repeated while the retry budget lasts, keeping the quieter of the two.`,
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
  md.push('| mode | round | proxy | scenario | figure | p50 ms | p99 ms | requests | proxy CPU% | nginx CPU% | wrk CPU% | other CPU% | cpu0/cpu1 busy% | proxy peak RSS MiB | notes |');
  md.push('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|');
  for (const r of results) {
    const s = SCENARIOS[r.scenario];
    md.push(
      `| ${r.mode} | ${r.round} | ${label(r.proxy)} | ${s.title} | ${r.value === undefined ? '—' : `${fmt(r.value, r.scenario === 'bulk' ? 1 : 0)} ${s.unit}`} | ` +
        `${fmtMs(r.wrk?.latencyMs.p50)} | ${fmtMs(r.wrk?.latencyMs.p99)} | ${fmt(r.wrk?.requests)} | ${fmt(r.proxyCpu)} | ${fmt(r.nginxCpu)} | ${fmt(r.wrkCpu)} | ${fmt(r.otherCpu)} | ` +
        `${r.coreBusy?.map((c) => fmt(c)).join('/') ?? '—'} | ${fmt(r.peakRssMiB)} | ${[r.failure?.split('\n')[0], ...r.warnings].filter(Boolean).join('; ').replace(/\|/g, '\\|')} |`,
    );
  }
  md.push('');
  md.push('## Setup', '');
  md.push(
    `- Backend: one nginx (\`worker_processes 1\`, \`master_process off\`, access_log off, sendfile on) on 127.0.0.1 serving \`/\` → ` +
      '`return 200 "ok\\n"` and `/big` → a 64 MiB file of random bytes.',
  );
  md.push(`- Proxies: \`haproxy -db -f proxy.cfg\` and \`bin/turnpike -db -f proxy.cfg\`, the same file:`, '', '```', cfgText.trimEnd(), '```', '');
  md.push(`- Warm-up: ${opts.warmupS} s of short connections (discarded) after each proxy start.`);
  md.push(
    `- short connections: \`wrk ${SCENARIOS.short.wrk('http://127.0.0.1:PORT', d).map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}\` → requests/s = connections/s (each request is a new client and server connection).`,
  );
  md.push(`- bulk transfer: \`wrk ${SCENARIOS.bulk.wrk('http://127.0.0.1:PORT', d).join(' ')}\` → wrk "Transfer/sec" in MiB/s (wrk's MB are 2^20 bytes).`);
  md.push(`- Modes: ${opts.modes.join(', ')}. Pinned = \`taskset -c 0\` for the proxy, \`taskset -c 1\` for nginx and wrk.`);
  md.push('');
  writeFileSync(file, md.join('\n'));
  return file;
}
