// Helpers shared by the benchmarks: child-process bookkeeping (everything we
// start is stopped on exit, errors and Ctrl-C), port probing, CPU sampling from
// /proc, wrk output parsing, a description of the machine, the nginx backend,
// and the loop that starts each proxy in turn and measures it.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

// ---------------------------------------------------------------------------
// Processes

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Last ~64 KiB of stdout+stderr, for diagnostics. */
  output(): string;
  /** Set once the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<void>;
}

const live = new Set<Proc>();
const tempDirs = new Set<string>();
const OUTPUT_CAP = 64 * 1024;

export function start(name: string, cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Proc {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const add = (chunk: Buffer): void => {
    buf += chunk.toString('utf8');
    if (buf.length > OUTPUT_CAP) buf = buf.slice(buf.length - OUTPUT_CAP);
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  let resolveExit!: () => void;
  const exited = new Promise<void>((r) => (resolveExit = r));
  const p: Proc = {
    name,
    pid: child.pid ?? -1,
    child,
    output: () => buf,
    exit: undefined,
    exited,
  };
  child.on('error', (err) => {
    add(Buffer.from(`spawn error: ${err.message}\n`));
    if (!p.exit) {
      p.exit = { code: -1, signal: null };
      live.delete(p);
      resolveExit();
    }
  });
  child.on('exit', (code, signal) => {
    p.exit = { code, signal };
    live.delete(p);
    resolveExit();
  });
  live.add(p);
  return p;
}

export function alive(p: Proc): boolean {
  return p.exit === undefined && p.pid > 0;
}

export function describeExit(p: Proc): string {
  if (!p.exit) return 'running';
  return p.exit.signal ? `killed by ${p.exit.signal}` : `exited with code ${p.exit.code}`;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function signalTree(p: Proc, sig: NodeJS.Signals): void {
  // Children first (e.g. workers a proxy may fork), then the process itself.
  for (const pid of descendants(p.pid)) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
  try {
    process.kill(p.pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(p: Proc, graceMs = 3000): Promise<void> {
  if (!alive(p)) return;
  signalTree(p, 'SIGTERM');
  const timer = setTimeout(() => signalTree(p, 'SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Runs a command to completion (killed after timeoutMs). */
export async function run(
  name: string,
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; timedOut: boolean }> {
  const p = start(name, cmd, args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stop(p, 1000);
  }, timeoutMs);
  await p.exited;
  clearTimeout(timer);
  return { code: p.exit!.code, signal: p.exit!.signal, output: p.output(), timedOut };
}

export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
}

/** A new temp dir (named after `prefix`), removed on exit. */
export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  registerTempDir(dir);
  return dir;
}

/** Writes a self-signed RSA-2048 certificate and its key into one PEM file in `dir` (what `crt` takes); returns its path. */
export function selfSignedPem(dir: string): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=bench.test'], { cwd: dir, stdio: 'ignore' });
  const pem = path.join(dir, 'bench.pem');
  writeFileSync(pem, readFileSync(path.join(dir, 'c.pem'), 'latin1') + readFileSync(path.join(dir, 'k.pem'), 'latin1'));
  return pem;
}

function cleanupSync(): void {
  for (const p of [...live]) {
    try {
      signalTree(p, 'SIGKILL');
    } catch {
      /* ignore */
    }
  }
  live.clear();
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
  tempDirs.clear();
}

let handlersInstalled = false;
/** Kill everything we started and remove temp dirs on exit, Ctrl-C, SIGTERM, crashes. */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping everything\n`);
      cleanupSync();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    cleanupSync();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection: ${(err as Error)?.stack ?? err}\n`);
    cleanupSync();
    process.exit(1);
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => stop(p)));
}

// ---------------------------------------------------------------------------
// Ports

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Waits until 127.0.0.1:port accepts; fails early if `p` exits. */
export async function waitForPort(port: number, p: Proc, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(p)) throw new Error(`${p.name} ${describeExit(p)} before listening on ${port}`);
    if (await tryConnect(port)) return;
    await sleep(100);
  }
  throw new Error(`${p.name} did not accept on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** One plain HTTP/1.0 GET over a raw socket; returns status code and body length. */
export function httpGet(port: number, path: string, timeoutMs = 5000): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(new Error(`GET ${path} via :${port} timed out after ${timeoutMs} ms`));
    });
    s.on('connect', () => s.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`));
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      s.destroy();
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all.subarray(0, 64).toString('latin1'));
      if (!m || sep < 0) return reject(new Error(`GET ${path} via :${port}: malformed response (${all.length} bytes)`));
      resolve({ status: Number(m[1]), body: all.subarray(sep + 4) });
    });
  });
}

