// One client connection in HTTP mode, with its transactions one after the other (keep-alive,
// pipelining). The request lifecycle reads top to bottom, one method per phase:
//   tcpRequestConnection → [PROXY header] → tcpRequestSession
//   → for each request: waitRequest (parse head) → frontendRules → chooseBackend → backendRules
//     → assignServer (persistence, balance, queue) → connectServer (reuse, retries, redispatch)
//     → sendRequest (forwarding headers, body streaming) → onResponseHead (1xx, response rules)
//     → response body streaming → endTransaction (log, pool the server connection, next request)
// Socket handlers are created once per connection and never per request.
import type { Conn } from '../protocols/tcp/conn.ts';
import type { ProxyConfig } from '../config/model.ts';
import type { Sample, SampleHttpTxn, SampleStream, SampleWorld, VarScope } from '../sample/types.ts';
import { procVars } from '../sample/vars.ts';
import { renderLogFormat } from '../sample/logformat.ts';
import { parseProxyHeader } from '../protocols/proxy-protocol.ts';
import { BodyKind, type HttpRequest, type HttpResponse, type HttpHeaders } from '../protocols/http1/message.ts';
import { parseRequestHead, parseResponseHead, H1Conn, type H1Options } from '../protocols/http1/parser.ts';
import { ChunkedDecoder, chunkHeader, LAST_CHUNK, lastChunkWithTrailers, type ChunkedSink } from '../protocols/http1/chunked.ts';
import { serializeRequestHead, serializeResponseHead, type CaseAdjust } from '../protocols/http1/serialize.ts';
import { ServerConn, type ServerConnOwner } from '../protocols/http1/server-conn.ts';
import { ConnPool } from '../protocols/http1/conn-pool.ts';
import { writeReleasing } from '../protocols/tcp/handle-socket.ts';
import { parseIPv4, parseIPv6, v4tov6 } from '../sample/ip.ts';
import { processCounters } from '../observe/counters.ts';
import type { BackendWaiter } from './backend.ts';
import { RETRY_AFTER_SEND, RetryOn, retryStatusBit } from './http-keywords.ts';
import { PersistState, applyPersistRules, persistServer, applyResponseCookie, cookieLogChars } from './persistence.ts';
import type { Server, ServerStream } from './server.ts';
import type { Proxy } from './proxy.ts';
import type { Listener } from './listener.ts';
import { afterConnectFailure, applyProxyHeader, evalConnectionRules, ClientAddresses, type ClientEnds, lazyClientEnds, logServerEnds, logsTraffic, socketEnds, watchClientEnds, listenerLogId, redispatchOnRetry } from './session.ts';
import type { StreamHost, TermCause, TermPhase } from './stream.ts';
import { runHttpRules, runRequestRules, runAfterResponseRules } from '../actions/http-rules.ts';
import { captureHeaders } from '../actions/http/capture.ts';
import type { StatsConfig } from '../config/model.ts';
import { Verdict, type HttpReply, type HttpRuleTarget, type MutableHttpTxn, type RuleTermCause, type RuleTermPhase } from '../actions/http-rule-target.ts';
import { streamErrorReply } from '../protocols/http1/errors.ts';
import { builtinPage, pageReply } from '../protocols/http1/error-pages.ts';
import { StreamLog, LOG_SILENT, type Loggable } from '../observe/log/loggable.ts';
import { logStream, logConnect, logSessionError, proxyHeaderErrorText, ProxyHeaderError } from '../observe/log/logger.ts';
import { logTlsClient, tlsInfoOf, type TlsInfo } from '../protocols/tls/info.ts';
import { tlsServerName } from '../protocols/tls/connect.ts';
import { balanceKey } from '../lb/http-keys.ts';
import { isStatsRequest } from '../observe/stats/page.ts';
import type { ServiceName, ServiceTarget } from '../actions/http/service.ts';
import { uniqueIdOf } from '../observe/log/unique-id.ts';
import { debugTrace, fdOf, traceAccept, traceClose, traceId, traceRequest, traceResponse } from '../observe/debug-trace.ts';
import type { H2Handover, H2Session } from './h2-session.ts';
import type { H2Settings } from '../protocols/http2/settings.ts';
import { AlpnPickedHttp1, alpnChooses, negotiatedH2, upstreamPool, speaksH2, type UpstreamOwner, type UpstreamStream } from './h2-upstream.ts';
import { webSocketAcceptValid } from '../protocols/http2/websocket-key.ts';
import { DeadlineTimer } from './deadline-timer.ts';

export interface HttpStreamHost extends Omit<StreamHost, 'streamEnded'> {
  /** Soft stop in progress: keep-alive connections close after their current response. */
  readonly stopping: boolean;
  streamEnded(s: HttpStream | H2Session): void;
  /** HTTP/2 connection settings (tune.h2.*, tune.bufsize). */
  readonly h2Settings: H2Settings;
  /** The client chose HTTP/2: its connection continues as an H2Session (h2-session.ts). */
  startH2(from: H2Handover, pending: Buffer): void;
  /** h1-case-adjust names, null when none are configured. */
  readonly caseAdjust: CaseAdjust | null;
  /** The stats page (stats uri) for `px`'s stats settings. */
  statsReply(px: Proxy, stats: StatsConfig, req: HttpRequest, body: Buffer | null, s: SampleStream): HttpReply;
  /** The response of an http-request use-service service to `req`. */
  serviceReply(name: ServiceName, req: HttpRequest): HttpReply;
}

/** What the streams of one client connection share (H2Session). */
export type ClientSession = Pick<HttpStream, 'srcAddr' | 'srcPort' | 'dstAddr' | 'dstPort' | 'family' | 'rcvdProxy' | 'tls' | 'logs'>;

