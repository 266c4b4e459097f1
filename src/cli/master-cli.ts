// The master CLI (-S, management.txt 9.4): supervision of the master-worker processes ("show
// proc", "reload") and routing of commands to the CLI of a worker with "@" prefixes: "@1 show
// info" runs one command on the current worker, "@!<pid> ..." on any worker still running, "@"
// or "@master" on the master; a prefix alone switches the session's target. Commands for a
// worker are forwarded to its own CLI (a UNIX socket it exposes to the master only), preceded
// by "user -" / "operator -" so that the session's level applies there too, as HAProxy does.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { StatsSocketConfig } from '../config/model.ts';
import { parseAddress } from '../config/address.ts';
import { BIND_OPTIONS } from '../config/known-keywords.ts';
import { describeErrno } from '../runtime/listener.ts';
import { SOCKET_OPTIONS } from '../observe/cli/keywords.ts';
import { LEVEL_NAMES, Level, usageMessage, type UsageEntry } from '../observe/cli/registry.ts';
import { nextCommand, nextPayload, splitArgs, startsPayload } from '../observe/cli/server.ts';
import { listenCliSocket } from '../observe/cli/listen.ts';
import { VERSION } from '../version.ts';

/** A worker as the master CLI shows and reaches it. */
export interface WorkerInfo {
  readonly pid: number;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** Reloads of the master this worker went through. */
  readonly reloads: number;
  /** The worker serving the current configuration (the others are leaving). */
  readonly current: boolean;
  /** Its CLI, reachable by the master only. */
  readonly cliPath: string;
}

/** What the master CLI reads of the master and asks it to do. */
export interface MasterView {
  readonly pid: number;
  readonly startedAt: number;
  readonly reloads: number;
  /** Failed reloads since the last successful one. */
  readonly failedReloads: number;
  /** Running workers, oldest first. */
  workers(): readonly WorkerInfo[];
  reload(): void;
}

const LEVELS: Readonly<Record<StatsSocketConfig['level'], Level>> = { user: Level.User, operator: Level.Operator, admin: Level.Admin };
/** The bind options meaningful on the master CLI (the others are refused, not ignored). */
const MASTER_OPTIONS = new Set(['level', 'mode', 'uid', 'gid', 'user', 'group']);
const FAILURE = "Can't create the master's CLI.";

/**
 * Parses a -S argument: "<address>[,<option>,<value>]*", HAProxy's bind options written with
 * commas. Returns the socket, or HAProxy's alert lines.
 */
export function parseMasterCliArg(arg: string): StatsSocketConfig | string[] {
  const words = arg.split(',');
  const text = words[0]!;
  const addrs = parseAddress(text, { port: 'required', ranges: false, offsets: false, fqdn: false, keyword: '-S' });
  if (typeof addrs === 'string') return ['config : Cannot create the listener of the master CLI', `config : ${addrs}`, `config : ${FAILURE}`];
  const sock: StatsSocketConfig = {
    loc: { file: '-S', line: 0 }, text, addr: addrs[0]!, level: 'admin',
    unixMode: null, unixUid: null, unixGid: null, exposeFd: false, severityOutput: 'none',
  };
  for (let i = 1; i < words.length; i += 2) {
    const kw = words[i]!;
    const where = `config : '${text} ${kw}' : `;
    if (!MASTER_OPTIONS.has(kw)) {
      const why = BIND_OPTIONS.has(kw) || SOCKET_OPTIONS.has(kw)
        ? `'${kw}' is a bind option that Turnpike does not support on the master CLI.`
        : `unknown keyword '${kw}'.`;
      return [where + why, `config : ${FAILURE}`];
    }
    const err = SOCKET_OPTIONS.get(kw)!(sock, words[i + 1]);
    if (err) return [`${where}'${err}'`, `config : ${FAILURE}`];
  }
  return sock;
}

/** Binds a master CLI socket; returns the server or HAProxy's error text. */
export function bindMasterCli(cfg: StatsSocketConfig, onConnection: (sock: Socket) => void): Promise<Server | string> {
  // Half-open: clients commonly send their commands and shut their side; the answers still go out.
  const server = createServer({ allowHalfOpen: true }, onConnection);
  return listenCliSocket(server, cfg).then((e) => {
    if (!e) return server;
    const a = cfg.addr;
    return `Binding [master-socket:0] for proxy MASTER: cannot bind ${a.kind === 'unix' ? 'UNIX socket' : 'socket'} (${describeErrno(e)}) [${cfg.text}]`;
  });
}