/** Sends `text` on a new connection and returns whatever comes back until the peer closes or `timeoutMs` passes. */
export function rawExchange(port: number, text: string, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const done = (): void => {
      s.destroy();
      resolve(Buffer.concat(chunks));
    };
    s.setTimeout(timeoutMs, done);
    s.on('connect', () => s.write(text));
    s.on('data', (c) => chunks.push(c));
    s.on('error', (err) => (chunks.length ? done() : reject(err)));
    s.on('end', done);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// CPU accounting from /proc

export const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

interface StatLine {
  pid: number;
  ppid: number;
  ticks: number; // utime + stime
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may contain spaces: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] = state (field 3), rest[1] = ppid (4), rest[11] = utime (14), rest[12] = stime (15)
  return { pid, ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

function allStats(): StatLine[] {
  const out: StatLine[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

export function descendants(root: number): number[] {
  const stats = allStats();
  const kids = new Map<number, number[]>();
  for (const s of stats) {
    const list = kids.get(s.ppid) ?? [];
    list.push(s.pid);
    kids.set(s.ppid, list);
  }
  const out: number[] = [];
  const stack = [...(kids.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(kids.get(pid) ?? []));
  }
  return out;
}

/** CPU ticks (user+system, all threads) of a process and its descendants. */
export function treeTicks(root: number): number {
  const stats = allStats();
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  let total = byPid.get(root)?.ticks ?? 0;
  for (const pid of descendants(root)) total += byPid.get(pid)?.ticks ?? 0;
  return total;
}

/** Per-core [busy, total] jiffies from /proc/stat. */
export function coreTimes(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = [total - idle, total];
  }
  return out;
}

export function coreBusyPct(a: Array<[number, number]>, b: Array<[number, number]>): number[] {
  return b.map(([busy, total], i) => {
    const [busy0, total0] = a[i] ?? [0, 0];
    const dt = total - total0;
    return dt > 0 ? (100 * (busy - busy0)) / dt : 0;
  });
}

// ---------------------------------------------------------------------------
// wrk

export interface WrkResult {
  requests: number;
  seconds: number;
  bytesRead: number;
  rps: number;
  /** bytes per second, from "Transfer/sec" */
  transferBps: number;
  latencyMs: { p50?: number; p75?: number; p90?: number; p99?: number };
  errors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
}

const BIN_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseBytes(s: string): number | undefined {
  const m = /^([\d.]+)\s*([KMGTP]?)B$/.exec(s.trim());
  return m ? Number(m[1]) * BIN_UNITS[m[2]!]! : undefined;
}

function parseTimeMs(s: string): number | undefined {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s.trim());
  return m ? Number(m[1]) * TIME_UNITS[m[2]!]! : undefined;
}

/** Parses wrk 4.x output; throws with the output when the essential lines are missing. */
export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const rps = num(/^Requests\/sec:\s+([\d.]+)/m);
  const tm = /^Transfer\/sec:\s+(\S+)/m.exec(out);
  const transferBps = tm ? parseBytes(tm[1]!) : undefined;
  const summary = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h), (\S+) read/m.exec(out);
  if (rps === undefined || transferBps === undefined || !summary) {
    throw new Error(`could not parse wrk output:\n${tail(out, 20)}`);
  }
  const latencyMs: WrkResult['latencyMs'] = {};
  const dist = /Latency Distribution\n((?:\s+\d+%\s+\S+\n?)+)/.exec(out);
  if (dist) {
    for (const m of dist[1]!.matchAll(/(\d+)%\s+(\S+)/g)) {
      const v = parseTimeMs(m[2]!);
      if (v === undefined) continue;
      if (m[1] === '50') latencyMs.p50 = v;
      if (m[1] === '75') latencyMs.p75 = v;
      if (m[1] === '90') latencyMs.p90 = v;
      if (m[1] === '99') latencyMs.p99 = v;
    }
  }
  const errors = { connect: 0, read: 0, write: 0, timeout: 0 };
  const em = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (em) {
    errors.connect = Number(em[1]);
    errors.read = Number(em[2]);
    errors.write = Number(em[3]);
    errors.timeout = Number(em[4]);
  }
  return {
    requests: Number(summary[1]),
    seconds: (Number(summary[2]) * TIME_UNITS[summary[3]!]!) / 1000,
    bytesRead: parseBytes(summary[4]!) ?? 0,
    rps,
    transferBps,
    latencyMs,
    errors,
    non2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/) ?? 0,
  };
}

