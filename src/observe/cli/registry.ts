// The CLI command table (HAProxy's cli_kw lists): each command is a keyword prefix, a usage
// line for "help", and a handler. Also the usage message HAProxy prints for "help" and for
// unknown commands, with its fuzzy "maybe one of the following" matching.
import type { Runtime } from '../../runtime/runtime.ts';
import { wordFingerprint, fingerprintDistance, type Fingerprint } from '../../config/suggest.ts';

export const Level = { User: 0, Operator: 1, Admin: 2 } as const;
export type Level = (typeof Level)[keyof typeof Level];
export const LEVEL_NAMES: Readonly<Record<Level, string>> = { [Level.User]: 'user', [Level.Operator]: 'operator', [Level.Admin]: 'admin' };

/** Syslog severities of CLI messages ("severity-output"). */
export const Severity = { Err: 3, Info: 6 } as const;

/** What a command prints: a dump, or a message with a severity (cli_msg()/cli_err()). */
export type CliOutput = string | { readonly text: string; readonly severity: number };

export function msg(text: string): CliOutput {
  return { text, severity: Severity.Info };
}

export function err(text: string): CliOutput {
  return { text, severity: Severity.Err };
}

export const PERMISSION_DENIED = 'Permission denied\n';

/** The state of one CLI connection that commands may read or change. */
export interface CliSession {
  readonly rt: Runtime;
  level: Level;
  /** Interactive mode ("prompt"). */
  prompt: boolean;
  /** Idle timeout, ms ("set timeout cli"). */
  timeout: number;
  /** Set by "quit": close after this command. */
  quit: boolean;
  /** Do not print the empty line after this command ("user -", "operator -"). */
  noLf: boolean;
}

export interface CliCommand {
  readonly words: readonly string[];
  /** The "help" line (HAProxy's usage text, aligned), or null for help/prompt/quit. */
  readonly usage: string | null;
  /** `payload`: the lines sent after a command ending with "<<" (null without). */
  run(args: readonly string[], s: CliSession, payload: string | null): CliOutput | Promise<CliOutput>;
}

const commands: CliCommand[] = [];

export function registerCliCommands(...cmds: CliCommand[]): void {
  commands.push(...cmds);
}

/** Fails with HAProxy's message when the session's level is below `level`. */
export function needLevel(s: CliSession, level: Level): CliOutput | null {
  return s.level < level ? err(PERMISSION_DENIED) : null;
}

/** The first command whose keywords start the line (cli_find_kw()). */
export function findCommand(args: readonly string[]): CliCommand | undefined {
  return commands.find((c) => c.words.every((w, i) => args[i] === w));
}

const MAX_MATCHES = 5;
const PREFIX_WORDS = 5;

/** The fingerprint of several words together (update_word_fingerprint() on each). */
function wordsFingerprint(words: readonly string[]): Map<number, number> {
  const acc = new Map<number, number>();
  for (const w of words) {
    for (const [cell, n] of wordFingerprint(w) as Fingerprint) {
      // Cells below 32 mark the presence of a character class; the others count transitions.
      acc.set(cell, cell < 32 ? 1 : ((acc.get(cell) ?? 0) + n) & 0xff);
    }
  }
  return acc;
}

/** What the usage message reads of a command (the master CLI has its own table). */
export interface UsageEntry {
  readonly words: readonly string[];
  readonly usage: string | null;
}

/** How many leading words of `args` equal those of `c` (at most `max`). */
function matchingWords(c: UsageEntry, args: readonly string[], max: number): number {
  let i = 0;
  while (i < max && i < c.words.length && args[i] && c.words[i] === args[i]) i++;
  return i;
}

/**
 * HAProxy's cli_gen_usage_msg(): for "help" or an unknown command, the commands sharing the
 * longest known prefix, narrowed by fuzzy matching of the next words when they look alike.
 */
export function usageMessage(line: readonly string[], table: readonly UsageEntry[] = commands): string {
  let args = line;
  const isHelp = args[0] === 'help';
  if (isHelp) args = args.slice(1);
  let length = 0;
  for (const c of table) length = Math.max(length, matchingWords(c, args, PREFIX_WORDS));
  let out: string;
  if (isHelp) out = 'The following commands are valid at this level:\n';
  else if (length === 0 && !args[0]) out = 'Unknown command. Please enter one of the following commands only:\n';
  else out = 'Unknown command, but maybe one of the following ones is a better match:\n';

  const matches: { c: UsageEntry; dist: number }[] = [];
  if (args[length]) {
    const typed: string[] = [];
    for (let i = length; i < PREFIX_WORDS && args[i]; i++) typed.push(args[i]!);
    const typedFp = wordsFingerprint(typed);
    let typedLen = 0;
    for (const w of typed) typedLen += w.length;
    for (const c of table) {
      if (!c.usage || matchingWords(c, args, length) !== length || c.words.length < length) continue;
      const rest = c.words.slice(length, PREFIX_WORDS);
      let totlen = typedLen;
      for (const w of rest) totlen += w.length;
      const dist = fingerprintDistance(typedFp, wordsFingerprint(rest));
      if (dist >= Math.floor((5 * totlen) / 2)) continue;
      if (matches.length === MAX_MATCHES && dist >= matches[MAX_MATCHES - 1]!.dist) continue;
      // Insert after the entries of equal distance, keeping the best MAX_MATCHES.
      let at = matches.length;
      while (at > 0 && matches[at - 1]!.dist > dist) at--;
      matches.splice(at, 0, { c, dist });
      if (matches.length > MAX_MATCHES) matches.pop();
    }
  }
  const entries: UsageEntry[] = [];
  if (matches.length > 0) {
    const limit = Math.floor((5 * matches[0]!.dist) / 2);
    for (const m of matches) {
      if (m.dist > limit) break;
      entries.push(m.c);
    }
  } else {
    for (const c of table) if (c.usage && matchingWords(c, args, length) === length && c.words.length >= length) entries.push(c);
  }
  entries.sort((a, b) => (a.usage! < b.usage! ? -1 : a.usage! > b.usage! ? 1 : 0));
  for (const c of entries) out += `  ${c.usage}\n`;
  return out
    + '  help [<command>]                        : list matching or all commands\n'
    + '  prompt                                  : toggle interactive mode with prompt\n'
    + '  quit                                    : disconnect\n';
}