export const Phase = {
  Handshake: 0, WaitHead: 1, Rules: 2, Queued: 3, Connecting: 4, Exchange: 5, Tunnel: 6, Tarpit: 7, Closing: 8, Closed: 9,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const CRLF = Buffer.from('\r\n');
const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** Up to this many gathered bytes are copied into one buffer; more go out with writev. */
const GATHER_COPY_MAX = 8192;
/** A yieldUntil in the past: a waiting wait-for-body rule sees its time is up. */
const EXPIRED = 1;

export class HttpStream implements HttpRuleTarget, ServiceTarget, Loggable, BackendWaiter, ServerStream, ServerConnOwner, UpstreamOwner {
  readonly world: SampleWorld;
  readonly host: HttpStreamHost;
  readonly frontend: Proxy;
  readonly listener: Listener;
  readonly client: Conn;
  readonly feConfig: ProxyConfig;
  /** The client connection's TLS layer ("bind ... ssl"), and the transaction's server connection's. */
  readonly tls: TlsInfo | null;
  srvTls: TlsInfo | null = null;
  /** The client socket until its addresses are read, and the addresses (ClientEnds' accessors: lazyClientEnds below the class). */
  endsSock: Conn | null = null;
  readonly ends = new ClientAddresses();
  rcvdProxy = false;
  gone = false;
  termCause: TermCause = '-';
  termPhase: TermPhase = '-';
  protected phase: Phase = Phase.Handshake;
  private sessVars: Map<string, Sample> | null = null;
  private readonly opts: H1Options;
  /** Header-name case for a bogus client (option h1-case-adjust-bogus-client). */
  private readonly clientAdjust: CaseAdjust | null;

  // ---- client input ----
  /** Client bytes received and not consumed yet (request head, body, pipelined requests). */
  protected inBuf: Buffer = EMPTY;
  protected clientEnded = false;
  /** A log line was emitted on this connection (an idle close after it is not logged). */
  private loggedOnce = false;
  /** The reply to an unparsable or incomplete request is not counted in the log's bytes (HAProxy). */
  private noRequestBytes = false;
  /** The client got no reply at all (an HTTP/2 stream reset as malformed): the log keeps status 0. */
  protected noReply = false;
  /** Request bytes already searched for the end of the head (a head arriving in pieces is scanned once). */
  private scanned = 0;
  private readonly timer = new DeadlineTimer<HttpStream>(this, fireTimer, true);
  /** What the timer runs: a method of the stream, called on it (no closure per stream). */
  private timerFn: ((this: HttpStream) => void) | null = null;
  /** Requests started on this connection (the first one may not reuse others' connections). */
  requestCount = 0;
  /** -d: the transaction's number in the debug output (-1 when none yet). */
  protected traceNo = -1;

  // ---- current transaction (SampleHttpTxn) ----
  req: HttpRequest | null = null;
  res: HttpResponse | null = null;
  reqBody: Buffer | null = null;
  reqBodyFinal = false;
  resBody: Buffer | null = null;
  resBodyFinal = false;
  reqLine: string | null = null;
  get firstReq(): boolean {
    return this.requestCount === 1;
  }
  /** Log record of the current transaction (or of the connection before any request). */
  logs: StreamLog;
  yieldUntil = 0;
  yieldRule = 0;
  /** Rule list and proxy a yielding wait-for-body resumes. */
  private yieldProxy: Proxy | null = null;
  /** The stats page waits for its admin form: the wait resumes at the stats page, not in the rules. */
  private statsWait = false;
  private bufferReqBody = false;
  /** The rules wait (Verdict.Yield) for the request body because of option http-buffer-request. */
  private bufferRequestWait = false;
  /** http-response wait-for-body: the response rules of this proxy wait for the body, resumed at yieldRule. */
  private resYieldProxy: Proxy | null = null;
  /** The response's Connection header flags (H1Conn), kept while its rules wait for the body. */
  private resConn = 0;
  /** The server closed its side (the response body may have ended with it). */
  private serverEnded = false;
  reqCaptures: (string | null)[] = [];
  resCaptures: (string | null)[] = [];
  private txnVars: Map<string, Sample> | null = null;
  private reqVars: Map<string, Sample> | null = null;
  private resVars: Map<string, Sample> | null = null;
  backend: Proxy | null = null;
  server: Server | null = null;
  retriesDone = 0;
  /** The request changed protocol once on a server's ALPN choice; a second change is a failed connection. */
  private alpnSwitched = false;
  /** The first byte of the current request arrived. */
  protected reqStarted = false;
  protected reqKind: BodyKind = BodyKind.None;
  protected reqRemaining = 0;
  private reqDone = true;
  /** Chunked decoders, created the first time the connection carries a chunked message. */
  private reqChunked: ChunkedDecoder | null = null;
  private keepClient = true;
  /** The request asked for a protocol upgrade (Connection: upgrade): only then is a 101 valid. */
  private upgradeRequested = false;
  /** The current message's trailers went out with its last chunk. */
  protected trailersSent = false;

  /**
   * The request as sent (head and body), kept while it fits tune.bufsize when retry-on may replay
   * it after a failed response; null when it cannot be replayed.
   */
  private replay: Buffer[] | null = null;
  private replayLen = 0;
  /** Forwarding headers were added to the request (once, even when it is sent again). */
  private headersPrepared = false;
  /** Cookie persistence state of the transaction (backends with "cookie" or persist rules). */
  private persist: PersistState | null = null;

  // ---- server side ----
  conn: ServerConn | null = null;
  /** The request's stream when the server speaks HTTP/2 (h2-upstream.ts); then `conn` is null. */
  private up: UpstreamStream | null = null;
  private connReused = false;
  private srvBuf: Buffer = EMPTY;
  protected resKind: BodyKind = BodyKind.None;
  protected resRemaining = 0;
  private resDone = true;
  private resHeadSent = false;
  /** The response is re-chunked towards the client (close-delimited body, HTTP/1.1 client). */
  private resChunkOut = false;
  private resChunked: ChunkedDecoder | null = null;
  private keepServer = true;
  /** Response bytes received on this request (an empty reply on a reused connection is retried). */
  private resBytes = 0;
  private clientWaitsDrain = false;
  /** corkClient() depth, and what was written meanwhile (see corkClient). */
  private gathering = 0;
  /** The gathered part whose read buffer goes back once written (writeClient's giveBack), if any. */
  private gatheredGiveBack: Buffer | null = null;
  private readonly gathered: Buffer[] = [];
  private gatheredLen = 0;
  private serverWaitsDrain = false;

  /** `session`: the HTTP/2 connection of a stream, whose addresses and TLS layer it shares. */
  constructor(host: HttpStreamHost, frontend: Proxy, listener: Listener, client: Conn, session: ClientSession | null = null) {
    this.host = host;
    this.world = host;
    this.frontend = frontend;
    this.listener = listener;
    this.client = client;
    this.feConfig = frontend.cfg;
    this.logs = new StreamLog();
    if (session) {
      const e = this.ends;
      e.srcAddr = session.srcAddr;
      e.srcPort = session.srcPort;
      e.dstAddr = session.dstAddr;
      e.dstPort = session.dstPort;
      e.family = session.family;
      this.rcvdProxy = session.rcvdProxy;
      this.logs.listenerId = session.logs.listenerId;
      this.tls = session.tls;
    } else {
      watchClientEnds(this, client, frontend);
      this.logs.listenerId = listenerLogId(listener);
      this.tls = tlsInfoOf(client);
    }
    if (this.tls) logTlsClient(this.logs, this.tls, true);
    this.clientAdjust = frontend.cfg.option('h1-case-adjust-bogus-client') ? host.caseAdjust : null;
    this.opts = (frontend.h1RequestOptions ??= { maxHead: headLimit(host.bufsize), acceptInvalid: frontend.cfg.option('accept-invalid-http-request') });
  }

  /**
   * The stream is its own transaction view (no object per request). Rules only run while a
   * request exists; fetches see null between requests.
   */
  get txn(): MutableHttpTxn {
    return (this.req ? this : null) as unknown as MutableHttpTxn;
  }

  /** Request bytes for tcp-request content inspection (before HTTP parsing). */
  get reqData(): Buffer | null {
    return this.inBuf.length > 0 ? this.inBuf : null;
  }

  get reqDataFinal(): boolean {
    return true;
  }

  uniqueId(): string | null {
    return uniqueIdOf(this);
  }

  vars(scope: VarScope): Map<string, Sample> {
    if (scope === 'proc') return procVars;
    if (scope === 'sess') return (this.sessVars ??= new Map());
    if (scope === 'req') return (this.reqVars ??= new Map());
    if (scope === 'res') return (this.resVars ??= new Map());
    return (this.txnVars ??= new Map());
  }

  // ---- connection phases: tcp-request connection, PROXY header, tcp-request session ----------

  start(): void {
    const fe = this.frontend.cfg;
    const client = this.client;
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
    client.on('end', this.onClientEnd);
    client.on('data', this.onClientData);
    client.on('timeout', this.onClientTimeout);
    client.on('drain', this.onClientDrain);
    if (fe.option('tcpka') || fe.option('clitcpka')) client.setKeepAlive(true);
    client.setTimeout(fe.timeouts.client ?? 0);
    if (debugTrace.on) {
      this.traceNo = traceId();
      traceAccept(this.traceNo, this.frontend.name, this.listener.fd, fdOf(client), this.srcAddr, this.srcPort, this.tls?.alpn ?? null);
    }
    const verdict = evalConnectionRules(fe.tcpRequestConnection, this);
    if (verdict === 'reject') {
      this.frontend.counters.deniedConn++;
      this.logs.level = LOG_SILENT; // no stream, no log (HAProxy)
      return this.close('P', 'R');
    }
    if (this.listener.bind.acceptProxy || verdict === 'expect-proxy') {
      // The PROXY header comes first: read it (processInput's handshake phase).
      this.client.resume();
      return;
    }
    this.tcpRequestSession();
  }

  /** PROXY header (accept-proxy / expect-proxy): read before anything else. */
  private readProxyHeader(): boolean {
    const r = parseProxyHeader(this.inBuf);
    if (r.kind === 'incomplete' && !this.clientEnded) return false;
    if (r.kind !== 'ok') {
      this.frontend.counters.reqErrors++;
      logSessionError(this, r.kind === 'error' ? proxyHeaderErrorText(r.reason, this.inBuf.length) : ProxyHeaderError.Truncated);
      this.logs.level = LOG_SILENT;
      this.close('P', 'R');
      return false;
    }
    applyProxyHeader(this, r.header);
    this.rcvdProxy = true;
    this.logs.bytesIn -= r.consumed;
    this.logs.tHandshake = this.logs.elapsed();
    this.inBuf = this.inBuf.subarray(r.consumed);
    this.tcpRequestSession();
    return this.phase === Phase.WaitHead;
  }

  private tcpRequestSession(): void {
    if (evalConnectionRules(this.frontend.cfg.tcpRequestSession, this) === 'reject') {
      this.frontend.counters.deniedSess++;
      this.logs.level = LOG_SILENT;
      return this.close('P', 'R');
    }
    logConnect(this);
    this.waitRequest();
  }

  // ---- phase 1: wait for and parse a request head ---------------------------------------------

  private waitRequest(): void {
    if (this.requestCount === 0 && this.speaksH2()) return this.handOverToH2();
    this.phase = Phase.WaitHead;
    const t = this.frontend.cfg.timeouts;
    // The first request has "timeout http-request"; an idle keep-alive connection "timeout http-keep-alive".
    const wait = this.requestCount === 0 || this.inBuf.length > 0
      ? t.httpRequest ?? t.client
      : t.httpKeepAlive ?? t.httpRequest ?? t.client;
    this.setTimer(wait ?? 0, this.onRequestTimeout);
    this.client.resume();
    // Pipelined requests are taken from a fresh stack: answering them one inside the other could
    // nest as deep as the buffer holds requests.
    if (this.inBuf.length > 0) queueMicrotask(this.onPipelined);
  }

  private onPipelined = (): void => {
    if (this.phase === Phase.WaitHead && this.inBuf.length > 0) this.processInput();
  };

  private onClientData = (chunk: Buffer): void => {
    this.logs.bytesIn += chunk.length;
    this.listener.counters.bytesIn += chunk.length;
    if (this.phase === Phase.Tunnel) return this.writeServer(chunk);
    if (this.phase === Phase.Closed || this.phase === Phase.Closing) return;
    this.inBuf = this.inBuf.length === 0 ? chunk : Buffer.concat([this.inBuf, chunk]);
    this.processInput();
  };

  /** Consumes buffered client bytes as far as the current phase allows. */
  private processInput(): void {
    if (this.phase === Phase.Handshake) {
      if (!this.readProxyHeader()) return;
    }
    if (this.phase === Phase.WaitHead) {
      if (!this.reqStarted) {
        this.reqStarted = true;
        this.logs.tIdle = this.logs.elapsed() - this.logs.tHandshake;
        // First byte of a keep-alive request: the http-request timeout now applies.
        if (this.requestCount > 0) {
          const t = this.frontend.cfg.timeouts;
          this.setTimer(t.httpRequest ?? t.client ?? 0, this.onRequestTimeout);
        }
      }
      if (this.requestCount === 0 && this.scanned === 0 && this.listener.bind.proto !== 'h1') {
        // The HTTP/2 preface on a connection that did not negotiate a protocol: prior knowledge.
        const p = matchH2Preface(this.inBuf);
        if (p === 0) return;
        if (p > 0) return this.handOverToH2();
      }
      const r = parseRequestHead(this.inBuf, this.opts, this.scanned);
      if (r === null) {
        this.scanned = this.inBuf.length;
        return;
      }
      this.scanned = 0;
      if (r.kind === 'error') return this.requestError(r.status);
      // tcp-request content rules run once per request, on the complete head (HAProxy waits for it too).
      if (evalConnectionRules(this.frontend.cfg.tcpRequestContent, this) === 'reject') {
        this.frontend.counters.deniedReq++;
        return this.close('P', 'R');
      }
      this.inBuf = this.inBuf.subarray(r.headLen);
      this.reqKind = r.body;
      this.reqRemaining = r.length;
      this.startTransaction(r.req, r.connection, r.mustClose);
      return;
    }
    this.processBody();
  }

  /** Request body bytes arrived: forwarded, or kept for wait-for-body, or held while the server side is not ready. */
  protected processBody(): void {
    if (this.phase === Phase.Exchange && !this.reqDone) return this.pumpRequestBody();
    if (this.phase === Phase.Rules && this.yieldProxy) {
      // wait-for-body: more of the body arrived.
      this.fillRequestBody();
      if (this.reqBodyFinal) return this.resumeRules();
    }
    // Not ready for more (rules, queue, connect, response pending): stop reading, keep the bytes.
    if (this.inBuf.length >= this.host.bufsize) this.pauseClient();
  }

  private onRequestTimeout(): void {
    if (this.phase !== Phase.WaitHead) return;
    // Nothing received on an idle keep-alive connection: close silently, as HAProxy does.
    if (this.inBuf.length === 0 && this.requestCount > 0) return this.close('c', 'R');
    this.frontend.counters.reqErrors++;
    this.noRequestBytes = true;
    this.sendError(408, 'c', 'R');
  }

  protected requestError(status: number): void {
    this.frontend.counters.reqErrors++;
    this.noRequestBytes = true;
    this.sendError(status, 'P', 'R');
  }

  // ---- phase 2: the transaction: rules, backend, server ---------------------------------------

  protected startTransaction(req: HttpRequest, conn: number, mustClose: boolean): void {
    // The client keeps being read (body, pipelined requests) until tune.bufsize is buffered.
    this.clearTimer();
    this.phase = Phase.Rules;
    this.requestCount++;
    this.req = req;
    this.reqLine = `${req.method} ${req.uri} ${req.version}`;
    this.logs.requestLine = this.reqLine;
    if (debugTrace.on) {
      if (this.traceNo < 0) this.traceNo = traceId();
      traceRequest(this.traceNo, this.frontend.name, fdOf(this.client), -1, this.reqLine, req.headers);
    }
    this.logs.tRequest = this.logs.elapsed();
    this.logs.status = -1;
    const fe = this.frontend.cfg;
    // As HAProxy: the request's unique ID exists from the start, for every rule to read.
    if (fe.log.compiledUniqueId) this.uniqueId();
    if (fe.reqCaptures.length > 0) {
      this.reqCaptures = new Array(fe.reqCaptures.length).fill(null);
      captureHeaders(fe.reqCaptures, req.headers, this.reqCaptures);
    }
    if (fe.resCaptures.length > 0) this.resCaptures = new Array(fe.resCaptures.length).fill(null);
    this.frontend.counters.reqRate.hit(Date.now());
    processCounters.cumReq++;
    this.frontend.counters.reqTotal++;
    this.reqDone = this.reqKind === BodyKind.None;
    if (this.reqKind === BodyKind.Chunked) {
      if (this.reqChunked) this.reqChunked.reset();
      else {
        const sink: ChunkedSink = { onChunkData: (d) => this.forwardRequestData(d), onTrailers: (t) => this.forwardRequestTrailers(t) };
        this.reqChunked = new ChunkedDecoder(sink, this.host.bufsize);
      }
    }
    this.trailersSent = false;
    this.keepClient = !mustClose && this.clientWantsKeepAlive(req, conn);
    this.upgradeRequested = (conn & H1Conn.Upgrade) !== 0;
    this.yieldUntil = 0;
    // option http-buffer-request: the rules see the body (up to tune.bufsize), as with wait-for-body.
    if (fe.option('http-buffer-request') && this.reqKind !== BodyKind.None) {
      this.fillRequestBody();
      if (!this.reqBodyFinal) {
        const t = fe.timeouts;
        this.yieldRule = 0;
        this.yieldUntil = Date.now() + (t.httpRequest ?? t.client ?? 0);
        this.bufferRequestWait = true;
        return this.ruleVerdict(Verdict.Yield, this.frontend, false);
      }
    }
    if (this.requestRules(this.frontend, 0)) this.chooseBackend();
  }

  /**
   * Runs `px`'s http-request rules from rule `from`. True to go on; false when the rules took
   * over (a reply, a rejection, a tarpit or a wait for the body, which resumes later).
   */
  private requestRules(px: Proxy, from: number): boolean {
    const v = runRequestRules(px.cfg, this, from);
    if (v === Verdict.Continue || v === Verdict.Allow) return true;
    this.ruleVerdict(v, px, false);
    return false;
  }

  private ruleVerdict(v: Verdict, px: Proxy, response: boolean): void {
    switch (v) {
      case Verdict.Reply:
        return this.sendReply();
      case Verdict.Deny:
        this.countDenied(response);
        return this.sendReply();
      case Verdict.Reject:
        this.countDenied(response);
        this.setTermination('P', response ? 'H' : 'R');
        return response ? this.abort('P', 'H') : this.close('P', 'R');
      case Verdict.Tarpit: {
        this.countDenied(false);
        this.phase = Phase.Tarpit;
        const t = px.cfg.timeouts;
        this.setTimer(t.tarpit ?? t.connect ?? 0, this.onTarpitEnd);
        if (!this.timerArmed) this.onTarpitEnd();
        return;
      }
      case Verdict.Yield:
        if (response) return this.waitResponseBody(px);
        this.yieldProxy = px;
        this.phase = Phase.Rules;
        this.fillRequestBody();
        if (this.reqBodyFinal) return this.resumeRules();
        this.resumeClient();
        this.setTimer(Math.max(1, this.yieldUntil - Date.now()), this.onYieldTimeout);
        return;
    }
  }

  private countDenied(response: boolean): void {
    const fe = this.frontend.counters;
    if (response) {
      fe.deniedResp++;
      if (this.backend && this.backend !== this.frontend) this.backend.counters.deniedResp++;
      return;
    }
    fe.deniedReq++;
    if (this.backend && this.backend !== this.frontend) this.backend.counters.deniedReq++;
  }

  private onTarpitEnd(): void {
    this.setTermination('P', 'T');
    this.sendReply();
  }

  /** wait-for-body: re-runs the rules from the one that yielded, with what the body holds now. */
  private resumeRules(): void {
    const px = this.yieldProxy!;
    this.yieldProxy = null;
    this.clearTimer();
    this.pauseClient();
    if (this.statsWait) {
      this.statsWait = false;
      return this.serverPhase();
    }
    if (!this.requestRules(px, this.yieldRule)) return;
    this.yieldUntil = 0;
    if (px === this.frontend && !this.backend) this.chooseBackend();
    else this.serverPhase();
  }

  private onYieldTimeout(): void {
    // The stats form and http-buffer-request go on with what arrived; a wait-for-body rule
    // sees its time is up and answers 408.
    if (this.statsWait || this.bufferRequestWait) this.reqBodyFinal = true;
    else this.yieldUntil = EXPIRED;
    this.bufferRequestWait = false;
    this.resumeRules();
  }

  /** Exposes the request body received so far (up to tune.bufsize) as txn.reqBody, without consuming it. */
  private fillRequestBody(): void {
    if (!this.bufferReqBody) {
      this.bufferReqBody = true;
      // The client waits for "100 Continue" before sending what we want to read.
      const expect = this.req!.headers.get('expect');
      if (expect !== undefined && expect.toLowerCase() === '100-continue') {
        this.req!.headers.delete('expect');
        this.sendContinue();
      }
    }
    const p = peekBody(this.inBuf, this.reqKind, this.reqRemaining, this.clientEnded, this.host.bufsize);
    this.reqBody = p.body;
    this.reqBodyFinal = p.final;
  }

  private clientWantsKeepAlive(req: HttpRequest, conn: number): boolean {
    if (this.frontend.cfg.httpConnMode === 'close' || this.host.stopping) return false;
    if (req.version === 'HTTP/1.1') return (conn & H1Conn.Close) === 0;
    return (conn & H1Conn.KeepAlive) !== 0;
  }

  private chooseBackend(): void {
    const fe = this.frontend;
    let target: Proxy | null = null;
    for (const rule of fe.switching) {
      if (rule.cond && rule.cond.eval(this) !== true) continue;
      if (rule.target) {
        target = rule.target;
        break;
      }
      const found = this.host.findBackend(renderLogFormat(rule.dynamic!, this));
      if (found) {
        target = found;
        break;
      }
    }
    target ??= fe.defaultBackend ?? (fe.backend ? fe : null);
    if (!target || !target.backend) {
      fe.counters.reqErrors++;
      return this.sendError(503, 'R', 'R');
    }
    this.backend = target;
    const bc = target.counters;
    bc.beCur++;
    bc.beTotal++;
    bc.beReqTotal++;
    if (bc.beCur > bc.beMax) bc.beMax = bc.beCur;
    bc.beRate.hit(Date.now());
    if (target !== fe && !this.requestRules(target, 0)) return;
    this.serverPhase();
  }

  /** After the rules: an intercepting service (stats page) or a server. */
  private serverPhase(): void {
    // The stats page: the frontend's settings first, then the backend's, as HAProxy.
    const fe = this.frontend;
    const be = this.backend!;
    const owner = fe.cfg.stats && isStatsRequest(fe.cfg.stats, this.req!) ? fe
      : be.cfg.stats && isStatsRequest(be.cfg.stats, this.req!) ? be : null;
    if (owner) {
      // The admin form comes in the body: wait for it (up to tune.bufsize), as HAProxy's stats applet reads it.
      if (this.req!.method === 'POST' && this.reqKind !== BodyKind.None && !this.reqBodyFinal) {
        this.fillRequestBody();
        if (!this.reqBodyFinal) {
          const t = fe.cfg.timeouts;
          this.statsWait = true;
          this.yieldUntil = Date.now() + (t.httpRequest ?? t.client ?? 0);
          return this.ruleVerdict(Verdict.Yield, fe, false);
        }
      }
      fe.counters.intercepted++;
      this.setTermination('L', 'R');
      this.reply = this.host.statsReply(owner, owner.cfg.stats!, this.req!, this.reqBody, this);
      return this.sendReply();
    }
    // Persistence: a valid cookie designates the server and bypasses load balancing.
    if (be.cfg.cookie || be.cfg.persistRules.length > 0) {
      const st = (this.persist = new PersistState());
      applyPersistRules(be.cfg, this, st);
      const srv = persistServer(be.backend!, this.req!, st, Math.floor(Date.now() / 1000));
      if (srv) {
        const r = be.backend!.assignTo(srv, this);
        if (r === 'queue-full' || r === 'no-server') return this.sendError(503, 'S', 'C');
        if (r === 'queued') return this.waitInQueue();
        return this.grant(r);
      }
    }
    this.assignServer(null);
  }

  private assignServer(avoid: Server | null): void {
    const be = this.backend!.backend!;
    const key = be.lb.needsKey ? balanceKey(this.backend!.cfg.balance, this.req!, this.family === 'unix' ? '' : this.srcAddr, this.reqBody ? this.reqBody.toString('latin1') : null) : null;
    const r = be.assign(key, avoid, this);
    if (r === 'no-server' || r === 'queue-full') return this.sendError(503, 'S', 'C');
    if (r === 'queued') return this.waitInQueue();
    this.grant(r);
  }

  private waitInQueue(): void {
    this.phase = Phase.Queued;
    this.gone = false;
    const t = this.backend!.cfg.timeouts;
    this.setTimer(t.queue ?? t.connect ?? 0, this.onQueueTimeout);
  }

  grant(server: Server): void {
    this.clearTimer();
    this.logs.tQueue = this.logs.elapsed();
    this.logs.server = server;
    this.server = server;
    server.counters.reqTotal++;
    server.streams.add(this);
    this.connectServer();
  }

  private onQueueTimeout(): void {
    this.backend!.backend!.queue.remove(this);
    this.sendError(503, 's', 'Q');
  }

  // ---- phase 3: server connection (reuse, retries, redispatch) --------------------------------

  private connectServer(): void {
    const server = this.server!;
    const be = this.backend!.cfg;
    this.phase = Phase.Connecting;
    const pool = (server.pool ??= new ConnPool<ServerConn>(server.cfg.poolMaxConn, server.cfg.poolPurgeDelay));
    // http-reuse safe: a connection's first request never goes over another client's connection.
    const mayReuse = be.httpReuse !== 'never' && (be.httpReuse !== 'safe' || this.requestCount > 1) && this.retriesDone === 0;
    const sni = tlsServerName(server.cfg.tls, this);
    if (speaksH2(server)) {
      // A tunnel over an HTTP/2 server connection (CONNECT, RFC 8441) is not supported yet.
      if (this.req!.method === 'CONNECT') return this.sendError(501, 'P', 'C');
      return this.connectUpstream(server, sni, mayReuse);
    }
    let c = mayReuse ? pool.take(sni) : null;
    while (c && !c.reusable) {
      c.destroy();
      c = pool.take(sni);
    }
    if (c) {
      server.counters.reuses++;
      this.backend!.counters.reuses++;
      this.conn = c;
      this.connReused = true;
      c.owner = this;
      this.onServerConnect();
      return;
    }
    const t = server.target!;
    const src = server.cfg.source ?? be.source;
    const port = 'path' in t ? 0 : t.offset ? this.dstPort + t.port : t.port;
    server.counters.connects++;
    this.backend!.counters.connects++;
    c = new ServerConn(server, pool, port, { localAddress: src?.host, localPort: src?.port || undefined, keepAlive: be.option('tcpka') || be.option('srvtcpka'), sni });
    this.conn = c;
    this.connReused = false;
    c.owner = this;
    c.sock.setTimeout(be.timeouts.connect ?? 0);
  }

  /** HTTP/2 server: a stream on a shared connection (a new one when none has room or reuse is not allowed). */
  private connectUpstream(server: Server, sni: string | null, mayShare: boolean): void {
    const be = this.backend!.cfg;
    const t = server.target!;
    const src = server.cfg.source ?? be.source;
    const port = 'path' in t ? 0 : t.offset ? this.dstPort + t.port : t.port;
    const pool = upstreamPool(server, this.host.h2Settings);
    const opened = pool.size;
    const reuse = mayShare ? 'shared' : be.httpReuse === 'never' ? 'private' : 'new';
    this.up = pool.open(this, port, { localAddress: src?.host, localPort: src?.port || undefined, keepAlive: be.option('tcpka') || be.option('srvtcpka'), sni }, reuse);
    this.connReused = pool.size === opened;
    if (this.connReused) {
      server.counters.reuses++;
      this.backend!.counters.reuses++;
    } else {
      server.counters.connects++;
      this.backend!.counters.connects++;
    }
    if (this.up.connected) this.onServerConnect();
    else this.setTimer(be.timeouts.connect ?? 0, this.onUpstreamTimeout);
  }

  private onUpstreamTimeout(): void {
    this.onServerTimeout();
  }

  onServerConnect(): void {
    const c = this.conn;
    if (c && !this.connReused && alpnChooses(c.server.cfg)) {
      // "alpn h2,http/1.1": the server chose. HTTP/2 for a connection opened as HTTP/1 sends the
      // request again as a stream (once: the next requests know the server's choice).
      const h2 = negotiatedH2(c.sock);
      c.server.alpnH2 = h2;
      if (h2) return this.switchProtocol();
    }
    this.logs.tConnect = this.logs.elapsed();
    const sock = c ? c.sock : this.up!.sock;
    this.srvTls = tlsInfoOf(sock);
    if (logsTraffic(this.frontend)) logServerEnds(this.logs, c ? c.ends() : socketEnds(sock));
    if (!this.connReused) this.server!.check?.trafficSuccess();
    this.sendRequest();
  }

  /**
   * The server's ALPN choice differs from the protocol the connection was opened for: connect
   * again in the other one, once per request (a server changing its mind on every connection
   * must not keep a request connecting forever: the second time is a failed attempt).
   */
  private switchProtocol(): void {
    if (this.alpnSwitched) return this.connectFailed(false);
    this.alpnSwitched = true;
    this.dropConn();
    this.connectServer();
  }

  /** A connection attempt failed: retry (after HAProxy's 1 s turn-around) or redispatch. */
  private connectFailed(timeout: boolean): void {
    const server = this.server!;
    this.dropConn();
    const next = afterConnectFailure(server, this.backend!, this.retriesDone);
    if (next === 'give-up') return this.sendError(503, timeout ? 's' : 'S', 'C');
    this.retriesDone++;
    this.logs.retries = this.retriesDone;
    if (next === 'redispatch') {
      this.logs.redispatched = true;
      if (this.persist?.direct) {
        this.persist.ck = 'D';
        this.persist.direct = false;
      }
      this.releaseServer();
      return this.assignServer(server);
    }
    if (timeout) this.connectServer();
    else this.setTimer(1000, this.retryConnect);
  }

  private retryConnect(): void {
    this.connectServer();
  }

  // ---- phase 4: request to the server ---------------------------------------------------------

  private sendRequest(): void {
    if (this.up) return this.sendUpstreamRequest();
    const c = this.conn!;
    const be = this.backend!.cfg;
    const req = this.req!;
    this.phase = Phase.Exchange;
    c.uses++;
    this.srvBuf = EMPTY;
    this.resBytes = 0;
    this.resDone = false;
    this.resHeadSent = false;
    this.res = null;
    if (!this.connReused) c.sock.setTimeout(be.timeouts.server ?? 0);
    const replay = this.retriesDone > 0 ? this.replay : null;
    // A head alone is one write; a head and body pieces leave together.
    const cork = replay !== null || !this.reqDone;
    if (cork) c.sock.cork();
    if (replay) {
      // retry-on: the same bytes again, on a new connection.
      this.keepServer = false;
      for (const b of replay) this.writeServer(b, false);
    } else {
      this.keepServer = be.httpConnMode === 'keep-alive' && this.frontend.cfg.httpConnMode === 'keep-alive'
        && (c.server.cfg.maxReuse < 0 || c.uses < c.server.cfg.maxReuse);
      if (!this.headersPrepared) {
        prepareRequestHeaders(req, this, this.keepServer, this.upgradeRequested);
        this.requestHeadersPrepared(req);
      }
      this.headersPrepared = true;
      this.replay = (be.retryOn & RETRY_AFTER_SEND) !== 0 && be.retries > 0 ? [] : null;
      this.replayLen = 0;
      this.writeServer(serializeRequestHead(req, be.option('h1-case-adjust-bogus-server') ? this.host.caseAdjust : null));
      if (!this.reqDone) this.pumpRequestBody();
    }
    if (cork) c.sock.uncork();
    c.sock.resume();
  }

  /** The request to an HTTP/2 server: HEADERS, then the body as DATA frames (not replayable by retry-on). */
  private sendUpstreamRequest(): void {
    const up = this.up!;
    const be = this.backend!.cfg;
    this.phase = Phase.Exchange;
    this.srvBuf = EMPTY;
    this.resBytes = 0;
    this.resDone = false;
    this.resHeadSent = false;
    this.res = null;
    this.keepServer = false;
    this.replay = null;
    if (!this.headersPrepared) prepareRequestHeaders(this.req!, this, true, false);
    this.headersPrepared = true;
    up.sendHead(this.req!, this.server!.cfg.tls.ssl ? 'https' : 'http', this.reqDone);
    this.setTimer(be.timeouts.server ?? 0, this.onUpstreamTimeout);
    if (!this.reqDone) this.pumpRequestBody();
  }

  /** retry-on: whether a failure seen before any response byte went to the client may be retried. */
  private mayRetry(cond: number): boolean {
    const be = this.backend!.cfg;
    return (be.retryOn & cond) !== 0 && this.replay !== null && this.reqDone && !this.resHeadSent && this.retriesDone < be.retries;
  }

  /** Sends the request again, on another connection (and server, with option redispatch). */
  private retryRequest(): void {
    const server = this.server!;
    const px = this.backend!;
    this.keepServer = false;
    this.dropConn();
    this.srvBuf = EMPTY;
    this.retriesDone++;
    this.logs.retries = this.retriesDone;
    server.counters.retries++;
    px.counters.retries++;
    const interval = px.cfg.redispatch;
    if (interval !== 0 && px.backend!.usableCount > 1 && redispatchOnRetry(this.retriesDone, px.cfg.retries, interval)) {
      server.counters.redispatches++;
      px.counters.redispatches++;
      this.logs.redispatched = true;
      this.releaseServer();
      return this.assignServer(server);
    }
    this.connectServer();
  }

  /** Moves request body bytes from the client buffer to the server. */
  private pumpRequestBody(): void {
    while (!this.reqDone && this.inBuf.length > 0) {
      if (this.reqKind === BodyKind.Length) {
        const n = Math.min(this.inBuf.length, this.reqRemaining);
        this.forwardRawRequest(this.inBuf.subarray(0, n));
        this.inBuf = this.inBuf.subarray(n);
        this.reqRemaining -= n;
        this.requestBodyConsumed(n);
        if (this.reqRemaining === 0) {
          this.reqDone = true;
          this.up?.end(null);
        }
      } else if (this.reqKind === BodyKind.UntilClose) {
        // A body whose end the client signals (HTTP/2 END_STREAM): chunked towards the server.
        const n = this.inBuf.length;
        this.forwardRequestData(this.inBuf);
        this.inBuf = EMPTY;
        this.requestBodyConsumed(n);
      } else {
        const n = this.reqChunked!.feed(this.inBuf);
        if (n < 0) {
          // An invalid chunked body: 400 and close, even though the head was forwarded (as HAProxy).
          this.frontend.counters.reqErrors++;
          if (this.resHeadSent) return this.abort('P', 'D');
          this.keepServer = false;
          this.dropConn();
          this.reqDone = true;
          return this.sendError(400, 'P', 'D');
        }
        this.inBuf = this.inBuf.subarray(n);
        if (this.reqChunked!.done) {
          this.reqDone = true;
          if (!this.trailersSent) this.endRequestBody(null);
        }
      }
    }
    if (!this.reqDone && this.reqKind === BodyKind.UntilClose && this.clientEnded) {
      this.reqDone = true;
      if (!this.trailersSent) this.endRequestBody(this.requestTrailers());
    }
    if (this.reqDone) {
      // Pipelined bytes wait until the response is done (read ahead up to tune.bufsize).
      if (this.inBuf.length >= this.host.bufsize) this.pauseClient();
      if (this.resDone) this.endTransaction();
    } else if (!this.serverWaitsDrain) this.resumeClient();
  }

  private forwardRawRequest(data: Buffer): void {
    this.writeServer(data);
  }

  private forwardRequestData(data: Buffer): void {
    if (this.up) return this.writeServer(data);
    this.writeServer(chunkHeader(data.length));
    this.writeServer(data);
    this.writeServer(CRLF);
  }

  private forwardRequestTrailers(trailers: HttpHeaders): void {
    this.trailersSent = true;
    this.endRequestBody(trailers);
  }

  /** The end of a chunked or client-delimited request body: last chunk (HTTP/1), END_STREAM or trailers (HTTP/2). */
  private endRequestBody(trailers: HttpHeaders | null): void {
    if (this.up) this.up.end(trailers);
    else this.writeServer(trailers ? lastChunkWithTrailers(trailers) : LAST_CHUNK);
  }

  protected writeServer(data: Buffer, record = true): void {
    const c = this.conn;
    if (!c) {
      if (this.up) {
        this.countIn(data.length);
        if (!this.up.write(data) && !this.serverWaitsDrain) {
          this.serverWaitsDrain = true;
          this.pauseClient();
        }
      }
      return;
    }
    this.countIn(data.length);
    if (record && this.replay) {
      this.replayLen += data.length;
      if (this.replayLen > this.host.bufsize) this.replay = null;
      else this.replay.push(data);
    }
    if (!c.sock.write(data) && !this.serverWaitsDrain) {
      this.serverWaitsDrain = true;
      this.pauseClient();
    }
  }

  /** Bytes for the client, in the log (%B) and the byte counters of listener, frontend, backend and server. */
  protected countOut(n: number): void {
    this.logs.bytesOut += n;
    this.listener.counters.bytesOut += n;
    if (this.backend) {
      this.frontend.counters.bytesOut += n;
      this.backend.counters.bytesOut += n;
      if (this.server) this.server.counters.bytesOut += n;
    }
  }

  onServerDrain(): void {
    if (!this.serverWaitsDrain) return;
    this.serverWaitsDrain = false;
    if (this.phase === Phase.Tunnel || (this.phase === Phase.Exchange && !this.reqDone)) this.resumeClient();
  }

  private countIn(n: number): void {
    this.frontend.counters.bytesIn += n;
    this.backend!.counters.bytesIn += n;
    this.server!.counters.bytesIn += n;
  }

  // ---- phase 5: the response -----------------------------------------------------------------

  onServerData(chunk: Buffer): void {
    this.resBytes += chunk.length;
    if (this.phase === Phase.Tunnel) return this.writeClient(chunk, true);
    if (this.phase !== Phase.Exchange) return;
    this.srvBuf = this.srvBuf.length === 0 ? chunk : Buffer.concat([this.srvBuf, chunk]);
    if (this.resYieldProxy) return this.responseBodyArrived();
    // Head and body pieces written while handling one read leave in one writev.
    this.corkClient();
    this.processResponse();
    this.uncorkClient();
  }

  // The response of an HTTP/2 server arrives decoded (UpstreamOwner).

  onUpstreamResponse(res: HttpResponse, kind: BodyKind, length: number): void {
    if (this.phase !== Phase.Exchange) return;
    this.resBytes++;
    this.setTimer(this.backend!.cfg.timeouts.server ?? 0, this.onUpstreamTimeout);
    if (res.status < 200) return this.sendHead(res);
    this.corkClient();
    this.onResponseHead(res, kind, length, 0);
    if (this.phase === Phase.Exchange && !this.resYieldProxy) this.pumpResponseBody();
    this.uncorkClient();
  }

  onUpstreamData(data: Buffer, end: boolean): void {
    if (this.phase === Phase.Exchange && this.resYieldProxy) {
      this.resBytes += data.length;
      if (data.length > 0) this.srvBuf = this.srvBuf.length === 0 ? data : Buffer.concat([this.srvBuf, data]);
      if (end) this.serverEnded = true;
      return this.responseBodyArrived();
    }
    if (this.phase !== Phase.Exchange || !this.resHeadSent) return;
    this.resBytes += data.length;
    if (data.length > 0) {
      this.setTimer(this.backend!.cfg.timeouts.server ?? 0, this.onUpstreamTimeout);
      this.srvBuf = this.srvBuf.length === 0 ? data : Buffer.concat([this.srvBuf, data]);
      this.pumpResponseBody();
    }
    if (end && this.phase === Phase.Exchange && !this.resDone) this.upstreamEnded();
  }

  onUpstreamTrailers(trailers: HttpHeaders): void {
    if (this.phase === Phase.Exchange && this.resYieldProxy) {
      // Trailers of a body the rules waited for are not forwarded; the body is complete.
      this.serverEnded = true;
      return this.responseBodyArrived();
    }
    if (this.phase !== Phase.Exchange || !this.resHeadSent) return;
    // Trailers need a chunked body (HTTP/1.1) or HTTP/2 towards the client; else they are dropped.
    if (this.resKind === BodyKind.UntilClose && this.carriesTrailers()) this.forwardResponseTrailers(trailers);
    if (!this.resDone) this.upstreamEnded();
  }

  /** END_STREAM from the server: a body without length ends; one with a length was cut short. */
  private upstreamEnded(): void {
    this.clearTimer();
    if (this.resKind !== BodyKind.UntilClose) {
      this.backend!.counters.serverAborts++;
      this.server!.counters.serverAborts++;
      return this.abort('S', 'D');
    }
    if (this.resChunkOut && !this.trailersSent) this.endChunkedResponse();
    this.resDone = true;
    if (!this.reqDone) this.keepClient = false;
    this.endTransaction();
  }

  /** Whether response trailers can reach the client: only in a chunked HTTP/1.1 body here. */
  protected carriesTrailers(): boolean {
    return this.resChunkOut;
  }

  private processResponse(): void {
    const be = this.backend!;
    const opts = (be.h1ResponseOptions ??= { maxHead: headLimit(this.host.bufsize), acceptInvalid: be.cfg.option('accept-invalid-http-response') });
    while (!this.resHeadSent) {
      const r = parseResponseHead(this.srvBuf, opts, this.req!.method);
      if (r === null) return;
      if (r.kind === 'error' || !this.validResponseHead(r.res)) {
        this.backend!.counters.respErrors++;
        this.server!.counters.respErrors++;
        if (this.mayRetry(RetryOn.JunkResponse)) return this.retryRequest();
        return this.serverFailed(502, 'P', 'H');
      }
      this.srvBuf = this.srvBuf.subarray(r.headLen);
      if (r.res.status < 200 && r.res.status !== 101) {
        // Interim responses (100 Continue, 103 Early Hints) go straight to the client.
        this.sendHead(r.res);
        continue;
      }
      this.onResponseHead(r.res, r.body, r.length, r.connection);
      if (this.phase !== Phase.Exchange || this.resYieldProxy) return;
    }
    this.pumpResponseBody();
  }

  private onResponseHead(res: HttpResponse, kind: BodyKind, length: number, conn: number): void {
    if (debugTrace.on) traceResponse(this.traceNo, this.backend!.name, fdOf(this.client), this.serverFd, `${res.version} ${res.status} ${res.reason}`, res.headers);
    const retryBit = retryStatusBit(res.status);
    if (retryBit !== 0 && this.mayRetry(retryBit)) return this.retryRequest();
    this.res = res;
    this.logs.tData = this.logs.elapsed();
    this.resKind = kind;
    this.resRemaining = length;
    if (kind === BodyKind.Chunked) {
      if (this.resChunked) this.resChunked.reset();
      else {
        const sink: ChunkedSink = { onChunkData: (d) => this.forwardResponseData(d), onTrailers: (t) => this.forwardResponseTrailers(t) };
        this.resChunked = new ChunkedDecoder(sink, this.host.bufsize, 502);
      }
    }
    this.trailersSent = false;
    this.resConn = conn;
    if (!this.responseRulesOf(this.backend!, 0)) return;
    if (this.backend !== this.frontend && !this.responseRulesOf(this.frontend, 0)) return;
    this.forwardResponseHead();
  }

  /** After the response rules: the head goes to the client (or the exchange becomes a tunnel). */
  private forwardResponseHead(): void {
    const res = this.res!;
    const kind = this.resKind;
    const conn = this.resConn;
    if (res.status === 101 && !this.upgradeRequested) {
      this.backend!.counters.respErrors++;
      return this.serverFailed(502, 'P', 'H');
    }
    const upgraded = res.status === 101 || (this.req!.method === 'CONNECT' && res.status >= 200 && res.status < 300);
    // Tunnels run over an HTTP/1 server connection only (an HTTP/2 server cannot send a 101).
    if (upgraded && !this.conn) {
      this.backend!.counters.respErrors++;
      return this.serverFailed(502, 'P', 'H');
    }
    if (kind === BodyKind.UntilClose || (conn & H1Conn.Close) !== 0 || (res.version === 'HTTP/1.0' && (conn & H1Conn.KeepAlive) === 0)) this.keepServer = false;
    // A close-delimited body can still keep an HTTP/1.1 client alive by re-chunking it.
    this.resChunkOut = kind === BodyKind.UntilClose && !upgraded && this.req!.version === 'HTTP/1.1' && this.keepClient;
    if (kind === BodyKind.UntilClose && !this.resChunkOut && !upgraded) this.keepClient = false;
    if (!this.reqDone) this.keepClient = false;
    this.prepareResponse(res, this.resChunkOut, upgraded);
    if (this.persist) applyResponseCookie(this.backend!.backend!, res, this.req!.method, this.server, this.persist, Math.floor(Date.now() / 1000));
    this.afterResponseRules();
    this.logs.status = res.status;
    countStatus(this, res.status);
    this.resHeadSent = true;
    this.sendHead(res);
    if (upgraded) return this.startTunnel();
    if (kind === BodyKind.None) this.resDone = true;
  }

  private pumpResponseBody(): void {
    while (!this.resDone && this.srvBuf.length > 0) {
      if (this.resKind === BodyKind.Length) {
        const n = Math.min(this.srvBuf.length, this.resRemaining);
        if (n === this.srvBuf.length) {
          this.writeClient(this.srvBuf, true);
          this.srvBuf = EMPTY;
        } else {
          this.writeClient(this.srvBuf.subarray(0, n));
          this.srvBuf = this.srvBuf.subarray(n);
        }
        this.resRemaining -= n;
        if (this.resRemaining === 0) this.resDone = true;
      } else if (this.resKind === BodyKind.Chunked) {
        const n = this.resChunked!.feed(this.srvBuf);
        if (n < 0) {
          this.backend!.counters.respErrors++;
          return this.abort('P', 'D');
        }
        this.srvBuf = this.srvBuf.subarray(n);
        if (this.resChunked!.done) {
          this.resDone = true;
          if (!this.trailersSent) this.endChunkedResponse();
        }
      } else {
        // Close-delimited: everything until the server closes.
        if (this.resChunkOut) this.forwardResponseData(this.srvBuf);
        else this.writeClient(this.srvBuf, true);
        this.srvBuf = EMPTY;
      }
    }
    if (this.srvBuf.length > 0) this.keepServer = false; // bytes after the response: not reusable
    if (this.resDone) {
      if (this.reqDone) this.endTransaction();
      else {
        // The server answered before the request body ended: the client connection cannot be reused.
        this.keepClient = false;
        this.keepServer = false;
        this.endTransaction();
      }
    }
  }

  /** Decoded response body data that goes out chunked to an HTTP/1.1 client. */
  protected forwardResponseData(data: Buffer): void {
    this.writeClient(chunkHeader(data.length));
    this.writeClient(data);
    this.writeClient(CRLF);
  }

  protected forwardResponseTrailers(trailers: HttpHeaders): void {
    this.trailersSent = true;
    this.writeClient(lastChunkWithTrailers(trailers));
  }

  protected endChunkedResponse(): void {
    this.writeClient(LAST_CHUNK);
  }

  /**
   * `giveBack`: response bytes read from the server that the stream keeps no reference to once
   * written (not in srvBuf, no subarray elsewhere): an HTTP/1 client's socket gives the read's
   * buffer back for the next read (HandleSocket.writeReleasing).
   */
  protected writeClient(data: Buffer, giveBack = false): void {
    this.countOut(data.length);
    if (this.gathering > 0) {
      this.gathered.push(data);
      this.gatheredLen += data.length;
      if (giveBack) this.gatheredGiveBack = data;
      return;
    }
    this.sendClient(data, giveBack);
  }

  private sendClient(data: Buffer, giveBack: boolean): void {
    if (!this.clientWrite(data, giveBack) && !this.clientWaitsDrain) {
      this.clientWaitsDrain = true;
      this.conn?.sock.pause();
      this.up?.pause();
    }
  }

  protected onClientDrain = (): void => {
    if (!this.clientWaitsDrain) return;
    this.clientWaitsDrain = false;
    if (this.phase === Phase.Exchange || this.phase === Phase.Tunnel) {
      this.conn?.sock.resume();
      this.up?.resume();
    }
  };

  onServerEnd(): void {
    if (this.phase === Phase.Tunnel) {
      this.client.end();
      if (this.clientEnded) this.close('-', '-');
      return;
    }
    if (this.phase !== Phase.Exchange) return;
    if (this.resYieldProxy) {
      this.serverEnded = true;
      this.keepServer = false;
      return this.responseBodyArrived();
    }
    if (this.resHeadSent && this.resKind === BodyKind.UntilClose) {
      this.keepServer = false;
      if (this.resChunkOut) this.endChunkedResponse();
      this.resDone = true;
      if (!this.reqDone) this.keepClient = false;
      return this.endTransaction();
    }
    this.serverClosedEarly();
  }

  onServerClose(): void {
    if (this.phase === Phase.Tunnel) return this.close(this.clientEnded ? '-' : 'S', 'D');
    if (this.phase === Phase.Exchange) this.serverClosedEarly();
  }

  onServerError(err: Error): void {
    if (this.phase === Phase.Connecting) {
      if (err instanceof AlpnPickedHttp1) return this.switchProtocol();
      // No descriptor, memory or source port for a connection: retrying in a second does not
      // help the client, who gets a 503 at once (HAProxy's resource error, "RC").
      if (RESOURCE_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) {
        this.dropConn();
        return this.sendError(503, 'R', 'C');
      }
      return this.connectFailed(false);
    }
    if (this.phase === Phase.Tunnel) return this.close('S', 'D');
    if (this.phase === Phase.Exchange) this.serverClosedEarly();
  }

  onServerTimeout(): void {
    if (this.phase === Phase.Connecting) return this.connectFailed(true);
    if (this.phase === Phase.Tunnel) return this.close('s', 'D');
    if (this.phase !== Phase.Exchange) return;
    if (this.resHeadSent) return this.abort('s', 'D');
    if (this.mayRetry(RetryOn.ResponseTimeout)) return this.retryRequest();
    this.serverFailed(504, 's', 'H');
  }

  /** The server went away before the response ended. */
  private serverClosedEarly(): void {
    if (this.resHeadSent) {
      this.backend!.counters.serverAborts++;
      this.server!.counters.serverAborts++;
      return this.abort('S', 'D');
    }
    // A reused idle connection closed by the server just as we sent: try once on a new one.
    if (this.connReused && this.resBytes === 0 && this.reqKind === BodyKind.None) {
      this.dropConn();
      this.connReused = false;
      this.retriesDone++;
      return this.connectServer();
    }
    this.server!.check?.trafficError();
    if (this.resBytes === 0 && this.mayRetry(RetryOn.EmptyResponse)) return this.retryRequest();
    this.serverFailed(502, 'S', 'H');
  }

  private serverFailed(status: number, cause: TermCause, phase: TermPhase): void {
    this.keepServer = false;
    this.dropConn();
    this.sendError(status, cause, phase);
  }

  // ---- tunnel (101 Switching Protocols, CONNECT) -----------------------------------------------

  private startTunnel(): void {
    this.phase = Phase.Tunnel;
    const be = this.backend!.cfg;
    const tunnel = be.timeouts.tunnel;
    // The client side's timeout first: when both expire together, the client's is reported (cD), as in HAProxy.
    this.tunnelClient(tunnel ?? this.frontend.cfg.timeouts.client ?? 0);
    this.conn!.sock.setTimeout(tunnel ?? be.timeouts.server ?? 0);
    if (this.srvBuf.length > 0) this.writeClient(this.srvBuf);
    this.srvBuf = EMPTY;
  }

  /** The client side of a new tunnel: its idle timeout, the bytes it sent ahead, its end if it came already. */
  protected tunnelClient(timeout: number): void {
    this.client.setTimeout(timeout);
    if (this.inBuf.length > 0) this.writeServer(this.inBuf);
    this.inBuf = EMPTY;
    if (this.clientEnded) this.conn!.sock.end();
    this.client.resume();
  }

  // ---- replies produced by the proxy (errors, deny, return, redirect, stats) ------------------

  /** Current reply set by rules or intercepts. */
  reply: HttpReply | null = null;

  /**
   * An error produced by the proxy. As HAProxy, the connection closes after 4xx errors (the
   * request could not be read) but stays open after 5xx ones when the request was read whole.
   */
  private sendError(status: number, cause: TermCause, phase: TermPhase): void {
    this.reply = this.errorReply(status);
    this.termCause = cause;
    this.termPhase = phase;
    if (status < 500 || this.req === null) this.keepClient = false;
    this.sendReply();
  }

  /** Sends `this.reply` (after http-after-response rules) and ends the transaction. */
  private sendReply(): void {
    const r = this.reply!;
    this.reply = null;
    this.clearTimer();
    this.dropConn();
    if (r.silent) {
      // An empty errorfile: nothing is sent, the connection is closed.
      this.logs.status = r.res.status;
      return this.close(this.termCause, this.termPhase);
    }
    const res = r.res;
    this.res = res;
    this.afterResponseRules();
    this.logs.status = res.status;
    countStatus(this, res.status);
    // The request body was not read: the connection cannot carry another request.
    if (!this.reqDone) this.keepClient = false;
    this.prepareResponse(res, false, false);
    this.resHeadSent = true;
    this.phase = Phase.Exchange;
    this.corkClient();
    this.sendHead(res);
    if (r.body.length > 0 && this.req?.method !== 'HEAD') this.writeClient(r.body);
    this.uncorkClient();
    this.resDone = true;
    this.reqDone = true;
    this.endTransaction();
  }

  // ---- response rules ----------------------------------------------------------------------

  /**
   * `px`'s http-response rules from rule `from` (the backend's, then the frontend's). False
   * when they replaced or aborted the response, or wait for its body.
   */
  private responseRulesOf(px: Proxy, from: number): boolean {
    const rules = px.cfg.httpResponseRules;
    if (rules.length === 0) return true;
    const v = runHttpRules(rules, this, from);
    if (v === Verdict.Continue || v === Verdict.Allow) return true;
    if (v !== Verdict.Yield) {
      this.keepServer = false;
      this.dropConn();
    }
    this.ruleVerdict(v, px, true);
    return false;
  }

  /** http-response wait-for-body: the server keeps being read into srvBuf until the rule may go on. */
  private waitResponseBody(px: Proxy): void {
    this.resYieldProxy = px;
    this.fillResponseBody();
    if (this.resBodyFinal) return this.resumeResponseRules();
    this.conn?.sock.resume();
    this.setTimer(Math.max(1, this.yieldUntil - Date.now()), this.onResponseYieldTimeout);
  }

  /** More of the response body arrived (or the server closed) while the rules wait for it. */
  private responseBodyArrived(): void {
    this.fillResponseBody();
    if (this.resBodyFinal) this.resumeResponseRules();
    else if (this.srvBuf.length >= this.host.bufsize) {
      this.conn?.sock.pause();
      this.up?.pause();
    }
  }

  private onResponseYieldTimeout(): void {
    this.yieldUntil = EXPIRED; // the rule answers 504
    this.resumeResponseRules();
  }

  /** Re-runs the waiting rule list from the rule that yielded, then the frontend's, then sends the head. */
  private resumeResponseRules(): void {
    const px = this.resYieldProxy!;
    this.resYieldProxy = null;
    this.clearTimer();
    this.corkClient();
    if (this.responseRulesOf(px, this.yieldRule)
      && (px === this.frontend || this.responseRulesOf(this.frontend, 0))) {
      this.yieldUntil = 0;
      this.forwardResponseHead();
      if (this.phase === Phase.Exchange && this.resHeadSent) {
        this.conn?.sock.resume();
        this.up?.resume();
        this.pumpResponseBody();
        if (this.serverEnded && this.phase === Phase.Exchange && !this.resDone) {
          if (this.up) this.upstreamEnded();
          else this.onServerEnd();
        }
      }
    }
    this.uncorkClient();
  }

  /** Exposes the response body received so far (up to tune.bufsize) as txn.resBody, without consuming it. */
  private fillResponseBody(): void {
    const p = peekBody(this.srvBuf, this.resKind, this.resRemaining, this.serverEnded, this.host.bufsize);
    this.resBody = p.body;
    this.resBodyFinal = p.final;
  }

  /** http-after-response rules, backend first then frontend; they apply to replies too. */
  private afterResponseRules(): void {
    runAfterResponseRules(this.backend?.cfg ?? null, this.frontend.cfg, this);
  }

  // ---- what rules may ask of the stream (HttpRuleTarget) ---------------------------------------

  setLogLevel(level: number): void {
    this.logs.level = level;
  }

  setTermination(cause: RuleTermCause, phase: RuleTermPhase | 'T'): void {
    if (this.termCause === '-') this.termCause = cause;
    if (this.termPhase === '-') this.termPhase = phase;
  }

  errorReply(status: number): HttpReply {
    // 422 has no error page of its own (no errorfile for it): always HAProxy's built-in one.
    if (status === 422) return pageReply(builtinPage(422));
    return streamErrorReply(this.frontend.cfg, this.backend?.cfg ?? null, status, this);
  }

  bufferBody(response: boolean): void {
    if (response) this.fillResponseBody();
    else this.fillRequestBody();
  }

  serviceReply(name: ServiceName): HttpReply {
    if (!this.backend || this.backend === this.frontend) this.frontend.counters.intercepted++;
    return this.host.serviceReply(name, this.req!);
  }

  // ---- end of a transaction ------------------------------------------------------------------

  /** Logs the transaction once its server slot and backend count are released (HAProxy's order). */
  private logTransaction(): void {
    this.loggedOnce = true;
    const l = this.logs;
    // No request was parsed: HAProxy logs status 400 (the one it would send) and no response bytes.
    if (this.req === null) {
      if (l.status <= 0 && !this.noReply) l.status = 400;
      if (this.noRequestBytes) l.bytesOut = 0;
    }
    this.noRequestBytes = false;
    if (this.persist && this.backend) {
      const c = cookieLogChars(this.backend.cfg, this.persist);
      l.cookieClient = c[0]!;
      l.cookieServer = c[1]!;
    }
    if (this.backend && l.tRequest >= 0) {
      const Tw = l.tQueue >= 0 ? l.tQueue - l.tRequest : 0;
      const Tc = l.tConnect >= 0 && l.tQueue >= 0 ? l.tConnect - l.tQueue : 0;
      const Tr = l.tData >= 0 && l.tConnect >= 0 ? l.tData - l.tConnect : 0;
      const Tt = l.elapsed();
      this.backend.counters.times.add(Tw, Tc, Tr, Tt);
      (l.server as Server | null)?.counters.times.add(Tw, Tc, Tr, Tt);
    }
    if (l.termCause === '-') l.termCause = this.termCause;
    if (l.termPhase === '-') l.termPhase = this.termPhase;
    logStream(this);
  }

  private endTransaction(): void {
    if (debugTrace.on) this.traceEnd();
    if (this.up) {
      this.clearTimer();
      this.up.release();
      this.up = null;
    }
    const c = this.conn;
    if (c) {
      this.conn = null;
      // Pooled: kept for the next request to this server, if its pool wants it.
      if (this.keepServer && c.reusable && this.srvBuf.length === 0 && this.backend!.cfg.httpReuse !== 'never' && c.pool.put(c)) c.owner = null;
      else c.destroy();
    }
    this.srvBuf = EMPTY;
    this.releaseServer();
    if (this.backend) this.backend.counters.beCur--;
    this.logTransaction();
    this.backend = null;
    this.req = null;
    this.res = null;
    this.reqBody = null;
    this.resBody = null;
    this.persist = null;
    this.replay = null;
    this.headersPrepared = false;
    this.reqBodyFinal = false;
    this.resBodyFinal = false;
    this.bufferReqBody = false;
    this.bufferRequestWait = false;
    this.resYieldProxy = null;
    this.serverEnded = false;
    this.txnVars = this.reqVars = this.resVars = null;
    this.retriesDone = 0;
    this.alpnSwitched = false;
    this.reqStarted = false;
    this.termCause = '-';
    this.termPhase = '-';
    this.srvTls = null;
    this.nextTransaction();
  }

  // ---- the client side (HTTP/1 here; an HTTP/2 stream overrides these, see h2-stream.ts) ------

  /** After a transaction: the next request on a keep-alive connection (with a log record of its own), or the end. */
  protected nextTransaction(): void {
    if (!this.keepClient || this.clientEnded || this.host.stopping) return this.closeGracefully();
    this.logs = new StreamLog();
    this.logs.tHandshake = 0;
    this.logs.listenerId = listenerLogId(this.listener);
    if (this.tls) logTlsClient(this.logs, this.tls, false);
    if (this.reqCaptures.length > 0) this.reqCaptures = [];
    if (this.resCaptures.length > 0) this.resCaptures = [];
    this.waitRequest();
  }

  protected pauseClient(): void {
    this.client.pause();
  }

  protected resumeClient(): void {
    this.client.resume();
  }

  /** The trailers of a request body the client delimited itself (HTTP/2), null: none. */
  protected requestTrailers(): HttpHeaders | null {
    return null;
  }

  /** The request body bytes just forwarded (HTTP/2 acknowledges them to the client). */
  protected requestBodyConsumed(_n: number): void {}

  /** The request's headers are final, forwarding headers included: the last ones may be added (HTTP/2: a WebSocket key). */
  protected requestHeadersPrepared(_req: HttpRequest): void {}

  /**
   * A parsed response head the client side refuses as invalid (502): as HAProxy, a WebSocket
   * 101 needs a Sec-WebSocket-Accept (an HTTP/2 stream also checks it against the key it sent).
   */
  protected validResponseHead(res: HttpResponse): boolean {
    return res.status !== 101 || webSocketAcceptValid(res.headers, null);
  }

  /**
   * Client-bound pieces written between corkClient() and uncorkClient() (a head and the body
   * bytes of one server read) leave in one write of one buffer: a Writable's cork() would send
   * them with writev, through a buffered-request list, which costs more than copying a few
   * hundred bytes.
   */
  protected corkClient(): void {
    this.gathering++;
  }

  protected uncorkClient(): void {
    if (--this.gathering === 0) this.flushGathered();
  }

  private flushGathered(): void {
    const parts = this.gathered;
    const n = parts.length;
    if (n === 0) return;
    const giveBack = this.gatheredGiveBack;
    this.gatheredGiveBack = null;
    if (n === 1) this.sendClient(parts[0]!, parts[0] === giveBack);
    else if (this.gatheredLen <= GATHER_COPY_MAX) this.sendClient(Buffer.concat(parts, this.gatheredLen), false);
    else {
      this.client.cork();
      for (let i = 0; i < n; i++) this.sendClient(parts[i]!, parts[i] === giveBack);
      this.client.uncork();
    }
    parts.length = 0;
    this.gatheredLen = 0;
  }

  protected clientWrite(data: Buffer, giveBack: boolean): boolean {
    return giveBack ? writeReleasing(this.client, data) : this.client.write(data);
  }

  protected sendContinue(): void {
    this.client.write(CONTINUE_100);
  }

  /** A response head, final or interim. */
  protected sendHead(res: HttpResponse): void {
    this.writeClient(serializeResponseHead(res, this.clientAdjust));
  }

  /** Hop-by-hop headers out, the client connection's own in. */
  protected prepareResponse(res: HttpResponse, chunkOut: boolean, upgraded: boolean): void {
    prepareResponseHeaders(res, this.req ?? undefined, this.keepClient, chunkOut, upgraded);
  }

  /** Releases the client side once the stream is over. */
  protected closeClient(): void {
    this.gathered.length = 0;
    this.gatheredLen = 0;
    this.gatheredGiveBack = null;
    this.client.removeAllListeners('data');
    this.client.on('error', noop);
    this.client.destroy();
    this.host.streamEnded(this);
  }

  /** Ends the connection after the last response is flushed. */
  private closeGracefully(): void {
    this.phase = Phase.Closing;
    this.clearTimer();
    this.client.setTimeout(this.frontend.cfg.timeouts.client ?? 10_000);
    this.flushGathered();
    this.client.end();
    this.client.resume(); // read (and drop) until the client closes too
  }

  /** Aborts the exchange in the middle of a message: both connections are closed. */
  private abort(cause: TermCause, phase: TermPhase): void {
    this.keepServer = false;
    this.dropConn();
    this.close(cause, phase);
  }

  // ---- HTTP/2 ---------------------------------------------------------------------------------

  /** HTTP/2 from the start: forced on the bind line, or chosen by ALPN. */
  private speaksH2(): boolean {
    return this.listener.bind.proto === 'h2' || this.tls?.alpn === 'h2';
  }

  /** The connection continues as an H2Session, with the bytes read so far; this object is done. */
  private handOverToH2(): void {
    const c = this.client;
    c.pause();
    c.off('error', this.onClientError);
    c.off('close', this.onClientClose);
    c.off('end', this.onClientEnd);
    c.off('data', this.onClientData);
    c.off('timeout', this.onClientTimeout);
    c.off('drain', this.onClientDrain);
    this.phase = Phase.Closed;
    this.timerFn = null;
    this.timer.cancel();
    const pending = this.inBuf;
    this.inBuf = EMPTY;
    this.host.startH2(this, pending);
  }

  // ---- client events -------------------------------------------------------------------------

  private onClientEnd = (): void => {
    this.clientEnded = true;
    switch (this.phase) {
      case Phase.Tunnel:
        this.conn?.sock.end();
        return;
      case Phase.Handshake:
        this.processInput();
        return;
      case Phase.WaitHead:
        if (this.inBuf.length === 0) return this.close(this.requestCount > 0 ? '-' : 'C', 'R');
        this.frontend.counters.reqErrors++;
        return this.sendError(400, 'C', 'R');
      case Phase.Closing:
        return this.close('-', '-');
      default:
        // Half-closed client with a request in flight: finish it, then close.
        this.keepClient = false;
        if (this.phase === Phase.Exchange && !this.reqDone) {
          this.backend!.counters.clientAborts++;
          this.abort('C', 'D');
        }
    }
  };

  private onClientError = (): void => {
    if (this.backend && (this.phase === Phase.Exchange || this.phase === Phase.Tunnel)) this.backend.counters.clientAborts++;
    this.close('C', this.phaseLetter());
  };

  private onClientClose = (): void => {
    if (this.phase === Phase.Closed) return;
    const quiet = this.phase === Phase.Closing || (this.phase === Phase.WaitHead && this.inBuf.length === 0);
    this.close(quiet ? '-' : 'C', this.phaseLetter());
  };

  private onClientTimeout = (): void => {
    if (this.phase === Phase.Closing) return this.close('-', '-');
    if (this.phase === Phase.WaitHead) return this.onRequestTimeout();
    // While the request is with the server side (queue, connection, retries, response), the
    // client has nothing to send: timeout client does not apply, the server-side timeouts do.
    if (this.waitingOnServer) return;
    this.close('c', this.phaseLetter());
  };

  private get waitingOnServer(): boolean {
    const p = this.phase;
    return p === Phase.Rules || p === Phase.Queued || p === Phase.Connecting || p === Phase.Tarpit
      || (p === Phase.Exchange && this.reqDone && !this.resHeadSent);
  }

  shutdownByServerState(): void {
    this.close('D', this.phaseLetter());
  }

  protected phaseLetter(): TermPhase {
    switch (this.phase) {
      case Phase.Queued: return 'Q';
      case Phase.Connecting: return 'C';
      case Phase.Exchange: return this.resHeadSent ? 'D' : 'H';
      case Phase.Tunnel: return 'D';
      default: return 'R';
    }
  }

  // ---- resources -----------------------------------------------------------------------------

  private get serverFd(): number {
    return fdOf(this.conn ? this.conn.sock : this.up?.sock);
  }

  /** -d: the transaction's closes; the next request on the connection gets a new number. */
  private traceEnd(): void {
    traceClose(this.traceNo, (this.backend ?? this.frontend).name, fdOf(this.client), this.serverFd);
    this.traceNo = -1;
  }

  /** One timer per connection, moved from phase to phase (DeadlineTimer: no Node timer per move). */
  private setTimer(ms: number, fn: (this: HttpStream) => void): void {
    if (ms <= 0) return this.clearTimer();
    this.timerFn = fn;
    this.timer.arm(ms);
  }

  /** The timer expired (fireTimer). */
  runTimer(): void {
    const fn = this.timerFn;
    this.timerFn = null;
    fn?.call(this);
  }

  private clearTimer(): void {
    this.timerFn = null;
    this.timer.disarm();
  }

  private get timerArmed(): boolean {
    return this.timerFn !== null;
  }

  private dropConn(): void {
    const u = this.up;
    if (u) {
      this.up = null;
      this.serverWaitsDrain = false;
      u.release();
    }
    const c = this.conn;
    if (!c) return;
    this.conn = null;
    this.serverWaitsDrain = false;
    c.destroy();
  }

  private releaseServer(): void {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.streams.delete(this);
    this.logs.serverConns = server.curConns - 1;
    this.backend!.backend!.release(server);
  }

  /** Ends the connection once: sockets, timers, slots and counters are all released here. */
  close(cause: TermCause, phase: TermPhase): void {
    if (this.phase === Phase.Closed) return;
    const wasQueued = this.phase === Phase.Queued;
    // A connection that never sent a request is logged too (<BADREQ>, unless dontlognull); an
    // idle keep-alive connection closing after its requests is not.
    const inTxn = this.req !== null || this.reqStarted || (!this.loggedOnce && this.phase !== Phase.Handshake);
    if (debugTrace.on && inTxn) this.traceEnd();
    this.phase = Phase.Closed;
    this.termCause = cause;
    this.termPhase = phase;
    this.timerFn = null;
    this.timer.cancel();
    if (wasQueued && !this.gone) {
      const be = this.backend!.backend!;
      be.queue.remove(this);
      for (const s of be.servers) s.queue.remove(this);
    }
    this.dropConn();
    this.releaseServer();
    if (this.backend) this.backend.counters.beCur--;
    if (inTxn) this.logTransaction();
    this.backend = null;
    this.closeClient();
  }
}
// srcAddr, srcPort, dstAddr, dstPort and family are accessors over \`ends\` (see lazyClientEnds).
export interface HttpStream extends ClientEnds {}
lazyClientEnds(HttpStream.prototype);

function noop(): void {}

function fireTimer(s: HttpStream): void {
  s.runTimer();
}

/** Connect errors that say the proxy, not the server, is out of something. */
const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']);

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** 1: `buf` starts with the HTTP/2 client preface; 0: it may (too short to tell); -1: it does not. */
function matchH2Preface(buf: Buffer): number {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.compare(H2_PREFACE, 0, n, 0, n) !== 0) return -1;
  return n === H2_PREFACE.length ? 1 : 0;
}

