// Process events in HAProxy's words (server up/down, no server available, proxy stopped, health
// checks), written to stderr unless quiet, and sent to the log targets of the proxy concerned
// (its own "log" lines or "log global"), at HAProxy's syslog levels.
import { formatMessage, type Level } from '../config/diagnostics.ts';
import type { ProxyConfig } from '../config/model.ts';
import { sendLog } from '../observe/log/logger.ts';
import { Level as Syslog } from '../observe/log/targets.ts';
import type { Backend } from './backend.ts';
import type { Server } from './server.ts';

let quiet = false;
let writer: (line: string) => void = (line) => process.stderr.write(line + '\n');

function emit(level: Level, text: string): void {
  if (!quiet) writer(formatMessage(level, text));
}

function pxType(cfg: ProxyConfig): string {
  return cfg.kind === 'listen' ? 'proxy' : 'backend';
}

export const events = {
  configure(opts: { quiet: boolean; writer?: (line: string) => void }): void {
    quiet = opts.quiet;
    if (opts.writer) writer = opts.writer;
  },

  serverDown(be: Backend, s: Server, why: string, sessionsActive: number, requeued: number): void {
    const left = `${be.activeCount} active and ${be.backupCount} backup servers left.`;
    const onBackup = be.activeCount === 0 && be.backupCount > 0 ? ' Running on backup.' : '';
    const text = `${s.backup ? 'Backup Server' : 'Server'} ${be.name}/${s.name} is DOWN${why}. ${left}${onBackup} ${sessionsActive} sessions active, ${requeued} requeued, ${s.queue.length} remaining in queue.`;
    emit('WARNING', text);
    sendLog(be.cfg.log, Syslog.Alert, text);
  },

  serverUp(be: Backend, s: Server, why: string, requeued: number): void {
    const text = `${s.backup ? 'Backup Server' : 'Server'} ${be.name}/${s.name} is UP${why}. ${be.activeCount} active and ${be.backupCount} backup servers online. ${requeued} sessions requeued, ${be.queue.length} total in queue.`;
    emit('WARNING', text);
    sendLog(be.cfg.log, Syslog.Notice, text);
  },

  noServer(be: Backend): void {
    // The backend notices before the server's transition is reported; HAProxy reports the
    // transition first, so this line waits for the current one to be written.
    queueMicrotask(() => {
      // stderr quotes the name, the log line does not (HAProxy's two messages).
      emit('ALERT', `${pxType(be.cfg)} '${be.name}' has no server available!`);
      sendLog(be.cfg.log, Syslog.Emerg, `${pxType(be.cfg)} ${be.name} has no server available!`);
    });
  },

  /**
   * One health check result worth reporting, e.g. "Health check for server b/s1 failed, reason:
   * ..., status: 0/2 DOWN." Only with "option log-health-checks" (HAProxy prints nothing otherwise).
   */
  healthCheck(cfg: ProxyConfig, text: string): void {
    if (!cfg.option('log-health-checks')) return;
    emit('WARNING', text);
    sendLog(cfg.log, Syslog.Notice, text);
  },

  /** Soft stop of a proxy: "Proxy <name> stopped (cumulated conns: FE: <n>, BE: <n>)." */
  proxyStopped(cfg: ProxyConfig, feTotal: number, beTotal: number): void {
    const text = `Proxy ${cfg.name} stopped (cumulated conns: FE: ${feTotal}, BE: ${beTotal}).`;
    emit('WARNING', text);
    sendLog(cfg.log, Syslog.Warning, text);
  },

  notice(text: string): void {
    emit('NOTICE', text);
  },

  warning(text: string): void {
    emit('WARNING', text);
  },

  alert(text: string): void {
    emit('ALERT', text);
  },
};
