// The entry point of threads 2..N (nbthread): reads the configuration the main thread read
// (same command line, same environment), builds the same runtime, joins the shared memory,
// opens its own listening sockets (SO_REUSEPORT) and proxies. It runs no health check, no
// CLI, no UNIX or fd@ listener and no process lifecycle: the main thread (pool.ts) tells it
// when to stop, pause or resume.
import { parentPort, workerData } from 'node:worker_threads';
import { parseArgs, type CliOptions } from '../../cli/args.ts';
import { loadConfig } from '../../cli/load-config.ts';
import { Runtime } from '../runtime.ts';
import { events } from '../events.ts';
import { applyFrontendOp } from '../frontend-admin.ts';
import { sessionRows, shutdownSession } from '../../observe/cli/sessions.ts';
import { idleConnRows } from '../../observe/cli/server-conns.ts';
import { applyCheckCopies } from '../../checks/check-view.ts';
import { enableDebugTrace } from '../../observe/debug-trace.ts';
import { joinThreads, slabOf } from './join.ts';
import { setThread, threads } from './context.ts';
import type { ThreadCommand, ThreadData, ThreadReport } from './messages.ts';

const d = workerData as ThreadData;
const port = parentPort!;

function report(m: ThreadReport): void {
  port.postMessage(m);
}

async function run(): Promise<void> {
  const o = parseArgs(d.argv) as CliOptions;
  const loaded = loadConfig(o, { ...d.env }, 'none');
  if (!loaded) return report({ type: 'failed', errors: [`thread ${d.index + 1}: the configuration changed since thread 1 read it.`] });
  events.configure({ quiet: loaded.quiet });
  setThread(d.index, d.count);
  threads.toMain = report;
  if (o.debug) enableDebugTrace(false);
  threads.ticketKeys = Buffer.from(d.ticketKeys);
  const rt = new Runtime(loaded.config, d.fdLimit);
  const err = joinThreads(rt, slabOf(d.buffer, d.count), d.index);
  if (err) return report({ type: 'failed', errors: [`thread ${d.index + 1}: ${err}.`] });
  port.on('message', (m: ThreadCommand) => {
    if (typeof m === 'object') {
      if (m.op === 'sessions') return report({ type: 'sessions', req: m.req, rows: sessionRows(rt) });
      if (m.op === 'shutdown-session') return report({ type: 'shutdown-session', req: m.req, found: shutdownSession(rt, m.id) });
      if (m.op === 'idle-conns') return report({ type: 'idle-conns', req: m.req, thread: threads.index, rows: idleConnRows(rt) });
      if (m.op === 'checks') return applyCheckCopies(rt, m.list);
      return void applyFrontendOp(rt, m);
    }
    switch (m) {
      case 'listen': return void listen(rt);
      case 'soft-stop': return rt.softStop(() => process.exit(0));
      case 'hard-stop':
        rt.hardStop();
        return process.exit(0);
      case 'pause': return rt.pause();
      case 'resume': return void rt.resume();
    }
  });
  report({ type: 'built' });
}

async function listen(rt: Runtime): Promise<void> {
  const errors = await rt.start();
  if (errors.length) {
    rt.hardStop();
    return report({ type: 'failed', errors });
  }
  report({ type: 'ready' });
}

run().catch((e: unknown) => report({ type: 'failed', errors: [`thread ${d.index + 1}: internal error: ${(e as Error).stack ?? String(e)}`] }));
