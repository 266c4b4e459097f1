// Shared helpers for the check tests: configuration lines applied through the registered
// keyword handlers, local TCP servers, and a handle-leak assertion.
import net from 'node:net';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { defaultGlobal, defaultServerConfig, ProxyConfig, type CheckSettings, type Config } from '../../../src/config/model.ts';
import { proxyKeyword, proxyOption, type ParseContext, type ProxySection } from '../../../src/config/registry.ts';
import { getTcpCheckRules, inheritTcpChecks, type TcpCheckRule } from '../../../src/checks/tcp-check.ts';

// Turnpike runs with V8's linear-time regex engine (rstring/rbinary patterns need it).
v8.setFlagsFromString('--enable-experimental-regexp-engine');

const loc = { file: 'test.cfg', line: 1 };

export function makeProxy(kind: ProxySection, name = kind === 'defaults' ? '' : 'be', from?: ProxyConfig): ProxyConfig {
  const px = new ProxyConfig(name, kind, loc, defaultServerConfig(loc));
  if (from) {
    px.inheritFrom(from);
    inheritTcpChecks(from, px);
  }
  return px;
}

/** Applies one configuration line (already split into words) to a proxy; returns the error text. */
export function apply(px: ProxyConfig, words: readonly string[], diag = new Diagnostics()): string | void {
  let w = words;
  let negated = false;
  if (w[0] === 'no') {
    negated = true;
    w = w.slice(1);
  }
  const config: Config = { global: defaultGlobal(), defaults: [], proxies: [], userlists: [], files: [] };
  const ctx: ParseContext = { loc, diag, section: px.kind, config, env: {}, words: w, negated, defaulted: false };
  if (w[0] === 'option') {
    const opt = proxyOption(w[1]!);
    assert.ok(opt, `option ${w[1]} registered`);
    return opt.parse(px, w, ctx);
  }
  const kw = proxyKeyword(w[0]!);
  assert.ok(kw, `keyword ${w[0]} registered`);
  return kw.parse(px, w, ctx);
}

/** Applies lines and fails on the first error. */
export function applyAll(px: ProxyConfig, lines: readonly (readonly string[])[]): ProxyConfig {
  for (const l of lines) {
    const e = apply(px, l);
    assert.equal(e, undefined, `${l.join(' ')}: ${e}`);
  }
  return px;
}

/** The final rules of a backend built from "option tcp-check" and the given tcp-check lines. */
export function rulesOf(lines: readonly (readonly string[])[]): TcpCheckRule[] {
  const px = applyAll(makeProxy('backend'), [['option', 'tcp-check'], ...lines]);
  return getTcpCheckRules(px)!;
}

export function settings(over: Partial<CheckSettings> = {}): CheckSettings {
  return { enabled: true, inter: 50, fastinter: null, downinter: null, rise: 2, fall: 3, port: null, addr: null, sendProxy: false, ...over };
}

export interface TestServer {
  readonly port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Bytes received on each connection, in order. */
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** A local server; `onConn` drives each accepted socket (errors from resets are ignored). */
export async function startServer(onConn: (s: net.Socket, index: number) => void = () => {}): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const received: Buffer[] = [];
  const srv = net.createServer((s) => {
    const i = t.accepted++;
    received[i] = Buffer.alloc(0);
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => { received[i] = Buffer.concat([received[i]!, d]); });
    s.on('close', () => sockets.delete(s));
    onConn(s, i);
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const t: TestServer = {
    port: (srv.address() as net.AddressInfo).port,
    accepted: 0,
    received,
    close: () => new Promise<void>((res) => {
      for (const s of sockets) s.destroy();
      srv.close(() => res());
    }),
  };
  return t;
}

/** A port nobody listens on (listened to once, then closed). */
export async function closedPort(): Promise<number> {
  const s = await startServer();
  await s.close();
  return s.port;
}

export function wait(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

/** Polls until `cond` holds, or fails after `ms`. */
export async function until(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await wait(5);
  }
}

const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'PipeWrap', 'Timeout'];

function handleCounts(): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.includes(r)) c[r] = (c[r] ?? 0) + 1;
  return c;
}

/**
 * Runs `fn` and checks afterwards that no socket, server or timer it created is still
 * active (closing handles may take a few event-loop turns).
 */
export async function noLeak(fn: () => Promise<void>): Promise<void> {
  const before = handleCounts();
  await fn();
  const grown = (): string[] => {
    const now = handleCounts();
    return WATCHED.filter((k) => (now[k] ?? 0) > (before[k] ?? 0)).map((k) => `${k}: ${before[k] ?? 0} -> ${now[k]}`);
  };
  const end = Date.now() + 1000;
  while (grown().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(grown(), [], 'active handles grew');
}
