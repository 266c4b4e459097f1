// Entry point: HAProxy's command line, configuration loading, and the running process.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { formatMessage } from '../config/diagnostics.ts';
import { tokenizeLine } from '../config/tokenizer.ts';
import { evalIfCondition } from '../config/if-condition.ts';
import { loadConfig } from './load-config.ts';
import type { Config } from '../config/model.ts';
import { Runtime } from '../runtime/runtime.ts';
import { events } from '../runtime/events.ts';
import { PRODUCT, VERSION } from '../version.ts';
import { parseArgs, USAGE, type CliOptions } from './args.ts';
import { enableDebugTrace } from '../observe/debug-trace.ts';
import { versionText } from './version.ts';
import {
  DAEMON_ENV, daemonize, dropPrivileges, fdLimit, installSignals, migrateReqEnabled, signalOldProcesses, writePidfile,
} from './lifecycle.ts';
import { runMaster } from './master.ts';
import { checkFdLimit } from './fd-limit.ts';
import { defaultThreadCount, setThread, threads } from '../runtime/threads/context.ts';
import { createSlab } from '../runtime/threads/slab.ts';
import { joinThreads } from '../runtime/threads/join.ts';
import { ThreadPool } from '../runtime/threads/pool.ts';
import { WORKER_ENV, masterFacingSocket, reportReady, saveCompiledCode } from './worker.ts';

/** The log formats HAProxy exposes to configurations (management.txt, HAPROXY_*_LOG_FMT). */
const LOG_FORMATS: Readonly<Record<string, string>> = {
  HAPROXY_TCP_LOG_FMT: '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq',
  HAPROXY_HTTP_LOG_FMT: '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r',
  HAPROXY_HTTPS_LOG_FMT: '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc',
};

function out(text: string): void {
  process.stdout.write(text);
}

