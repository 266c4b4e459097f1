// Process lifecycle around a running Runtime: signals, pid file, daemon mode, privilege drop,
// and the -sf/-st handover to the process being replaced.
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Runtime } from '../runtime/runtime.ts';
import type { ThreadPool } from '../runtime/threads/pool.ts';
import { events } from '../runtime/events.ts';

/** Open-file limit of this process (Node exposes no getrlimit; /proc tells the same). */
export function fdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Number(m[1]);
  } catch { /* not Linux: fall through */ }
  return 1024;
}

/** Whether the kernel moves a closing listener's queue to its SO_REUSEPORT siblings. */
export function migrateReqEnabled(): boolean | null {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim() === '1';
  } catch {
    return null;
  }
}

/** `pool`: the other threads (nbthread), which every operation reaches too. */
export function installSignals(rt: Runtime, pool: ThreadPool | null, exit: (code: number) => void): void {
  let hardStopTimer: NodeJS.Timeout | null = null;
  const hardStop = (): void => {
    pool?.hardStop();
    rt.hardStop();
    exit(0);
  };
  process.on('SIGTERM', hardStop);
  process.on('SIGINT', hardStop);
  process.on('SIGUSR1', () => {
    const after = rt.config.global.hardStopAfter;
    if (after && !hardStopTimer) {
      hardStopTimer = setTimeout(() => {
        events.warning(`soft-stop: hard-stop-after (${after} ms) reached, closing remaining connections.`);
        hardStop();
      }, after);
    }
    // The process ends once every thread finished its streams.
    const others = pool ? pool.softStop() : Promise.resolve();
    rt.softStop(() => void others.then(() => exit(0)));
  });
  process.on('SIGTTOU', () => {
    pool?.pause();
    rt.pause();
  });
  process.on('SIGTTIN', () => {
    pool?.resume();
    void rt.resume();
  });
  // SIGHUP in HAProxy dumps server states to the logs; here it is ignored so a terminal hangup does not kill us.
  process.on('SIGHUP', () => {});
}

/** -sf / -st: tell the old processes to finish (SIGUSR1) or terminate (SIGTERM). */
export function signalOldProcesses(soft: readonly number[], hard: readonly number[]): void {
  for (const [list, sig] of [[soft, 'SIGUSR1'], [hard, 'SIGTERM']] as const) {
    for (const pid of list) {
      try {
        process.kill(pid, sig);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') events.warning(`could not send ${sig} to old process ${pid}: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * Writes the pid file whole at once (a temporary file renamed over it), so that a reader never
 * sees it empty or half written; in place when the directory cannot take the temporary file.
 */
export function writePidfile(path: string, pid: number): string | null {
  const tmp = `${path}.${pid}.tmp`;
  try {
    writeFileSync(tmp, `${pid}\n`);
    renameSync(tmp, path);
    return null;
  } catch {
    rmSync(tmp, { force: true });
  }
  try {
    writeFileSync(path, `${pid}\n`);
    return null;
  } catch {
    return `[haproxy.main()] Cannot create pidfile ${path}`;
  }
}

/** Drops root after binding, as HAProxy does with uid/gid/user/group. */
export function dropPrivileges(uid: number | null, gid: number | null): string | null {
  try {
    if (gid !== null) {
      process.setgroups?.([gid]);
      process.setgid?.(gid);
    }
    if (uid !== null) process.setuid?.(uid);
    return null;
  } catch (e) {
    return `[haproxy.main()] Cannot set ${uid !== null ? `uid ${uid}` : `gid ${gid}`}: ${(e as Error).message}`;
  }
}

export const DAEMON_ENV = 'TURNPIKE_DAEMON_CHILD';

/**
 * -D: starts a detached copy of this process and waits until it reports that it listens
 * (or failed), so that the exit status of the command tells whether the proxy started.
 */
export function daemonize(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, [DAEMON_ENV]: '1' },
    });
    child.stderr!.pipe(process.stderr);
    child.on('message', (m) => {
      if (m === 'ready') {
        child.stderr!.unpipe();
        child.stderr!.destroy();
        child.disconnect();
        child.unref();
        resolve(0);
      }
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
