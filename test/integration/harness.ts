// Starts the real turnpike executable on a config and drives it over loopback.
//
// TURNPIKE_BIN=/usr/sbin/haproxy runs the same tests against HAProxy itself, to check that
// a test asserts HAProxy's behaviour (tests of Turnpike-only behaviour skip with REFERENCE).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync, readdirSync, readlinkSync, statSync, openSync, closeSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures/integration');
export const TURNPIKE = process.env.TURNPIKE_BIN || join(ROOT, 'bin/turnpike');
/** True when the suite runs against another implementation (HAProxy) to validate the tests. */
export const REFERENCE = Boolean(process.env.TURNPIKE_BIN);
export const HAPROXY = '/usr/sbin/haproxy';
/** Exit status after SIGTERM / SIGINT: Turnpike exits 0; HAProxy 2.6 dies of the signal (128 + n). */
export const TERM_EXIT = REFERENCE ? 143 : 0;
export const INT_EXIT = REFERENCE ? 130 : 0;

export function tempDir(): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), 'turnpike-test-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeConfig(dir: string, text: string, name = 'test.cfg'): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs turnpike to completion (for -c, -cc, -v...). */
export function runTurnpike(args: string[], env: NodeJS.ProcessEnv = {}, bin = TURNPIKE): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A free TCP port on 127.0.0.1 (bound then released). */
/** Whether `port` can be bound on 127.0.0.1 now. */
export async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise<void>((r) => s.close(() => r()));
  return ok;
}

/**
 * A port free on 127.0.0.1, below the ephemeral range (32768 and up on Linux): a port the
 * kernel hands out would sooner or later be taken by some client connection's local end
 * before the test binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (claimPort(port) && await portFree(port)) return port;
  }
}

/**
 * Test files run two at a time, each in its own process, and a port is free until the test
 * binds it: two files could pick the same one. Proxies listen with SO_REUSEPORT, so both would
 * then bind it and share its connections (a test once got another file's server's answers).
 * A port is claimed across processes by creating a file for it; a claim older than a test
 * file can run is taken over.
 */
const PORT_CLAIMS = join(tmpdir(), 'turnpike-test-ports');
const CLAIM_STALE_MS = 15 * 60_000;

function claimPort(port: number): boolean {
  mkdirSync(PORT_CLAIMS, { recursive: true });
  const path = join(PORT_CLAIMS, String(port));
  try {
    closeSync(openSync(path, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(path).mtimeMs < CLAIM_STALE_MS) return false;
      const now = new Date();
      utimesSync(path, now, now);
      return true;
    } catch {
      return false;
    }
  }
}

export interface RunningProxy {
  readonly proc: ChildProcess;
  readonly pid: number;
  stderr(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends a signal without waiting. */
  signal(signal: NodeJS.Signals): void;
  exited(): Promise<number | null>;
  /** Whether the process has exited. */
  done(): boolean;
  /** Resolves when stderr (from offset `from`) contains `text` (or rejects after `ms`). */
  waitFor(text: string | RegExp, ms?: number, from?: number): Promise<void>;
  /** Resolves with the exit code, or rejects after `ms`. */
  waitExit(ms?: number): Promise<number | null>;
}

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** The socket inodes of process `pid`'s open descriptors. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch { /* fd closed meanwhile */ }
    }
  } catch { /* process gone */ }
  return inodes;
}

