// Scale benchmark (node bench/run.ts scale): Turnpike, `mode http`, one nginx behind it,
// everything on loopback, in three bounded phases (HAProxy runs the last two as the reference):
//   idle:     18,000 idle keep-alive client connections (one request each, then silent), opened
//             by several client processes (bench/conn-client.ts) from 127.0.0.2, .3, ...; the
//             proxy's RSS, V8 heap and external memory before and after (heap after a full GC,
//             read through the Node inspector: bench/probe.ts) give the memory per connection;
//   active:   5,000 connections under load (several wrk processes), errors, req/s and p99;
//   overload: frontend and server maxconn, wrk at rising connection counts past capacity: the
//             p99 curve should grow by queueing (throughput flat, no errors), not collapse.
// Writes bench/results/scale-<date>.md. Every process started is stopped on exit and Ctrl-C.

import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  benchTempDir,
  coreBusyPct,
  coreTimes,
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
  parseWrk,
  run,
  sleep,
  start,
  startNginx,
  stop,
  stopNginx,
  tail,
  treeTicks,
  CLK_TCK,
  waitForPort,
  which,
  type Machine,
  type NginxBackend,
  type Proc,
  type WrkResult,
} from './lib.ts';
import { connectInspector, fdCount, kernelBytesPerSocket, kernelTcpBytes, rssBytes, showInfo, showStat, KiB, MiB, type NodeMemory } from './probe.ts';

export const SCALE_PHASES = ['idle', 'active', 'overload'] as const;
export type ScalePhase = (typeof SCALE_PHASES)[number];
/** Proxies of the active and overload phases; HAProxy (same configuration) is the reference. */
export const SCALE_PROXIES = ['turnpike', 'haproxy'] as const;
export type ScaleProxy = (typeof SCALE_PROXIES)[number];

export interface ScaleOptions {
  phases: ScalePhase[];
  proxies: ScaleProxy[];
  /** Idle keep-alive connections to hold. */
  idleConns: number;
  /** Client processes (and source addresses 127.0.0.2 ...) holding them. */
  clientProcs: number;
  /** Connections under load in the active phase, and the wrk processes sharing them. */
  activeConns: number;
  activeWrks: number;
  /** wrk -c of each overload step. */
  overloadSteps: number[];
  /** Seconds of each wrk run. */
  durationS: number;
  turnpikeBin: string;
  repo: string;
  nodeBin: string;
  resultsDir: string;
  command: string;
}

/** Open-file limit of every process here: it cannot be raised on these machines. */
const FD_LIMIT = 20_000;
/** Descriptors Turnpike uses with no connection (Node's own, the 64 sockets of its bind, CLI): about 120 measured; with margin. */
const FD_BASE = 200;
const POOL_MAX_CONN = 64;
const CLIENT_CONCURRENCY = 200;
/**
 * Overload phase: the server takes 100 requests at a time, the others wait in the backend queue.
 * The frontend's maxconn stays above the largest step: it counts connections, and a keep-alive
 * client past it would wait for another client to leave, which none does during a run (HAProxy
 * behaves the same), so the per-request queueing this phase shows happens in the backend queue.
 */
const OVERLOAD = { globalMaxconn: 5000, frontendMaxconn: 4000, serverMaxconn: 100 } as const;

const DEFAULTS = (clientTimeout: string): string[] => [
  'defaults',
  '    mode http',
  '    timeout connect 5s',
  `    timeout client ${clientTimeout}`,
  '    timeout server 30s',
  `    timeout http-keep-alive ${clientTimeout}`,
  '    timeout queue 30s',
  '',
];

interface PhaseConfig {
  maxconn: number;
  clientTimeout: string;
  /** Extra "global" and "frontend" lines, and what follows the server's address. */
  global?: string[];
  frontend?: string[];
  server?: string;
}

/** One phase's configuration: a frontend on `port`, one server on the nginx backend, the admin socket. */
function phaseConfig(port: number, backendPort: number, sock: string, c: PhaseConfig): string {
  return [
    'global',
    `    maxconn ${c.maxconn}`,
    '    nbthread 1',
    ...(c.global ?? []),
    `    stats socket ${sock} level admin`,
    '',
    ...DEFAULTS(c.clientTimeout),
    'frontend fe',
    `    bind 127.0.0.1:${port} backlog 4096`,
    ...(c.frontend ?? []),
    '    default_backend be',
    '',
    'backend be',
    `    server s1 127.0.0.1:${backendPort}${c.server ? ` ${c.server}` : ''}`,
    '',
  ].join('\n');
}

function idleConfig(port: number, backendPort: number, sock: string, maxconn: number): string {
  // HAProxy sizes 2 descriptors per connection (maxsock > 20,000 here) and refuses to start by
  // default; idle keep-alive clients hold no server connection, so they fit: warn only.
  return phaseConfig(port, backendPort, sock, { maxconn, clientTimeout: '10m', global: ['    no strict-limits'], server: `pool-max-conn ${POOL_MAX_CONN}` });
}

