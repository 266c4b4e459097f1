// The master process of master-worker mode (-W or "master-worker"; management.txt 3, 4 and 9.4).
// Node has no fork(): each worker is this program started again with the same arguments, with
// WORKER_ENV set and an IPC channel (worker.ts). The master checks the configuration, starts a
// worker, serves the master CLI (-S) and stays resident. A reload (SIGUSR2, SIGHUP or "reload")
// checks the configuration again and starts a new worker, which binds its listeners beside the
// old one's (SO_REUSEPORT); only when it reports that it serves does the old worker get the soft
// stop (SIGUSR1), so with net.ipv4.tcp_migrate_req the kernel hands the old accept queue over
// and no connection is lost. A broken configuration leaves the old worker serving.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMessage, type Level } from '../config/diagnostics.ts';
import type { Config, StatsSocketConfig } from '../config/model.ts';
import { PRODUCT, VERSION } from '../version.ts';
import { DAEMON_ENV, migrateReqEnabled, signalOldProcesses, writePidfile } from './lifecycle.ts';
import { MasterCli, parseMasterCliArg, type MasterView, type WorkerInfo } from './master-cli.ts';
import { WORKER_ENV, isReadyMessage } from './worker.ts';

export interface MasterOptions {
  /** The command line, given again to each worker. */
  readonly argv: readonly string[];
  /** The environment workers start from (as before the configuration's "setenv" lines). */
  readonly env: NodeJS.ProcessEnv;
  /** -S arguments. */
  readonly cliArgs: readonly string[];
  readonly pidfile: string | null;
  readonly quiet: boolean;
  /** -sf / -st: processes to stop once the first worker serves. */
  readonly softStopPids: readonly number[];
  readonly hardStopPids: readonly number[];
  /** Reads and checks the configuration again, printing its messages; null when it has errors. */
  load(): Config | null;
}

interface Settings {
  readonly maxReloads: number;
  readonly noExitOnFailure: boolean;
}

/** A worker process as the master tracks it. */
class Worker implements WorkerInfo {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt = Date.now();
  reloads = 0;
  state: 'loading' | 'current' | 'old' = 'loading';
  cliPath = '';
  /** Those of the configuration it was started with, in force once it serves. */
  readonly settings: Settings;

  constructor(child: ChildProcess, pid: number, settings: Settings) {
    this.child = child;
    this.pid = pid;
    this.settings = settings;
  }

  get current(): boolean {
    return this.state === 'current';
  }
}

/** strsignal() of glibc, for the exit messages. */
const SIGNAL_TEXTS: Readonly<Record<number, string>> = {
  1: 'Hangup', 2: 'Interrupt', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1', 11: 'Segmentation fault',
  12: 'User defined signal 2', 13: 'Broken pipe', 14: 'Alarm clock', 15: 'Terminated', 24: 'CPU time limit exceeded',
  25: 'File size limit exceeded', 31: 'Bad system call',
};

function exitText(status: number): string {
  return status < 128 ? 'Exit' : SIGNAL_TEXTS[status - 128] ?? `Unknown signal ${status - 128}`;
}

function settingsOf(config: Config): Settings {
  return { maxReloads: config.global.mworkerMaxReloads, noExitOnFailure: config.global.mworkerNoExitOnFailure };
}

/**
 * The master's messages. HAProxy's master executes itself again at every (re)load, and each
 * execution announces its version before its first warning or alert: so does this one.
 */
class MasterLog {
  private readonly quiet: boolean;
  private announced = false;

  constructor(quiet: boolean) {
    this.quiet = quiet;
  }

  private write(level: Level, text: string): void {
    if (level !== 'NOTICE' && !this.announced) {
      this.announced = true;
      this.write('NOTICE', `${PRODUCT.toLowerCase()} version is ${VERSION}`);
      this.write('NOTICE', `path to executable is ${process.argv[1]}`);
    }
    if (this.quiet && level !== 'ALERT') return;
    process.stderr.write(formatMessage(level, text) + '\n');
  }

  notice(text: string): void {
    this.write('NOTICE', text);
  }

  warning(text: string): void {
    this.write('WARNING', text);
  }

