// Reading the configuration as the command line says: files, messages, command-line overrides.
// Used by the main thread (and the master at each reload) and by the other threads (nbthread),
// which read the same files again silently.
import { formatMessage, Diagnostics } from '../config/diagnostics.ts';
import { listConfigFiles } from '../config/reader.ts';
import { parseConfigFiles } from '../config/parser.ts';
import type { Config } from '../config/model.ts';
import { PRODUCT, VERSION } from '../version.ts';
import type { CliOptions } from './args.ts';

/** What to print of the configuration's messages. */
export type MessageOutput = 'all' | 'alerts' | 'none';

/**
 * Reads the configuration files with `env` (which "setenv" lines change), prints their
 * messages as `output` says and returns the configuration, or null when it has errors (or
 * warnings under zero-warning).
 */
export function loadConfig(o: CliOptions, env: NodeJS.ProcessEnv, output: MessageOutput): { config: Config; quiet: boolean; warnings: number } | null {
  const diag = new Diagnostics();
  diag.diagMode = o.diagMode;
  const files = listConfigFiles(o.files, diag);
  env.HAPROXY_CFGFILES = files.join(';');
  const config = parseConfigFiles(files, diag, env);
  applyCommandLine(config, o);
  const zeroWarning = o.zeroWarning || config.global.zeroWarning;
  const quiet = (o.quiet || config.global.quiet) && !o.verbose;
  if (output !== 'none') printMessages(diag, quiet || output === 'alerts');
  if (diag.alerts > 0 || (zeroWarning && diag.warnings > 0)) {
    if (output === 'none') return null;
    if (diag.alerts === 0) process.stderr.write(formatMessage('ALERT', 'config : Some warnings were found and \'zero-warning\' is set. Aborting.') + '\n');
    else process.stderr.write(formatMessage('ALERT', 'config : Fatal errors found in configuration.') + '\n');
    return null;
  }
  return { config, quiet, warnings: diag.warnings };
}

/** -N and -n override the configuration, as in HAProxy. */
function applyCommandLine(config: Config, o: CliOptions): void {
  if (o.maxconn !== null) config.global.maxconn = o.maxconn;
  if (o.proxyMaxconn !== null) {
    for (const p of config.proxies) if (p.isFrontend && p.maxconn === 0) p.maxconn = o.proxyMaxconn;
  }
}

function printMessages(diag: Diagnostics, quiet: boolean): void {
  if (diag.messages.length === 0) return;
  const lines: string[] = [];
  if (diag.alerts > 0) lines.push(formatMessage('NOTICE', `${PRODUCT.toLowerCase()} version is ${VERSION}`), formatMessage('NOTICE', `path to executable is ${process.argv[1]}`));
  for (const m of diag.messages) {
    if (quiet && m.level !== 'ALERT') continue;
    lines.push(formatMessage(m.level, m.text));
  }
  if (lines.length) process.stderr.write(lines.join('\n') + '\n');
}
