// TLS benchmark (node bench/run.ts tls): Turnpike and Debian's HAProxy side by side, each
// answering "http-request return" itself over TLS (no server behind, so only the proxy's TLS
// and HTTP work is measured), driven by wrk on 127.0.0.1 with an RSA-2048 certificate:
//   handshakes: a new connection and a full handshake per request (Connection: close; tickets
//               and HAProxy's session cache off, so no handshake is resumed), 50 connections;
//   keepalive:  HTTPS keep-alive requests on 50 connections.
// Both run one thread, pinned to cpu 0 (wrk on cpu 1): the per-core figure, since HAProxy's
// default is one thread per CPU and Turnpike's is one. Rounds alternate the proxies; each measurement
// waits for the machine to be quiet (lib.ts). Prints a table with the Turnpike/HAProxy ratio
// and writes bench/results/tls-<date>.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  benchTempDir, consoleTable, describeMachine, ensurePackages, fmt, freePort, machineMarkdown, markdownTable, median, noiseBudget,
  parseWrk, pin, run, selfSignedPem, start, stop, waitForPort, waitForQuiet, which, type WrkResult,
} from './lib.ts';

export const TLS_SCENARIOS = ['handshakes', 'keepalive'] as const;
export type TlsScenario = (typeof TLS_SCENARIOS)[number];

export interface TlsOptions {
  rounds: number;
  durationS: number;
  warmupS: number;
  turnpikeBin: string;
  repo: string;
  nodeBin: string;
  resultsDir: string;
  command: string;
  quietWaitS: number;
  noisyRetries: number;
}

const PROXIES = ['turnpike', 'haproxy'] as const;
type Proxy = (typeof PROXIES)[number];
const CONNECTIONS = 50;

function config(port: number, pem: string, proxy: Proxy): string {
  return [
    'global',
    '  maxconn 5000',
    '  nbthread 1',
    ...(proxy === 'haproxy' ? ['  tune.ssl.cachesize 0'] : []),
    'defaults',
    '  mode http',
    '  timeout client 10s',
    '  timeout server 10s',
    '  timeout connect 5s',
    'frontend fe',
    `  bind 127.0.0.1:${port} ssl crt ${pem} no-tls-tickets`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
}

function wrkArgs(s: TlsScenario, url: string, durationS: number): string[] {
  const args = ['-t', '1', '-c', String(CONNECTIONS), '-d', `${durationS}s`, '--latency'];
  if (s === 'handshakes') args.push('-H', 'Connection: close');
  return [...args, url];
}

interface Cell {
  proxy: Proxy;
  scenario: TlsScenario;
  rps: number[];
  errors: number;
}

export async function runTls(o: TlsOptions): Promise<number> {
  ensurePackages([{ bin: 'wrk', pkg: 'wrk' }, { bin: 'haproxy', pkg: 'haproxy' }]);
  const wrkBin = which('wrk') ?? '/usr/bin/wrk';
  const dir = benchTempDir('turnpike-bench-tls-');
  const pem = selfSignedPem(dir);
  const noise = noiseBudget(o.quietWaitS, o.noisyRetries);
  const cells = new Map<string, Cell>();
  const log = (s: string): void => { process.stdout.write(`${s}\n`); };
  for (let round = 1; round <= o.rounds; round++) {
    for (const proxy of round % 2 ? PROXIES : [...PROXIES].reverse()) {
      const port = await freePort();
      const cfg = path.join(dir, `${proxy}.cfg`);
      fs.writeFileSync(cfg, config(port, pem, proxy));
      const [cmd, args] = pin(0, proxy === 'haproxy' ? '/usr/sbin/haproxy' : o.turnpikeBin, ['-db', '-f', cfg]);
      const p = start(proxy, cmd, args);
      try {
        await waitForPort(port, p);
        const url = `https://127.0.0.1:${port}/`;
        await run('wrk-warmup', ...pin(1, wrkBin, wrkArgs('keepalive', url, o.warmupS)), (o.warmupS + 15) * 1000);
        for (const scenario of TLS_SCENARIOS) {
          const quiet = await waitForQuiet(noise);
          if (quiet) log(`bench: ${quiet}`);
          const r = await run('wrk', ...pin(1, wrkBin, wrkArgs(scenario, url, o.durationS)), (o.durationS + 20) * 1000);
          let w: WrkResult;
          try {
            w = parseWrk(r.output);
          } catch (e) {
            log(`bench: ${proxy} ${scenario}: ${(e as Error).message}`);
            continue;
          }
          const key = `${proxy}/${scenario}`;
          const cell = cells.get(key) ?? { proxy, scenario, rps: [], errors: 0 };
          cell.rps.push(w.rps);
          cell.errors += w.errors.connect + w.errors.read + w.errors.write + w.errors.timeout + w.non2xx;
          cells.set(key, cell);
          log(`bench: round ${round} ${proxy.padEnd(8)} ${scenario.padEnd(10)} ${fmt(w.rps)} req/s`);
        }
      } finally {
        await stop(p);
      }
    }
  }
  const headers = ['scenario', 'Turnpike req/s', 'HAProxy req/s', 'Turnpike / HAProxy', 'errors (T/H)'];
  const rows = TLS_SCENARIOS.map((s) => {
    const t = cells.get(`turnpike/${s}`);
    const h = cells.get(`haproxy/${s}`);
    const tm = t ? median(t.rps) : undefined;
    const hm = h ? median(h.rps) : undefined;
    return [s, fmt(tm), fmt(hm), tm && hm ? `${(tm / hm).toFixed(2)}x` : '-', `${t?.errors ?? '-'}/${h?.errors ?? '-'}`];
  });
  const numeric = new Set([1, 2, 3]);
  log(`\n${consoleTable(headers, numeric, rows, [])}`);
  const machine = describeMachine(o.nodeBin, o.repo);
  const date = new Date().toISOString().replace(/[:T]/g, '-').slice(0, 16);
  fs.mkdirSync(o.resultsDir, { recursive: true });
  const out = path.join(o.resultsDir, `tls-${date}.md`);
  fs.writeFileSync(out, [
    `# TLS benchmark, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `\`${o.command}\`: ${o.rounds} round(s) of ${o.durationS} s per scenario, median req/s; wrk -c ${CONNECTIONS}, RSA-2048 certificate,`,
    '"handshakes" is one full handshake per request (Connection: close, no tickets, no session cache), "keepalive" HTTPS keep-alive.',
    'Both proxies answer with http-request return (no server), one thread each (nbthread 1), pinned: proxy on cpu 0, wrk on cpu 1.',
    '',
    markdownTable(headers, numeric, rows),
    '',
    '## Machine',
    '',
    ...machineMarkdown(machine),
    '',
  ].join('\n'));
  log(`bench: wrote ${path.relative(o.repo, out)}`);
  return 0;
}