  alert(text: string): void {
    this.write('ALERT', text);
  }

  /** The configuration messages just printed carried the version notices already. */
  announcedByConfig(): void {
    this.announced = true;
  }

  newExecution(): void {
    this.announced = false;
  }
}

class Master implements MasterView {
  readonly pid = process.pid;
  readonly startedAt = Date.now();
  reloads = 0;
  failedReloads = 0;
  readonly cli: MasterCli = new MasterCli(this);
  readonly log: MasterLog;
  private readonly opts: MasterOptions;
  /** Private directory of the workers' CLI sockets. */
  private readonly dir: string;
  private readonly procs: Worker[] = [];
  private settings: Settings;
  private loading: Worker | null = null;
  private reloadPending = false;
  private serving = false;
  private stopping = false;
  /** The status of the first current worker that failed, which the master exits with. */
  private exitCode = -1;
  private migrateWarned = false;
  /** A master with no worker left ("no-exit-on-failure") still waits for a reload. */
  private readonly keepAlive = setInterval(() => {}, 0x7fffffff);

  constructor(config: Config, opts: MasterOptions) {
    this.opts = opts;
    this.log = new MasterLog(opts.quiet);
    this.settings = settingsOf(config);
    this.dir = mkdtempSync(join(tmpdir(), 'turnpike-master-'));
  }

  workers(): readonly WorkerInfo[] {
    return this.procs.filter((w) => w.state !== 'loading');
  }

  installSignals(): void {
    process.on('SIGUSR2', () => this.reload());
    process.on('SIGHUP', () => this.reload());
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    process.on('SIGUSR1', () => this.stop('SIGUSR1'));
    process.on('SIGTTOU', () => this.broadcast('SIGTTOU'));
    process.on('SIGTTIN', () => this.broadcast('SIGTTIN'));
  }

