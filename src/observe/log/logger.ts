// Sending log lines. Never blocks the event loop: UDP datagrams go out through one shared
// dgram socket per family (fire and forget), file descriptors (stdout/stderr) through their
// stream; each destination has a bound on what is in flight, past which lines are dropped and
// counted (processCounters.droppedLogs, HAProxy's DroppedLogs).
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { createWriteStream } from 'node:fs';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import type { Writable } from 'node:stream';
import { processCounters } from '../counters.ts';
import { renderLogFormat } from '../../sample/logformat.ts';
import { buildHeader, frame, type LogMeta } from './syslog.ts';
import { Level, type LogTarget } from './targets.ts';
import { LOG_SILENT, type Loggable } from './loggable.ts';
import { logDate } from './dates.ts';

/** Datagrams handed to the kernel but not yet confirmed, per destination. */
const MAX_PENDING_DGRAMS = 1024;
/** Bytes waiting in a file descriptor's stream. */
const MAX_PENDING_BYTES = 1 << 20;

const PID = String(process.pid);

interface Sink {
  send(line: string): void;
}

const sockets: { v4: DgramSocket | null; v6: DgramSocket | null } = { v4: null, v6: null };
let reportedError = false;

function dgramSocket(family: 4 | 6): DgramSocket {
  const key = family === 4 ? 'v4' : 'v6';
  let s = sockets[key];
  if (!s) {
    s = createSocket(family === 4 ? 'udp4' : 'udp6');
    // A log socket must never keep the process alive nor crash it.
    s.unref();
    s.on('error', noteError);
    sockets[key] = s;
  }
  return s;
}

function noteError(e: Error): void {
  processCounters.droppedLogs++;
  if (reportedError) return;
  reportedError = true;
  process.stderr.write(`[ALERT]    (${PID}) : sendmsg() failed in logger: ${e.message}\n`);
}

class UdpSink implements Sink {
  private readonly host: string;
  private readonly port: number;
  private addr: string | null;
  private family: 4 | 6 = 4;
  private pending = 0;
  /** Lines waiting for the name to resolve (bounded like the in-flight ones). */
  private early: string[] | null = null;
  private readonly sent = (err: Error | null): void => {
    this.pending--;
    if (err) noteError(err);
  };

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    const fam = isIP(host);
    this.addr = fam ? host : null;
    if (fam === 6) this.family = 6;
  }

  send(line: string): void {
    if (this.addr === null) return this.resolveThenSend(line);
    if (this.pending >= MAX_PENDING_DGRAMS) {
      processCounters.droppedLogs++;
      return;
    }
    this.pending++;
    dgramSocket(this.family).send(Buffer.from(line, 'latin1'), this.port, this.addr, this.sent);
  }

  private resolveThenSend(line: string): void {
    if (this.early) {
      if (this.early.length >= MAX_PENDING_DGRAMS) processCounters.droppedLogs++;
      else this.early.push(line);
      return;
    }
    this.early = [line];
    lookup(this.host, (err, address, family) => {
      const waiting = this.early ?? [];
      this.early = null;
      if (err) {
        processCounters.droppedLogs += waiting.length;
        noteError(err);
        return;
      }
      this.addr = address;
      this.family = family === 6 ? 6 : 4;
      for (const l of waiting) this.send(l);
    });
  }
}

class FdSink implements Sink {
  private readonly out: Writable;

  constructor(fd: number) {
    this.out = fd === 1 ? process.stdout : fd === 2 ? process.stderr : createWriteStream('', { fd, autoClose: false });
    this.out.on('error', noteError);
  }

  send(line: string): void {
    if (this.out.writableLength > MAX_PENDING_BYTES) {
      processCounters.droppedLogs++;
      return;
    }
    this.out.write(line, 'latin1');
  }
}

const sinks = new Map<string, Sink>();

function sinkFor(t: LogTarget): Sink {
  const key = t.destination;
  let s = sinks.get(key);
  if (!s) {
    s = t.addr.kind === 'fd' ? new FdSink(t.addr.fd) : new UdpSink(t.addr.host, t.addr.port);
    sinks.set(key, s);
  }
  return s;
}

/** What sendLog needs: a proxy's settings, or the global ones. */
export interface LogDestinations {
  readonly targets: readonly LogTarget[];
  readonly effectiveTag: string;
  readonly hostname: string | null;
}

/**
 * Sends `message` at `level` to every target that accepts the level (HAProxy's __send_log):
 * raised to the target's minimum level, thinned by its sampling, framed for its format.
 */
export function sendLog(dst: LogDestinations, level: number, message: string, sd = ''): void {
  const targets = dst.targets;
  if (targets.length === 0) return;
  const meta: LogMeta = { tag: dst.effectiveTag, pid: PID, host: dst.hostname, sd };
  const now = Date.now();
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (level > t.level) continue;
    if (t.sampling && !t.sampling.take()) continue;
    const header = buildHeader(t.format, t.facility, Math.max(level, t.minLevel), meta, now);
    sinkFor(t).send(frame(header, message, t.maxlen));
  }
}

