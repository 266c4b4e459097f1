// One client connection in TCP mode, from accept to close. The phases run in the order of
// HAProxy's stream processing, each a named method:
//   tcpRequestConnection → [PROXY header] → tcpRequestSession → inspectContent(frontend)
//   → chooseBackend → inspectContent(backend) → assignServer (balance / queue)
//   → connectServer (retries, redispatch) → tunnel → finish
import type { Conn } from '../protocols/tcp/conn.ts';
import { openServerSocket } from '../protocols/http1/server-conn.ts';
import { writeReleasing } from '../protocols/tcp/handle-socket.ts';
import { TLSSocket } from 'node:tls';
import type { TcpRule } from '../config/model.ts';
import type { Sample, SampleHttpTxn, SampleStream, SampleWorld, VarScope } from '../sample/types.ts';
import { parseRequestHead } from '../protocols/http1/parser.ts';
import { procVars } from '../sample/vars.ts';
import { renderLogFormat } from '../sample/logformat.ts';
import { parseProxyHeader, buildProxyV1, buildProxyV2 } from '../protocols/proxy-protocol.ts';
import { tcpBalanceKey } from '../lb/http-keys.ts';
import type { Backend, BackendWaiter } from './backend.ts';
import type { Server, ServerStream } from './server.ts';
import type { Proxy } from './proxy.ts';
import type { Listener } from './listener.ts';
import { afterConnectFailure, applyProxyHeader, evalConnectionRules, ClientAddresses, type ClientEnds, lazyClientEnds, logServerEnds, logsTraffic, socketEnds, watchClientEnds, listenerLogId } from './session.ts';
import { LOG_SILENT, StreamLog } from '../observe/log/loggable.ts';
import { logConnect, logSessionError, logStream, proxyHeaderErrorText, ProxyHeaderError } from '../observe/log/logger.ts';
import { logTlsClient, tlsInfoOf, type TlsInfo } from '../protocols/tls/info.ts';
import { connectServerTls, tlsServerName } from '../protocols/tls/connect.ts';
import { uniqueIdOf } from '../observe/log/unique-id.ts';
import { debugTrace, fdOf, traceAccept, traceClose, traceId } from '../observe/debug-trace.ts';

/** HAProxy's termination state: who ended it, and in which phase (first two log chars). */
export type TermCause = '-' | 'C' | 'S' | 'P' | 'L' | 'R' | 'I' | 'D' | 'K' | 'c' | 's';
export type TermPhase = '-' | 'R' | 'Q' | 'C' | 'H' | 'D' | 'L' | 'T';

/** What the stream needs from the process: lookups and the end-of-stream notification. */
export interface StreamHost extends SampleWorld {
  readonly bufsize: number;
  streamEnded(s: Stream): void;
  findBackend(name: string): Proxy | undefined;
}

const State = { Idle: 0, Inspect: 1, Queued: 2, Connecting: 3, Tunnel: 4, Closed: 5 } as const;

export class Stream implements SampleStream, BackendWaiter, ServerStream {
  readonly world: SampleWorld;
  readonly host: StreamHost;
  readonly frontend: Proxy;
  readonly listener: Listener;
  readonly client: Conn;
  backend: Proxy | null = null;
  server: Server | null = null;
  srv: Conn | null = null;
  /** The client socket until its addresses are read, and the addresses (ClientEnds' accessors: lazyClientEnds below the class). */
  endsSock: Conn | null = null;
  readonly ends = new ClientAddresses();
  rcvdProxy = false;
  gone = false;
  termCause: TermCause = '-';
  termPhase: TermPhase = '-';
  retriesDone = 0;
  /** The request buffer parsed as HTTP/1 for HTTP fetches in tcp-request content rules (cached per buffer). */
  private inspectedData: Buffer | null = null;
  private inspectedTxn: SampleHttpTxn | null = null;
  /** What the log line reports (event times, bytes, termination state). */
  readonly logs = new StreamLog();
  /** The client connection's TLS layer ("bind ... ssl"). */
  readonly tls: TlsInfo | null;
  private sessVars: Map<string, Sample> | null = null;
  private state: number = State.Idle;
  /** Client bytes read before the tunnel exists (PROXY header remainder, inspection, queue). */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private pendingCache: Buffer | null = null;
  private clientEnded = false;
  private serverEnded = false;
  private inspectFinal = false;
  private timer: NodeJS.Timeout | null = null;
  /** -d: the stream's number in the debug output. */
  private traceNo = -1;
  /** Continuation while waiting for more data during inspection. */
  private resumeInspection: (() => void) | null = null;