/** HAProxy keeps tune.maxrewrite (1024, at most half the buffer) free: a head may use the rest. */
function headLimit(bufsize: number): number {
  return bufsize - Math.min(1024, bufsize >> 1);
}


/**
 * The parser already removed "close" and "keep-alive" from Connection; like HAProxy, the other
 * tokens and the headers they name are forwarded. Keep-Alive and Proxy-Connection only make
 * sense on the hop they came from.
 */
function removeHopByHop(h: HttpHeaders): void {
  for (let i = h.length - 1; i >= 0; i--) {
    const n = h.lowerName(i);
    if (n === 'keep-alive' || n === 'proxy-connection') h.removeAt(i);
  }
}

/**
 * Adds a token to the Connection header (appended to an existing one, else a new line), unless
 * it lists it already: an error page or reply of ours may carry "connection: close" itself.
 */
function addConnectionToken(h: HttpHeaders, token: string): void {
  const i = h.indexOf('connection');
  if (i < 0) return h.add('connection', token);
  const v = h.values[i]!;
  if (!v.split(',').some((t) => t.trim().toLowerCase() === token)) h.setValue(i, `${v}, ${token}`);
}

/** Forwarding headers and the connection header for the server side. */
function prepareRequestHeaders(req: HttpRequest, s: HttpStream, keepServer: boolean, upgrade: boolean): void {
  const h = req.headers;
  removeHopByHop(h);
  if (!upgrade) {
    if (!keepServer) addConnectionToken(h, 'close');
    else if (req.version === 'HTTP/1.0') addConnectionToken(h, 'keep-alive');
  }
  const fe = s.frontend.cfg;
  const be = s.backend!.cfg;
  const ff = be.forwardFor ?? fe.forwardFor;
  if (ff && s.family !== 'unix' && !(ff.ifNone && h.has(ff.header)) && !inNetwork(s.srcAddr, ff.except)) h.add(ff.header, s.srcAddr);
  const ot = be.originalTo ?? fe.originalTo;
  if (ot && s.family !== 'unix' && !inNetwork(s.dstAddr, ot.except)) h.add(ot.header, s.dstAddr);
  const uh = fe.log.uniqueIdHeader;
  if (uh !== null) {
    const id = s.uniqueId();
    if (id !== null) h.add(uh, id);
  }
}

