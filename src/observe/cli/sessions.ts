// The connections "show sess" lists and "shutdown session" ends, with identifiers unique in the
// process (threads take turns in one sequence, so an identifier tells its thread), and the
// CLI's own connection counts that "show info" reports (HAProxy counts its CLI as listeners and jobs).
import type { InfoExtras } from '../stats/info.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import type { TermCause, TermPhase } from '../../runtime/stream.ts';
import type { SessionRow } from '../../runtime/threads/messages.ts';
import { threads } from '../../runtime/threads/context.ts';

/** What "show sess" reads of a stream (TCP and HTTP streams, HTTP/2 sessions alike). */
interface ListedStream {
  readonly frontend: { readonly name: string };
  readonly backend: { readonly name: string } | null;
  readonly server: { readonly name: string } | null;
  readonly family: 'ipv4' | 'ipv6' | 'unix';
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly logs: { readonly acceptDate: number };
  close(cause: TermCause, phase: TermPhase): void;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A stable identifier for a stream or CLI connection, given on first sight. */
export function sessionId(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++ * threads.count + threads.index;
    ids.set(o, id);
  }
  return id;
}

function listed(rt: Runtime): ListedStream[] {
  return [...rt.streams] as unknown as ListedStream[];
}

function proto(st: ListedStream): string {
  return st.family === 'unix' ? 'unix_stream' : st.family === 'ipv6' ? 'tcpv6' : 'tcpv4';
}

function src(st: ListedStream): string {
  if (st.family === 'unix') return 'unix:1';
  return st.family === 'ipv6' ? `[${st.srcAddr}]:${st.srcPort}` : `${st.srcAddr}:${st.srcPort}`;
}

/** This thread's connections. */
export function sessionRows(rt: Runtime): SessionRow[] {
  return listed(rt).map((st) => ({
    id: sessionId(st), proto: proto(st), src: src(st), frontend: st.frontend.name,
    backend: st.backend?.name ?? '<NONE>', server: st.server?.name ?? '<none>', acceptDate: st.logs.acceptDate,
  }));
}

/** Ends this thread's connection `id` ("shutdown session"); false when it has none by that id. */
export function shutdownSession(rt: Runtime, id: number): boolean {
  const st = listed(rt).find((x) => sessionId(x) === id);
  if (!st) return false;
  st.close('K', st.server ? 'D' : 'R');
  return true;
}

export const cliCounts = { listeners: 0, conns: 0 };

export function cliStats(): InfoExtras {
  return { cliListeners: cliCounts.listeners, cliConns: cliCounts.conns };
}
