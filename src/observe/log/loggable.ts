// The contract between a stream (TCP stream, HTTP transaction) and the traffic logger: what
// every log-format variable reads. A stream owns one StreamLog per logged unit (the TCP
// connection, or each HTTP transaction), stamps its events there, and calls logStream(s)
// (./logger.ts) once when the unit ends, after releasing its server slot and backend count but
// before the frontend count drops: %ac %fc %bc %sc are read then from the SampleStream views
// (frontend.feConn, backend.beConn, server.curConns), as HAProxy reads them when logging.
import type { ProxyConfig } from '../../config/model.ts';
import type { SampleProxy, SampleServer, SampleStream } from '../../sample/types.ts';
import { processCounters, type ProxyCounters } from '../counters.ts';

/**
 * What HAProxy keeps in a stream's "logs" for the log line. Times are milliseconds since
 * acceptMono (the accept, or for a later request on a keep-alive connection, the end of the
 * previous transaction); -1 means the event never happened. The % timers derive from them
 * as HAProxy does (so callers only stamp events, never compute timers):
 *   %Th = tHandshake  %Ti = tIdle  %Tq = tRequest  %TR = tRequest - tIdle - tHandshake
 *   %Tw = tQueue - tRequest  %Tc = tConnect - tQueue  %Tr = tData - tConnect
 *   %Td = tClose - tData  %Tt = tClose  %Ta = tClose - (Th + Ti)  %Tu = tClose - Ti
 */
export class StreamLog {
  /** Wall clock (ms since the epoch) at accept: %t, %T, %ms, %Ts; %tr adds Th + Ti. */
  acceptDate: number;
  /** performance.now() at the same instant, for the offsets below. */
  acceptMono: number;
  /** Accept → end of the low-level handshakes (PROXY header, TLS); 0 when none, 0 after the first request. */
  tHandshake = 0;
  /** End of handshakes → first byte of the HTTP request; -1 when nothing arrived. TCP: 0 or -1. */
  tIdle = -1;
  /** Accept → end of request headers (HTTP) / connection request to the backend (TCP); -1 if never. */
  tRequest = -1;
  /** Accept → out of the queues, server assigned (connection attempt starts); -1 if never. */
  tQueue = -1;
  /** Accept → server connection established; -1 if never. */
  tConnect = -1;
  /** Accept → complete response headers (HTTP) / connection established (TCP); -1 if never. */
  tData = -1;
  /** Accept → end; logStream() stamps it when still -1. */
  tClose = -1;

  /** Bytes read from the client (HAProxy's req.total: request headers included, PROXY header excluded): %U. */
  bytesIn = 0;
  /** Bytes read from the server (res.total): %B. */
  bytesOut = 0;

  /** Termination state (HAProxy's sess_term_cond / sess_fin_state letters): who ended it, in which phase. */
  termCause = '-';
  termPhase = '-';
  /** HTTP persistence-cookie state letters (%tsc third and fourth chars) when the backend uses a cookie. */
  cookieClient = '-';
  cookieServer = '-';

  /** Connection retries (%rc); `redispatched` prints it with a leading '+'. */
  retries = 0;
  redispatched = false;
  /** Streams dequeued before this one while it waited on the server / backend queue (%sq, %bq). */
  srvQueuePos = 0;
  beQueuePos = 0;

  /** HTTP status sent to the client (%ST): 0 in TCP mode; an HTTP transaction starts at -1 (no response yet). */
  status = 0;
  /** The request line as received, before any rewrite (%r and %HM/%HU/%HP/%HPO/%HQ/%HV); null in TCP. */
  requestLine: string | null = null;
  /** capture cookie values (%CC, %CS). */
  capturedReqCookie: string | null = null;
  capturedResCookie: string | null = null;
  /** unique-id-format result (%ID). */
  uniqueId: string | null = null;
  /** Request counter (%rt): from nextRequestId(), one per TCP stream or HTTP transaction. */
  requestId: number;

  /** The server last assigned (%s, %sc): kept after its slot is released, until the log is sent. */
  server: SampleServer | null = null;
  /** %sc once the stream released its slot (which a queued stream may take at once): the server's count just after; -1 reads it live. */
  serverConns = -1;
  /** Server-side connection: the server's address (%si %sp) and our local end (%bi %bp), once connected. */
  srvAddr: string | null = null;
  srvPort = 0;
  connAddr: string | null = null;
  connPort = 0;

  /** For clients of a UNIX socket listener, its id (printed by %cp and %fp instead of a port). */
  listenerId = 0;

  /** Client side is TLS (%ft gets '~'); version and cipher for %sslv %sslc. */
  clientTls = false;
  tlsVersion: string | null = null;
  tlsCipher: string | null = null;

  /** http-request/tcp-request set-log-level: a syslog level (0..7), LOG_SILENT, or null for the default. */
  level: number | null = null;

  constructor(acceptDate = Date.now(), acceptMono = performance.now()) {
    this.acceptDate = acceptDate;
    this.acceptMono = acceptMono;
    this.requestId = processCounters.nextRequestId();
  }

  /** Milliseconds since acceptMono, for stamping t* fields. */
  elapsed(): number {
    return Math.floor(performance.now() - this.acceptMono);
  }
}

/** set-log-level silent: no log at all for this stream. */
export const LOG_SILENT = -1;

/** What a stream exposes to the logger. */
export interface Loggable extends SampleStream {
  /** The frontend: its configuration holds the log targets, format and log options; its counters the log count (%lc). */
  readonly frontend: SampleProxy & { readonly cfg: ProxyConfig; readonly counters: ProxyCounters };
  readonly logs: StreamLog;
}
