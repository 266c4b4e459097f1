// Soak benchmark (node bench/run.ts soak [--minutes N], default 30): Turnpike alone, `mode
// http`, one nginx behind it, under a moderate paced load for N minutes (wrk -c50, each
// connection waiting between requests, cycling keep-alive, Connection: close and 64 KiB
// responses). Every minute: V8 heap used after a full GC (through the Node inspector, see
// bench/probe.ts), RSS, descriptors. Fits a line to the heap samples (slope per minute and per
// request). After the load stops: connections, sessions, descriptors, sockets and timers must
// return to their values before the load. Writes bench/results/soak-<date>.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  benchTempDir,
  CLK_TCK,
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
  sleep,
  start,
  startNginx,
  stop,
  stopNginx,
  tail,
  treeTicks,
  waitForPort,
  which,
  type NginxBackend,
  type WrkResult,
} from './lib.ts';
import { connectInspector, fdCount, linearFit, rssBytes, sessionCount, showInfo, KiB, MiB, type Inspector } from './probe.ts';

export interface SoakOptions {
  minutes: number;
  /** wrk connections. */
  connections: number;
  /** Pause of each connection between two requests (wrk's delay()), ms. */
  delayMs: number;
  turnpikeBin: string;
  repo: string;
  nodeBin: string;
  resultsDir: string;
  command: string;
}

const BIG_BYTES = 64 * 1024;
/** How long connections and timers may take to go back to their idle values (pooled server connections are purged after pool-purge-delay, 5 s). */
const SETTLE_S = 60;
/** Heap retained per request above which the trend counts as growth. */
const MAX_BYTES_PER_REQUEST = 1;

function config(port: number, backendPort: number, sock: string): string {
  return [
    'global',
    '    maxconn 4000',
    '    nbthread 1',
    `    stats socket ${sock} level admin`,
    '',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '',
    'frontend fe',
    `    bind 127.0.0.1:${port}`,
    '    default_backend be',
    '',
    'backend be',
    // Each "Connection: close" client's request opens a server connection ("http-reuse safe" reuses
    // idle ones for later requests only) that then idles in the pool until pool-purge-delay: with
    // an unbounded pool its size follows the request rate (4,600-5,500 descriptors here) and its
    // objects swamp the heap trend. Bounded, the pool no longer hides a leak.
    `    server s1 127.0.0.1:${backendPort} pool-max-conn 100`,
    '',
  ].join('\n');
}

/** wrk script: the requests cycle through keep-alive "/", "Connection: close" "/" and keep-alive "/64k", each connection pausing between them. */
function luaScript(delayMs: number): string {
  return [
    'local reqs = {}',
    'local n = 0',
    'init = function(args)',
    '  reqs[1] = wrk.format("GET", "/", { ["Host"] = "soak" }, nil)',
    '  reqs[2] = wrk.format("GET", "/", { ["Host"] = "soak", ["Connection"] = "close" }, nil)',
    '  reqs[3] = wrk.format("GET", "/64k", { ["Host"] = "soak" }, nil)',
    'end',
    'request = function()',
    '  n = n % 3 + 1',
    '  return reqs[n]',
    'end',
    `delay = function() return ${delayMs} end`,
    '',
  ].join('\n');
}

interface Sample {
  minute: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
  fds: number;
  currConns: number;
  cumReq: number;
  /** Turnpike's CPU since the previous sample, % of one core. */
  cpu: number;
}

interface Idle {
  currConns: number;
  sessions: number;
  fds: number;
  resources: Record<string, number>;
}