  constructor(host: StreamHost, frontend: Proxy, listener: Listener, client: Conn) {
    this.host = host;
    this.world = host;
    this.frontend = frontend;
    this.listener = listener;
    this.client = client;
    watchClientEnds(this, client, frontend);
    this.logs.listenerId = listenerLogId(listener);
    this.tls = tlsInfoOf(client);
    if (this.tls) logTlsClient(this.logs, this.tls, true);
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
    client.on('end', this.onClientEnd);
    client.on('data', this.onClientData);
    client.on('timeout', this.onClientTimeout);
    if (frontend.cfg.option('tcpka') || frontend.cfg.option('clitcpka')) client.setKeepAlive(true);
  }

  /**
   * TCP mode has no HTTP transaction, but as in HAProxy, HTTP fetches used in tcp-request
   * content rules see the buffered request when it parses as an HTTP/1 head.
   */
  get txn(): SampleHttpTxn | null {
    const data = this.reqData;
    if (data === null) return null;
    if (this.inspectedData !== data) {
      this.inspectedData = data;
      const r = parseRequestHead(data, { maxHead: this.host.bufsize, acceptInvalid: false });
      this.inspectedTxn = r !== null && r.kind === 'head'
        ? { req: r.req, res: null, reqBody: null, reqBodyFinal: false, reqCaptures: [], resCaptures: [] }
        : null;
    }
    return this.inspectedTxn;
  }

