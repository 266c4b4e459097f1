// What the stats, the stats page and Prometheus read of a server's health check. Checks run on
// the main thread only (nbthread); the other threads serve the same pages from a copy the main
// thread sends them after each check and every second (threads/pool.ts), so every thread
// shows the same states.
import type { Runtime } from '../runtime/runtime.ts';
import type { Server } from '../runtime/server.ts';
import { serverHealthCheck } from '../runtime/server-health.ts';
import type { CheckStatus } from './health.ts';

export interface CheckViewHealth {
  readonly status: CheckStatus;
  readonly info: string;
  readonly code: number;
  readonly durationMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly health: number;
  readonly maintenance: boolean;
  /** Health at its maximum: up and not going down. */
  readonly full: boolean;
}

export interface CheckView {
  readonly isEnabled: boolean;
  readonly running: boolean;
  readonly failedChecks: number;
  readonly failedHana: number;
  readonly health: CheckViewHealth;
}

/** One server's check as the main thread sends it. */
export interface CheckCopy {
  readonly proxy: string;
  readonly server: string;
  readonly view: CheckView;
}

const copies = new WeakMap<Server, CheckView>();

/** The server's check: its own on the main thread, else the main thread's latest copy. */
export function checkViewOf(s: Server): CheckView | undefined {
  return serverHealthCheck(s) ?? copies.get(s);
}

/** Main thread: every server's check, as plain data. */
export function copyChecks(rt: Runtime): CheckCopy[] {
  const out: CheckCopy[] = [];
  for (const p of rt.proxies) {
    for (const s of p.backend?.servers ?? []) {
      const c = serverHealthCheck(s);
      if (!c) continue;
      const h = c.health;
      out.push({
        proxy: p.name, server: s.name,
        view: {
          isEnabled: c.isEnabled, running: c.running, failedChecks: c.failedChecks, failedHana: c.failedHana,
          health: { status: h.status, info: h.info, code: h.code, durationMs: h.durationMs, rise: h.rise, fall: h.fall, health: h.health, maintenance: h.maintenance, full: h.full },
        },
      });
    }
  }
  return out;
}

/** Other threads: keeps the main thread's copies for the pages this thread serves. */
export function applyCheckCopies(rt: Runtime, list: readonly CheckCopy[]): void {
  for (const c of list) {
    const s = rt.proxies.find((p) => p.name === c.proxy)?.backend?.servers.find((x) => x.name === c.server);
    if (s) copies.set(s, c.view);
  }
}