function prepareResponseHeaders(res: HttpResponse, req: HttpRequest | undefined, keepClient: boolean, chunkOut: boolean, upgraded: boolean): void {
  const h = res.headers;
  removeHopByHop(h);
  if (upgraded) return;
  if (chunkOut) h.add('transfer-encoding', 'chunked');
  if (!keepClient) {
    if (!req || req.version === 'HTTP/1.1') addConnectionToken(h, 'close');
  } else if (req && req.version === 'HTTP/1.0') addConnectionToken(h, 'keep-alive');
}

function inNetwork(addr: string, net: { net: bigint; mask: bigint } | null): boolean {
  if (!net) return false;
  const v4 = parseIPv4(addr);
  const v = v4 !== null ? v4tov6(v4) : parseIPv6(addr);
  return v !== null && (v & net.mask) === net.net;
}

function countStatus(s: HttpStream, status: number): void {
  const i = status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5;
  s.frontend.counters.hrsp[i]! += 1;
  const be = s.backend;
  if (be && be !== s.frontend) be.counters.hrsp[i]! += 1;
  if (s.server) s.server.counters.hrsp[i]! += 1;
}

/**
 * What wait-for-body sees of a message body held in `buf` (not consumed): its first `limit`
 * bytes, decoded when chunked, and whether that is all the rules will get (whole body, full
 * buffer, or the sender `ended`).
 */