/** "0d00h02m07s", as HAProxy prints uptimes. */
export function formatUptime(seconds: number): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(seconds / 86400)}d${p(Math.floor((seconds % 86400) / 3600))}h${p(Math.floor((seconds % 3600) / 60))}m${p(seconds % 60)}s`;
}

function procLine(pid: number, type: string, reloads: string, uptime: string): string {
  return `${String(pid).padEnd(15)} ${type.padEnd(15)} ${reloads.padEnd(15)} ${uptime.padEnd(15)} ${VERSION.padEnd(15)}\n`;
}

/** "show proc": the master, then current and leaving workers, in HAProxy 2.6's columns. */
export function showProc(m: MasterView, now: number): string {
  const up = (since: number): string => formatUptime(Math.max(0, Math.floor(now / 1000) - Math.floor(since / 1000)));
  let out = `#${'<PID>'.padEnd(14)} ${'<type>'.padEnd(15)} ${'<reloads>'.padEnd(15)} ${'<uptime>'.padEnd(15)} ${'<version>'.padEnd(15)}\n`;
  out += procLine(m.pid, 'master', `${m.reloads} [failed: ${m.failedReloads}]`, up(m.startedAt));
  out += '# workers\n';
  const workers = m.workers();
  for (const w of workers) if (w.current) out += procLine(w.pid, 'worker', String(w.reloads), up(w.startedAt));
  if (workers.some((w) => !w.current)) {
    out += '# old workers\n';
    for (const w of workers) if (!w.current) out += procLine(w.pid, 'worker', String(w.reloads), up(w.startedAt));
  }
  // Turnpike has no "program" sections; HAProxy prints the heading all the same.
  return out + '# programs\n';
}

/** The state of one master CLI connection. */
export interface MasterSession {
  level: Level;
  prompt: boolean;
  /** 0 for the master, else the pid of the worker commands go to. */
  target: number;
}

/** A line of the master's command table; those without `run` are handled by the connection itself. */
interface MasterEntry extends UsageEntry {
  readonly usage: string;
  run?(args: readonly string[], s: MasterSession, m: MasterView): string;
}

// In HAProxy's registration order (cli.c, then mworker.c): the fuzzy matching of unknown
// commands keeps the first of equally close ones.
const TABLE: readonly MasterEntry[] = [
  {
    words: ['show', 'cli', 'level'],
    usage: 'show cli level                          : display the level of the current CLI session',
    run: (_args, s) => `${LEVEL_NAMES[s.level]}\n`,
  },
  {
    // The master has no "stats socket": HAProxy prints nothing, not even the heading.
    words: ['show', 'cli', 'sockets'],
    usage: 'show cli sockets                        : dump list of cli sockets',
    run: () => '',
  },
  {
    words: ['show', 'version'],
    usage: 'show version                            : show version of the current process',
    run: () => `${VERSION}\n`,
  },
  { words: ['operator'], usage: 'operator                                : lower the level of the current CLI session to operator' },
  { words: ['user'], usage: 'user                                    : lower the level of the current CLI session to user' },
  { words: ['@<relative pid>'], usage: '@<relative pid>                         : send a command to the <relative pid> process' },
  { words: ['@!<pid>'], usage: '@!<pid>                                 : send a command to the <pid> process' },
  { words: ['@master'], usage: '@master                                 : send a command to the master process' },
  {
    words: ['show', 'proc'],
    usage: 'show proc                               : show processes status',
    run: (_args, _s, m) => showProc(m, Date.now()),
  },
  { words: ['reload'], usage: 'reload                                  : reload haproxy' },
];

/** The usage text for "help" and unknown commands on the master CLI. */
export function masterUsage(args: readonly string[]): string {
  return usageMessage(args, TABLE);
}

/** Runs a command of the master's table, "help" and unknown words included; returns its output (without the final empty line). */
export function runMasterCommand(args: readonly string[], s: MasterSession, m: MasterView): string {
  const cmd = TABLE.find((c) => c.run && c.words.every((w, i) => args[i] === w));
  return cmd?.run ? cmd.run(args, s, m) : masterUsage(args);
}

/**
 * Resolves an "@" prefix (pcli_prefix_to_pid()): 0 for the master ("@", "@master", "@0"), the
 * current worker for "@1", any running worker for "@!<pid>"; null when none matches.
 */
export function resolvePrefix(word: string, m: MasterView): number | null {
  const p = word.slice(1);
  if (p === '' || p === 'master') return 0;
  const workers = m.workers();
  if (p.startsWith('!')) {
    if (!/^\d+$/.test(p.slice(1))) return null;
    const pid = Number(p.slice(1));
    return workers.some((w) => w.pid === pid) ? pid : null;
  }
  if (!/^\d+$/.test(p)) return null;
  const n = Number(p);
  if (n === 0) return 0;
  // Only one worker runs at a time: "@1" is the current one.
  if (n !== 1) return null;
  return workers.find((w) => w.current)?.pid ?? null;
}