function fatal(text: string): never {
  process.stderr.write(formatMessage('ALERT', text) + '\n');
  process.exit(1);
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`${PRODUCT} version ${VERSION}\n${USAGE}\n[ALERT]    (${process.pid}) : ${parsed}\n`);
    return 1;
  }
  const o: CliOptions = parsed;
  if (o.help) {
    out(`${PRODUCT} version ${VERSION}\n${USAGE}`);
    return 0;
  }
  if (o.version) {
    out(versionText(o.version === 2));
    return 0;
  }
  if (o.checkCondition !== null) {
    // As HAProxy: 0 true, 1 false, 2 when the condition cannot be evaluated.
    const t = tokenizeLine(o.checkCondition, process.env, { comments: false });
    if ('error' in t) {
      process.stderr.write(formatMessage('ALERT', `Syntax Error in condition: ${t.error}`) + '\n');
      return 2;
    }
    const r = evalIfCondition(t.words, process.env);
    if (typeof r === 'object') {
      process.stderr.write(formatMessage('ALERT', `Failed to evaluate condition: ${r.error}`) + '\n');
      return 2;
    }
    return r ? 0 : 1;
  }
  // V8 fixes its heap limit at start-up; -m would need a re-exec with --max-old-space-size.
  if (o.memLimitMb !== null) fatal(`'-m ${o.memLimitMb}' is not supported by Turnpike yet; start Node with --max-old-space-size instead.`);
  // A master-worker worker (worker.ts), started by the master with the same arguments.
  const workerDir = process.env[WORKER_ENV];
  const isWorker = workerDir !== undefined;
  // Daemons and workers outlive the terminal their stderr may point to: writing there must not kill them.
  if (process.env[DAEMON_ENV] || isWorker) process.stderr.on('error', () => {});
  if (o.chdir) {
    try {
      process.chdir(o.chdir);
    } catch {
      fatal(`[haproxy.main()] Cannot chdir to ${o.chdir}`);
    }
  }

  // Variables HAProxy sets before reading its configuration, which may use them.
  process.env.HAPROXY_LOCALPEER = o.localPeer ?? hostname();
  for (const [k, v] of Object.entries(LOG_FORMATS)) process.env[k] = v;

  if (o.files.length === 0) {
    process.stderr.write(`${PRODUCT} version ${VERSION}\n${USAGE}\n`);
    fatal('No configuration file specified.');
  }
  // The master reads the configuration again at each reload, from the same environment.
  const baseEnv = { ...process.env };
  // The master printed the configuration's warnings already.
  const loaded = loadConfig(o, process.env, isWorker ? 'alerts' : 'all');
  if (!loaded) return 1;
  const { config, quiet } = loaded;
  if (!isWorker) for (const n of o.notes) if (!quiet) process.stderr.write(formatMessage('NOTICE', n) + '\n');
  if (o.check) {
    if (loaded.warnings > 0) out('Warnings were found.\n');
    out('Configuration file is valid\n');
    return 0;
  }
  if (!hasEnabledListener(config)) fatal(NO_LISTENER);

  const daemon = (o.daemon || config.global.daemon) && !o.noBackground;
  if (daemon && !process.env[DAEMON_ENV] && !isWorker) return daemonize(argv);
  if (!isWorker && (o.masterWorker || config.global.masterWorker)) {
    return runMaster(config, {
      argv, env: baseEnv, cliArgs: o.masterCli, pidfile: o.pidfile ?? config.global.pidfile, quiet,
      softStopPids: o.softStopPids, hardStopPids: o.hardStopPids,
      load() {
        const r = loadConfig(o, { ...baseEnv }, 'all');
        if (r && !hasEnabledListener(r.config)) {
          process.stderr.write(formatMessage('ALERT', NO_LISTENER) + '\n');
          return null;
        }
        return r?.config ?? null;
      },
    });
  }
  if (o.masterCli.length && !isWorker && !quiet) {
    process.stderr.write(formatMessage('WARNING', 'config : a master CLI socket was defined, but master-worker mode (-W) is not enabled.') + '\n');
  }
  const masterSocket = isWorker ? masterFacingSocket(workerDir) : null;
  if (masterSocket) config.global.statsSockets.push(masterSocket);

  events.configure({ quiet });
  if (o.debug) enableDebugTrace(true);
  const nbthread = config.global.nbthread ?? defaultThreadCount();
  // Node cannot change RLIMIT_NOFILE: maxconn and ulimit-n are checked against the limit we have.
  const limit = fdLimit();
  const fd = checkFdLimit(config, limit, nbthread);
  if (fd.fatal) fatal(fd.alerts[0]!);
  for (const w of fd.warnings) events.warning(w);
  for (const a of fd.alerts) events.alert(a);
  setThread(0, nbthread);
  if (nbthread > 1) threads.ticketKeys = randomBytes(48);
  const rt = new Runtime(config, limit);
  const slab = nbthread > 1 ? createSlab(rt.slotBlocks(), nbthread) : null;
  if (slab) {
    const err = joinThreads(rt, slab, 0);
    if (err) fatal(err);
  }
  // Threads 2..N read the configuration again and build their runtime meanwhile; they open their
  // own sockets on the same addresses once this thread listens (with its checks and CLI).
  let pool: ThreadPool | null = null;
  const errors: string[] = [];
  if (slab) {
    const started = await ThreadPool.start({ count: nbthread, argv, env: baseEnv, fdLimit: limit, buffer: slab.buffer, ticketKeys: threads.ticketKeys! });
    if (Array.isArray(started)) errors.push(...started);
    else {
      pool = started;
      rt.relay = (o) => started.relay(o);
      rt.peers = started;
      started.serve(rt, 1000);
    }
  }
  if (errors.length === 0) {
    errors.push(...(await rt.start()));
    if (errors.length) pool?.hardStop();
    else if (pool) {
      errors.push(...(await pool.listen()));
      if (errors.length) rt.hardStop();
    }
  }
  if (errors.length) {
    for (const e of errors) process.stderr.write(formatMessage('ALERT', e) + '\n');
    process.stderr.write(formatMessage('ALERT', '[haproxy.main()] Some protocols failed to start their listeners! Exiting.') + '\n');
    return 1;
  }
  // A worker's old processes, pid file and daemon are the master's business.
  if (!isWorker) {
    if (o.softStopPids.length && migrateReqEnabled() === false) {
      events.warning('net.ipv4.tcp_migrate_req is 0: connections still queued in the old process when it stops listening will be reset. Set it to 1 for lossless -sf reloads.');
    }
    // The pid file names the new process before the old ones are told to stop (as HAProxy).
    const pidfile = o.pidfile ?? config.global.pidfile;
    if (pidfile) {
      const err = writePidfile(pidfile, process.pid);
      if (err) fatal(err);
    }
    signalOldProcesses(o.softStopPids, o.hardStopPids);
  }
  if (isWorker) saveCompiledCode();
  const privErr = dropPrivileges(config.global.uid, config.global.gid);
  if (privErr) fatal(privErr);
  installSignals(rt, pool, (code) => process.exit(code));
  if (masterSocket) reportReady(rt, masterSocket);
  if (process.env[DAEMON_ENV] && process.send) {
    process.send('ready');
    process.disconnect?.();
  }
  return -1; // keep running
}

const NO_LISTENER = '[haproxy.main()] No enabled listener found (check for \'bind\' directives) ! Exiting.';

function hasEnabledListener(config: Config): boolean {
  return config.proxies.some((p) => p.isFrontend && !p.disabled);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => fatal(`internal error: ${(e as Error).stack ?? String(e)}`),
);
