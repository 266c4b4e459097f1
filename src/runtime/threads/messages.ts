// What the main thread and the other threads tell each other (worker_threads messages).
import type { FrontendOp } from '../frontend-admin.ts';
import type { CheckCopy } from '../../checks/check-view.ts';

/** Given to each thread at its start. */
export interface ThreadData {
  /** 0-based; thread 0 is the main thread. */
  readonly index: number;
  readonly count: number;
  /** The command line and the environment the main thread read the configuration with. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fdLimit: number;
  readonly buffer: SharedArrayBuffer;
  /** threads.ticketKeys of thread 0. */
  readonly ticketKeys: Uint8Array;
}

/**
 * Main thread → thread: start listening (once the main thread listens), then the lifecycle
 * operations of signals (SIGUSR1, SIGTERM, SIGTTOU, SIGTTIN), and the frontend and limit
 * changes made on the CLI.
 */
export type ThreadCommand = 'listen' | 'soft-stop' | 'hard-stop' | 'pause' | 'resume' | FrontendOp | SessionQuery | CheckCopies;

/** The main thread's health checks, copied to the other threads for the pages they serve. */
export interface CheckCopies {
  readonly op: 'checks';
  readonly list: readonly CheckCopy[];
}

/** "show sess" / "shutdown session" on the CLI of the main thread, asked of the other threads. */
export type SessionQuery =
  | { readonly op: 'sessions'; readonly req: number }
  | { readonly op: 'shutdown-session'; readonly req: number; readonly id: number }
  | { readonly op: 'idle-conns'; readonly req: number };

/** A thread's idle connections to one server ("show servers conn"). */
export interface IdleConnRow {
  readonly proxy: string;
  readonly server: string;
  /** Idle connections that carried more than one request, and the others. */
  readonly safe: number;
  readonly unsafe: number;
  /** The HTTP/1 pool's peak use since its last purge, and its estimated need. */
  readonly maxUsed: number;
  readonly estNeed: number;
}

/** One connection as "show sess" lists it. */
export interface SessionRow {
  readonly id: number;
  readonly proto: string;
  readonly src: string;
  readonly frontend: string;
  readonly backend: string;
  readonly server: string;
  readonly acceptDate: number;
}

/** Thread → main thread: its runtime is built, then it listens; or it could not do either. */
export type ThreadReport =
  | { readonly type: 'stats-admin'; readonly form: string }
  | { readonly type: 'sessions'; readonly req: number; readonly rows: readonly SessionRow[] }
  | { readonly type: 'shutdown-session'; readonly req: number; readonly found: boolean }
  | { readonly type: 'idle-conns'; readonly req: number; readonly thread: number; readonly rows: readonly IdleConnRow[] }
  | { readonly type: 'built' }
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly errors: readonly string[] };
