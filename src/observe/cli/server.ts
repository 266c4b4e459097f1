// The stats sockets: listeners of HAProxy's command line interface (management.txt 9.3).
// A connection reads lines (or ';'-separated commands), runs each, prints its output then an
// empty line. Without "prompt" the connection closes once the commands it sent are done; in
// interactive mode each output is followed by the "> " prompt. "stats timeout" closes idle
// connections and "stats maxconn" bounds how many are served at once (others wait).
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Runtime } from '../../runtime/runtime.ts';
import type { StatsSocketConfig } from '../../config/model.ts';
import { describeErrno } from '../../runtime/listener.ts';
import { processCounters } from '../counters.ts';
import { Level, Severity, err, findCommand, usageMessage, type CliOutput, type CliSession } from './registry.ts';
import { cliCounts } from './sessions.ts';
import { listenCliSocket } from './listen.ts';
import { cliConnections } from './misc-commands.ts';
// Command modules register themselves.
import './stat-commands.ts';
import './server-commands.ts';
import './frontend-commands.ts';
import './ssl-commands.ts';

const LEVELS: Readonly<Record<StatsSocketConfig['level'], Level>> = { user: Level.User, operator: Level.Operator, admin: Level.Admin };
const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const MAX_ARGS = 64;

/**
 * Cuts the next command from `buf`: up to a line feed or an unescaped ';'. Returns the
 * command (without the delimiter and a trailing CR) and the rest, or null when incomplete.
 */
export function nextCommand(buf: string): { line: string; rest: string } | null {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      let line = buf.slice(0, i);
      if (c === '\n' && line.endsWith('\r')) line = line.slice(0, -1);
      return { line, rest: buf.slice(i + 1) };
    }
  }
  return null;
}

/** A command ending with "<<" takes the lines after it, up to an empty line, as its payload (management.txt 9.3). */
export function startsPayload(line: string): boolean {
  return line.endsWith('<<');
}

/**
 * Cuts a payload from `buf`: the lines up to an empty one, joined by line feeds (without the
 * last one, CRs before line feeds removed). Returns it and the rest, or null when the empty
 * line has not arrived; `lines` counts the lines already there.
 */
export function nextPayload(buf: string): { payload: string; rest: string } | { lines: number } {
  const lines: string[] = [];
  let pos = 0;
  for (;;) {
    const lf = buf.indexOf('\n', pos);
    if (lf < 0) return { lines: lines.length };
    let line = buf.slice(pos, lf);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = lf + 1;
    if (line === '') return { payload: lines.join('\n'), rest: buf.slice(pos) };
    lines.push(line);
  }
}

/** Splits a command into words: blanks separate them, a backslash escapes the next character. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length && args.length < MAX_ARGS) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '\\' && i + 1 < line.length) i++;
      word += line[i++];
    }
    args.push(word);
  }
  return args;
}

/**
 * Runs one command line and returns what it prints. A payload goes to the command only when
 * "<<" is a word of its own ending the line; glued to the last word, it is not recognized
 * (the payload is still read, then ignored), as in HAProxy.
 */
export async function runCommandLine(line: string, s: CliSession, payload: string | null = null): Promise<CliOutput> {
  const args = splitArgs(line);
  if (payload !== null) {
    if (args[args.length - 1] === '<<') args.pop();
    else payload = null;
  }
  const cmd = findCommand(args);
  if (!cmd) return { text: usageMessage(args), severity: Severity.Info };
  try {
    return await cmd.run(args, s, payload);
  } catch (e) {
    return err(`Internal error: ${(e as Error).message}\n`);
  }
}

class CliConnection {
  readonly session: CliSession;
  readonly startedAt = Date.now();
  readonly src: string;
  private readonly sock: Socket;
  private readonly cfg: StatsSocketConfig;
  private readonly onClose: () => void;
  private buf = '';
  /** A command waiting for the end of its payload; "+ " prompts already written for it. */
  private inPayload = false;
  private payloadPrompts = 0;
  private busy = false;
  private ended = false;
  private closed = false;

  constructor(rt: Runtime, sock: Socket, cfg: StatsSocketConfig, timeout: number, onClose: () => void) {
    this.sock = sock;
    this.cfg = cfg;
    this.onClose = onClose;
    this.src = cfg.addr.kind === 'unix' ? 'unix:1' : `${sock.remoteAddress}:${sock.remotePort}`;
    this.session = { rt, level: LEVELS[cfg.level], prompt: false, timeout, quit: false, noLf: false };
    sock.setEncoding('latin1');
    sock.setTimeout(timeout);
    sock.on('data', (d: string) => {
      this.buf += d;
      // A command (or a command with its payload) longer than a buffer is refused, as HAProxy
      // closes on a full request buffer.
      if (this.buf.length > rt.bufsize && (this.inPayload || !this.buf.includes('\n'))) this.finish();
      else void this.pump();
    });
    sock.on('end', () => {
      this.ended = true;
      if (!this.busy) this.finish();
    });
    sock.on('timeout', () => this.finish());
    sock.on('error', () => this.finish());
    sock.on('close', () => this.release());
  }