/** The local port of every listening TCP socket among `inodes`, once per socket. */
function listeningTcpPorts(inodes: Set<string>): number[] {
  const ports: number[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10 || c[3] !== '0A') continue; // 0A = LISTEN
      if (inodes.has(c[9]!)) ports.push(parseInt(c[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** Local ports and UNIX paths that process `pid` listens on (from /proc, without connecting). */
export function listeningOn(pid: number): { ports: Set<number>; paths: Set<string> } {
  const inodes = socketInodes(pid);
  const ports = new Set(listeningTcpPorts(inodes));
  const paths = new Set<string>();
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening
      if (c.length >= 8 && (parseInt(c[3]!, 16) & 0x10000) && inodes.has(c[6]!)) paths.add(c[7]!);
    }
  } catch { /* no unix table */ }
  return { ports, paths };
}

/** How many listening sockets process `pid` has on TCP port `port` (SO_REUSEPORT siblings included). */
export function listenSocketCount(pid: number, port: number): number {
  return listeningTcpPorts(socketInodes(pid)).filter((p) => p === port).length;
}

/**
 * Waits until every thread of an nbthread process listens on `port`: each TCP bind opens
 * SO_REUSEPORT sockets split over the threads (src/runtime/listener.ts), and the threads start
 * one after the other, so connections made as soon as the first one listens all land on it.
 */
export async function waitAllThreadsListen(pid: number, port: number, threads = 2, ms = 15_000): Promise<void> {
  // As listener.ts sizes them: 64 per process, at most one per 256 descriptors of the open-file limit.
  const limit = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const perThread = Math.max(1, Math.min(Math.ceil(64 / threads), Math.floor(Number(limit?.[1] ?? 1024) / 256)));
  const want = perThread * threads;
  const deadline = Date.now() + ms;
  while (listenSocketCount(pid, port) < want) {
    if (Date.now() > deadline) throw new Error(`${listenSocketCount(pid, port)} of ${want} listening sockets on port ${port} after ${ms} ms`);
    await sleep(20);
  }
}

/**
 * Whether `l` has port `p`, or a UNIX socket at path `p` (HAProxy binds "<path>.<pid>.tmp"
 * then renames it, so the kernel keeps the temporary name: accept that too).
 */
function hasListener(l: { ports: Set<number>; paths: Set<string> }, p: number | string): boolean {
  if (typeof p === 'number') return l.ports.has(p);
  if (![...l.paths].some((q) => q === p || q.startsWith(`${p}.`))) return false;
  try { return statSync(p).isSocket(); } catch { return false; }
}

/** Waits until process `pid` listens on every port/path (or not at all with `absent`). */
export async function waitListening(pid: number, ports: (number | string)[], ms = 10_000, absent = false): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const l = listeningOn(pid);
    const ok = ports.every((p) => hasListener(l, p) !== absent);
    if (ok) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

/** Spawns turnpike with `args` and wraps it; does not wait for anything. */
export function spawnTurnpike(args: string[], env: NodeJS.ProcessEnv = {}): RunningProxy {
  const proc = spawn(TURNPIKE, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(proc);
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of waiters.splice(0)) w();
  });
  proc.stdout!.resume();
  let done = false;
  const exit = new Promise<number | null>((r) => proc.on('exit', (code, sig) => {
    done = true;
    started.delete(proc);
    for (const w of waiters.splice(0)) w();
    r(code ?? (sig ? 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGUSR1: 10, SIGTTOU: 22, SIGTTIN: 21 } as Record<string, number>)[sig] ?? 0) : null));
  }));
  return {
    proc,
    pid: proc.pid!,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (!done) proc.kill(signal);
      const t = setTimeout(() => { if (!done) proc.kill('SIGKILL'); }, 5000);
      try { return await exit; } finally { clearTimeout(t); }
    },
    signal(signal) {
      if (!done) proc.kill(signal);
    },
    exited: () => exit,
    done: () => done,
    waitFor(text, ms = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${String(text)}; stderr:\n${err}`)), ms);
        const check = (): void => {
          const hay = err.slice(from);
          if (typeof text === 'string' ? hay.includes(text) : text.test(hay)) {
            clearTimeout(t);
            resolve();
          } else if (done) {
            clearTimeout(t);
            reject(new Error(`process exited before ${String(text)}; stderr:\n${err}`));
          } else waiters.push(check);
        };
        check();
      });
    },
    waitExit(ms = 5000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms; stderr:\n${err}`)), ms);
        void exit.then((c) => { clearTimeout(t); resolve(c); });
      });
    },
  };
}

/**
 * Starts turnpike in the foreground on `cfgPath` and waits until it listens on `ports`
 * (TCP port numbers or UNIX socket paths). Readiness is read from /proc, so no probe
 * connection reaches the servers behind it.
 */
export async function startTurnpike(cfgPath: string, ports: (number | string)[], extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningProxy> {
  const running = spawnTurnpike(['-db', '-f', cfgPath, ...extraArgs], env);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const l = listeningOn(running.pid);
    if (ports.every((p) => hasListener(l, p))) break;
    if (running.done() || Date.now() > deadline) {
      running.proc.kill('SIGKILL');
      throw new Error(`turnpike did not listen on ${ports.join(', ')}; stderr:\n${running.stderr()}`);
    }
    await sleep(20);
  }
  return running;
}

