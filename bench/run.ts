// Entry point for `npm run bench` (node bench/run.ts [tcp|http] [options]).
//
// tcp (default): Turnpike and Debian's HAProxy side by side in `mode tcp`, in front of
// one nginx, driven by wrk; writes bench/results/tcp-<date>.md.
// http (or --http): Turnpike, HAProxy and node-http-proxy in `mode http`; writes
// bench/results/http-<date>.md, or with --profile profiles Turnpike alone.

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanupHandlers } from './lib.ts';
import { runTcp, type Mode } from './tcp.ts';
import { runHttp, HTTP_PROXIES, HTTP_SCENARIOS, type HttpProxy, type HttpScenario } from './http.ts';
import { runTls } from './tls.ts';
import { runH2 } from './h2.ts';
import { runScale, SCALE_PHASES, SCALE_PROXIES, type ScalePhase, type ScaleProxy } from './scale.ts';
import { runSoak } from './soak.ts';

const USAGE = `usage: node bench/run.ts [tcp|http|tls|h2|scale|soak] [options]     (npm run bench -- [options])

  tcp                the TCP benchmark (default)
  http, --http       the HTTP benchmark
  tls, --tls         the TLS benchmark (handshakes/s and HTTPS keep-alive req/s vs HAProxy)
  h2, --h2           the HTTP/2 benchmark (h2load: clear-text h2 -m 10 and -m 1, h2 over TLS -m 10, vs HAProxy)
  scale              18,000 idle connections (memory per connection), 5,000 active, overload p99 curve (HAProxy as reference)
  soak               Turnpike under a moderate load for --minutes (heap trend, counts back to idle after)

  --quick            one short round (2 s per test), unpinned only
  --pinned           pinned mode only (proxy on cpu 0, nginx + wrk on cpu 1)
  --unpinned         unpinned mode only (default: both, unpinned first)
  --rounds N         rounds per proxy and mode (default 2)
  --duration S       seconds per wrk test (default 5)
  --warmup S         warm-up seconds after each proxy start (default 8; --quick: 1)
  --quiet-wait S     total seconds to wait for other jobs to quieten (default 30)
  --retries N        noisy measurements that may be repeated (default 4)
  --turnpike PATH    Turnpike launcher (default bin/turnpike)
  --stand-in         run HAProxy in the Turnpike slot too (harness check)
  -h, --help

HTTP only:
  --proxies LIST     comma-separated, from ${HTTP_PROXIES.join(',')} (default: all)
  --scenarios LIST   comma-separated, from ${HTTP_SCENARIOS.join(',')} (default: all)
                       ka50/ka200: keep-alive small responses, 50/200 connections
                       big: keep-alive 64 KiB responses, 50 connections
                       close: new connection per request (Connection: close), 50 connections
  --profile          run Turnpike alone (default scenario ka50, 1 round) with node --cpu-prof and
                     print the functions with the most self time; writes no results file
  --profile-dir DIR  where the .cpuprofile goes (default bench/results/tmp)
  --top N            functions to print (default 15)

scale only (--quick: 2,000 idle, 500 active, steps 50,200,1000, 3 s):
  --phases LIST      comma-separated, from ${SCALE_PHASES.join(',')} (default: all)
  --proxies LIST     for the active and overload phases, from ${SCALE_PROXIES.join(',')} (default: both; HAProxy is the reference)
  --idle N           idle keep-alive connections to hold (default 18000)
  --clients N        client processes holding them, one source address each (default 4)
  --active N         connections under load (default 5000), in --wrks N wrk processes (default 2)
  --steps LIST       overload wrk -c steps (default 50,200,1000,3000)
  --duration S       seconds per wrk run (default 10)

soak only:
  --minutes N        minutes of load (default 30)
  --connections N    wrk connections (default 50)
  --delay MS         pause of each connection before each request (default 20)
`;

const repo = path.resolve(import.meta.dirname, '..');