/** Cuts a built line as HAProxy's buffer of max_syslog_len bytes does (room for the final NUL). */
function cut(line: string, max: number): string {
  return line.length >= max ? line.slice(0, max - 1) : line;
}

/** HAProxy's error test for dontlog-normal / log-separate-errors (strm_log). */
function isError(s: Loggable): boolean {
  const L = s.logs;
  return L.redispatched || (L.termCause !== '-' && L.termCause !== 'L') || (L.termCause === '-' && L.retries > 0)
    || (s.frontend.mode === 'http' && s.txn !== null && L.status >= 500);
}

/**
 * Logs a finished stream (TCP connection or HTTP transaction) with its frontend's format.
 * Call once, at the end, after the server slot and backend count are released and before the
 * frontend and process counts drop (so %ac/%fc include it and %bc/%sc do not, as in HAProxy).
 */
export function logStream(s: Loggable): void {
  const l = s.frontend.cfg.log;
  if (l.targets.length === 0 || l.compiled === null) return;
  const L = s.logs;
  if (L.level === LOG_SILENT) return;
  if (L.tClose < 0) L.tClose = L.elapsed();
  if (L.bytesIn === 0 && s.frontend.cfg.option('dontlognull')) return;
  const err = isError(s);
  if (!err && s.frontend.cfg.option('dontlog-normal')) return;
  let level: number = L.level ?? Level.Info;
  if (L.level === null && err && s.frontend.cfg.option('log-separate-errors')) level = Level.Err;
  const sd = l.compiledSd ? cut(renderLogFormat(l.compiledSd, s), l.maxLen).replace(/ +$/, '') : '';
  const line = cut(renderLogFormat(l.compiled, s), l.maxLen);
  if (line.length === 0) return;
  s.frontend.counters.logCount++;
  sendLog(l, level, line, sd);
}

/**
 * The default log (no log-format nor option tcplog/httplog): one line when a connection is
 * accepted, after the tcp-request connection and session rules (HAProxy's frontend_accept()).
 */
export function logConnect(s: Loggable): void {
  const l = s.frontend.cfg.log;
  if (l.targets.length === 0 || l.format !== null) return;
  const mode = s.frontend.mode === 'http' ? 'HTTP' : 'TCP';
  const text = s.family === 'unix'
    ? `Connect to unix:${s.logs.listenerId} (${s.frontend.name}/${mode})`
    : `Connect from ${s.srcAddr}:${s.srcPort} to ${s.dstAddr}:${s.dstPort} (${s.frontend.name}/${mode})`;
  sendLog(l, Level.Info, text);
}

/** Texts of HAProxy's connection errors while waiting for a PROXY protocol header (conn_err_code_str). */
export const ProxyHeaderError = {
  Closed: 'Connection closed while waiting for PROXY protocol header',
  Aborted: 'Connection error while waiting for PROXY protocol header',
  Timeout: 'Timeout while waiting for PROXY protocol header',
  Truncated: 'Truncated PROXY protocol header received',
  NotHeader: 'Received something which does not look like a PROXY protocol header',
  Invalid: 'Received an invalid PROXY protocol header',
  BadProto: 'Received an unhandled protocol in the PROXY protocol header',
} as const;

/**
 * A connection that failed before becoming a stream (e.g. a bad PROXY header): HAProxy's
 * embryonic session log, "<ci>:<cp> [<accept date>] <frontend>/<listener id>: <error>". With
 * dontlognull, connections closed without sending anything are not logged.
 */
export function logSessionError(s: Loggable, error: string): void {
  const fe = s.frontend.cfg;
  const l = fe.log;
  if (l.targets.length === 0) return;
  if (fe.option('dontlognull') && (error === ProxyHeaderError.Closed || error === ProxyHeaderError.Aborted)) return;
  const L = s.logs;
  const src = s.family === 'unix' ? `unix:${L.listenerId}` : `${s.srcAddr}:${s.srcPort}`;
  const level = fe.option('log-separate-errors') ? Level.Err : Level.Info;
  sendLog(l, level, `${src} [${logDate(L.acceptDate)}] ${s.frontend.name}/${L.listenerId}: ${error}`);
}

/**
 * HAProxy's text for a PROXY header rejected by the parser (src/protocols/proxy-protocol.ts
 * reasons), `received` bytes in: HAProxy needs 16 bytes before it can tell a v2 header from
 * garbage, so less than that is reported as truncated.
 */
export function proxyHeaderErrorText(reason: string, received: number): string {
  if (reason.startsWith('not a PROXY protocol header')) return received < 16 ? ProxyHeaderError.Truncated : ProxyHeaderError.NotHeader;
  if (reason.includes('unsupported protocol')) return ProxyHeaderError.BadProto;
  return ProxyHeaderError.Invalid;
}
