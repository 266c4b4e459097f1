// What "disable/enable/shutdown frontend" and "set maxconn frontend/global" do to a runtime. The
// CLI runs them on the thread that serves it, then relays them (FrontendOp) to the other threads
// of the process (nbthread), which apply the same effect to their own listeners and limits; so
// does the stats page's "shutdown sessions" of a server (each thread ends its own).
import type { Proxy } from './proxy.ts';
import type { Runtime } from './runtime.ts';

/** A frontend or process limit change, as relayed to the other threads. */
export type FrontendOp =
  | { readonly op: 'disable' | 'enable' | 'shutdown'; readonly frontend: string }
  | { readonly op: 'maxconn'; readonly frontend: string; readonly value: number }
  | { readonly op: 'maxconn-global'; readonly value: number }
  | { readonly op: 'kill-sessions'; readonly backend: string; readonly server: string };

export function disableFrontend(px: Proxy): void {
  px.paused = true;
  for (const l of px.listeners) l.close();
}

/** Listens again; the errors of listeners that could not. */
export async function enableFrontend(px: Proxy, rt: Runtime): Promise<string[]> {
  const errors: string[] = [];
  for (const l of px.listeners) {
    const e = await l.listen();
    if (e) errors.push(e);
  }
  if (errors.length === 0) {
    px.paused = false;
    rt.limitsChanged();
  }
  return errors;
}

export function shutdownFrontend(px: Proxy): void {
  px.stopped = true;
  for (const l of px.listeners) {
    l.close();
    l.dropHeld();
  }
}

export function setFrontendMaxconn(px: Proxy, value: number, rt: Runtime): void {
  px.maxconn = value;
  rt.limitsChanged();
}

/** 0 or less restores the limit the process started with. */
export function setGlobalMaxconn(rt: Runtime, value: number): void {
  rt.maxconn = value <= 0 ? rt.hardMaxconn : value;
  rt.limitsChanged();
}

/** Applies an operation relayed by the thread that ran the command. */
export async function applyFrontendOp(rt: Runtime, o: FrontendOp): Promise<void> {
  if (o.op === 'maxconn-global') return setGlobalMaxconn(rt, o.value);
  if (o.op === 'kill-sessions') {
    const s = rt.proxies.find((p) => p.name === o.backend)?.backend?.byName.get(o.server);
    if (s) for (const st of [...s.streams]) st.shutdownByServerState('killed');
    return;
  }
  const px = rt.proxies.find((p) => p.cfg.isFrontend && p.name === o.frontend);
  if (!px) return;
  switch (o.op) {
    case 'disable': return disableFrontend(px);
    case 'enable': return void (await enableFrontend(px, rt));
    case 'shutdown': return shutdownFrontend(px);
    case 'maxconn': return setFrontendMaxconn(px, o.value, rt);
  }
}
