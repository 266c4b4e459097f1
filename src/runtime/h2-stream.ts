// One HTTP/2 stream of a client connection: one transaction, through the same lifecycle as an
// HTTP/1 request (rules, backend, server, response rules, logs; http-stream.ts). Only the client
// side differs: the request arrives decoded (HEADERS, DATA, trailers), the response leaves as
// HEADERS/DATA frames on the connection, flow control replaces socket pause/resume, and the
// stream ends after its transaction instead of waiting for the next request.
//
// CONNECT (RFC 9113 8.5) and extended CONNECT (RFC 8441: WebSockets) go to HTTP/1 servers as
// "CONNECT host:port" and as a GET upgrade (to-http1.ts); once answered 2xx or 101 (sent to the
// client as 200), the stream is a tunnel: DATA frames to and from raw bytes, END_STREAM to and
// from half-closes, under flow control and "timeout tunnel". As HAProxy, a tunnel that ends
// or is refused leaves the stream with END_STREAM then RST_STREAM(CANCEL) if the client's side
// is still open.
import type { Sample, VarScope } from '../sample/types.ts';
import { BodyKind, HttpHeaders, type HttpRequest, type HttpResponse } from '../protocols/http1/message.ts';
import { H1Conn } from '../protocols/http1/parser.ts';
import { headLength } from '../protocols/http1/serialize.ts';
import { H2Code } from '../protocols/http2/errors.ts';
import type { H2StreamHandler } from '../protocols/http2/connection.ts';
import { Tunnel, toHttp1Request } from '../protocols/http2/to-http1.ts';
import { isWebSocketUpgrade, newWebSocketKey, webSocketAcceptValid } from '../protocols/http2/websocket-key.ts';
import type { H2Session } from './h2-session.ts';
import { HttpStream, Phase } from './http-stream.ts';

const EMPTY = Buffer.alloc(0);

export class H2Stream extends HttpStream implements H2StreamHandler {
  readonly session: H2Session;
  readonly id: number;
  /** Request body bytes forwarded but not yet given back to the client's window (input paused). */
  private unacked = 0;
  private inputPaused = false;
  /** END_STREAM (or RST_STREAM) went out: nothing more may be sent on the stream. */
  private outClosed = false;
  /** The request's trailers, forwarded with the last chunk once the body before them has gone. */
  private reqTrailers: HttpHeaders | null = null;
  /** CONNECT or extended CONNECT: the stream may become a tunnel. */
  private tunnel: Tunnel = Tunnel.None;
  /** The Sec-WebSocket-Key we generated for the server, whose answer must match it. */
  private wsKey: string | null = null;
  /** A tunnel's client-side idle timer (timeout tunnel, else timeout client). */
  private tunnelTimer: NodeJS.Timeout | null = null;

  constructor(session: H2Session, id: number) {
    super(session.host, session.frontend, session.listener, session.client, session);
    this.session = session;
    this.id = id;
    this.requestCount = session.streamCount;
  }

  /** Session variables belong to the connection, shared by its streams. */
  override vars(scope: VarScope): Map<string, Sample> {
    return scope === 'sess' ? this.session.sessVars : super.vars(scope);
  }

  /**
   * The request HEADERS (already validated by the connection: pseudo-headers first, no
   * connection-specific fields), converted into one HTTP/2.0 message for rules and HTTP/1
   * servers (to-http1.ts): an absolute URI, Host from :authority, cookie crumbs joined.
   */
  begin(fields: readonly string[], endStream: boolean): void {
    const r = toHttp1Request(fields);
    if (r === null) {
      this.reqStarted = true;
      this.clientEnded = true;
      return this.requestError(400);
    }
    this.tunnel = r.tunnel;
    if (endStream) {
      this.reqKind = BodyKind.None;
      this.clientEnded = true;
    } else if (r.tunnel !== Tunnel.None) {
      // What the client sends next is the tunnel's, once the server accepts it.
      this.reqKind = BodyKind.None;
    } else if (r.length >= 0) {
      this.reqKind = r.length === 0 ? BodyKind.None : BodyKind.Length;
      this.reqRemaining = r.length;
    } else {
      // A body of unknown length goes chunked to the HTTP/1.1 server.
      this.reqKind = BodyKind.UntilClose;
      r.req.headers.add('transfer-encoding', 'chunked');
    }
    this.reqStarted = true;
    const head = headLength(r.req.method.length + r.req.uri.length + 10, r.req.headers); // "<method> <uri> HTTP/2.0"
    this.logs.bytesIn += head;
    this.listener.counters.bytesIn += head;
    this.startTransaction(r.req, r.tunnel === Tunnel.Upgrade ? H1Conn.Upgrade : 0, false);
  }

