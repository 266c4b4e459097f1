// The main thread's side of nbthread: starts threads 2..N (worker-thread.ts), waits until each
// has built its runtime, lets them listen once the main thread listens (so that an open port
// means the main thread serves, with its checks and CLI), and relays the lifecycle operations
// to them. A thread that dies unexpectedly takes the process down, as a crashed thread does in
// HAProxy.
import { Worker } from 'node:worker_threads';
import { formatMessage } from '../../config/diagnostics.ts';
import type { IdleConnRow, SessionQuery, SessionRow, ThreadCommand, ThreadData, ThreadReport } from './messages.ts';
import type { FrontendOp } from '../frontend-admin.ts';
import { copyChecks } from '../../checks/check-view.ts';
import { checkResults } from '../server-health.ts';
import { applyAdminForm } from '../../observe/stats/page.ts';
import type { Runtime } from '../runtime.ts';

const ENTRY = new URL('./worker-thread.ts', import.meta.url);

export class ThreadPool {
  private readonly workers: Worker[];
  private stopping = false;
  private nextReq = 1;
  private checkTimer: NodeJS.Timeout | null = null;

  private constructor(workers: Worker[]) {
    this.workers = workers;
  }

  /**
   * Starts threads 1..count-1 (0-based) with `data` and resolves once all built their runtime,
   * or with the errors that prevented one from starting (the others are then stopped).
   */
  static async start(data: Omit<ThreadData, 'index'>): Promise<ThreadPool | string[]> {
    const workers: Worker[] = [];
    for (let i = 1; i < data.count; i++) {
      workers.push(new Worker(ENTRY, { workerData: { ...data, index: i } satisfies ThreadData, stdout: false, stderr: false }));
    }
    const errors = await nextReports(workers, 'built');
    if (errors.length) {
      for (const w of workers) void w.terminate();
      return errors;
    }
    return new ThreadPool(workers);
  }

  /** Lets every thread listen; resolves with the errors of those that could not. */
  async listen(): Promise<string[]> {
    this.send('listen');
    const errors = await nextReports(this.workers, 'ready');
    if (errors.length) {
      for (const w of this.workers) void w.terminate();
      return errors;
    }
    this.watch();
    return [];
  }

  /** After start-up, a thread that fails or leaves outside a stop ends the process. */
  private watch(): void {
    // The start-up listeners are gone already (nextReports); removeAllListeners() would also drop
    // the Worker's own 'newListener' hook that starts its port, and no reply would arrive again.
    this.workers.forEach((w, i) => {
      w.on('error', (e) => {
        process.stderr.write(formatMessage('ALERT', `thread ${i + 2} crashed: ${e.stack ?? String(e)}`) + '\n');
        process.exit(1);
      });
      w.on('exit', (code) => {
        if (this.stopping) return;
        process.stderr.write(formatMessage('ALERT', `thread ${i + 2} exited unexpectedly (status ${code}).`) + '\n');
        process.exit(1);
      });
    });
  }

  private send(c: ThreadCommand): void {
    for (const w of this.workers) w.postMessage(c);
  }

  /** SIGUSR1: every thread stops listening, finishes its streams and ends; resolves when all ended. */
  softStop(): Promise<void> {
    this.stopping = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    const ended = this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.threadId < 0) return resolve();
      w.once('exit', () => resolve());
    }));
    this.send('soft-stop');
    return Promise.all(ended).then(() => {});
  }

  hardStop(): void {
    this.stopping = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.send('hard-stop');
  }

  pause(): void {
    this.send('pause');
  }

  resume(): void {
    this.send('resume');
  }

  /**
   * Serves the other threads from the main thread's runtime: runs the stats page admin actions
   * they receive (where the checks are), and sends them the health checks every `ms` when they
   * changed, so that a stats page or Prometheus scrape any thread serves shows them.
   */
  serve(rt: Runtime, ms: number): void {
    // Stats page admin actions of the other threads run here, where the checks are.
    for (const w of this.workers) {
      w.on('message', (m: ThreadReport) => {
        if (m.type === 'stats-admin') applyAdminForm(rt, m.form);
      });
    }
    let last = '';
    let soon = false;
    const sendChecks = (): void => {
      soon = false;
      const list = copyChecks(rt);
      const text = JSON.stringify(list);
      if (text === last) return;
      last = text;
      this.send({ op: 'checks', list });
    };
    // After a check (several finishing together are sent once), and every `ms` for the rest
    // (agent checks, CLI changes).
    checkResults.notify = () => {
      if (soon) return;
      soon = true;
      setImmediate(sendChecks);
    };
    this.checkTimer = setInterval(sendChecks, ms);
    this.checkTimer.unref();
  }

  /** A frontend or limit change made on the CLI of the main thread. */
  relay(o: FrontendOp): void {
    this.send(o);
  }

  /** The other threads' connections ("show sess"). */
  async sessions(): Promise<SessionRow[]> {
    const replies = await this.ask((req) => ({ op: 'sessions', req }));
    return replies.flatMap((r) => (r.type === 'sessions' ? r.rows : []));
  }

  /** Ends connection `id` on the thread that has it ("shutdown session"). */
  async shutdownSession(id: number): Promise<boolean> {
    const replies = await this.ask((req) => ({ op: 'shutdown-session', req, id }));
    return replies.some((r) => r.type === 'shutdown-session' && r.found);
  }

  /** The other threads' idle server connections ("show servers conn"), by thread index (1..n-1). */
  async idleConns(): Promise<Map<number, readonly IdleConnRow[]>> {
    const replies = await this.ask((req) => ({ op: 'idle-conns', req }));
    const out = new Map<number, readonly IdleConnRow[]>();
    for (const r of replies) if (r.type === 'idle-conns') out.set(r.thread, r.rows);
    return out;
  }

  /** Asks every other thread; the replies that came within a second (a thread busy longer is left out). */
  private ask(make: (req: number) => SessionQuery): Promise<ThreadReport[]> {
    const q = make(this.nextReq++);
    return Promise.all(this.workers.map((w) => new Promise<ThreadReport | null>((resolve) => {
      const onMessage = (m: ThreadReport): void => {
        if ((m.type !== 'sessions' && m.type !== 'shutdown-session' && m.type !== 'idle-conns') || m.req !== q.req) return;
        clearTimeout(timer);
        w.off('message', onMessage);
        resolve(m);
      };
      const timer = setTimeout(() => {
        w.off('message', onMessage);
        resolve(null);
      }, 1000);
      w.on('message', onMessage);
      w.postMessage(q);
    }))).then((r) => r.filter((x): x is ThreadReport => x !== null));
  }
}

/** Waits for each worker's next report: [] when all sent `expected`, else the errors. */
async function nextReports(workers: readonly Worker[], expected: 'built' | 'ready'): Promise<string[]> {
  const results = await Promise.all(workers.map((w, k) => new Promise<string[]>((resolve) => {
    const n = k + 2;
    const done = (r: string[]): void => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      resolve(r);
    };
    const onMessage = (m: ThreadReport): void => done(m.type === expected ? [] : m.type === 'failed' ? [...m.errors] : [`thread ${n}: unexpected report ${m.type}.`]);
    const onError = (e: Error): void => done([`thread ${n}: internal error: ${e.stack ?? String(e)}`]);
    const onExit = (code: number): void => done([`thread ${n} exited during start-up (status ${code}).`]);
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  })));
  return results.flat();
}
