// An HTTP/2 client connection (HAProxy's session with the h2 mux): the connection phase (PROXY
// header, tcp-request connection/session rules, TLS) has run in http-stream.ts, which hands the
// socket over here once the client chose HTTP/2 (ALPN "h2", "proto h2", or the HTTP/2 preface).
// Each request stream is an H2Stream going through the common HTTP lifecycle; this object owns
// the framing connection, counts the streams, and ends the connection (GOAWAY) on soft stop,
// idle timeout, or when the client leaves.
import type { Conn } from '../protocols/tcp/conn.ts';
import type { Sample } from '../sample/types.ts';
import type { TlsInfo } from '../protocols/tls/info.ts';
import { H2Connection, type H2ConnectionOwner, type H2StreamHandler } from '../protocols/http2/connection.ts';
import { H2Code, type H2Error } from '../protocols/http2/errors.ts';
import type { StreamLog } from '../observe/log/loggable.ts';
import type { HttpStream, HttpStreamHost } from './http-stream.ts';
import type { Proxy } from './proxy.ts';
import type { Listener } from './listener.ts';
import type { TermCause, TermPhase } from './stream.ts';
import { H2Stream } from './h2-stream.ts';

/** What the HTTP/1 side hands over: its stream, as the connection phase left it. */
export type H2Handover = Pick<HttpStream,
  'host' | 'frontend' | 'listener' | 'client' | 'tls' | 'srcAddr' | 'srcPort' | 'dstAddr' | 'dstPort' | 'family' | 'rcvdProxy' | 'logs' | 'vars'>;

export class H2Session implements H2ConnectionOwner {
  readonly host: HttpStreamHost;
  readonly frontend: Proxy;
  readonly listener: Listener;
  readonly client: Conn;
  readonly tls: TlsInfo | null;
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly dstPort: number;
  readonly family: 'ipv4' | 'ipv6' | 'unix';
  readonly rcvdProxy: boolean;
  /** The connection's log record: its accept date (show sess) and TLS details. */
  readonly logs: StreamLog;
  readonly sessVars: Map<string, Sample>;
  readonly backend = null;
  readonly server = null;
  readonly conn: H2Connection;
  /** Streams started on the connection so far (the first one may not reuse others' server connections). */
  streamCount = 0;
  private readonly active = new Set<H2Stream>();
  private closed = false;
  private goawaySent = false;

  constructor(h: H2Handover) {
    this.host = h.host;
    this.frontend = h.frontend;
    this.listener = h.listener;
    this.client = h.client;
    this.tls = h.tls;
    this.srcAddr = h.srcAddr;
    this.srcPort = h.srcPort;
    this.dstAddr = h.dstAddr;
    this.dstPort = h.dstPort;
    this.family = h.family;
    this.rcvdProxy = h.rcvdProxy;
    this.logs = h.logs;
    this.sessVars = h.vars('sess');
    this.conn = new H2Connection(h.client, this, h.host.h2Settings, 'server');
  }

  /** Starts framing; `pending` holds the bytes the HTTP/1 side read already (the preface, maybe more). */
  start(pending: Buffer): void {
    this.client.on('timeout', this.onTimeout);
    this.client.setTimeout(this.frontend.cfg.timeouts.client ?? 0);
    this.conn.start(pending);
    this.client.resume();
  }

  // ---- H2ConnectionOwner -------------------------------------------------------------------

  onRequest(id: number, fields: string[], endStream: boolean): H2StreamHandler | null {
    if (this.host.stopping) this.stopGracefully();
    const s = new H2Stream(this, id);
    this.streamCount++;
    this.active.add(s);
    s.begin(fields, endStream);
    return s;
  }

  onMalformedRequest(id: number): void {
    this.streamCount++;
    new H2Stream(this, id).malformed();
  }

  onGoaway(): void {
    // The client opens no more streams: the connection ends itself after its last one.
    this.goawaySent = true;
  }

  onClose(_err: H2Error | null): void {
    for (const s of [...this.active]) s.onReset(H2Code.CANCEL, true);
    this.release();
  }

  // ---- streams and the connection's end ------------------------------------------------------

  streamEnded(s: H2Stream): void {
    if (!this.active.delete(s)) return;
    if (this.host.stopping) this.stopGracefully();
  }

  /** Soft stop: no new streams, the open ones finish, then the connection closes (H2Connection ends the socket). */
  private stopGracefully(): void {
    if (this.goawaySent) return;
    this.goawaySent = true;
    this.conn.goaway(H2Code.NO_ERROR);
  }

  /** Idle (timeout client) with no stream in progress: GOAWAY, then the connection closes. Streams have their own timeouts. */
  private onTimeout = (): void => {
    if (this.active.size === 0) this.stopGracefully();
  };

  /** Closes everything now (hard stop, "shutdown session"). */
  close(cause: TermCause, phase: TermPhase): void {
    for (const s of [...this.active]) s.close(cause, phase);
    this.conn.destroy();
    this.release();
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.host.streamEnded(this);
  }
}
