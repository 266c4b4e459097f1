// Agent checks ("agent-check", configuration.txt 5.2): every agent-inter, a TCP connection to
// the agent (agent-addr, agent-port), the agent-send string, then one line of words that
// change the server: a weight "<n>%", an administrative state (ready, drain, maint), an
// operational state (up; down, stopped, fail with an optional "#description") and
// "maxconn:<n>". The reply is read as HAProxy's tcpcheck_agent_expect_reply() does; applying
// it is the runtime's job (AgentEffects).
//
// The agent has its own one-step health (HAProxy's agent rise and fall are 1): only a reply
// saying down, stopped or fail (status L7STS) takes the server down, and only one saying up
// brings it back. Failing to reach the agent changes nothing: the regular health check tests
// connectivity.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CheckStatus } from './health.ts';
import type { CheckTarget } from './check.ts';

export interface AgentReply {
  /** The last health word (up, down, stopped, fail), as written. */
  readonly health: string | null;
  /** The last administrative word (ready, drain, maint), as written. */
  readonly admin: string | null;
  /** The last "<n>%" word. */
  readonly weight: string | null;
  /** The text after the last "maxconn:". */
  readonly maxconn: string | null;
  /** The first word that is none of these. */
  readonly error: string | null;
  /** The description after '#'. */
  readonly description: string;
}

/**
 * Parses the first line of an agent reply (up to '\r' or '\n'; a NUL byte ends the text):
 * words separated by spaces, tabs or commas, in any order, the last one of a category winning.
 */
export function parseAgentReply(line: string): AgentReply {
  let health: string | null = null;
  let admin: string | null = null;
  let weight: string | null = null;
  let maxconn: string | null = null;
  let error: string | null = null;
  let description = '';
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    if (c === '#') {
      i++;
      while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
      description = line.slice(i);
      break;
    }
    let j = i + 1;
    while (j < n && line[j] !== ' ' && line[j] !== '\t' && line[j] !== '\n' && line[j] !== ',') j++;
    const word = line.slice(i, j);
    const lw = word.toLowerCase();
    if (lw === 'up' || lw === 'down' || lw === 'stopped' || lw === 'fail') health = word;
    else if (lw === 'ready' || lw === 'drain' || lw === 'maint') admin = word;
    else if (c >= '0' && c <= '9' && word.includes('%')) weight = word;
    else if (lw.startsWith('maxconn:')) maxconn = word.slice(8);
    else error ??= word;
    i = j + 1;
  }
  description = description.replace(/^[ \n]+/, '');
  return { health, admin, weight, maxconn, error, description };
}

/** What an agent reply asks; the runtime applies it (AgentCheck calls it in this order). */
export interface AgentEffects {
  /** An administrative state; the words are lower-cased. */
  admin(state: 'ready' | 'drain' | 'maint'): void;
  /** "<n>%": returns HAProxy's warning when the weight cannot be applied, else null. */
  weight(text: string): string | null;
  /** "maxconn:<n>": the new maxconn. */
  maxconn(n: number): void;
  /**
   * The operational state the agent reports: up (status L7OK) or down (L7STS), with the info
   * HAProxy prints ("via agent : down (reason)") and the check duration.
   */
  health(up: boolean, status: CheckStatus, info: string, durationMs: number): void;
}

/** server_parse_maxconn_change_request(): the value, or HAProxy's warning. */
export function parseAgentMaxconn(text: string): number | string {
  if (text === '') return 'Require <maxconn>.\n';
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m) return 'maxconn string empty or preceded by garbage';
  if (m[0].length !== text.length) return 'Trailing garbage in maxconn string';
  return Number(m[1]);
}

/**
 * Applies a reply line: admin state, weight, maxconn, then health, as HAProxy does. Returns
 * the check status and info that a health report would carry (for stats and logs): null when
 * the reply changes no health ("No status change").
 */