/** Runs `body` with turnpike started on `cfg` (written into `dir`, listening on `ports`), always stopping it. */
export async function withProxy(dir: string, cfg: string, ports: (number | string)[], body: (tp: RunningProxy) => Promise<void>): Promise<void> {
  const tp = await startTurnpike(writeConfig(dir, cfg, `cfg-${Math.random().toString(36).slice(2)}.cfg`), ports);
  try {
    await body(tp);
  } finally {
    await tp.stop();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 20 ms until true; false after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A TCP server answering every connection with `reply(n)` then closing; counts connections. */
export async function replyServer(reply: (sock: Socket) => string | Buffer, port = 0, host = '127.0.0.1'): Promise<{ server: Server; port: number; count: number; close(): Promise<void> }> {
  const state = { count: 0 };
  const open = new Set<Socket>();
  const server = createServer((sock) => {
    state.count++;
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => {});
    sock.end(reply(sock));
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  const p = (server.address() as AddressInfo).port;
  return {
    server,
    port: p,
    get count() { return state.count; },
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const c of open) c.destroy(); }),
  };
}

/** An echo server (keeps connections open, echoes bytes, honours half-close). */
export async function echoServer(port = 0, host = '127.0.0.1'): Promise<{ server: Server; port: number; sockets: Set<Socket>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.pipe(sock);
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

export interface Recorded {
  readonly sock: Socket;
  /** Bytes received from the proxy so far. */
  data: Buffer;
  closed: boolean;
}

/**
 * A server that writes `greeting` (if any) on each connection, keeps it open and records
 * what it receives. `onData` may answer. Tracks open connections.
 */
export async function recordingServer(opts: { greeting?: string; host?: string; port?: number; path?: string; onData?: (c: Recorded, chunk: Buffer) => void } = {}): Promise<{ server: Server; port: number; conns: Recorded[]; open(): number; close(): Promise<void> }> {
  const conns: Recorded[] = [];
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    const c: Recorded = { sock, data: Buffer.alloc(0), closed: false };
    conns.push(c);
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      c.data = Buffer.concat([c.data, d]);
      opts.onData?.(c, d);
    });
    sock.on('end', () => sock.end());
    sock.on('close', () => { c.closed = true; });
    if (opts.greeting !== undefined) sock.write(opts.greeting);
  });
  await new Promise<void>((r) => (opts.path ? server.listen(opts.path, r) : server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', r)));
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : 0,
    conns,
    open: () => conns.filter((c) => !c.closed).length,
    close: () => new Promise<void>((r) => {
      for (const c of conns) c.sock.destroy();
      server.close(() => r());
    }),
  };
}

export interface Client {
  readonly sock: Socket;
  /** Everything received so far. */
  received(): Buffer;
  text(): string;
  /** Resolves when the received bytes satisfy `pred` (string: contains). Rejects on timeout or close before. */
  waitData(pred: string | ((b: Buffer) => boolean), ms?: number): Promise<void>;
  /**
   * Resolves when the peer has closed the connection (FIN received, or reset, or closed);
   * `error` is the socket error code if any, `ended` whether a FIN was received.
   */
  closed(): Promise<{ error: string | null; ended: boolean }>;
  /** Whether the peer closed the connection already (FIN, reset or close). */
  isClosed(): boolean;
  /** Resolves with the close result, or null if the peer did not close it within `ms`. */
  closedWithin(ms: number): Promise<{ error: string | null; ended: boolean } | null>;
  connected(): Promise<void>;
  destroy(): void;
}

