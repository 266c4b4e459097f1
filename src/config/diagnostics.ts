// Messages in HAProxy's shape: "[ALERT]    (1234) : config : parsing [file:12] : text".
// Every error found while loading is collected, so that `-c` lists them all at once.

export interface Loc {
  readonly file: string;
  readonly line: number;
}

export type Level = 'ALERT' | 'WARNING' | 'NOTICE' | 'DIAG';

export interface Message {
  readonly level: Level;
  readonly text: string;
}

export function formatMessage(level: Level, text: string, pid = process.pid): string {
  return `${`[${level}]`.padEnd(11)}(${pid}) : ${text}`;
}

export function where(loc: Loc): string {
  return `parsing [${loc.file}:${loc.line}]`;
}

export class Diagnostics {
  readonly messages: Message[] = [];
  alerts = 0;
  warnings = 0;
  /** Extra output for `-dD`-style diagnostics; off unless asked for. */
  diagMode = false;
  /** Where messages go as they happen; null keeps them only in `messages`. */
  sink: ((line: string) => void) | null = null;

  alert(loc: Loc | null, text: string): void {
    this.alerts++;
    this.emit('ALERT', loc ? `config : ${where(loc)} : ${text}` : `config : ${text}`);
  }

  warning(loc: Loc | null, text: string): void {
    this.warnings++;
    this.emit('WARNING', loc ? `config : ${where(loc)} : ${text}` : `config : ${text}`);
  }

  notice(loc: Loc | null, text: string): void {
    this.emit('NOTICE', loc ? `config : ${where(loc)} : ${text}` : `config : ${text}`);
  }

  diag(loc: Loc | null, text: string): void {
    if (!this.diagMode) return;
    this.emit('DIAG', loc ? `config : ${where(loc)} : ${text}` : `config : ${text}`);
  }

  /** A message that is not about the configuration (runtime events). */
  emit(level: Level, text: string): void {
    this.messages.push({ level, text });
    this.sink?.(formatMessage(level, text));
  }
}
