// Identifiers for "show sess" / "shutdown session", and the CLI's own connection counts that
// "show info" reports (HAProxy counts its CLI as listeners and jobs).
import type { InfoExtras } from '../stats/info.ts';

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A stable identifier for a stream or CLI connection, given on first sight. */
export function sessionId(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

export const cliCounts = { listeners: 0, conns: 0 };

export function cliStats(): InfoExtras {
  return { cliListeners: cliCounts.listeners, cliConns: cliCounts.conns };
}