/** Opens a client connection that stays open; collects what it receives. */
export function openClient(port: number, opts: { host?: string; path?: string; localAddress?: string } = {}): Client {
  const sock = opts.path
    ? connect({ path: opts.path, allowHalfOpen: true })
    : connect({ port, host: opts.host ?? '127.0.0.1', allowHalfOpen: true, localAddress: opts.localAddress });
  let buf = Buffer.alloc(0);
  let error: string | null = null;
  let ended = false;
  let isClosed = false;
  const listeners: (() => void)[] = [];
  const fire = (): void => { for (const l of listeners.splice(0)) l(); };
  const conn = new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', (e) => reject(e));
  });
  conn.catch(() => {});
  let resolveClosed: (v: { error: string | null; ended: boolean }) => void = () => {};
  const closedP = new Promise<{ error: string | null; ended: boolean }>((r) => { resolveClosed = r; });
  const peerClosed = (): void => { isClosed = true; fire(); resolveClosed({ error, ended }); };
  sock.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); fire(); });
  sock.on('end', () => { ended = true; peerClosed(); });
  sock.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
  sock.on('close', peerClosed);
  return {
    sock,
    received: () => buf,
    text: () => buf.toString('latin1'),
    waitData(pred, ms = 5000) {
      const test = typeof pred === 'string' ? (b: Buffer) => b.toString('latin1').includes(pred) : pred;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for data; got ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`)), ms);
        const check = (): void => {
          if (test(buf)) { clearTimeout(t); resolve(); } else if (isClosed) {
            clearTimeout(t);
            reject(new Error(`connection closed (error ${error}) before expected data; got ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`));
          } else listeners.push(check);
        };
        check();
      });
    },
    closed: () => closedP,
    isClosed: () => isClosed,
    closedWithin(ms) {
      return Promise.race([closedP, sleep(ms).then(() => null)]);
    },
    connected: () => conn,
    destroy: () => sock.destroy(),
  };
}

/** Connects, optionally sends `data` then half-closes, and returns everything received until close. */
export function exchange(port: number, data: string | Buffer | null = null, opts: { host?: string; path?: string; timeoutMs?: number; localAddress?: string } = {}): Promise<string> {
  return exchangeBuffer(port, data, opts).then((b) => b.toString('latin1'));
}

export function exchangeBuffer(port: number, data: string | Buffer | null = null, opts: { host?: string; path?: string; timeoutMs?: number; localAddress?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = opts.path
      ? connect({ path: opts.path, allowHalfOpen: true })
      : connect({ port, host: opts.host ?? '127.0.0.1', allowHalfOpen: true, localAddress: opts.localAddress });
    const chunks: Buffer[] = [];
    const t = setTimeout(() => { s.destroy(); reject(new Error('exchange timeout')); }, opts.timeoutMs ?? 5000);
    s.on('connect', () => {
      if (data !== null) s.end(data);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end()); // the peer closed: close our side too
    s.on('error', (e) => { clearTimeout(t); reject(e); });
    s.on('close', () => { clearTimeout(t); resolve(Buffer.concat(chunks)); });
  });
}

/**
 * Sends one HTTP request (head lines without the final CRLF; "connection: close" is added) and
 * returns whatever came back until the proxy closed, or after 4 s. The client does not half-close.
 */
export function ask(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => { s.destroy(); resolve(out); }, 4000);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => { clearTimeout(t); resolve(out); });
    s.on('error', () => {});
    s.write(`${head}\r\nconnection: close\r\n\r\n${body}`);
  });
}

/** The stanza most tests start with. */
export const DEFAULTS = `defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
`;

const MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

/**
 * Sets net.ipv4.tcp_migrate_req to 1 (the kernel hands a closing listener's queue to its
 * SO_REUSEPORT siblings: lossless reloads) for the tests of this process; returns how to give
 * it back, or why it cannot be set. Test files run in parallel processes: each registers a
 * marker file, the first one saves the old value and the last one to leave restores it.
 */
export function useMigrateReq(): { release(): void } | string {
  let old: string;
  try {
    old = readFileSync(MIGRATE_REQ, 'utf8').trim();
  } catch (e) {
    return `${MIGRATE_REQ} is not readable (${(e as Error).message}): kernel older than 5.14?`;
  }
  const dir = join(tmpdir(), 'turnpike-test-migrate-req');
  const saved = join(dir, 'saved');
  const me = join(dir, `user-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(saved, old, { flag: 'wx' });
    } catch { /* another test process saved the value before it changed it */ }
    writeFileSync(me, '');
    if (old !== '1') writeFileSync(MIGRATE_REQ, '1');
  } catch (e) {
    rmSync(me, { force: true });
    return `net.ipv4.tcp_migrate_req is ${old} and not writable here (${(e as NodeJS.ErrnoException).code}): lossless reloads need it set to 1`;
  }
  if (readFileSync(MIGRATE_REQ, 'utf8').trim() !== '1') return 'could not set net.ipv4.tcp_migrate_req to 1';
  return {
    release() {
      rmSync(me, { force: true });
      const others = readdirSync(dir).filter((f) => f.startsWith('user-') && isAlive(Number(f.slice(5))));
      if (others.length > 0) return;
      try {
        writeFileSync(MIGRATE_REQ, readFileSync(saved, 'utf8'));
      } catch { /* saved by a process that restored it already */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends `input` to a CLI socket with socat (one-shot mode) and returns everything printed before the close. */
export function socat(path: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('socat', ['-t', '2', '-', `UNIX-CONNECT:${path}`], { timeout: 5000, encoding: 'latin1' }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
    child.stdin!.end(input);
  });
}

/** The CSV of "show stat" as objects keyed by column name. */
export function parseStatCsv(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l);
  const cols = lines[0]!.slice(2).split(',');
  return lines.slice(1).map((l) => {
    const v = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, v[i]!]));
  });
}