function activeConfig(port: number, backendPort: number, sock: string, maxconn: number): string {
  return phaseConfig(port, backendPort, sock, { maxconn, clientTimeout: '30s' });
}

function overloadConfig(port: number, backendPort: number, sock: string): string {
  // Requests past the server's maxconn wait in the backend queue.
  return phaseConfig(port, backendPort, sock, {
    maxconn: OVERLOAD.globalMaxconn, clientTimeout: '30s',
    frontend: [`    maxconn ${OVERLOAD.frontendMaxconn}`], server: `maxconn ${OVERLOAD.serverMaxconn}`,
  });
}

interface MemSample {
  rss: number;
  mem: NodeMemory;
  fds: number;
  kernelTcp: number;
  currConns: number;
}

interface IdleResult {
  conns: number;
  answered: number;
  failed: number;
  closedAfter: number;
  non200: number;
  firstError: string;
  setupS: number;
  before: MemSample;
  after: MemSample;
  startupMessages: string[];
}

interface WrkRun {
  label: string;
  args: string[];
  wrk?: WrkResult;
  /** wrk's mean latency (parseWrk keeps the percentiles only). */
  meanMs?: number;
  failure?: string;
}

interface ActiveResult {
  proxy: ScaleProxy;
  conns: number;
  runs: WrkRun[];
  peakCurrConns: number;
  /** When CurrConns first reached 99% of the connections, ms after wrk started. */
  allAcceptedMs?: number;
  peakServerConns: number;
  peakFds: number;
  proxyCpu: number;
  machineBusy: number;
}

interface OverloadRun {
  proxy: ScaleProxy;
  steps: OverloadStep[];
}

interface OverloadStep {
  clients: number;
  run: WrkRun;
  peakFrontend: number;
  peakQueue: number;
  proxyCpu: number;
  machineBusy: number;
}

export async function runScale(o: ScaleOptions): Promise<number> {
  ensurePackages([
    { bin: 'wrk', pkg: 'wrk' },
    { bin: 'nginx', pkg: 'nginx-light' },
  ]);
  const wrkBin = which('wrk') ?? '/usr/bin/wrk';
  const machine = describeMachine(o.nodeBin, o.repo);
  const startedAt = new Date();
  const t0 = Date.now();
  const dir = benchTempDir('turnpike-bench-scale-');
  const backendPort = await freePort();
  // keepalive_timeout: the idle phase keeps pooled server connections for minutes.
  const backend: NginxBackend = { dir, port: backendPort, keepaliveRequests: 100000000, keepaliveTimeout: '600s', files: [] };
  const nginx = await startNginx(backend, undefined);
  const configs: Record<string, string> = {};
  let idle: IdleResult | undefined;
  const active: ActiveResult[] = [];
  const overload: OverloadRun[] = [];
  const failures: string[] = [];
  const haproxyBin = which('haproxy') ?? '/usr/sbin/haproxy';
  const binOf = (p: ScaleProxy): string => (p === 'haproxy' ? haproxyBin : o.turnpikeBin);
  try {
    if (o.phases.includes('idle')) idle = await phase('idle', failures, () => runIdle(o, dir, backendPort, wrkBin, configs));
    for (const proxy of o.phases.includes('active') ? o.proxies : []) {
      const r = await phase(`active, ${proxy}`, failures, () => runActive(o, proxy, binOf(proxy), dir, backendPort, wrkBin, configs));
      if (r) active.push(r);
    }
    for (const proxy of o.phases.includes('overload') ? o.proxies : []) {
      const steps = await phase(`overload, ${proxy}`, failures, () => runOverload(o, proxy, binOf(proxy), dir, backendPort, wrkBin, configs));
      if (steps) overload.push({ proxy, steps });
    }
  } finally {
    await stopNginx(nginx);
  }
  const elapsedS = (Date.now() - t0) / 1000;
  const md = report(o, machine, startedAt, elapsedS, configs, idle, active, overload, failures);
  mkdirSync(o.resultsDir, { recursive: true });
  const iso = startedAt.toISOString();
  const file = path.join(o.resultsDir, `scale-${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}.md`);
  writeFileSync(file, md.file);
  process.stdout.write(`\n${md.console}\nresults written to ${path.relative(process.cwd(), file) || file} (${elapsedS.toFixed(0)} s)\n`);
  return failures.length || !verdicts(idle, active, overload).every((v) => v.ok) ? 1 : 0;
}

/** Runs a phase; a failure is recorded and the next phase still runs. */
async function phase<T>(name: string, failures: string[], body: () => Promise<T>): Promise<T | undefined> {
  log(`\nbench: === scale: ${name} ===`);
  try {
    return await body();
  } catch (e) {
    const why = `${name}: ${(e as Error).message}`;
    log(`bench: FAILED ${why}`);
    failures.push(why);
    return undefined;
  }
}

