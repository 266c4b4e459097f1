// Process events in HAProxy's words (server up/down, no server available, proxy stopped),
// written to stderr unless quiet. The logging issue routes the same lines to log targets.
import { formatMessage, type Level } from '../config/diagnostics.ts';
import type { Backend } from './backend.ts';
import type { Server } from './server.ts';

let quiet = false;
let writer: (line: string) => void = (line) => process.stderr.write(line + '\n');

function emit(level: Level, text: string): void {
  if (!quiet) writer(formatMessage(level, text));
}

function pxType(be: Backend): string {
  return be.cfg.kind === 'listen' ? 'proxy' : 'backend';
}

export const events = {
  configure(opts: { quiet: boolean; writer?: (line: string) => void }): void {
    quiet = opts.quiet;
    if (opts.writer) writer = opts.writer;
  },

  serverDown(be: Backend, s: Server, why: string, sessionsActive: number, requeued: number): void {
    const left = `${be.activeCount} active and ${be.backupCount} backup servers left.`;
    const onBackup = be.activeCount === 0 && be.backupCount > 0 ? ' Running on backup.' : '';
    emit('WARNING', `${s.backup ? 'Backup Server' : 'Server'} ${be.name}/${s.name} is DOWN${why}. ${left}${onBackup} ${sessionsActive} sessions active, ${requeued} requeued, ${s.queue.length} remaining in queue.`);
  },

  serverUp(be: Backend, s: Server, why: string, requeued: number): void {
    emit('WARNING', `${s.backup ? 'Backup Server' : 'Server'} ${be.name}/${s.name} is UP${why}. ${be.activeCount} active and ${be.backupCount} backup servers online. ${requeued} sessions requeued, ${be.queue.length} total in queue.`);
  },

  noServer(be: Backend): void {
    emit('ALERT', `${pxType(be)} '${be.name}' has no server available!`);
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