/** One connection to the master CLI. Unlike a worker's CLI, it reads commands until the client closes. */
class MasterConnection {
  private readonly sock: Socket;
  private readonly master: MasterView;
  private readonly session: MasterSession;
  private buf = '';
  private busy = false;
  private ended = false;
  private closed = false;

  constructor(sock: Socket, cfg: StatsSocketConfig, master: MasterView) {
    this.sock = sock;
    this.master = master;
    this.session = { level: LEVELS[cfg.level], prompt: false, target: 0 };
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      void this.pump();
    });
    sock.on('end', () => {
      this.ended = true;
      if (!this.busy) this.finish();
    });
    sock.on('error', () => this.finish());
    sock.on('close', () => { this.closed = true; });
  }

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    for (;;) {
      const next = nextCommand(this.buf);
      if (!next) break;
      // A payload ("<<" then lines up to an empty one) goes to the worker with its command.
      let line = next.line;
      let rest = next.rest;
      if (startsPayload(line)) {
        const p = nextPayload(rest);
        if ('lines' in p) break;
        line = `${line}\n${p.payload}\n`;
        rest = p.rest;
      }
      this.buf = rest;
      await this.run(line);
      if (this.closed) return;
    }
    this.busy = false;
    if (this.ended) this.finish();
  }

  private write(text: string): void {
    if (text && !this.closed) this.sock.write(text, 'latin1');
  }

  private prompt(): string {
    const t = this.session.target;
    if (t !== 0) return `${t}> `;
    return this.master.failedReloads > 0 ? 'master[ReloadFailed]> ' : 'master> ';
  }

  private async run(line: string): Promise<void> {
    const s = this.session;
    const args = splitArgs(line);
    const first = args[0] ?? '';
    if (first.startsWith('@')) {
      const pid = resolvePrefix(first, this.master);
      if (pid === null) {
        this.write(`Can't find the target PID matching the prefix '${first}'\n`);
        return this.finish();
      }
      if (args.length === 1) s.target = pid;
      else if (pid === 0) this.runOnMaster(args.slice(1));
      else await this.forward(pid, line.replace(/^[ \t]*\S+[ \t]*/, ''));
    } else {
      // The session's own words apply whatever the target (pcli_parse_request()).
      switch (first) {
        case 'prompt':
          s.prompt = !s.prompt;
          break;
        case 'quit':
          if (s.prompt) this.write(this.prompt());
          return this.finish();
        case 'user':
        case 'operator': {
          const level = first === 'user' ? Level.User : Level.Operator;
          // Raising the level is refused and ends the session.
          if (level > s.level) {
            this.write('Permission denied!\n');
            return this.finish();
          }
          s.level = level;
          break;
        }
        default:
          if (s.target === 0) this.runOnMaster(args);
          else await this.forward(s.target, line);
      }
    }
    if (s.prompt) this.write(this.prompt());
  }

  /** Runs a command on the master itself. */
  private runOnMaster(args: readonly string[]): void {
    if (args[0] === 'reload') {
      if (this.session.level < Level.Operator) {
        this.write('Permission denied\n\n');
        return;
      }
      this.master.reload();
      // HAProxy's master re-executes itself, which ends every master CLI connection.
      this.finish();
      return;
    }
    this.write(runMasterCommand(args, this.session, this.master) + '\n');
  }

  /** Sends one command to a worker's CLI and relays its answer until the worker closes. */
  private forward(pid: number, text: string): Promise<void> {
    const w = this.master.workers().find((x) => x.pid === pid);
    if (!w) return Promise.resolve();
    const level = this.session.level;
    const prefix = level === Level.User ? 'user -;' : level === Level.Operator ? 'operator -;' : '';
    return new Promise((resolve) => {
      const c = connect({ path: w.cliPath });
      c.setEncoding('latin1');
      c.on('data', (d: string) => this.write(d));
      c.on('error', () => {});
      c.on('close', () => resolve());
      c.end(`${prefix}${text}\n`, 'latin1');
    });
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.end();
    this.sock.destroySoon();
  }
}

/** The master CLI listeners. */
export class MasterCli {
  private readonly master: MasterView;
  private readonly servers: Server[] = [];

  constructor(master: MasterView) {
    this.master = master;
  }

  /** Binds every socket; returns the error texts of those that failed (the others stay bound). */
  async start(sockets: readonly StatsSocketConfig[]): Promise<string[]> {
    const errors: string[] = [];
    for (const cfg of sockets) {
      const r = await bindMasterCli(cfg, (sock) => new MasterConnection(sock, cfg, this.master));
      if (typeof r === 'string') errors.push(r);
      else this.servers.push(r);
    }
    return errors;
  }

  close(): void {
    for (const s of this.servers.splice(0)) s.close();
  }
}