// ---------------------------------------------------------------------------
// Misc

export function median(xs: number[]): number | undefined {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : undefined;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return text.split('\n')[0]?.trim() || 'unknown';
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  haproxy: string;
  nginx: string;
  wrk: string;
  openFiles: string;
  portRange: string;
  twReuse: string;
  gitCommit: string;
}

export function describeMachine(nodeBin: string, repo: string): Machine {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return 'unknown';
    }
  };
  const cpuinfo = read('/proc/cpuinfo');
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const limits = /^Max open files\s+(\S+)\s+(\S+)/m.exec(read('/proc/self/limits'));
  const rev = spawnSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const dirty = spawnSync('git', ['-C', repo, 'status', '--porcelain', '--', 'src', 'bin'], { encoding: 'utf8' }).stdout?.trim();
  return {
    cpuModel,
    cores: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()} ${os.machine()}`,
    node: firstLine(nodeBin, ['--version']),
    haproxy: firstLine('haproxy', ['-v']),
    nginx: firstLine('nginx', ['-v']),
    wrk: firstLine('wrk', ['-v']).replace(/\s+Copyright.*$/, ''),
    openFiles: limits ? `${limits[1]} (soft) / ${limits[2]} (hard)` : 'unknown',
    portRange: read('/proc/sys/net/ipv4/ip_local_port_range').replace(/\s+/, '-'),
    twReuse: read('/proc/sys/net/ipv4/tcp_tw_reuse'),
    gitCommit: rev + (dirty ? ' (working tree has uncommitted changes in src/ or bin/)' : ''),
  };
}

/** Installs missing Debian packages (the README promises `npm run bench` does). */
export function ensurePackages(needed: Array<{ bin: string; pkg: string }>): void {
  const missing = needed.filter((n) => !which(n.bin));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  process.stderr.write(`bench: installing ${pkgs.join(' ')} (missing: ${missing.map((m) => m.bin).join(', ')})\n`);
  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? [] : ['sudo', '-n'];
  const apt = (args: string[]): number | null => {
    const cmd = [...prefix, 'apt-get', ...args];
    const r = spawnSync(cmd[0]!, cmd.slice(1), {
      stdio: 'inherit',
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return r.status;
  };
  if (apt(['install', '-y', ...pkgs]) !== 0) {
    apt(['update']);
    apt(['install', '-y', ...pkgs]);
  }
  const still = needed.filter((n) => !which(n.bin));
  if (still.length) {
    throw new Error(`missing ${still.map((s) => s.bin).join(', ')}; install with: apt-get install -y ${pkgs.join(' ')}`);
  }
}

// The CPU time of a short-lived child (wrk) cannot be read from /proc once it
// has been reaped, so run it under sh and print the shell's cutime+cstime
// (fields 16 and 17 of /proc/<sh>/stat: CPU of its waited-for children) after it.
const CHILD_CPU_MARK = '@@bench-child-stat@@';

export function withChildCpu(cmd: string, args: string[]): [string, string[]] {
  return ['sh', ['-c', `"$@"; rc=$?; echo; echo "${CHILD_CPU_MARK} $(cat /proc/$$/stat)"; exit $rc`, 'sh', cmd, ...args]];
}

/** CPU ticks of the wrapped command, from the line withChildCpu printed. */
export function childCpuTicks(output: string): number | undefined {
  const line = output.split('\n').find((l) => l.startsWith(CHILD_CPU_MARK));
  if (!line) return undefined;
  const rest = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[13]) + Number(rest[14]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

// ---------------------------------------------------------------------------
// Shared by the HTTP benchmark (pinning, formatting, noise control, reports)

/** Prefixes `taskset -c cpu` when a CPU is given. */
export function pin(cpu: number | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

export const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const fmtMs = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);

/** Peak resident memory of a process (VmHWM from /proc/<pid>/status). */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface NoiseBudget {
  waitLeftMs: number;
  retriesLeft: number;
  waitedMs: number;
  retries: number;
  noisyKept: number;
}

/** CPU% used by other processes above which a measurement counts as noisy. */
export const NOISE_PCT = 15;
/** Machine-wide busy% (sum over cores) below which the machine counts as quiet before a run. */
export const QUIET_PCT = 10;
const QUIET_SAMPLE_MS = 500;

export function noiseBudget(quietWaitS: number, retries: number): NoiseBudget {
  return { waitLeftMs: quietWaitS * 1000, retriesLeft: retries, waitedMs: 0, retries: 0, noisyKept: 0 };
}

/**
 * Other jobs on a small shared machine skew the figures. Before each measured run
 * wait (from a bounded budget) until the machine is nearly idle; returns a log line if it waited.
 */
export async function waitForQuiet(noise: NoiseBudget): Promise<string | undefined> {
  const t0 = Date.now();
  let busy = 0;
  for (;;) {
    const a = coreTimes();
    await sleep(QUIET_SAMPLE_MS);
    const b = coreTimes();
    busy = coreBusyPct(a, b).reduce((x, y) => x + y, 0);
    if (busy <= QUIET_PCT) break;
    if (Date.now() - t0 >= noise.waitLeftMs) break;
  }
  const waited = Date.now() - t0 - QUIET_SAMPLE_MS;
  noise.waitLeftMs = Math.max(0, noise.waitLeftMs - waited);
  noise.waitedMs += Math.max(0, waited);
  if (waited < QUIET_SAMPLE_MS) return undefined;
  return busy <= QUIET_PCT
    ? `waited ${(waited / 1000).toFixed(1)} s for other jobs to quieten`
    : `machine still ${busy.toFixed(0)}% busy after waiting ${(waited / 1000).toFixed(1)} s (quiet-wait budget used up), measuring anyway`;
}

/** The "Machine" section of a results file. */
export function machineMarkdown(machine: Machine, proxyRows: string[] = []): string[] {
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${machine.cpuModel} |`,
    `| cores | ${machine.cores} |`,
    `| memory | ${machine.memGiB} GiB |`,
    `| kernel | ${machine.kernel} |`,
    `| Node (Turnpike) | ${machine.node} |`,
    `| Turnpike commit | ${machine.gitCommit} |`,
    `| HAProxy | ${machine.haproxy} |`,
    ...proxyRows,
    `| nginx (backend) | ${machine.nginx} |`,
    `| wrk | ${machine.wrk} |`,
    `| open files limit | ${machine.openFiles} |`,
    `| ephemeral ports / tcp_tw_reuse | ${machine.portRange} / ${machine.twReuse} |`,
  ];
}