  get reqData(): Buffer | null {
    if (this.pendingLen === 0) return null;
    if (!this.pendingCache) this.pendingCache = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen);
    return this.pendingCache;
  }

  /** The server connection's TLS layer, while the tunnel is up (gone by log time, as in HAProxy). */
  get srvTls(): TlsInfo | null {
    return this.state === State.Tunnel ? tlsInfoOf(this.srv) : null;
  }

  get reqDataFinal(): boolean {
    return this.inspectFinal || this.clientEnded || this.pendingLen >= this.host.bufsize;
  }

  uniqueId(): string | null {
    return uniqueIdOf(this);
  }

  vars(scope: VarScope): Map<string, Sample> {
    if (scope === 'proc') return procVars;
    // TCP mode: one session, no transaction; every other scope lives as long as the connection.
    return (this.sessVars ??= new Map());
  }

  // ---- phase 1: tcp-request connection -------------------------------------------------

  start(): void {
    const fe = this.frontend.cfg;
    this.client.setTimeout(fe.timeouts.client ?? 0);
    if (debugTrace.on) {
      this.traceNo = traceId();
      traceAccept(this.traceNo, this.frontend.name, this.listener.fd, fdOf(this.client), this.srcAddr, this.srcPort, this.tls?.alpn ?? null);
    }
    const verdict = evalConnectionRules(fe.tcpRequestConnection, this);
    if (verdict === 'reject') {
      this.frontend.counters.deniedConn++;
      // Refused before a stream exists: HAProxy logs nothing.
      this.logs.level = LOG_SILENT;
      return this.close('P', 'R');
    }
    if (this.listener.bind.acceptProxy || verdict === 'expect-proxy') {
      this.state = State.Inspect;
      this.resumeInspection = this.readProxyHeader;
      this.client.resume();
      return;
    }
    this.tcpRequestSession();
  }

  // ---- phase 2: PROXY protocol header -----------------------------------------------------

  private readProxyHeader = (): void => {
    const data = this.reqData;
    if (!data) {
      // Closed before sending anything: HAProxy gives up at once ("Connection closed while waiting...").
      if (this.clientEnded) this.close('C', 'R');
      return;
    }
    const r = parseProxyHeader(data);
    if (r.kind === 'incomplete') {
      if (!this.clientEnded) return;
    }
    if (r.kind !== 'ok') {
      this.frontend.counters.reqErrors++;
      logSessionError(this, r.kind === 'error' ? proxyHeaderErrorText(r.reason, data.length) : ProxyHeaderError.Truncated);
      this.logs.level = LOG_SILENT;
      return this.close('P', 'R');
    }
    applyProxyHeader(this, r.header);
    this.rcvdProxy = true;
    this.logs.bytesIn -= r.consumed;
    this.logs.tHandshake = this.logs.elapsed();
    this.consumePending(r.consumed);
    this.resumeInspection = null;
    this.tcpRequestSession();
  };

  private consumePending(n: number): void {
    const all = this.reqData!;
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLen = rest.length;
    this.pendingCache = null;
  }

  // ---- phase 3: tcp-request session ------------------------------------------------------

  private tcpRequestSession(): void {
    if (evalConnectionRules(this.frontend.cfg.tcpRequestSession, this) === 'reject') {
      this.frontend.counters.deniedSess++;
      this.logs.level = LOG_SILENT;
      return this.close('P', 'R');
    }
    logConnect(this);
    this.inspect(this.frontend, this.chooseBackend);
  }

  // ---- phase 4/6: tcp-request content (with inspect-delay) --------------------------------

  /** Evaluates `px`'s content rules, waiting for data up to inspect-delay; then calls `next`. */
  private inspect(px: Proxy, next: () => void): void {
    const rules = px.cfg.tcpRequestContent;
    if (rules.length === 0) return next.call(this);
    this.state = State.Inspect;
    this.inspectFinal = !px.cfg.inspectDelay;
    const run = (): void => {
      for (const r of rules) {
        const v = r.cond ? r.cond.eval(this) : true;
        if (v === null && !this.reqDataFinal) {
          // Cannot tell yet: wait for more data or for the delay to expire.
          this.resumeInspection = run;
          this.client.resume();
          return;
        }
        if (v !== true) continue;
        if (r.action === 'reject') {
          this.clearTimer();
          px.counters.deniedReq++;
          return this.close('P', 'R');
        }
        break; // accept
      }
      this.clearTimer();
      this.resumeInspection = null;
      this.inspectFinal = false;
      next.call(this);
    };
    if (px.cfg.inspectDelay) {
      this.setTimer(px.cfg.inspectDelay, () => {
        this.inspectFinal = true;
        run();
      });
    }
    run();
  }

  // ---- phase 5: backend choice -------------------------------------------------------------

  private chooseBackend(): void {
    const fe = this.frontend;
    let target: Proxy | null = null;
    for (const rule of fe.switching) {
      if (rule.cond && rule.cond.eval(this) !== true) continue;
      if (rule.target) {
        target = rule.target;
        break;
      }
      // Dynamic name: "%[...]" evaluated now; an unknown name falls through to the default.
      const name = renderLogFormat(rule.dynamic!, this);
      const found = this.host.findBackend(name);
      if (found) {
        target = found;
        break;
      }
    }
    target ??= fe.defaultBackend ?? (fe.backend ? fe : null);
    if (!target || !target.backend) {
      this.frontend.counters.reqErrors++;
      return this.close('R', 'R');
    }
    this.backend = target;
    const bc = target.counters;
    bc.beCur++;
    bc.beTotal++;
    if (bc.beCur > bc.beMax) bc.beMax = bc.beCur;
    bc.beRate.hit(Date.now());
    if (target !== fe) this.inspect(target, this.assignServer);
    else this.assignServer();
  }

  // ---- phase 7: server choice (load balancing, queue) ---------------------------------------

  private assignServer(avoid: Server | null = null): void {
    const be = this.backend!.backend!;
    // Source hashing reads the address text itself (no key for UNIX clients), rdp-cookie the request buffer.
    const key = be.lb.needsKey ? tcpBalanceKey(be.cfg.balance, this.reqData, this.family === 'unix' ? '' : this.srcAddr) : null;
    const queuedBefore = be.queue.length;
    const r = be.assign(key, avoid, this);
    if (r === 'no-server' || r === 'queue-full') return this.close('S', 'C');
    if (r === 'queued') {
      // %bq: the streams served from the backend queue before this one, itself included (FIFO).
      if (be.queue.length > queuedBefore) this.logs.beQueuePos = be.queue.length;
      this.state = State.Queued;
      this.gone = false;
      const t = this.backend!.cfg.timeouts;
      this.setTimer(t.queue ?? t.connect ?? 0, this.onQueueTimeout);
      return;
    }
    this.grant(r);
  }

  /** A slot on `server` is ours (taken by the backend): connect. */
  grant(server: Server): void {
    this.clearTimer();
    this.logs.tQueue = this.logs.elapsed();
    this.logs.server = server;
    this.server = server;
    server.streams.add(this);
    this.connectServer();
  }

  private onQueueTimeout = (): void => {
    this.logs.tQueue = this.logs.elapsed();
    const be = this.backend!.backend!;
    be.queue.remove(this);
    this.close('s', 'Q');
  };

  // ---- phase 8: connection to the server (retries, redispatch) ------------------------------

  private connectServer(): void {
    const server = this.server!;
    const target = server.target!;
    const be = this.backend!.cfg;
    this.state = State.Connecting;
    const port = 'path' in target ? 0 : target.offset ? this.dstPort + target.port : target.port;
    const src = server.cfg.source ?? be.source;
    const opts = { localAddress: src?.host, localPort: src?.port || undefined, keepAlive: be.option('tcpka') || be.option('srvtcpka') };
    // The PROXY header goes out in clear, before a TLS handshake.
    const proxyHdr = server.cfg.sendProxy ? this.proxyHeader(server.cfg.sendProxy) : null;
    const tls = server.cfg.tls;
    const sock = openServerSocket(target, port, opts, tls.ssl
      ? (raw) => {
        if (proxyHdr) raw.write(proxyHdr);
        return connectServerTls(raw, tls, tlsServerName(tls, this));
      }
      : null);
    if (proxyHdr && !tls.ssl) sock.write(proxyHdr);
    this.srv = sock;
    sock.setTimeout(be.timeouts.connect ?? 0);
    sock.on(sock instanceof TLSSocket ? 'secureConnect' : 'connect', this.onServerConnect);
    sock.on('error', this.onServerError);
    sock.on('timeout', this.onServerTimeout);
    sock.on('close', this.onServerClose);
    sock.on('end', this.onServerEnd);
    sock.on('data', this.onServerData);
    sock.pause();
  }

  private proxyHeader(version: 1 | 2): Buffer {
    const fam = this.family === 'unix' ? 'unix' : this.family === 'ipv6' ? 'tcp6' : 'tcp4';
    return version === 1
      ? buildProxyV1(this.srcAddr, this.srcPort, this.dstAddr, this.dstPort, fam)
      : buildProxyV2(this.srcAddr, this.srcPort, this.dstAddr, this.dstPort, fam);
  }

  private onServerConnect = (): void => {
    const L = this.logs;
    L.tConnect = L.elapsed();
    const srv = this.srv!;
    if (logsTraffic(this.frontend)) logServerEnds(L, socketEnds(srv, this.server!.cfg.addrText));
    this.server!.check?.trafficSuccess();
    this.tunnel();
  };

  /** A connection attempt failed: retry (after HAProxy's 1 s turn-around) or redispatch. */
  private connectFailed(timeout: boolean): void {
    const server = this.server!;
    this.dropServerSocket();
    const next = afterConnectFailure(server, this.backend!, this.retriesDone);
    if (next === 'give-up') return this.close(timeout ? 's' : 'S', 'C');
    this.retriesDone++;
    this.logs.retries = this.retriesDone;
    if (next === 'redispatch') {
      this.logs.redispatched = true;
      this.releaseServer();
      return this.assignServer(server);
    }
    // Refused connections are retried after 1 s so a failing server is not hammered.
    if (timeout) this.connectServer();
    else this.setTimer(1000, () => this.connectServer());
  }

  // ---- phase 9: tunnel ----------------------------------------------------------------------

  private tunnel(): void {
    const srv = this.srv!;
    const be = this.backend!.cfg;
    const fe = this.frontend.cfg;
    this.state = State.Tunnel;
    const tunnel = be.timeouts.tunnel;
    srv.setTimeout(tunnel ?? be.timeouts.server ?? 0);
    this.client.setTimeout(tunnel ?? fe.timeouts.client ?? 0);
    if (this.pendingLen > 0) {
      // Inspected bytes may be referred to by samples (req.payload in variables): written, not given back.
      for (const b of this.pending) this.forwardToServer(b, false);
      this.pending = [];
      this.pendingLen = 0;
      this.pendingCache = null;
    }
    if (this.clientEnded) this.shutServer();
    srv.resume();
    this.client.resume();
  }

  private forwardToServer(chunk: Buffer, giveBack: boolean): void {
    this.listener.counters.bytesIn += chunk.length;
    this.logs.bytesIn += chunk.length;
    this.frontend.counters.bytesIn += chunk.length;
    this.backend!.counters.bytesIn += chunk.length;
    this.server!.counters.bytesIn += chunk.length;
    if (!(giveBack ? writeReleasing(this.srv!, chunk) : this.srv!.write(chunk))) {
      this.client.pause();
      this.srv!.once('drain', this.resumeClient);
    }
  }

  private resumeClient = (): void => {
    if (this.state === State.Tunnel) this.client.resume();
  };

  private resumeServer = (): void => {
    if (this.state === State.Tunnel) this.srv?.resume();
  };

  private onClientData = (chunk: Buffer): void => {
    if (this.state === State.Tunnel) return this.forwardToServer(chunk, true);
    // Before the tunnel: keep the bytes (bounded by tune.bufsize) for inspection and for the server.
    this.logs.bytesIn += chunk.length;
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    this.pendingCache = null;
    if (this.pendingLen >= this.host.bufsize) this.client.pause();
    this.resumeInspection?.();
  };

  private onServerData = (chunk: Buffer): void => {
    this.listener.counters.bytesOut += chunk.length;
    this.logs.bytesOut += chunk.length;
    this.frontend.counters.bytesOut += chunk.length;
    this.backend!.counters.bytesOut += chunk.length;
    this.server!.counters.bytesOut += chunk.length;
    if (!writeReleasing(this.client, chunk)) {
      this.srv!.pause();
      this.client.once('drain', this.resumeServer);
    }
  };

  private onClientEnd = (): void => {
    this.clientEnded = true;
    if (this.state === State.Tunnel) this.shutServer();
    else if (this.resumeInspection) this.resumeInspection();
    else if (this.state === State.Queued || this.state === State.Idle) {
      // Client gave up before a server was found (HAProxy's "CQ").
      if (this.pendingLen === 0) this.close('C', this.state === State.Queued ? 'Q' : 'R');
    }
  };

  private onServerEnd = (): void => {
    this.serverEnded = true;
    this.applyFinTimeouts();
    if (this.state === State.Tunnel) this.client.end();
    if (this.clientEnded) this.close('-', '-');
  };

  private shutServer(): void {
    this.applyFinTimeouts();
    this.srv?.end();
    if (this.serverEnded) this.close('-', '-');
  }

  /** Once one direction is closed, the *-fin timeouts (if set) replace the others. */
  private applyFinTimeouts(): void {
    const cf = this.frontend.cfg.timeouts.clientFin;
    const sf = this.backend?.cfg.timeouts.serverFin;
    if (cf) this.client.setTimeout(cf);
    if (sf && this.srv) this.srv.setTimeout(sf);
  }

  // ---- errors and timeouts ---------------------------------------------------------------------

  private onClientError = (): void => {
    if (this.state === State.Tunnel) this.backend!.counters.clientAborts++;
    this.close('C', this.phaseLetter());
  };

  private onClientClose = (): void => {
    if (this.state !== State.Closed) this.close(this.state === State.Tunnel ? '-' : 'C', this.phaseLetter());
  };

  private onClientTimeout = (): void => {
    this.close('c', this.phaseLetter());
  };

  private onServerError = (): void => {
    if (this.state === State.Connecting) return this.connectFailed(false);
    this.backend!.counters.serverAborts++;
    this.server!.counters.serverAborts++;
    this.close('S', 'D');
  };

  private onServerTimeout = (): void => {
    if (this.state === State.Connecting) return this.connectFailed(true);
    this.close('s', 'D');
  };

  private onServerClose = (): void => {
    if (this.state === State.Tunnel && !this.serverEnded) this.close('S', 'D');
    else if (this.state === State.Tunnel && this.clientEnded) this.close('-', '-');
  };

  shutdownByServerState(): void {
    this.close('D', this.phaseLetter());
  }

  private phaseLetter(): TermPhase {
    switch (this.state) {
      case State.Queued: return 'Q';
      case State.Connecting: return 'C';
      case State.Tunnel: return 'D';
      default: return 'R';
    }
  }

  // ---- phase 10: end ---------------------------------------------------------------------------

  private setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    if (ms > 0) this.timer = setTimeout(fn, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private dropServerSocket(): void {
    const s = this.srv;
    if (!s) return;
    this.srv = null;
    s.removeAllListeners();
    s.on('error', noop);
    s.destroy();
  }

  private releaseServer(): void {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.streams.delete(this);
    this.backend!.backend!.release(server);
  }

  /** Ends the stream once: sockets, timers, slots and counters are all released here. */
  close(cause: TermCause, phase: TermPhase): void {
    if (this.state === State.Closed) return;
    const wasQueued = this.state === State.Queued;
    const awaitingProxyHeader = this.resumeInspection === this.readProxyHeader;
    this.state = State.Closed;
    this.termCause = cause;
    this.termPhase = phase;
    this.clearTimer();
    this.resumeInspection = null;
    if (wasQueued && !this.gone) {
      const be = this.backend!.backend!;
      be.queue.remove(this);
      for (const s of be.servers) s.queue.remove(this);
    }
    const linger = !(this.frontend.cfg.option('nolinger') || this.backend?.cfg.option('nolinger'));
    if (debugTrace.on) traceClose(this.traceNo, (this.backend ?? this.frontend).name, fdOf(this.client), fdOf(this.srv));
    if (this.srv) {
      const s = this.srv;
      this.srv = null;
      s.removeAllListeners('data');
      s.on('error', noop);
      if (linger) s.destroy();
      else s.resetAndDestroy();
    }
    // %sc as HAProxy reads it: the slot handed to a queued stream below is not taken yet there.
    if (this.server) this.logs.serverConns = this.server.curConns - 1;
    this.releaseServer();
    if (this.backend) this.backend.counters.beCur--;
    this.client.removeAllListeners('data');
    this.client.on('error', noop);
    if (linger) this.client.destroy();
    else this.client.resetAndDestroy();
    this.log(awaitingProxyHeader);
    this.host.streamEnded(this);
  }

  /** The log line, before the frontend count drops; a connection still waiting for its PROXY header is an embryonic session error. */
  private log(awaitingProxyHeader: boolean): void {
    const L = this.logs;
    L.termCause = this.termCause;
    L.termPhase = this.termPhase;
    L.tClose = L.elapsed();
    if (!awaitingProxyHeader) {
      // The ID of a TCP connection is built when first needed, at the latest for its log line.
      if (this.frontend.cfg.log.compiledUniqueId) this.uniqueId();
      return logStream(this);
    }
    if (L.level === LOG_SILENT) return;
    logSessionError(this, this.termCause === 'c' ? ProxyHeaderError.Timeout : L.bytesIn > 0 ? ProxyHeaderError.Truncated : ProxyHeaderError.Closed);
  }
}
// srcAddr, srcPort, dstAddr, dstPort and family are accessors over \`ends\` (see lazyClientEnds).
export interface Stream extends ClientEnds {}
lazyClientEnds(Stream.prototype);

function noop(): void {}