export async function runSoak(o: SoakOptions): Promise<number> {
  ensurePackages([
    { bin: 'wrk', pkg: 'wrk' },
    { bin: 'nginx', pkg: 'nginx-light' },
  ]);
  const wrkBin = which('wrk') ?? '/usr/bin/wrk';
  const machine = describeMachine(o.nodeBin, o.repo);
  const startedAt = new Date();
  const t0 = Date.now();
  const dir = benchTempDir('turnpike-bench-soak-');
  mkdirSync(path.join(dir, 'www'));
  writeFileSync(path.join(dir, 'www', '64k'), randomBytes(BIG_BYTES));
  const backendPort = await freePort();
  const port = await freePort();
  const inspectPort = await freePort();
  const sock = path.join(dir, 'soak.sock');
  const cfgText = config(port, backendPort, sock);
  const cfg = path.join(dir, 'soak.cfg');
  writeFileSync(cfg, cfgText);
  const script = path.join(dir, 'mix.lua');
  writeFileSync(script, luaScript(o.delayMs));
  const backend: NginxBackend = { dir, port: backendPort, keepaliveRequests: 100000000, keepaliveTimeout: '75s', files: ['64k'] };
  const nginx = await startNginx(backend, undefined);
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${inspectPort}`.trim() };
  const tp = start('turnpike', o.turnpikeBin, ['-db', '-f', cfg], undefined, env);
  let inspector: Inspector | undefined;
  const samples: Sample[] = [];
  let wrk: WrkResult | undefined;
  let wrkFailure: string | undefined;
  let before: Idle | undefined;
  let after: Idle | undefined;
  let settledS: number | undefined;
  const wrkArgs = ['-t1', `-c${o.connections}`, `-d${o.minutes * 60}s`, '--latency', '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}/`];
  try {
    await waitForPort(port, tp, 15_000);
    for (const p of ['/', '/64k']) {
      const r = await httpGet(port, p);
      if (r.status !== 200) throw new Error(`GET ${p} through Turnpike answered ${r.status}`);
    }
    inspector = await connectInspector(inspectPort);
    const insp = inspector;
    const idleState = async (): Promise<Idle> => ({
      currConns: Number((await showInfo(sock)).CurrConns),
      sessions: await sessionCount(sock),
      fds: fdCount(tp.pid),
      resources: await insp.resources(),
    });
    await sleep(1000);
    before = await idleState();
    log(`bench: idle before the load: ${JSON.stringify(before)}`);

    log(`bench: wrk ${wrkArgs.join(' ')}`);
    const load = start('wrk', wrkBin, wrkArgs);
    const loadStart = Date.now();
    let ticks = treeTicks(tp.pid);
    let tickAt = Date.now();
    const sample = async (minute: number): Promise<void> => {
      await insp.gc();
      const mem = await insp.memory();
      const info = await showInfo(sock);
      const now = Date.now();
      const t = treeTicks(tp.pid);
      const s: Sample = {
        minute, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, rss: rssBytes(tp.pid), fds: fdCount(tp.pid),
        currConns: Number(info.CurrConns), cumReq: Number(info.CumReq), cpu: (100 * (t - ticks)) / CLK_TCK / ((now - tickAt) / 1000),
      };
      ticks = t;
      tickAt = now;
      samples.push(s);
      log(`bench:   minute ${minute}: heap used ${fmt(s.heapUsed / MiB, 2)} MiB, external ${fmt(s.external / MiB, 2)} MiB, RSS ${fmt(s.rss / MiB, 1)} MiB, ${s.fds} fds, ${s.currConns} conns, ${fmt(s.cumReq)} requests, CPU ${fmt(s.cpu)}%`);
    };
    // Minute 0 once the load is steady, then every minute while wrk runs.
    await sleep(10_000);
    if (!load.exit) await sample(0);
    for (let m = 1; m <= o.minutes; m++) {
      const at = loadStart + m * 60_000 - (m === o.minutes ? 3000 : 0);
      while (Date.now() < at && !load.exit) await sleep(Math.min(1000, at - Date.now()));
      if (load.exit || tp.exit) break;
      await sample(m);
    }
    const wrkDeadline = setTimeout(() => void stop(load, 1000), 60_000);
    await load.exited;
    clearTimeout(wrkDeadline);
    if (tp.exit) throw new Error(`Turnpike ${describeExit(tp)} during the load: ${tail(tp.output())}`);
    try {
      wrk = parseWrk(load.output());
    } catch (e) {
      wrkFailure = `wrk ${describeExit(load)}: ${(e as Error).message}`;
    }
    // After the load: poll until every count is back to its value before the load.
    const s0 = Date.now();
    for (;;) {
      after = await idleState();
      if (isBack(before, after)) {
        settledS = (Date.now() - s0) / 1000;
        break;
      }
      if (Date.now() - s0 > SETTLE_S * 1000) break;
      await sleep(1000);
    }
    log(`bench: after the load${settledS === undefined ? ` (not back after ${SETTLE_S} s)` : ` (back after ${settledS.toFixed(0)} s)`}: ${JSON.stringify(after)}`);
  } finally {
    inspector?.close();
    await stop(tp);
    await stopNginx(nginx);
  }
  const elapsedS = (Date.now() - t0) / 1000;
  const r = report(o, machine, startedAt, elapsedS, cfgText, wrkArgs, samples, wrk, wrkFailure, before, after, settledS);
  mkdirSync(o.resultsDir, { recursive: true });
  const iso = startedAt.toISOString();
  const file = path.join(o.resultsDir, `soak-${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}.md`);
  writeFileSync(file, r.markdown);
  process.stdout.write(`\n${r.summary}\nresults written to ${path.relative(process.cwd(), file) || file} (${elapsedS.toFixed(0)} s)\n`);
  return r.ok ? 0 : 1;
}

