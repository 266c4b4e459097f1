// Looks inside a running Turnpike for the scale and soak benchmarks, without adding anything to
// the product: its runtime API (a "stats socket" the benchmark configures), /proc (resident
// memory, descriptors, the kernel's TCP memory) and the Node inspector the benchmark starts it
// with (NODE_OPTIONS=--inspect=127.0.0.1:<port>): a full GC before reading the V8 heap, external
// memory, and the live handles and timers (process.getActiveResourcesInfo()).

import { readFileSync, readdirSync } from 'node:fs';
import { WebSocket } from 'node:http';
import * as net from 'node:net';

/** Sends one runtime API command over a UNIX stats socket and returns the whole answer. */
export function cli(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`runtime API "${command}" timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.write(`${command}\n`));
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** "show info" as name → value. */
export async function showInfo(socketPath: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await cli(socketPath, 'show info')).split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 2);
  }
  return out;
}

/** "show stat" CSV rows, keyed by column name. */
export async function showStat(socketPath: string): Promise<Record<string, string>[]> {
  const lines = (await cli(socketPath, 'show stat')).split('\n').filter((l) => l.trim());
  const head = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i] ?? String(i), v])));
}

/** Sessions listed by "show sess" (the CLI connection asking is one of them). */
export async function sessionCount(socketPath: string): Promise<number> {
  return (await cli(socketPath, 'show sess')).split('\n').filter((l) => /^0x[0-9a-f]+:/.test(l)).length;
}

/** VmRSS of a process, bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Open descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Memory the kernel holds for TCP sockets machine-wide ("mem" of /proc/net/sockstat, in pages), bytes. */
export function kernelTcpBytes(): number {
  const m = /^TCP:.*\bmem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return m ? Number(m[1]) * 4096 : NaN;
}

/**
 * Kernel memory of one TCP socket end, from the object sizes in /proc/slabinfo (the socket, its
 * inode, file and dentry); undefined when slabinfo is not readable.
 */
export function kernelBytesPerSocket(): { bytes: number; parts: string } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/slabinfo', 'utf8');
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  let bytes = 0;
  for (const cache of ['TCP', 'sock_inode_cache', 'filp', 'dentry']) {
    const m = new RegExp(`^${cache}\\s+\\d+\\s+\\d+\\s+(\\d+)`, 'm').exec(text);
    if (!m) return undefined;
    bytes += Number(m[1]);
    parts.push(`${cache} ${m[1]}`);
  }
  return { bytes, parts: parts.join(' + ') };
}

export interface NodeMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface Inspector {
  /** A full garbage collection (HeapProfiler.collectGarbage). */
  gc(): Promise<void>;
  memory(): Promise<NodeMemory>;
  /** process.getActiveResourcesInfo(), counted by kind (TCPSocketWrap, Timeout, ...). */
  resources(): Promise<Record<string, number>>;
  close(): void;
}

/** Connects to the inspector of a process started with --inspect=127.0.0.1:`port`. */
export async function connectInspector(port: number, timeoutMs = 10_000): Promise<Inspector> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on 127.0.0.1:${port}`);
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot open the inspector session ${url}`));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  };
  ws.onclose = () => {
    for (const p of pending.values()) p.reject(new Error('inspector session closed'));
    pending.clear();
  };
  const call = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = (await call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: string }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`inspector: ${expression}: ${r.exceptionDetails.text}`);
    return JSON.parse(r.result.value) as T;
  };
  return {
    gc: async () => void (await call('HeapProfiler.collectGarbage')),
    memory: () => evaluate<NodeMemory>('JSON.stringify(process.memoryUsage())'),
    resources: async () => {
      const kinds = await evaluate<string[]>('JSON.stringify(process.getActiveResourcesInfo())');
      const out: Record<string, number> = {};
      for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
      return out;
    },
    close: () => ws.close(),
  };
}

/** Least-squares slope of y over x, with the correlation coefficient. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxx ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx, r: sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0 };
}

export const KiB = 1024;
export const MiB = 1024 * 1024;