function list<T extends string>(v: string | undefined, all: readonly T[], name: string): T[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(all as readonly string[]).includes(s));
  if (bad.length || !items.length) throw new Error(`--${name} takes a comma-separated list from ${all.join(',')}, got ${JSON.stringify(v)}`);
  return [...new Set(items)] as T[];
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      http: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      h2: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      pinned: { type: 'boolean', default: false },
      unpinned: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      turnpike: { type: 'string' },
      'quiet-wait': { type: 'string' },
      retries: { type: 'string' },
      'stand-in': { type: 'boolean', default: false },
      proxies: { type: 'string' },
      scenarios: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      top: { type: 'string' },
      phases: { type: 'string' },
      idle: { type: 'string' },
      clients: { type: 'string' },
      active: { type: 'string' },
      wrks: { type: 'string' },
      steps: { type: 'string' },
      minutes: { type: 'string' },
      connections: { type: 'string' },
      delay: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const which = positionals[0] ?? (values.http ? 'http' : values.tls ? 'tls' : values.h2 ? 'h2' : 'tcp');
  if (!['tcp', 'http', 'tls', 'h2', 'scale', 'soak'].includes(which) || positionals.length > 1 || (values.http && which !== 'http')) {
    process.stderr.write(`unknown benchmark ${JSON.stringify(positionals.join(' '))}\n${USAGE}`);
    return 2;
  }
  const httpOnly = (['proxies', 'scenarios', 'profile', 'profile-dir', 'top'] as const).filter((k) => values[k] !== undefined && values[k] !== false && !(k === 'proxies' && which === 'scale'));
  if (which !== 'http' && httpOnly.length) throw new Error(`--${httpOnly[0]} is for the HTTP benchmark (add --http)`);
  const num = (v: string | undefined, def: number, name: string): number => {
    if (v === undefined) return def;
    const n = Number(v);
    // wrk only takes whole seconds.
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive whole number, got ${JSON.stringify(v)}`);
    return n;
  };
  let modes: Mode[] = ['unpinned', 'pinned'];
  if (values.pinned && !values.unpinned) modes = ['pinned'];
  if (values.unpinned && !values.pinned) modes = ['unpinned'];
  if ((values.quick || values.profile) && !values.pinned) modes = ['unpinned'];

  const common = {
    modes,
    rounds: num(values.rounds, values.quick || values.profile ? 1 : 2, 'rounds'),
    durationS: num(values.duration, values.quick ? 2 : 5, 'duration'),
    // V8 needs several seconds of load to optimise a Node proxy's hot path; HAProxy gets the same warm-up.
    warmupS: num(values.warmup, values.quick ? 1 : 8, 'warmup'),
    standIn: values['stand-in'],
    turnpikeBin: path.resolve(values.turnpike ?? path.join(repo, 'bin', 'turnpike')),
    repo,
    nodeBin: path.join(repo, 'node_modules', 'node', 'bin', 'node'),
    resultsDir: path.join(repo, 'bench', 'results'),
    command: ['node bench/run.ts', ...process.argv.slice(2)].join(' '),
    quick: values.quick,
    quietWaitS: values['quiet-wait'] === '0' ? 0 : num(values['quiet-wait'], values.quick ? 10 : 30, 'quiet-wait'),
    noisyRetries: values.retries === '0' ? 0 : num(values.retries, values.quick ? 1 : 4, 'retries'),
  };

  const scaleOnly = (['phases', 'idle', 'clients', 'active', 'wrks', 'steps'] as const).filter((k) => values[k] !== undefined);
  if (which !== 'scale' && scaleOnly.length) throw new Error(`--${scaleOnly[0]} is for the scale benchmark`);
  const soakOnly = (['minutes', 'connections', 'delay'] as const).filter((k) => values[k] !== undefined);
  if (which !== 'soak' && soakOnly.length) throw new Error(`--${soakOnly[0]} is for the soak benchmark`);

  installCleanupHandlers();
  if (which === 'scale') {
    const steps = values.steps?.split(',').map((v) => num(v.trim(), 0, 'steps')) ?? (values.quick ? [50, 200, 1000] : [50, 200, 1000, 3000]);
    return runScale({
      ...common,
      phases: list(values.phases, SCALE_PHASES, 'phases') ?? [...SCALE_PHASES] as ScalePhase[],
      proxies: list(values.proxies, SCALE_PROXIES, 'proxies') ?? [...SCALE_PROXIES] as ScaleProxy[],
      idleConns: num(values.idle, values.quick ? 2000 : 18000, 'idle'),
      clientProcs: num(values.clients, 4, 'clients'),
      activeConns: num(values.active, values.quick ? 500 : 5000, 'active'),
      activeWrks: num(values.wrks, 2, 'wrks'),
      overloadSteps: steps,
      durationS: num(values.duration, values.quick ? 3 : 10, 'duration'),
    });
  }
  if (which === 'soak') {
    return runSoak({
      ...common,
      minutes: num(values.minutes, 30, 'minutes'),
      connections: num(values.connections, 50, 'connections'),
      delayMs: num(values.delay, 20, 'delay'),
    });
  }
  if (which === 'tcp') return runTcp(common);
  if (which === 'tls') return runTls(common);
  if (which === 'h2') return runH2(common);
  const proxies: HttpProxy[] = values.profile ? ['turnpike'] : (list(values.proxies, HTTP_PROXIES, 'proxies') ?? [...HTTP_PROXIES]);
  const scenarios: HttpScenario[] = list(values.scenarios, HTTP_SCENARIOS, 'scenarios') ?? (values.profile ? ['ka50'] : [...HTTP_SCENARIOS]);
  return runHttp({
    ...common,
    proxies,
    scenarios,
    profileDir: values.profile ? path.resolve(values['profile-dir'] ?? path.join(repo, 'bench', 'results', 'tmp')) : undefined,
    profileTopN: num(values.top, 15, 'top'),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