export function applyAgentReply(line: string, fx: AgentEffects, durationMs: number): { status: CheckStatus; info: string } | null {
  const r = parseAgentReply(line);
  let warning: string | null = null;
  if (r.admin !== null) fx.admin(r.admin.toLowerCase() as 'ready' | 'drain' | 'maint');
  if (r.weight !== null) warning = fx.weight(r.weight);
  if (r.maxconn !== null) {
    const m = parseAgentMaxconn(r.maxconn);
    if (typeof m === 'string') warning ||= m;
    else fx.maxconn(m);
  }
  if (r.health !== null) {
    const up = r.health.toLowerCase() === 'up';
    // Down reports keep their own description; "up" or none leave room for the error, then the warning.
    let msg = r.description;
    if (msg === '' || up) msg = r.error || warning || msg;
    const info = `via agent : ${r.health}${msg ? ` (${msg})` : ''}`;
    const status: CheckStatus = up ? 'L7OK' : 'L7STS';
    fx.health(up, status, info, durationMs);
    return { status, info };
  }
  return null;
}

export interface AgentCheckOptions {
  /** The agent's address: agent-addr, else the server's; the port is agent-port. */
  readonly target: () => CheckTarget;
  readonly inter: number;
  /** The backend's "timeout connect" and "timeout check" (null when unset). */
  readonly timeoutConnect: number | null;
  readonly timeoutCheck: number | null;
  readonly send: string | null;
  readonly source: { readonly host: string; readonly port: number } | null;
  readonly bufsize: number;
  readonly effects: AgentEffects;
}

/** One server's agent check. start() schedules it, stop() releases its timer and socket. */
export class AgentCheck {
  private readonly opts: AgentCheckOptions;
  private timer: NodeJS.Timeout | null = null;
  private socket: net.Socket | null = null;
  private started = false;

  constructor(opts: AgentCheckOptions) {
    this.opts = opts;
  }

  get inter(): number {
    return Math.max(1, this.opts.inter);
  }

  start(delayMs = 0): void {
    if (this.started) return;
    this.started = true;
    this.schedule(delayMs);
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closeSocket();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), Math.max(0, ms));
  }

  private run(): void {
    this.timer = null;
    if (!this.started) return;
    const o = this.opts;
    const startedAt = performance.now();
    let done = false;
    let data = '';
    let expire: NodeJS.Timeout | null = null;
    // Without a reply line (connection failure, timeout, incomplete line) nothing changes.
    const finish = (line: string | null): void => {
      if (done) return;
      done = true;
      if (expire) clearTimeout(expire);
      this.closeSocket();
      if (line !== null) applyAgentReply(line, o.effects, Math.floor(performance.now() - startedAt));
      if (this.started) this.schedule(this.inter);
    };
    const setExpire = (ms: number): void => {
      if (expire) clearTimeout(expire);
      expire = setTimeout(() => finish(null), Math.max(1, ms));
    };
    // Connect within inter, or min(inter, timeout connect) with "timeout check"; then the rest.
    setExpire(o.timeoutCheck && o.timeoutConnect ? Math.min(this.inter, o.timeoutConnect) : this.inter);
    const t = o.target();
    let opts: net.NetConnectOpts = 'path' in t ? { path: t.path } : { host: t.host, port: t.port };
    if ('host' in opts && o.source) opts = { ...opts, localAddress: o.source.host, ...(o.source.port ? { localPort: o.source.port } : {}) };
    let sock: net.Socket;
    try {
      sock = net.connect(opts);
    } catch {
      finish(null);
      return;
    }
    this.socket = sock;
    sock.on('connect', () => {
      if (o.timeoutCheck) setExpire(o.timeoutCheck);
      if (o.send !== null) sock.write(Buffer.from(o.send, 'latin1'));
    });
    sock.on('data', (d: Buffer) => {
      if (data.length < o.bufsize) data += d.toString('latin1', 0, Math.min(d.length, o.bufsize - data.length));
      // The line ends at the first CR or LF; a NUL byte ends the text before it.
      const nul = data.indexOf('\0');
      const text = nul >= 0 ? data.slice(0, nul) : data;
      const eol = text.search(/[\r\n]/);
      if (eol >= 0) finish(text.slice(0, eol));
      else if (nul >= 0 || data.length >= o.bufsize) finish(null);
    });
    sock.on('end', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('error', () => finish(null));
  }

  private closeSocket(): void {
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    s.removeAllListeners();
    s.on('error', () => {});
    s.destroy();
  }
}