  /** A request the connection reset as malformed: logged as HAProxy does (<BADREQ>, PR--, status 0, no reply). */
  malformed(): void {
    this.outClosed = true;
    this.noReply = true;
    this.reqStarted = true;
    this.frontend.counters.reqErrors++;
    this.close('P', 'R');
  }

  // ---- H2StreamHandler: what the connection tells the stream ----------------------------------

  onData(data: Buffer, endStream: boolean): void {
    this.logs.bytesIn += data.length;
    this.listener.counters.bytesIn += data.length;
    if (this.phase === Phase.Tunnel) return this.tunnelData(data, endStream);
    // A body arriving after the response ended is dropped; its bytes still reopen the connection's window.
    if (this.phase === Phase.Closed) return this.session.conn.consumed(this.id, data.length);
    if (data.length > 0) this.inBuf = this.inBuf.length === 0 ? data : Buffer.concat([this.inBuf, data]);
    if (endStream) this.clientEnded = true;
    this.processBody();
  }

  onTrailers(fields: string[]): void {
    if (this.phase === Phase.Closed) return;
    // A tunnel carries no trailers: they only end the client's side.
    if (this.phase === Phase.Tunnel) return this.tunnelData(EMPTY, true);
    const t = new HttpHeaders();
    for (let i = 0; i < fields.length; i += 2) t.add(fields[i]!, fields[i + 1]!);
    this.reqTrailers = t;
    this.clientEnded = true;
    this.processBody();
  }

  onReset(_code: number, socketClosed = false): void {
    this.outClosed = true;
    if (this.phase === Phase.Closed) return;
    // As HAProxy, the client's connection closing is the normal end of its tunnels; a reset is an abort.
    if (this.phase === Phase.Tunnel && socketClosed) return this.close('-', '-');
    if (this.backend && (this.phase === Phase.Exchange || this.phase === Phase.Tunnel)) this.backend.counters.clientAborts++;
    this.close('C', this.phaseLetter());
  }

  onWritable(): void {
    this.onClientDrain();
  }

  // ---- tunnels (CONNECT, extended CONNECT) ------------------------------------------------------

  /** The server accepted the tunnel: the client's early bytes and end go to it, the idle timer starts. */
  protected override tunnelClient(timeout: number): void {
    if (timeout > 0) this.tunnelTimer = setTimeout(onTunnelTimeout, timeout, this);
    this.resumeClient();
    if (this.inBuf.length > 0) this.tunnelData(this.inBuf, false);
    this.inBuf = EMPTY;
    if (this.clientEnded) this.conn?.sock.end();
  }

  /** Client DATA in a tunnel: raw bytes to the server, whose backpressure holds the client's window. */
  private tunnelData(data: Buffer, endStream: boolean): void {
    this.tunnelTimer?.refresh();
    if (data.length > 0) {
      this.writeServer(data);
      this.requestBodyConsumed(data.length);
    }
    if (!endStream) return;
    // The server hears the half-close; if it left already, the tunnel ends once its socket closes.
    this.clientEnded = true;
    this.conn?.sock.end();
  }

  /** The client went quiet in a tunnel for its timeout. */
  tunnelTimedOut(): void {
    if (this.phase === Phase.Tunnel) this.close('c', 'D');
  }

  override onServerEnd(): void {
    if (this.phase !== Phase.Tunnel) return super.onServerEnd();
    // The server's half-close: END_STREAM. A CONNECT client may still send; an upgraded
    // stream ends there, as with HAProxy (its client's side is then cancelled).
    if (!this.outClosed) {
      this.outClosed = true;
      this.session.conn.sendData(this.id, EMPTY, true);
    }
    if (this.clientEnded || this.tunnel === Tunnel.Upgrade) this.close('-', '-');
  }

  override onServerClose(): void {
    // Both sides ended their tunnel (the server first): a normal end.
    if (this.phase === Phase.Tunnel && this.clientEnded && this.outClosed) return this.close('-', '-');
    super.onServerClose();
  }

  /** Extended CONNECT for a WebSocket: the HTTP/1 server gets the key the HTTP/2 request has not (last, as HAProxy adds it). */
  protected override requestHeadersPrepared(req: HttpRequest): void {
    if (this.tunnel !== Tunnel.Upgrade) return;
    const h = req.headers;
    if (h.has('sec-websocket-key') || !isWebSocketUpgrade(h)) return;
    this.wsKey = newWebSocketKey();
    h.add('Sec-Websocket-Key', this.wsKey);
  }

  protected override validResponseHead(res: HttpResponse): boolean {
    return webSocketAcceptValid(res.headers, this.wsKey);
  }