async function startProxy(bin: string, name: string, dir: string, cfgText: string, port: number, inspectPort?: number): Promise<Proc> {
  const cfg = path.join(dir, `${name}.cfg`);
  writeFileSync(cfg, cfgText);
  const env = inspectPort ? { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${inspectPort}`.trim() } : undefined;
  log(`bench: starting ${bin} -db -f ${cfg}`);
  const p = start(name, bin, ['-db', '-f', cfg], undefined, env);
  await waitForPort(port, p, 15_000);
  const r = await httpGet(port, '/');
  if (r.status !== 200) throw new Error(`GET / through ${name} answered ${r.status}`);
  return p;
}

function wrkArgs(conns: number, durationS: number, url: string): string[] {
  return ['-t1', `-c${conns}`, `-d${durationS}s`, '--latency', '--timeout', '10s', url];
}

async function runWrk(label: string, wrkBin: string, args: string[], durationS: number): Promise<WrkRun> {
  const r = await run(label, wrkBin, args, (durationS + 40) * 1000);
  const out: WrkRun = { label, args };
  if (r.timedOut || r.code !== 0) out.failure = `wrk ${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`}: ${tail(r.output, 5)}`;
  else {
    try {
      out.wrk = parseWrk(r.output);
      const m = /^\s+Latency\s+([\d.]+)(us|ms|s)\b/m.exec(r.output);
      if (m) out.meanMs = Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
    } catch (e) {
      out.failure = (e as Error).message;
    }
  }
  return out;
}

/**
 * Samples `probe` every 500 ms while `body` runs; returns the body's result, the samples' maximum
 * and when (ms after the start) a sample first reached `target`.
 */
async function whileSampling<T>(probe: () => Promise<number>, body: () => Promise<T>, target = Infinity): Promise<{ result: T; peak: number; reachedMs?: number }> {
  let peak = 0;
  let reachedMs: number | undefined;
  let running = true;
  const t0 = Date.now();
  const sampler = (async () => {
    while (running) {
      try {
        const v = await probe();
        peak = Math.max(peak, v);
        if (v >= target && reachedMs === undefined) reachedMs = Date.now() - t0;
      } catch {
        /* the proxy may be too busy to answer in time: skip this sample */
      }
      await sleep(500);
    }
  })();
  try {
    const result = await body();
    return { result, peak, reachedMs };
  } finally {
    running = false;
    await sampler;
  }
}

/** CPU% (100 = one core) of the proxy and machine-wide busy% over `body`. */
async function withCpu<T>(pid: number, body: () => Promise<T>): Promise<{ result: T; proxyCpu: number; machineBusy: number }> {
  const c0 = coreTimes();
  const p0 = treeTicks(pid);
  const w0 = Date.now();
  const result = await body();
  const wallS = (Date.now() - w0) / 1000;
  const proxyCpu = (100 * (treeTicks(pid) - p0)) / CLK_TCK / wallS;
  const machineBusy = coreBusyPct(c0, coreTimes()).reduce((a, b) => a + b, 0);
  return { result, proxyCpu, machineBusy };
}

// ---------------------------------------------------------------------------
// Phase 1: idle connections and memory

async function runIdle(o: ScaleOptions, dir: string, backendPort: number, wrkBin: string, configs: Record<string, string>): Promise<IdleResult> {
  const n = o.idleConns;
  const perProc = Math.ceil(n / o.clientProcs);
  // Turnpike: one descriptor per client, the pooled and in-flight server connections, its own.
  const proxyFds = n + POOL_MAX_CONN + o.clientProcs * CLIENT_CONCURRENCY + FD_BASE;
  if (proxyFds > FD_LIMIT) throw new Error(`${n} idle connections need about ${proxyFds} descriptors in Turnpike, above the ${FD_LIMIT} limit`);
  if (o.clientProcs > 250) throw new Error('at most 250 client processes (source addresses 127.0.0.2-127.0.0.251)');
  if (perProc + FD_BASE > FD_LIMIT) throw new Error(`${perProc} connections per client process exceed the ${FD_LIMIT} descriptor limit: use more client processes`);
  const port = await freePort();
  const inspectPort = await freePort();
  const sock = path.join(dir, 'idle.sock');
  const cfg = idleConfig(port, backendPort, sock, n + 500);
  configs.idle = cfg;
  const tp = await startProxy(o.turnpikeBin, 'turnpike-idle', dir, cfg, port, inspectPort);
  const clients: Proc[] = [];
  try {
    const startupMessages = tp.output().split('\n').filter((l) => /^\[(WARNING|ALERT)\]/.test(l));
    // Warm-up so that code paths are compiled before the baseline.
    await runWrk('wrk-warmup', wrkBin, wrkArgs(20, 2, `http://127.0.0.1:${port}/`), 2);
    const inspector = await connectInspector(inspectPort);
    try {
      const sample = async (): Promise<MemSample> => {
        await inspector.gc();
        await inspector.gc();
        const mem = await inspector.memory();
        const info = await showInfo(sock);
        return { rss: rssBytes(tp.pid), mem, fds: fdCount(tp.pid), kernelTcp: kernelTcpBytes(), currConns: Number(info.CurrConns) };
      };
      await sleep(1000);
      const before = await sample();
      log(`bench: baseline RSS ${fmt(before.rss / MiB, 1)} MiB, heap used ${fmt(before.mem.heapUsed / MiB, 1)} MiB, external ${fmt(before.mem.external / MiB, 1)} MiB, ${before.fds} fds`);
      const s0 = Date.now();
      for (let i = 0; i < o.clientProcs; i++) {
        const count = Math.min(perProc, n - i * perProc);
        if (count <= 0) break;
        clients.push(
          start(`conn-client-${i}`, o.nodeBin, [
            path.join(o.repo, 'bench', 'conn-client.ts'), '--port', String(port), '--local', `127.0.0.${2 + i}`,
            '--count', String(count), '--concurrency', String(CLIENT_CONCURRENCY),
          ]),
        );
      }
      const deadline = Date.now() + 180_000;
      let states: ClientState[] = [];
      for (;;) {
        await sleep(500);
        states = clients.map(clientState);
        const dead = clients.find((c) => c.exit);
        if (dead) throw new Error(`${dead.name} ${describeExit(dead)}: ${tail(dead.output(), 5)}`);
        if (tp.exit) throw new Error(`Turnpike ${describeExit(tp)}: ${tail(tp.output())}`);
        const answered = states.reduce((a, s) => a + s.answered, 0);
        const failed = states.reduce((a, s) => a + s.failed, 0);
        log(`bench:   ${answered} answered, ${failed} failed, Turnpike ${fdCount(tp.pid)} fds`);
        if (states.every((s) => s.ready)) break;
        if (Date.now() > deadline) throw new Error(`the clients did not finish within 180 s: ${answered} answered, ${failed} failed`);
      }
      const setupS = (Date.now() - s0) / 1000;
      await sleep(2000);
      const after = await sample();
      // The connections must still be open a little later (no timeout or reset while idle).
      await sleep(3000);
      states = clients.map(clientState);
      const sum = (f: (s: ClientState) => number): number => states.reduce((a, s) => a + f(s), 0);
      const r: IdleResult = {
        conns: n, answered: sum((s) => s.answered), failed: sum((s) => s.failed), closedAfter: sum((s) => s.closedAfterAnswer),
        non200: sum((s) => s.non200), firstError: states.find((s) => s.firstError)?.firstError ?? '', setupS, before, after, startupMessages,
      };
      log(`bench: ${r.answered} idle connections (${r.failed} failed) in ${setupS.toFixed(1)} s; RSS ${fmt(after.rss / MiB, 1)} MiB, heap used ${fmt(after.mem.heapUsed / MiB, 1)} MiB, external ${fmt(after.mem.external / MiB, 1)} MiB, ${after.fds} fds, CurrConns ${after.currConns}`);
      return r;
    } finally {
      inspector.close();
    }
  } finally {
    await Promise.all(clients.map((c) => stop(c)));
    await stop(tp);
  }
}

interface ClientState {
  ready: boolean;
  answered: number;
  failed: number;
  closedAfterAnswer: number;
  non200: number;
  firstError: string;
}

/** The last progress line a conn-client printed. */
function clientState(p: Proc): ClientState {
  const lines = p.output().trimEnd().split('\n').filter((l) => l.startsWith('{'));
  const last = lines[lines.length - 1];
  if (!last) return { ready: false, answered: 0, failed: 0, closedAfterAnswer: 0, non200: 0, firstError: '' };
  return JSON.parse(last) as ClientState;
}

// ---------------------------------------------------------------------------
// Phase 2: active connections under load

async function runActive(o: ScaleOptions, proxy: ScaleProxy, bin: string, dir: string, backendPort: number, wrkBin: string, configs: Record<string, string>): Promise<ActiveResult> {
  const port = await freePort();
  const sock = path.join(dir, `active-${proxy}.sock`);
  const cfg = activeConfig(port, backendPort, sock, o.activeConns + 1000);
  configs.active = cfg.replace(sock, 'SOCKET');
  const tp = await startProxy(bin, `${proxy}-active`, dir, cfg, port);
  try {
    const url = `http://127.0.0.1:${port}/`;
    await runWrk('wrk-warmup', wrkBin, wrkArgs(50, 2, url), 2);
    const each = Math.ceil(o.activeConns / o.activeWrks);
    let peakServer = 0;
    let peakFds = 0;
    const { result, peak, reachedMs } = await whileSampling(
      async () => {
        peakFds = Math.max(peakFds, fdCount(tp.pid));
        const srv = (await showStat(sock)).find((r) => r.pxname === 'be' && r.svname === 's1');
        peakServer = Math.max(peakServer, Number(srv?.scur ?? 0));
        return Number((await showInfo(sock)).CurrConns);
      },
      () =>
        withCpu(tp.pid, () =>
          Promise.all(Array.from({ length: o.activeWrks }, (_, i) => runWrk(`wrk-${i + 1}`, wrkBin, wrkArgs(Math.min(each, o.activeConns - i * each), o.durationS, url), o.durationS))),
        ),
      Math.floor(o.activeConns * 0.99),
    );
    if (tp.exit) throw new Error(`${proxy} ${describeExit(tp)} under load: ${tail(tp.output())}`);
    const r: ActiveResult = { proxy, conns: o.activeConns, runs: result.result, peakCurrConns: peak, allAcceptedMs: reachedMs, peakServerConns: peakServer, peakFds, proxyCpu: result.proxyCpu, machineBusy: result.machineBusy };
    for (const w of r.runs) log(`bench:   ${w.label}: ${w.failure ?? `${fmt(w.wrk!.rps)} req/s, p99 ${fmtMs(w.wrk!.latencyMs.p99)} ms, errors ${wrkErrors(w.wrk!)}`}`);
    log(`bench:   peak CurrConns ${peak}${reachedMs === undefined ? '' : ` (99% after ${(reachedMs / 1000).toFixed(1)} s)`}, peak server connections ${peakServer}, peak descriptors ${peakFds}`);
    return r;
  } finally {
    await stop(tp);
  }
}

function wrkErrors(w: WrkResult): number {
  return w.errors.connect + w.errors.read + w.errors.write + w.errors.timeout + w.non2xx;
}

// ---------------------------------------------------------------------------
// Phase 3: overload

async function runOverload(o: ScaleOptions, proxy: ScaleProxy, bin: string, dir: string, backendPort: number, wrkBin: string, configs: Record<string, string>): Promise<OverloadStep[]> {
  const port = await freePort();
  const sock = path.join(dir, `overload-${proxy}.sock`);
  const cfg = overloadConfig(port, backendPort, sock);
  configs.overload = cfg.replace(sock, 'SOCKET');
  const tp = await startProxy(bin, `${proxy}-overload`, dir, cfg, port);
  const steps: OverloadStep[] = [];
  try {
    const url = `http://127.0.0.1:${port}/`;
    await runWrk('wrk-warmup', wrkBin, wrkArgs(50, 2, url), 2);
    for (const clients of o.overloadSteps) {
      let peakFrontend = 0;
      const { result, peak } = await whileSampling(
        async () => {
          const rows = await showStat(sock);
          peakFrontend = Math.max(peakFrontend, Number(rows.find((r) => r.pxname === 'fe' && r.svname === 'FRONTEND')?.scur ?? 0));
          return Number(rows.find((r) => r.pxname === 'be' && r.svname === 'BACKEND')?.qcur ?? 0);
        },
        () => withCpu(tp.pid, () => runWrk(`wrk-c${clients}`, wrkBin, wrkArgs(clients, o.durationS, url), o.durationS)),
      );
      if (tp.exit) throw new Error(`${proxy} ${describeExit(tp)} at ${clients} clients: ${tail(tp.output())}`);
      const step: OverloadStep = { clients, run: result.result, peakFrontend, peakQueue: peak, proxyCpu: result.proxyCpu, machineBusy: result.machineBusy };
      steps.push(step);
      const w = step.run.wrk;
      log(`bench:   ${clients} clients: ${step.run.failure ?? `${fmt(w!.rps)} req/s, p50 ${fmtMs(w!.latencyMs.p50)} ms, p99 ${fmtMs(w!.latencyMs.p99)} ms, errors ${wrkErrors(w!)}`}; frontend ≤ ${peakFrontend}, queue ≤ ${peak}`);
      await sleep(1000);
    }
    return steps;
  } finally {
    await stop(tp);
  }
}

// ---------------------------------------------------------------------------
// Verdicts and report

interface Verdict {
  what: string;
  ok: boolean;
  detail: string;
}

const TARGET_BYTES_PER_CONN = 4 * KiB;

function perConn(idle: IdleResult): { heap: number; external: number; arrayBuffers: number; jsAndBuffers: number; rss: number } {
  const d = (f: (s: MemSample) => number): number => (f(idle.after) - f(idle.before)) / idle.answered;
  return {
    heap: d((s) => s.mem.heapUsed),
    external: d((s) => s.mem.external),
    arrayBuffers: d((s) => s.mem.arrayBuffers),
    jsAndBuffers: d((s) => s.mem.heapUsed + s.mem.external),
    rss: d((s) => s.rss),
  };
}

function verdicts(idle: IdleResult | undefined, active: ActiveResult[], overload: OverloadRun[]): Verdict[] {
  const out: Verdict[] = [];
  if (idle) {
    const pc = perConn(idle);
    out.push({
      what: `${fmt(idle.conns)} idle connections held`,
      ok: idle.answered === idle.conns && idle.closedAfter === 0 && idle.non200 === 0,
      detail: `${fmt(idle.answered)} answered, ${idle.failed} failed, ${idle.non200} non-200, ${idle.closedAfter} closed while idle`,
    });
    out.push({
      what: 'JS heap + buffers per idle connection ≤ 4 KiB',
      ok: pc.jsAndBuffers <= TARGET_BYTES_PER_CONN,
      detail: `${fmt(pc.jsAndBuffers, 0)} bytes (heap ${fmt(pc.heap, 0)} + external ${fmt(pc.external, 0)})`,
    });
  }
  // The targets are Turnpike's; HAProxy's runs are the reference.
  for (const a of active.filter((r) => r.proxy === 'turnpike')) {
    const errors = a.runs.reduce((n, w) => n + (w.wrk ? wrkErrors(w.wrk) : 1), 0);
    out.push({
      what: `${fmt(a.conns)} active connections without errors`,
      ok: errors === 0 && a.runs.every((w) => !w.failure),
      detail: `${errors} errors; at most ${fmt(a.peakCurrConns)} client connections seen by show info, ${fmt(a.peakFds)} descriptors`,
    });
  }
  // Throughput at the last step relative to the best step: on two cores shared with wrk and nginx the
  // load generator's own cost grows with its connections, so HAProxy's ratio in the same run is the yardstick.
  const keep = (run: OverloadRun): number => {
    const rps = run.steps.map((st) => st.run.wrk?.rps ?? 0);
    return rps.length ? rps[rps.length - 1]! / Math.max(...rps) : NaN;
  };
  const haproxy = overload.find((r) => r.proxy === 'haproxy');
  for (const run of overload.filter((r) => r.proxy === 'turnpike')) {
    const ok = run.steps.filter((st) => st.run.wrk);
    const errors = run.steps.reduce((n, st) => n + (st.run.wrk ? wrkErrors(st.run.wrk) : 1), 0);
    const top = ok[ok.length - 1];
    const last = top?.run.wrk?.rps ?? 0;
    // Every client waits its turn: wrk's mean latency is about what Little's law gives for all of them.
    const little = top && last ? (1000 * top.clients) / last : NaN;
    const mean = top?.run.meanMs ?? NaN;
    const ratio = keep(run);
    const reference = haproxy ? keep(haproxy) : NaN;
    out.push({
      what: 'overload: no errors, every client served (mean ≥ 0.5 × clients ÷ req/s), no collapse (last step ≥ 0.5 × best req/s, or ≥ HAProxy\'s ratio)',
      ok: errors === 0 && ok.length === run.steps.length && mean >= 0.5 * little && (ratio >= 0.5 || ratio >= reference),
      detail:
        `${errors} errors; mean ${fmtMs(mean)} ms vs ${fmtMs(little)} ms at ${run.steps[run.steps.length - 1]!.clients} clients; ` +
        `last/best req/s ${ratio.toFixed(2)}${Number.isFinite(reference) ? ` (HAProxy ${reference.toFixed(2)})` : ''}`,
    });
  }
  return out;
}

function report(
  o: ScaleOptions,
  machine: Machine,
  startedAt: Date,
  elapsedS: number,
  configs: Record<string, string>,
  idle: IdleResult | undefined,
  active: ActiveResult[],
  overload: OverloadRun[],
  failures: string[],
): { file: string; console: string } {
  const md: string[] = [];
  const con: string[] = [];
  const iso = startedAt.toISOString();
  md.push(`# Scale benchmark — ${iso.slice(0, 16).replace('T', ' ')} UTC`, '');
  md.push(
    `Command: \`${o.command}\` (${elapsedS.toFixed(0)} s). Turnpike, \`mode http\`, \`nbthread 1\`, one nginx behind it, all on loopback, nothing pinned; ` +
      "Debian's HAProxy 2.6 (`nbthread 1`, same configuration) runs the active and overload phases too, as the reference for what this machine allows.",
    '',
  );
  md.push('## Machine', '', ...machineMarkdown(machine), '');
  const vs = verdicts(idle, active, overload);
  if (vs.length) {
    const rows = vs.map((v) => [v.what, v.ok ? 'met' : 'MISSED', v.detail]);
    md.push('## Summary', '', markdownTable(['check', '', 'measured'], new Set(), rows), '');
    con.push(consoleTable(['check', '', 'measured'], new Set(), rows, []));
  }
  for (const f of failures) md.push(`- **Phase failed**: ${f}`);
  if (failures.length) md.push('');

  if (idle) {
    const pc = perConn(idle);
    const b = idle.before;
    const a = idle.after;
    md.push('## Idle keep-alive connections', '');
    md.push(
      `${fmt(idle.conns)} connections from ${o.clientProcs} client processes (\`bench/conn-client.ts\`, sources 127.0.0.2–127.0.0.${1 + o.clientProcs}, ` +
        `${CLIENT_CONCURRENCY} being set up at a time each): each sends \`GET /\`, reads the response, then stays open and silent. ` +
        `Set up in ${idle.setupS.toFixed(1)} s; ${fmt(idle.answered)} answered, ${idle.failed} failed${idle.firstError ? ` (first: ${idle.firstError})` : ''}, ` +
        `${idle.non200} non-200, ${idle.closedAfter} closed by the proxy in the 5 s after.`,
      '',
    );
    const row = (name: string, f: (s: MemSample) => number, unit: 'MiB' | 'n', per?: number): string[] => [
      name,
      unit === 'MiB' ? fmt(f(b) / MiB, 1) : fmt(f(b)),
      unit === 'MiB' ? fmt(f(a) / MiB, 1) : fmt(f(a)),
      unit === 'MiB' ? fmt((f(a) - f(b)) / MiB, 1) : fmt(f(a) - f(b)),
      per === undefined ? '' : fmt(per, 0),
    ];
    const rows = [
      row('RSS (VmRSS)', (s) => s.rss, 'MiB', pc.rss),
      row('V8 heap used (after full GC)', (s) => s.mem.heapUsed, 'MiB', pc.heap),
      row('V8 heap total', (s) => s.mem.heapTotal, 'MiB'),
      row('external (incl. array buffers)', (s) => s.mem.external, 'MiB', pc.external),
      row('array buffers', (s) => s.mem.arrayBuffers, 'MiB', pc.arrayBuffers),
      row('**heap used + external**', (s) => s.mem.heapUsed + s.mem.external, 'MiB', pc.jsAndBuffers),
      row("kernel TCP buffers, machine-wide (sockstat 'mem')", (s) => s.kernelTcp, 'MiB'),
      row('Turnpike descriptors', (s) => s.fds, 'n'),
      row('CurrConns (show info)', (s) => s.currConns, 'n'),
    ];
    const headers = ['', 'before', `with ${fmt(idle.answered)} idle`, 'difference', 'bytes per connection'];
    md.push(markdownTable(headers, new Set([1, 2, 3, 4]), rows), '');
    con.push('', `Idle connections: ${fmt(idle.answered)}`, consoleTable(headers, new Set([1, 2, 3, 4]), rows.map((r) => r.map((c) => c.replace(/\*\*/g, ''))), []));
    const kernel = kernelBytesPerSocket();
    const per100k = (bytes: number): string => `${fmt((bytes * 100_000) / MiB, 0)} MiB`;
    md.push(
      `Memory per idle connection: **${fmt(pc.jsAndBuffers, 0)} bytes of JS heap + external buffers** (target ≤ ${TARGET_BYTES_PER_CONN} bytes), ` +
        `${fmt(pc.rss, 0)} bytes of RSS (the heap and buffers above plus native memory: libuv handles, V8 page overhead, malloc). ` +
        `The kernel's own memory per socket is not counted above: ${kernel ? `${fmt(kernel.bytes)} bytes per socket end (/proc/slabinfo object sizes: ${kernel.parts})` : 'its size was not readable from /proc/slabinfo'}; ` +
        "an idle socket holds no buffer memory, so sockstat's machine-wide TCP 'mem' (shared with whatever else runs) does not grow with idle connections.",
      '',
      `At 100,000 idle connections the same figures give ${per100k(pc.jsAndBuffers)} of heap + buffers and ${per100k(pc.rss)} of RSS above the ` +
        `${fmt(b.rss / MiB, 0)} MiB baseline (≈ ${fmt((b.rss + pc.rss * 100_000) / MiB, 0)} MiB RSS in all), which fits in memory on this 24 GiB machine; ` +
        `V8's default old-space limit (about 2–4 GiB depending on the machine's memory) is not the bound either. What bounds it is descriptors: ` +
        `Turnpike needs one per client connection plus the server-side ones in use or pooled, so 100,000 connections need an open-files limit above ` +
        `about ${fmt(100_000 + POOL_MAX_CONN + FD_BASE)} for the process (threads share it); with the 20,000 limit here it is one process per ~18,000 idle connections.`,
      '',
    );
    if (idle.startupMessages.length) {
      md.push('Turnpike printed at start-up (maxconn above what 2 descriptors per connection allow, as HAProxy would; idle clients hold no server connection, so they fit):', '', '```', ...idle.startupMessages, '```', '');
    }
    md.push(
      'Before/after figures are read after two full garbage collections (`HeapProfiler.collectGarbage` through the Node inspector, Turnpike started with ' +
        '`NODE_OPTIONS=--inspect=127.0.0.1:PORT`), following a 2 s `wrk -c20` warm-up; RSS from `/proc/<pid>/status`, CurrConns from `show info` on the stats socket.',
      '',
    );
  }

  if (active.length) {
    md.push('## Active connections under load', '');
    const rows: string[][] = [];
    for (const a of active) {
      for (const w of a.runs) {
        rows.push([
          a.proxy,
          w.label,
          fmt(w.wrk?.rps),
          fmtMs(w.wrk?.latencyMs.p50),
          fmtMs(w.wrk?.latencyMs.p99),
          w.wrk ? `connect ${w.wrk.errors.connect}, read ${w.wrk.errors.read}, write ${w.wrk.errors.write}, timeout ${w.wrk.errors.timeout}, non-2xx ${w.wrk.non2xx}` : (w.failure ?? ''),
          '', '', '', '', '',
        ]);
      }
      const total = a.runs.reduce((n, w) => n + (w.wrk?.rps ?? 0), 0);
      const p99 = Math.max(...a.runs.map((w) => w.wrk?.latencyMs.p99 ?? NaN));
      rows.push([
        a.proxy, '**total**', fmt(total), '', fmtMs(p99), `${a.runs.reduce((n, w) => n + (w.wrk ? wrkErrors(w.wrk) : 0), 0)} errors`,
        fmt(a.peakCurrConns), a.allAcceptedMs === undefined ? 'never' : `${(a.allAcceptedMs / 1000).toFixed(1)} s`, fmt(a.peakServerConns), fmt(a.peakFds),
        `${fmt(a.proxyCpu)} / ${fmt(a.machineBusy)}`,
      ]);
    }
    const headers = ['proxy', 'wrk', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'client conns (max)', '99% of them after', 'server conns (max)', 'descriptors (max)', 'proxy CPU% / machine busy%'];
    md.push(markdownTable(headers, new Set([2, 3, 4, 6, 7, 8, 9]), rows), '');
    md.push(
      `${fmt(o.activeConns)} keep-alive connections in ${o.activeWrks} processes of \`wrk -t1 -c<n> -d${o.durationS}s --latency --timeout 10s\` (after a 2 s warm-up). ` +
        'Client and server connections are the largest `show info` CurrConns and `show stat` scur of the server seen, sampled every 0.5 s (a busy proxy answers ' +
        'its CLI late, so fewer samples), descriptors the largest count of /proc/<pid>/fd. A connection the proxy has not accepted yet waits in the kernel queue: ' +
        'its request counts in wrk\'s latency but not in CurrConns; "99% of them after" is when CurrConns first reached 99% of the connections after wrk started, ' +
        'and the requests that waited that long make the p99. nginx, wrk and the proxy share the two cores: req/s is not a per-core figure; ' +
        '"total" p99 is the worst of the wrk processes.',
      '',
    );
    con.push('', `Active connections: ${fmt(o.activeConns)}`, consoleTable(headers, new Set([2, 3, 4, 6, 7, 8, 9]), rows.map((r) => r.map((c) => c.replace(/\*\*/g, ''))), rows.map((r) => r[0]!)));
  }

  if (overload.length) {
    md.push('## Overload: p99 as offered load passes capacity', '');
    const rows: string[][] = [];
    for (const run of overload) {
      for (const s of run.steps) {
        const w = s.run.wrk;
        // Little's law: with every client always waiting for a response, mean latency ≈ clients / throughput.
        const little = w && w.rps ? (1000 * s.clients) / w.rps : undefined;
        rows.push([
          run.proxy,
          fmt(s.clients),
          fmt(w?.rps),
          fmtMs(s.run.meanMs),
          fmtMs(w?.latencyMs.p50),
          fmtMs(w?.latencyMs.p90),
          fmtMs(w?.latencyMs.p99),
          fmtMs(little),
          w ? String(wrkErrors(w)) : (s.run.failure ?? 'failed'),
          fmt(s.peakFrontend),
          fmt(s.peakQueue),
          fmt(s.proxyCpu),
          fmt(s.machineBusy),
        ]);
      }
    }
    const headers = ['proxy', 'clients (wrk -c)', 'req/s', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms', 'clients ÷ req/s, ms', 'errors', 'frontend conns (max)', 'backend queue (max)', 'proxy CPU%', 'machine busy%'];
    const numeric = new Set([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]);
    md.push(markdownTable(headers, numeric, rows), '');
    md.push(
      `Server \`maxconn ${OVERLOAD.serverMaxconn}\` with \`timeout queue 30s\`: requests past it wait in the backend queue. ` +
        `Frontend \`maxconn ${OVERLOAD.frontendMaxconn}\`, global ${OVERLOAD.globalMaxconn}: above the largest step, since maxconn counts connections and a keep-alive ` +
        'client past it would wait for another to leave, which none does during a run (HAProxy alike): wrk would then report only the admitted clients\' latencies. ' +
        `Each step is \`wrk -t1 -c<clients> -d${o.durationS}s --latency --timeout 10s\`, one after the other on the same proxy process. ` +
        'wrk is a closed loop (each connection waits for its response), so past capacity the offered load shows up as waiting clients: ' +
        'latency should grow in proportion to the clients (the "clients ÷ req/s" column is the mean latency Little\'s law predicts; wrk\'s mean should match it) while req/s stays flat and no request fails. ' +
        '"frontend conns" and "backend queue" are the largest `show stat` scur (FRONTEND) and qcur (BACKEND) seen, sampled every 0.5 s.',
      '',
    );
    con.push('', 'Overload (p99 curve)', consoleTable(headers, numeric, rows, rows.map((r) => r[0]!)));
  }

  md.push('## Setup', '');
  md.push('- Backend: one nginx (`worker_processes 1`, `worker_connections 8192`, `keepalive_requests 100000000`, `keepalive_timeout 600s`) answering `/` with `200 "ok\\n"`.');
  md.push(`- Open-files limit ${FD_LIMIT} for every process; Turnpike's descriptors are checked against it before the idle phase (clients + ${POOL_MAX_CONN} pooled + connections being set up + ${FD_BASE}).`);
  for (const [name, text] of Object.entries(configs)) md.push('', `Configuration of the ${name} phase:`, '', '```', text.trimEnd(), '```');
  md.push('');
  return { file: md.join('\n'), console: con.join('\n') };
}
