// A worker of master-worker mode (-W): the normal runtime, started by the master (master.ts)
// with an IPC channel. It parses the configuration again (the master checked it and printed
// its warnings), exposes its CLI to the master on a UNIX socket in the master's private
// directory, tells the master once it listens, and leaves when the master disappears.
import { flushCompileCache } from 'node:module';
import { join } from 'node:path';
import type { StatsSocketConfig } from '../config/model.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** Set by the master in a worker's environment: the directory of the workers' CLI sockets. */
export const WORKER_ENV = 'TURNPIKE_MWORKER_DIR';

/** What a worker tells the master once it serves. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly cli: string;
}

export function isReadyMessage(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as ReadyMessage).type === 'ready' && typeof (m as ReadyMessage).cli === 'string';
}

/** The CLI socket the master forwards "@" commands to (HAProxy's "sockpair@" listener), at admin level. */
export function masterFacingSocket(dir: string): StatsSocketConfig {
  const path = join(dir, `${process.pid}.sock`);
  return {
    loc: { file: '<master>', line: 0 }, text: path, addr: { kind: 'unix', path, abstract: false }, level: 'admin',
    unixMode: 0o600, unixUid: null, unixGid: null, exposeFd: false, severityOutput: 'none',
  };
}

/**
 * Writes the compiled code of the modules loaded so far to the cache the master set up
 * (NODE_COMPILE_CACHE), so that the next workers start faster; done before dropping privileges,
 * while the cache directory is writable.
 */
export function saveCompiledCode(): void {
  flushCompileCache();
}

/** Reports readiness to the master; without a master any more, stop at once (exit status 1, as HAProxy). */
export function reportReady(rt: Runtime, cli: StatsSocketConfig): void {
  process.on('disconnect', () => {
    rt.hardStop();
    process.exit(1);
  });
  const msg: ReadyMessage = { type: 'ready', cli: cli.text };
  process.send?.(msg);
}