/** Socket handles, timers and descriptors: the counts that must return to their idle values. */
const RESOURCE_KINDS = ['TCPSocketWrap', 'TCPWrap', 'Timeout', 'TTYWrap', 'PipeWrap', 'FSReqCallback', 'TLSWrap'] as const;

function isBack(before: Idle, after: Idle): boolean {
  if (after.currConns !== 0 || after.sessions > before.sessions || after.fds > before.fds) return false;
  return RESOURCE_KINDS.every((k) => (after.resources[k] ?? 0) <= (before.resources[k] ?? 0));
}

function report(
  o: SoakOptions,
  machine: ReturnType<typeof describeMachine>,
  startedAt: Date,
  elapsedS: number,
  cfgText: string,
  wrkArgs: string[],
  samples: Sample[],
  wrk: WrkResult | undefined,
  wrkFailure: string | undefined,
  before: Idle | undefined,
  after: Idle | undefined,
  settledS: number | undefined,
): { markdown: string; summary: string; ok: boolean } {
  const md: string[] = [];
  const iso = startedAt.toISOString();
  md.push(`# Soak benchmark — ${iso.slice(0, 16).replace('T', ' ')} UTC`, '');
  if (o.minutes < 30) md.push(`> **Short run** (${o.minutes} minutes; the soak is meant to run 30): the trend is indicative only.`, '');
  md.push(`Command: \`${o.command}\` (${elapsedS.toFixed(0)} s). Turnpike alone, \`mode http\`, \`nbthread 1\`, one nginx behind it, on loopback, nothing pinned.`, '');
  md.push('## Machine', '', ...machineMarkdown(machine), '');

  const xs = samples.map((s) => s.minute);
  const heapFit = samples.length >= 2 ? linearFit(xs, samples.map((s) => s.heapUsed)) : undefined;
  const rssFit = samples.length >= 2 ? linearFit(xs, samples.map((s) => s.rss)) : undefined;
  const extFit = samples.length >= 2 ? linearFit(xs, samples.map((s) => s.external)) : undefined;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const reqPerMin = first && last && last.minute > first.minute ? (last.cumReq - first.cumReq) / (last.minute - first.minute) : undefined;
  const bytesPerReq = heapFit && reqPerMin ? heapFit.slope / reqPerMin : undefined;
  const errors = wrk ? wrk.errors.connect + wrk.errors.read + wrk.errors.write + wrk.errors.timeout + wrk.non2xx : undefined;
  const flat = bytesPerReq !== undefined && bytesPerReq < MAX_BYTES_PER_REQUEST;
  const back = before !== undefined && after !== undefined && settledS !== undefined;
  const checks = [
    ['load ran without errors', errors === 0 && !wrkFailure, wrk ? `${fmt(wrk.requests)} requests, ${fmt(wrk.rps)} req/s, ${errors} errors` : (wrkFailure ?? 'no wrk result')],
    [
      `heap after GC: no growth trend (< ${MAX_BYTES_PER_REQUEST} byte retained per request)`,
      flat,
      heapFit ? `slope ${fmt(heapFit.slope / KiB, 1)} KiB/min (r = ${heapFit.r.toFixed(2)}), ${bytesPerReq === undefined ? '—' : bytesPerReq.toFixed(3)} bytes per request` : 'not enough samples',
    ],
    ['connections, sessions, descriptors, sockets and timers back to idle after the load', back, back ? `after ${settledS!.toFixed(0)} s` : `not within ${SETTLE_S} s`],
  ] as const;
  md.push('## Summary', '');
  const rows = checks.map(([what, ok, detail]) => [what, ok ? 'met' : 'MISSED', detail]);
  md.push(markdownTable(['check', '', 'measured'], new Set(), rows), '');
  if (heapFit && rssFit && extFit) {
    md.push(
      `Linear trend over minutes ${first!.minute}–${last!.minute} (least squares): heap used ${fmt(heapFit.slope / KiB, 1)} KiB/min ` +
        `(${fmt((heapFit.slope * 30) / MiB, 2)} MiB per 30 min), external ${fmt(extFit.slope / KiB, 1)} KiB/min, RSS ${fmt(rssFit.slope / KiB, 1)} KiB/min; ` +
        `${reqPerMin === undefined ? '' : `${fmt(reqPerMin)} requests per minute, so `}${bytesPerReq === undefined ? '' : `${bytesPerReq.toFixed(3)} bytes of heap per request`}. ` +
        'RSS follows the allocator and the GC (pages are returned to the system late, if at all): its slope over a few minutes says little; the heap after a full GC is the leak indicator.',
      '',
    );
  }

  md.push('## Samples', '');
  const sRows = samples.map((s) => [String(s.minute), fmt(s.heapUsed / MiB, 2), fmt(s.heapTotal / MiB, 2), fmt(s.external / MiB, 2), fmt(s.rss / MiB, 1), String(s.fds), String(s.currConns), fmt(s.cumReq), fmt(s.cpu)]);
  md.push(markdownTable(['minute', 'heap used MiB (after GC)', 'heap total MiB', 'external MiB', 'RSS MiB', 'descriptors', 'CurrConns', 'requests so far', 'Turnpike CPU%'], new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]), sRows), '');

  if (wrk) {
    md.push('## Load', '');
    md.push(
      `\`wrk ${wrkArgs.join(' ').replace(/\S+mix\.lua/, 'mix.lua').replace(/http:\/\/127\.0\.0\.1:\d+/, 'URL')}\`: ${fmt(wrk.requests)} requests in ${fmt(wrk.seconds)} s ` +
        `(${fmt(wrk.rps)} req/s, ${fmt(wrk.transferBps / MiB, 1)} MiB/s), p50 ${fmtMs(wrk.latencyMs.p50)} ms, p99 ${fmtMs(wrk.latencyMs.p99)} ms; ` +
        `socket errors connect ${wrk.errors.connect}, read ${wrk.errors.read}, write ${wrk.errors.write}, timeout ${wrk.errors.timeout}; non-2xx ${wrk.non2xx}.`,
      '',
      `The script cycles keep-alive \`GET /\` (3 bytes), \`GET /\` with \`Connection: close\` (a new connection each time) and keep-alive \`GET /64k\` ` +
        `(64 KiB), each connection waiting ${o.delayMs} ms before each request: at most ${fmt((1000 / o.delayMs) * o.connections)} req/s, well below capacity.`,
      '',
    );
  }
  if (before && after) {
    md.push('## After the load', '');
    // The kinds checked are listed even when none is open, so that a zero reads as a zero.
    const kinds = [...new Set([...RESOURCE_KINDS, ...Object.keys(before.resources), ...Object.keys(after.resources)])].sort();
    const aRows = [
      ['CurrConns (show info)', String(before.currConns), String(after.currConns)],
      ['sessions (show sess, the asking CLI connection included)', String(before.sessions), String(after.sessions)],
      ['descriptors (/proc/<pid>/fd)', String(before.fds), String(after.fds)],
      ...kinds.map((k) => [`${k} (process.getActiveResourcesInfo())`, String(before.resources[k] ?? 0), String(after.resources[k] ?? 0)]),
    ];
    md.push(markdownTable(['', 'before the load', settledS === undefined ? `${SETTLE_S} s after (not back)` : `${settledS.toFixed(0)} s after`], new Set([1, 2]), aRows), '');
    md.push(
      "After wrk exits the benchmark polls every second until CurrConns is 0 and the sessions, descriptors and Node's socket, server and timer handles are no more than before the load; " +
        'pooled server connections close after `pool-purge-delay` (5 s by default).',
      '',
    );
  }
  md.push('## Setup', '');
  md.push(
    '- Heap figures are read after a full GC (`HeapProfiler.collectGarbage` through the Node inspector: Turnpike runs with `NODE_OPTIONS=--inspect=127.0.0.1:PORT`), ' +
      'RSS and descriptors from /proc, CurrConns and requests from `show info` on the stats socket.',
    `- Backend: one nginx (\`worker_processes 1\`, \`keepalive_requests 100000000\`) serving \`/\` → \`200 "ok\\n"\` and \`/64k\` → 64 KiB of random bytes.`,
    '',
    '```',
    cfgText.trimEnd(),
    '```',
    '',
  );
  const ok = checks.every((c) => c[1]);
  const summary = rows.map((r) => `${r[1] === 'met' ? 'met   ' : 'MISSED'}  ${r[0]}: ${r[2]}`).join('\n');
  return { markdown: md.join('\n'), summary, ok };
}