/** `wrk` arguments as a copy-pasteable shell command line. */
export function shellWords(args: string[]): string {
  return args.map((a) => (/[\s'"]/.test(a) ? `'${a}'` : a)).join(' ');
}

// ---------------------------------------------------------------------------
// CPU profiles (node --cpu-prof)

export interface ProfileEntry {
  functionName: string;
  /** file:line, relative to `root` when inside it */
  where: string;
  selfMs: number;
  selfPct: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/**
 * The functions with the most self time in a .cpuprofile, aggregated by function
 * and source line; percentages are of the busy time (V8's "(idle)" samples left out).
 */
export function profileTop(file: string, n: number, root: string): ProfileEntry[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = prof.samples ?? [];
  const deltas = prof.timeDeltas ?? [];
  // timeDeltas[i] is the time since the previous sample; charge it to sample i's node.
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const byFn = new Map<string, ProfileEntry>();
  let totalUs = 0;
  for (const node of prof.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const cf = node.callFrame;
    if (!us || cf.functionName === '(idle)') continue;
    totalUs += us;
    let url = cf.url.replace(/^file:\/\//, '');
    if (root && url.startsWith(`${root}/`)) url = url.slice(root.length + 1);
    const where = url ? `${url}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName}\0${where}`;
    const e = byFn.get(key) ?? { functionName: cf.functionName || '(anonymous)', where, selfMs: 0, selfPct: 0 };
    e.selfMs += us / 1000;
    byFn.set(key, e);
  }
  const top = [...byFn.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, n);
  for (const e of top) e.selfPct = totalUs ? (100 * e.selfMs * 1000) / totalUs : 0;
  return top;
}

/** A results table for the console: columns aligned (numbers to the right), a blank line between groups. */
export function consoleTable(headers: readonly string[], numeric: ReadonlySet<number>, cells: readonly string[][], groups: readonly string[]): string {
  const all = [headers, ...cells];
  const widths = headers.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (numeric.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (let i = 0; i < cells.length; i++) {
    if (i > 0 && groups[i] !== groups[i - 1]) out.push('');
    out.push(line(cells[i]!));
  }
  return out.join('\n');
}

/** The same table in markdown. */
export function markdownTable(headers: readonly string[], numeric: ReadonlySet<number>, cells: readonly string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (numeric.has(i) ? '---:' : '---')).join('|')}|`,
    ...cells.map((c) => `| ${c.map(esc).join(' | ')} |`),
  ].join('\n');
}

export const log = (s: string): void => void process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------
// The nginx backend

/** What nginx answers `/` with. */
export const BACKEND_BODY = 'ok\n';

export interface NginxBackend {
  /** Holds nginx.conf, its pid file, error log and temp dirs; static files go in `www/`. */
  dir: string;
  port: number;
  keepaliveRequests: number;
  /** `keepalive_timeout`, or nginx's default when not set. */
  keepaliveTimeout?: string;
  /** Names of files in `www/` served at `/<name>` with sendfile; when empty nginx serves no files. */
  files: readonly string[];
}

export function nginxConfig(b: NginxBackend): string {
  const { dir } = b;
  const serveFiles = b.files.length > 0;
  return [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    'worker_rlimit_nofile 20000;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/nginx-error.log warn;`,
    'events {',
    '    worker_connections 8192;',
    '    multi_accept on;',
    '}',
    'http {',
    '    access_log off;',
    ...(serveFiles ? ['    default_type application/octet-stream;', '    sendfile on;', '    tcp_nopush on;'] : []),
    `    keepalive_requests ${b.keepaliveRequests};`,
    ...(b.keepaliveTimeout ? [`    keepalive_timeout ${b.keepaliveTimeout};`] : []),
    `    client_body_temp_path ${dir}/tmp/body;`,
    `    proxy_temp_path ${dir}/tmp/proxy;`,
    `    fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `    uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `    scgi_temp_path ${dir}/tmp/scgi;`,
    '    server {',
    `        listen 127.0.0.1:${b.port} backlog=4096;`,
    ...(serveFiles ? [`        root ${dir}/www;`] : []),
    `        location = / { return 200 ${JSON.stringify(BACKEND_BODY)}; }`,
    ...b.files.map((f) => `        location = /${f} { }`),
    '    }',
    '}',
    '',
  ].join('\n');
}

/** GET / must answer BACKEND_BODY; returns an error text or undefined. */
export async function checkBackendBody(port: number): Promise<string | undefined> {
  const r = await httpGet(port, '/');
  if (r.status !== 200 || r.body.toString() !== BACKEND_BODY) return `GET / returned ${r.status} ${JSON.stringify(r.body.toString().slice(0, 80))}`;
  return undefined;
}

/**
 * Writes the backend's nginx.conf and starts nginx (pinned to `cpu` when given); resolves once it
 * accepts and `check` passes, throws with nginx's output otherwise.
 */
export async function startNginx(b: NginxBackend, cpu: number | undefined, check = checkBackendBody): Promise<Proc> {
  mkdirSync(path.join(b.dir, 'tmp'), { recursive: true });
  const conf = path.join(b.dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(b));
  const [cmd, args] = pin(cpu, which('nginx') ?? '/usr/sbin/nginx', ['-p', b.dir, '-e', path.join(b.dir, 'nginx-error.log'), '-c', conf]);
  const nginx = start('nginx', cmd, args);
  try {
    await waitForPort(b.port, nginx);
    const why = await check(b.port);
    if (why) throw new Error(why);
  } catch (err) {
    throw new Error(`nginx failed to start: ${(err as Error).message}\n${tail(nginx.output())}`);
  }
  return nginx;
}

export async function stopNginx(nginx: Proc): Promise<void> {
  await stop(nginx);
  if (nginx.exit?.code && nginx.exit.code !== 0) log(`bench: nginx ${describeExit(nginx)}\n${tail(nginx.output())}`);
}

// ---------------------------------------------------------------------------
// Measuring

export interface LoadRun {
  result: Awaited<ReturnType<typeof run>>;
  /** CPU of the proxy, nginx and the load generator, in % of one core over the run */
  proxyCpu: number;
  nginxCpu: number;
  loadCpu?: number;
  /** machine-wide busy time minus the three above: other jobs and kernel work not charged to a process */
  otherCpu?: number;
  coreBusy: number[];
}

/** Runs a load generator (pinned to `cpu` when given) and accounts the CPU each side used meanwhile. */
export async function runLoad(name: string, bin: string, args: string[], cpu: number | undefined, timeoutMs: number, proxy: Proc, nginx: Proc): Promise<LoadRun> {
  const [cmd, cmdArgs] = pin(cpu, ...withChildCpu(bin, args));
  const cores0 = coreTimes();
  const proxy0 = treeTicks(proxy.pid);
  const nginx0 = treeTicks(nginx.pid);
  const w0 = process.hrtime.bigint();
  const result = await run(name, cmd, cmdArgs, timeoutMs);
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  const proxy1 = treeTicks(proxy.pid);
  const nginx1 = treeTicks(nginx.pid);
  const cores1 = coreTimes();
  const pct = (ticks: number): number => (100 * ticks) / CLK_TCK / wallS;
  const out: LoadRun = { result, proxyCpu: pct(proxy1 - proxy0), nginxCpu: pct(nginx1 - nginx0), coreBusy: coreBusyPct(cores0, cores1) };
  const loadTicks = childCpuTicks(result.output);
  if (loadTicks !== undefined) {
    out.loadCpu = pct(loadTicks);
    const busyTicks = cores1.reduce((a, [busy], i) => a + busy - (cores0[i]?.[0] ?? 0), 0);
    out.otherCpu = Math.max(0, pct(busyTicks - (proxy1 - proxy0) - (nginx1 - nginx0) - loadTicks));
  }
  return out;
}

interface Quietness {
  otherCpu?: number;
  failure?: string;
  warnings: string[];
}

/**
 * Measures, repeating (within the retry budget) a run during which other jobs took CPU; keeps the quietest.
 * `describe` gives the log line of each run.
 */
export async function measureQuietly<M extends Quietness>(noise: NoiseBudget, p: Proc, measure: () => Promise<M>, describe: (m: M) => string): Promise<M> {
  let best: M | undefined;
  for (;;) {
    const waited = await waitForQuiet(noise);
    if (waited) log(`bench:   ${waited}`);
    const cur = await measure();
    log(`bench:   ${describe(cur)}`);
    if (!best || (cur.otherCpu ?? Infinity) < (best.otherCpu ?? Infinity)) best = cur;
    await sleep(300);
    const noisy = (cur.otherCpu ?? 0) > NOISE_PCT && !cur.failure;
    if (!noisy || noise.retriesLeft <= 0 || !alive(p)) break;
    noise.retriesLeft--;
    log(`bench:   noisy run, measuring again (${noise.retriesLeft} retries left)`);
  }
  if (best.warnings.some((w) => w.startsWith('noisy'))) noise.noisyKept++;
  return best;
}

/** The sentence on noise control for the console and the results file. */
export function noiseNote(noise: NoiseBudget): string {
  return (
    `Noise control: waited ${(noise.waitedMs / 1000).toFixed(0)} s in total for other jobs to quieten, ` +
    `repeated ${noise.retries} noisy measurement${noise.retries === 1 ? '' : 's'}; ` +
    `${noise.noisyKept} of the kept measurements ${noise.noisyKept === 1 ? 'is' : 'are'} still noisy (other CPU > ${NOISE_PCT}%).`
  );
}

// ---------------------------------------------------------------------------
// Rounds: each proxy in turn is started, checked, warmed up and measured on every scenario, then stopped

export interface RoundResult<P extends string, S extends string> {
  mode: string;
  round: number;
  proxy: P;
  scenario: S;
  peakRssMiB?: number;
  failure?: string;
  warnings: string[];
}

export interface ProxyRounds<P extends string, S extends string, M extends RoundResult<P, S>> {
  mode: M['mode'];
  rounds: number;
  /** The proxies in the order they run in `round`. */
  order(round: number): readonly P[];
  scenarios: readonly S[];
  label(proxy: P): string;
  /** The proxy's command line, pinned as the mode wants. */
  command(proxy: P): [string, string[]];
  env?(proxy: P): NodeJS.ProcessEnv | undefined;
  /** Waits until the proxy serves; returns why it does not, or undefined. */
  ready(p: Proc): Promise<string | undefined>;
  /** Load after the start that is not measured. */
  warmUp?(p: Proc): Promise<void>;
  measure(proxy: P, scenario: S, round: number, p: Proc): Promise<M>;
  /** The result of a run that did not happen. */
  failed(proxy: P, scenario: S, round: number, failure: string): M;
  /** SIGKILL after this long if the proxy has not stopped */
  stopGraceMs?: number;
  results: M[];
  /** Proxies that failed `ready`, with why; they are skipped in later rounds. */
  startFailures: Partial<Record<P, string>>;
}

export async function runProxyRounds<P extends string, S extends string, M extends RoundResult<P, S>>(o: ProxyRounds<P, S, M>): Promise<void> {
  for (let round = 1; round <= o.rounds; round++) {
    for (const proxy of o.order(round)) {
      if (o.startFailures[proxy] !== undefined) {
        for (const scenario of o.scenarios) o.results.push(o.failed(proxy, scenario, round, 'skipped: did not start earlier'));
        continue;
      }
      const [cmd, args] = o.command(proxy);
      log(`bench: [${o.mode} round ${round}/${o.rounds}] ${o.label(proxy)}: ${[cmd, ...args].join(' ')}`);
      const p = start(o.label(proxy), cmd, args, undefined, o.env?.(proxy));
      try {
        const notReady = await o.ready(p);
        if (notReady) {
          o.startFailures[proxy] = notReady;
          log(`bench:   ${o.label(proxy)} FAILED to start: ${notReady}`);
          for (const scenario of o.scenarios) o.results.push(o.failed(proxy, scenario, round, notReady));
          continue;
        }
        await o.warmUp?.(p);
        for (const scenario of o.scenarios) {
          if (!alive(p)) {
            o.results.push(o.failed(proxy, scenario, round, `proxy ${describeExit(p)} before this run:\n${tail(p.output())}`));
            continue;
          }
          o.results.push(await o.measure(proxy, scenario, round, p));
        }
        // Peak resident memory of the proxy over this round.
        const hwm = peakRssMiB(p.pid);
        for (const r of o.results) if (r.mode === o.mode && r.round === round && r.proxy === proxy) r.peakRssMiB = hwm;
      } finally {
        await stop(p, o.stopGraceMs);
      }
      await sleep(500);
    }
  }
}

/**
 * The runs a summary's medians are over: the quiet ones when there are any (a run during which
 * other jobs took CPU says more about those jobs than about the proxy), else all successful ones;
 * and the note saying which. `all` are the runs of one cell, `ok` its successful ones.
 */
export function quietRuns<M extends { otherCpu?: number }>(all: readonly M[], ok: readonly M[]): { used: readonly M[]; roundsNote: string } {
  const quiet = ok.filter((r) => (r.otherCpu ?? Infinity) <= NOISE_PCT);
  const roundsNote = !ok.length
    ? `none ok of ${all.length}`
    : quiet.length
      ? `${quiet.length} quiet${quiet.length < all.length ? ` of ${all.length}` : ''}`
      : `${ok.length} NOISY${ok.length < all.length ? ` of ${all.length}` : ''}`;
  return { used: quiet.length ? quiet : ok, roundsNote };
}
