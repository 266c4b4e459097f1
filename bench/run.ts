// Entry point for `npm run bench` (node bench/run.ts [options]).
//
// Runs the TCP benchmark: Turnpike and Debian's HAProxy side by side, in front of
// one nginx, driven by wrk; prints a table and writes bench/results/tcp-<date>.md.

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanupHandlers } from './lib.ts';
import { runTcp, type Mode } from './tcp.ts';

const USAGE = `usage: node bench/run.ts [tcp] [options]

  --quick            one short round (2 s per test), unpinned only
  --pinned           pinned mode only (proxy on cpu 0, nginx + wrk on cpu 1)
  --unpinned         unpinned mode only (default: both, unpinned first)
  --rounds N         rounds per proxy and mode (default 2)
  --duration S       seconds per wrk test (default 5)
  --warmup S         warm-up seconds after each proxy start (default 1)
  --quiet-wait S     total seconds to wait for other jobs to quieten (default 30)
  --retries N        noisy measurements that may be repeated (default 4)
  --turnpike PATH    Turnpike launcher (default bin/turnpike)
  --stand-in         run HAProxy in the Turnpike slot too (harness check)
  -h, --help
`;

const repo = path.resolve(import.meta.dirname, '..');

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
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
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const which = positionals[0] ?? 'tcp';
  if (which !== 'tcp' || positionals.length > 1) {
    process.stderr.write(`unknown benchmark ${JSON.stringify(positionals.join(' '))}\n${USAGE}`);
    return 2;
  }
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
  if (values.quick && !values.pinned) modes = ['unpinned'];

  installCleanupHandlers();
  return runTcp({
    modes,
    rounds: num(values.rounds, values.quick ? 1 : 2, 'rounds'),
    durationS: num(values.duration, values.quick ? 2 : 5, 'duration'),
    warmupS: num(values.warmup, 1, 'warmup'),
    standIn: values['stand-in'],
    turnpikeBin: path.resolve(values.turnpike ?? path.join(repo, 'bin', 'turnpike')),
    repo,
    nodeBin: path.join(repo, 'node_modules', 'node', 'bin', 'node'),
    resultsDir: path.join(repo, 'bench', 'results'),
    command: ['node bench/run.ts', ...process.argv.slice(2)].join(' '),
    quick: values.quick,
    quietWaitS: values['quiet-wait'] === '0' ? 0 : num(values['quiet-wait'], values.quick ? 10 : 30, 'quiet-wait'),
    noisyRetries: values.retries === '0' ? 0 : num(values.retries, values.quick ? 1 : 4, 'retries'),
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