  private write(out: CliOutput): void {
    if (typeof out === 'string') {
      if (out) this.sock.write(out, 'latin1');
      return;
    }
    const sev = this.cfg.severityOutput;
    const prefix = sev === 'number' ? `[${out.severity}]: ` : sev === 'string' ? `[${SEVERITY_NAMES[out.severity]}]: ` : '';
    this.sock.write(prefix + out.text, 'latin1');
  }

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    for (;;) {
      const next = nextCommand(this.buf);
      if (!next) break;
      const s = this.session;
      let payload: string | null = null;
      let rest = next.rest;
      if (startsPayload(next.line)) {
        const p = nextPayload(next.rest);
        if ('lines' in p) {
          this.inPayload = true;
          // Interactive mode prompts "+ " after the command line and each payload line.
          if (s.prompt) for (; this.payloadPrompts <= p.lines; this.payloadPrompts++) this.sock.write('+ ');
          break;
        }
        this.inPayload = false;
        this.payloadPrompts = 0;
        payload = p.payload;
        rest = p.rest;
      }
      this.buf = rest;
      const out = await runCommandLine(next.line, s, payload);
      if (this.closed) return;
      this.write(out);
      if (s.quit) return this.finish();
      if (s.prompt) this.sock.write('\n> ');
      else if (!s.noLf) this.sock.write('\n');
      s.noLf = false;
      this.sock.setTimeout(s.timeout);
      // Without a prompt, the connection ends once what was sent is processed.
      if (!s.prompt && this.buf.length === 0) return this.finish();
    }
    this.busy = false;
    if (this.ended) this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.end();
    this.sock.destroySoon();
  }

  private release(): void {
    this.closed = true;
    this.onClose();
  }
}

export class CliServer {
  private readonly rt: Runtime;
  private readonly servers: NetServer[] = [];
  private readonly conns = new Set<CliConnection>();
  private readonly waiting: { sock: Socket; cfg: StatsSocketConfig }[] = [];

  constructor(rt: Runtime) {
    this.rt = rt;
  }

  /** Binds every "stats socket"; returns HAProxy's error texts for those that failed. */
  async start(): Promise<string[]> {
    const errors: string[] = [];
    for (const cfg of this.rt.config.global.statsSockets) {
      const e = await this.listen(cfg);
      if (e) errors.push(e);
    }
    cliCounts.listeners = this.servers.length;
    return errors;
  }

  private listen(cfg: StatsSocketConfig): Promise<string | null> {
    // Half-open: a client may send its commands and shut its side at once (the master CLI does);
    // the answers must still go out.
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => this.accept(sock, cfg));
    return listenCliSocket(server, cfg).then((e) => {
      if (e) return `Starting frontend GLOBAL: cannot bind socket (${describeErrno(e)}) [${cfg.text}]`;
      this.servers.push(server);
      return null;
    });
  }

  private accept(sock: Socket, cfg: StatsSocketConfig): void {
    processCounters.cumConns++;
    if (this.conns.size >= this.rt.config.global.statsMaxconn) {
      this.waiting.push({ sock, cfg });
      sock.once('close', () => {
        const i = this.waiting.findIndex((w) => w.sock === sock);
        if (i >= 0) this.waiting.splice(i, 1);
      });
      sock.on('error', () => {});
      return;
    }
    this.serve(sock, cfg);
  }

  private serve(sock: Socket, cfg: StatsSocketConfig): void {
    const conn: CliConnection = new CliConnection(this.rt, sock, cfg, this.rt.config.global.statsTimeout, () => {
      this.conns.delete(conn);
      cliConnections.delete(conn);
      cliCounts.conns = this.conns.size;
      const next = this.waiting.shift();
      if (next) {
        next.sock.removeAllListeners('close');
        this.serve(next.sock, next.cfg);
      }
    });
    this.conns.add(conn);
    cliConnections.add(conn);
    cliCounts.conns = this.conns.size;
    sock.resume();
  }

  /** Stops listening and closes every CLI connection. */
  close(): void {
    for (const s of this.servers.splice(0)) s.close();
    for (const w of this.waiting.splice(0)) w.sock.destroy();
    cliCounts.listeners = 0;
  }
}