  startWorker(settings: Settings): void {
    const env: NodeJS.ProcessEnv = {
      // Workers share compiled code: a reload starts a worker about 3 times faster.
      NODE_COMPILE_CACHE: join(this.dir, 'compile-cache'),
      ...this.opts.env, [WORKER_ENV]: this.dir, HAPROXY_MWORKER: '1',
    };
    delete env[DAEMON_ENV];
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...this.opts.argv], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env,
    });
    if (child.pid === undefined) {
      child.on('error', () => {});
      this.log.alert('[haproxy.main()] Cannot fork.');
      return this.loadFailed();
    }
    const w = new Worker(child, child.pid, settings);
    this.procs.push(w);
    this.loading = w;
    child.on('message', (m) => {
      if (isReadyMessage(m)) this.ready(w, m.cli);
    });
    child.on('exit', (code, signal) => this.exited(w, code ?? 128 + (signal ? constants.signals[signal] : 0)));
    this.log.notice(`New worker (${w.pid}) forked`);
  }

  /** The new worker serves: the previous ones get the soft stop. */
  private ready(w: Worker, cliPath: string): void {
    if (w.state !== 'loading') return;
    w.state = 'current';
    w.cliPath = cliPath;
    if (this.loading === w) this.loading = null;
    this.settings = w.settings;
    this.failedReloads = 0;
    this.log.notice('Loading success.');
    for (const p of this.procs) {
      if (p !== w && p.state === 'current') {
        p.state = 'old';
        p.child.kill('SIGUSR1');
      }
    }
    const max = this.settings.maxReloads;
    if (max >= 0) for (const p of this.procs) if (p.state === 'old' && p.reloads > max) p.child.kill('SIGTERM');
    this.log.newExecution();
    if (!this.serving) {
      this.serving = true;
      signalOldProcesses(this.opts.softStopPids, this.opts.hardStopPids);
      // -D: the launcher waits for this to exit 0; the terminal is not ours any more.
      if (process.env[DAEMON_ENV] && process.send) {
        process.send('ready');
        process.disconnect?.();
      }
    }
    this.nextReload();
  }

  private loadFailed(): void {
    this.log.warning('Loading failure!');
    this.failedReloads++;
    this.log.newExecution();
    this.nextReload();
  }

  private nextReload(): void {
    if (!this.reloadPending) return;
    this.reloadPending = false;
    this.reload();
  }

  private exited(w: Worker, status: number): void {
    this.procs.splice(this.procs.indexOf(w), 1);
    if (w.cliPath) rmSync(w.cliPath, { force: true });
    if (w.state === 'loading') {
      if (this.loading === w) this.loading = null;
      // The first worker could not start: it said why; leave with its status.
      if (!this.serving) return this.exit(status || 1);
      if (!this.stopping) this.loadFailed();
    } else if (w.state === 'current') {
      const text = `Current worker (${w.pid}) exited with code ${status} (${exitText(status)})`;
      if (status < 128) this.log.warning(text);
      else this.log.alert(text);
      // 0 and SIGTERM (143) are normal ends; SIGINT (130) too, but it is reported.
      if (!this.stopping && status !== 0 && status !== 130 && status !== 143 && !this.settings.noExitOnFailure) {
        this.log.alert('exit-on-failure: killing every processes with SIGTERM');
        this.stopping = true;
        this.broadcast('SIGTERM');
      }
      if (this.exitCode < 0 && status !== 0 && status !== 143) this.exitCode = status;
    } else {
      this.log.warning(`Former worker (${w.pid}) exited with code ${status} (${exitText(status)})`);
    }
    if (this.procs.length === 0 && (this.stopping || !this.settings.noExitOnFailure)) {
      const code = this.exitCode > 0 ? this.exitCode : 0;
      this.log.warning(`All workers exited. Exiting... (${code})`);
      this.exit(code);
    }
  }

  reload(): void {
    if (this.stopping) return;
    if (this.loading) {
      this.reloadPending = true;
      return;
    }
    this.log.newExecution();
    this.log.notice(`Reloading ${PRODUCT}`);
    this.reloads++;
    for (const w of this.procs) w.reloads++;
    const config = this.opts.load();
    if (!config) {
      this.log.announcedByConfig();
      return this.loadFailed();
    }
    if (!this.migrateWarned && migrateReqEnabled() === false) {
      this.migrateWarned = true;
      this.log.warning('net.ipv4.tcp_migrate_req is 0: connections still queued in the old worker when it stops listening will be reset. Set it to 1 for lossless reloads.');
    }
    this.startWorker(settingsOf(config));
  }

  private stop(sig: NodeJS.Signals): void {
    this.log.warning('Exiting Master process...');
    this.stopping = true;
    this.reloadPending = false;
    this.broadcast(sig);
    if (this.procs.length === 0) {
      this.log.warning(`All workers exited. Exiting... (${this.exitCode > 0 ? this.exitCode : 0})`);
      this.exit(this.exitCode > 0 ? this.exitCode : 0);
    }
  }

  private broadcast(sig: NodeJS.Signals): void {
    for (const w of this.procs) w.child.kill(sig);
  }

  /** Releases what the master holds (sockets, directory, keep-alive timer). */
  release(): void {
    clearInterval(this.keepAlive);
    this.cli.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private exit(code: number): never {
    this.release();
    process.exit(code);
  }
}

/**
 * Runs the master on a checked configuration: binds the master CLI, writes the pid file (the
 * master's pid) and starts the first worker. Returns an exit status, or -1 to keep running.
 */
export async function runMaster(config: Config, opts: MasterOptions): Promise<number> {
  const sockets: StatsSocketConfig[] = [];
  const log = new MasterLog(opts.quiet);
  for (const arg of opts.cliArgs) {
    const r = parseMasterCliArg(arg);
    if (Array.isArray(r)) {
      for (const line of r) log.alert(line);
      return 1;
    }
    sockets.push(r);
  }
  const m = new Master(config, opts);
  const fail = (lines: string[]): number => {
    for (const line of lines) m.log.alert(line);
    m.release();
    return 1;
  };
  const errors = await m.cli.start(sockets);
  if (errors.length) return fail([...errors, '[haproxy.main()] Some protocols failed to start their listeners! Exiting.']);
  if (opts.pidfile) {
    const err = writePidfile(opts.pidfile, process.pid);
    if (err) return fail([err]);
  }
  m.installSignals();
  m.startWorker(settingsOf(config));
  return -1;
}