function peekBody(buf: Buffer, kind: BodyKind, remaining: number, ended: boolean, limit: number): { body: Buffer; final: boolean } {
  if (kind === BodyKind.None) return { body: EMPTY, final: true };
  if (kind === BodyKind.Length) {
    const n = Math.min(buf.length, remaining, limit);
    return { body: buf.subarray(0, n), final: n === remaining || n >= limit || ended };
  }
  if (kind === BodyKind.UntilClose) {
    const n = Math.min(buf.length, limit);
    return { body: buf.subarray(0, n), final: n >= limit || ended };
  }
  const peek = new BodyPeek(limit);
  const dec = new ChunkedDecoder(peek, limit);
  dec.feed(buf);
  return { body: peek.data(), final: dec.done || peek.full || ended || dec.error !== null };
}

/** Collects decoded chunked body data up to a limit (wait-for-body on a chunked message). */
class BodyPeek implements ChunkedSink {
  private readonly parts: Buffer[] = [];
  private len = 0;
  private readonly limit: number;
  full = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  onChunkData(d: Buffer): void {
    if (this.full) return;
    const n = Math.min(d.length, this.limit - this.len);
    this.parts.push(d.subarray(0, n));
    this.len += n;
    if (this.len >= this.limit) this.full = true;
  }

  onTrailers(): void {}

  data(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
  }
}