  // ---- the client side of the lifecycle (overrides of http-stream.ts) ------------------------

  protected override requestTrailers(): HttpHeaders | null {
    return this.reqTrailers;
  }

  protected override carriesTrailers(): boolean {
    return true;
  }

  protected override pauseClient(): void {
    this.inputPaused = true;
  }

  protected override resumeClient(): void {
    this.inputPaused = false;
    this.giveWindowBack();
  }

  /** Flow control is the backpressure: the client's window reopens as its body leaves for the server. */
  protected override requestBodyConsumed(n: number): void {
    if (this.inputPaused) this.unacked += n;
    else this.session.conn.consumed(this.id, n);
  }

  /** Bytes held back while input was paused reopen the window (the connection's, at least, once the stream is gone). */
  private giveWindowBack(): void {
    if (this.unacked === 0) return;
    this.session.conn.consumed(this.id, this.unacked);
    this.unacked = 0;
  }

  protected override corkClient(): void {}

  protected override uncorkClient(): void {}

  protected override clientWrite(data: Buffer): boolean {
    if (this.outClosed) return true;
    this.tunnelTimer?.refresh();
    // The last bytes of a body of known length carry END_STREAM (no empty DATA frame after them).
    const last = this.resKind === BodyKind.Length && data.length === this.resRemaining;
    if (last) this.outClosed = true;
    return this.session.conn.sendData(this.id, data, last);
  }

  protected override sendContinue(): void {
    if (!this.outClosed) this.session.conn.respond(this.id, [':status', '100'], false);
  }

  protected override sendHead(res: HttpResponse): void {
    if (this.outClosed) return;
    const h = res.headers;
    // HTTP/2 has no 101: an accepted extended CONNECT is a 200 (RFC 8441 5).
    const status = res.status === 101 && this.tunnel === Tunnel.Upgrade ? 200 : res.status;
    const fields: string[] = [':status', String(status)];
    // Counted as the HTTP/1.1 head of the same fields (headLength()).
    let bytes = 17 + res.reason.length; // "HTTP/1.1 200 <reason>" and the CRLFs ending it and the head
    for (let i = 0; i < h.length; i++) {
      const n = h.lowerName(i);
      if (isConnectionSpecific(n)) continue;
      const v = h.values[i]!;
      fields.push(n, v);
      bytes += n.length + v.length + 4;
    }
    this.session.conn.respond(this.id, fields, false);
    this.countOut(bytes);
  }

  protected override prepareResponse(): void {
    // Nothing to add: HTTP/2 has no connection header, and sendHead drops the HTTP/1 ones.
  }

  protected override forwardResponseData(data: Buffer): void {
    this.writeClient(data);
  }

  protected override forwardResponseTrailers(trailers: HttpHeaders): void {
    this.trailersSent = true;
    if (this.outClosed) return;
    const fields: string[] = [];
    for (let i = 0; i < trailers.length; i++) {
      const n = trailers.lowerName(i);
      if (!isConnectionSpecific(n)) fields.push(n, trailers.values[i]!);
    }
    this.session.conn.sendTrailers(this.id, fields);
    this.outClosed = true;
  }

  protected override endChunkedResponse(): void {
    // The stream's end (END_STREAM) goes out when the transaction ends.
  }

  /** One transaction per stream: end the stream, the connection stays. */
  protected override nextTransaction(): void {
    if (!this.outClosed) {
      this.outClosed = true;
      this.session.conn.sendData(this.id, EMPTY, true);
    }
    this.close('-', '-');
  }

  protected override closeClient(): void {
    if (this.tunnelTimer !== null) {
      clearTimeout(this.tunnelTimer);
      this.tunnelTimer = null;
    }
    this.giveWindowBack();
    const conn = this.session.conn;
    if (this.tunnel !== Tunnel.None) {
      // A tunnel, established or not, ends as HAProxy ends it: END_STREAM, then CANCEL if the client still sends.
      if (!this.outClosed) {
        this.outClosed = true;
        conn.sendData(this.id, EMPTY, true);
      }
      conn.cancelAfterEnd(this.id);
    } else if (!this.outClosed) {
      this.outClosed = true;
      conn.resetStream(this.id, H2Code.INTERNAL_ERROR);
    }
    this.session.streamEnded(this);
  }
}

function onTunnelTimeout(s: H2Stream): void {
  s.tunnelTimedOut();
}

/** Fields HTTP/2 forbids (RFC 9113 8.2.2); "te" may only say "trailers", which responses never carry. */
function isConnectionSpecific(n: string): boolean {
  return n === 'connection' || n === 'keep-alive' || n === 'proxy-connection' || n === 'transfer-encoding' || n === 'upgrade' || n === 'te';
}
