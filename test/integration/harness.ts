// Starts the real turnpike executable on a config and drives it over loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TURNPIKE = join(ROOT, 'bin/turnpike');

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
export function runTurnpike(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(TURNPIKE, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RunningProxy {
  readonly proc: ChildProcess;
  stderr(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): Promise<number | null>;
  /** Resolves when stderr contains `text` (or rejects after `ms`). */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
}

/** Starts turnpike in the foreground on `cfgPath` and waits until `ports` accept connections. */
export async function startTurnpike(cfgPath: string, ports: number[], extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningProxy> {
  const proc = spawn(TURNPIKE, ['-db', '-f', cfgPath, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of waiters.splice(0)) w();
  });
  proc.stdout!.resume();
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let done = false;
  void exit.then(() => { done = true; });
  const running: RunningProxy = {
    proc,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (!done) proc.kill(signal);
      return exit;
    },
    exited: () => exit,
    waitFor(text, ms = 5000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${String(text)}; stderr:\n${err}`)), ms);
        const check = (): void => {
          if (typeof text === 'string' ? err.includes(text) : text.test(err)) {
            clearTimeout(t);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
  };
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await canConnect(port))) {
      if (done || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`turnpike did not listen on ${port}; stderr:\n${err}`);
      }
      await sleep(20);
    }
  }
  return running;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
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

/** Connects, optionally sends `data` then half-closes, and returns everything received until close. */
export function exchange(port: number, data: string | Buffer | null = null, opts: { host?: string; path?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = opts.path ? connect({ path: opts.path, allowHalfOpen: true }) : connect({ port, host: opts.host ?? '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const t = setTimeout(() => { s.destroy(); reject(new Error('exchange timeout')); }, opts.timeoutMs ?? 5000);
    s.on('connect', () => {
      if (data !== null) s.end(data);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e) => { clearTimeout(t); reject(e); });
    s.on('close', () => { clearTimeout(t); resolve(Buffer.concat(chunks).toString('latin1')); });
  });
}
