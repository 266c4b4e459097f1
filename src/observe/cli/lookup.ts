// Finding proxies and servers named on the command line, by name or by "#<id>", with
// HAProxy's error messages.
import type { Runtime } from '../../runtime/runtime.ts';
import type { Proxy } from '../../runtime/proxy.ts';
import type { Server } from '../../runtime/server.ts';
import { err, type CliOutput } from './registry.ts';

function byNameOrId(candidates: readonly Proxy[], ref: string): Proxy | undefined {
  if (ref.startsWith('#')) {
    const id = Number(ref.slice(1));
    return candidates.find((p) => p.id === id);
  }
  return candidates.find((p) => p.name === ref);
}

export function findBackend(rt: Runtime, ref: string): Proxy | undefined {
  return byNameOrId(rt.proxies.filter((p) => p.backend), ref);
}

export function findFrontend(rt: Runtime, ref: string): Proxy | undefined {
  return byNameOrId(rt.proxies.filter((p) => p.cfg.isFrontend), ref);
}

/** A proxy by name or numeric id ("show errors", "show stat" selectors). */
export function findProxy(rt: Runtime, ref: string): Proxy | undefined {
  if (/^-?\d+$/.test(ref)) return rt.proxies.find((p) => p.id === Number(ref));
  return rt.proxies.find((p) => p.name === ref);
}

/** "<backend>/<server>": the server, or the message HAProxy prints. */
export function findServer(rt: Runtime, ref: string | undefined): { px: Proxy; server: Server } | CliOutput {
  const slash = ref ? ref.indexOf('/') : -1;
  if (!ref || slash < 0) return err("Require 'backend/server'.\n");
  const px = findBackend(rt, ref.slice(0, slash));
  if (!px) return err('No such backend.\n');
  const name = ref.slice(slash + 1);
  const servers = px.backend!.servers;
  const server = name.startsWith('#') ? servers.find((s) => s.id === Number(name.slice(1))) : servers.find((s) => s.name === name);
  if (!server) return err('No such server.\n');
  return { px, server };
}

/** The frontend named by args[2] ("disable frontend <name>"...), or the message to print. */
export function frontendArg(rt: Runtime, ref: string | undefined): Proxy | CliOutput {
  if (!ref) return err('A frontend name is expected.\n');
  return findFrontend(rt, ref) ?? err('No such frontend.\n');
}
