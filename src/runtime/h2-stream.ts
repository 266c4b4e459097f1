// One HTTP/2 stream of a client connection: one transaction, through the same lifecycle as an
// HTTP/1 request (rules, backend, server, response rules, logs; http-stream.ts). Only the client
// side differs: the request arrives decoded (HEADERS, DATA, trailers), the response leaves as
// HEADERS/DATA frames on the connection, flow control replaces socket pause/resume, and the
// stream ends after its transaction instead of waiting for the next request.
import type { Sample, VarScope } from '../sample/types.ts';
import { BodyKind, HttpHeaders, HttpRequest, type HttpResponse } from '../protocols/http1/message.ts';
import { H2Code } from '../protocols/http2/errors.ts';
import type { H2StreamHandler } from '../protocols/http2/connection.ts';
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
   * connection-specific fields). The request becomes HTTP/2.0 with an absolute URI and a Host
   * taken from :authority, and its cookie crumbs joined (RFC 9113 8.2.3), so that rules and
   * HTTP/1 servers see one message.
   */
  begin(fields: readonly string[], endStream: boolean): void {
    const headers = new HttpHeaders();
    let method = '';
    let scheme = '';
    let path = '';
    let authority: string | null = null;
    let cookie: string | null = null;
    let length = -1;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      const value = fields[i + 1]!;
      if (name.charCodeAt(0) === 0x3a) {
        if (name === ':method') method = value;
        else if (name === ':scheme') scheme = value;
        else if (name === ':path') path = value;
        else if (name === ':authority') authority = value;
        continue;
      }
      if (name === 'cookie') {
        cookie = cookie === null ? value : `${cookie}; ${value}`;
        continue;
      }
      if (name === 'host' && authority !== null) continue;
      if (name === 'content-length') {
        const n = parseLength(value);
        if (n < 0 || (length >= 0 && n !== length)) return this.badRequest();
        length = n;
      }
      headers.add(name, value);
    }
    if (authority !== null) {
      headers.delete('host');
      headers.add('host', authority);
    }
    if (cookie !== null) headers.add('cookie', cookie);
    // CONNECT over HTTP/2 (RFC 9113 8.5) would make the stream a tunnel: not supported yet.
    if (method === 'CONNECT') return this.refuse(501);
    if (endStream) {
      this.reqKind = BodyKind.None;
      this.clientEnded = true;
    } else if (length >= 0) {
      this.reqKind = length === 0 ? BodyKind.None : BodyKind.Length;
      this.reqRemaining = length;
    } else {
      // A body of unknown length goes chunked to the HTTP/1.1 server.
      this.reqKind = BodyKind.UntilClose;
      headers.add('transfer-encoding', 'chunked');
    }
    this.reqStarted = true;
    // As HAProxy, the target is absolute ("https://host/path"); HTTP/1 servers get the origin form.
    const uri = authority !== null ? `${scheme}://${authority}${path}` : path;
    this.startTransaction(new HttpRequest(method, uri, 'HTTP/2.0', headers), 0, false);
  }

  private badRequest(): void {
    this.reqStarted = true;
    this.refuse(400);
  }

  private refuse(status: number): void {
    this.clientEnded = true;
    this.requestError(status);
  }

  // ---- H2StreamHandler: what the connection tells the stream ----------------------------------

  onData(data: Buffer, endStream: boolean): void {
    this.logs.bytesIn += data.length;
    this.listener.counters.bytesIn += data.length;
    // A body arriving after the response ended is dropped; its bytes still reopen the connection's window.
    if (this.phase === Phase.Closed) return this.session.conn.consumed(this.id, data.length);
    if (data.length > 0) this.inBuf = this.inBuf.length === 0 ? data : Buffer.concat([this.inBuf, data]);
    if (endStream) this.clientEnded = true;
    this.processBody();
  }

  onTrailers(fields: string[]): void {
    if (this.phase === Phase.Closed) return;
    const t = new HttpHeaders();
    for (let i = 0; i < fields.length; i += 2) t.add(fields[i]!, fields[i + 1]!);
    this.reqTrailers = t;
    this.clientEnded = true;
    this.processBody();
  }

  onReset(_code: number): void {
    this.outClosed = true;
    if (this.phase === Phase.Closed) return;
    if (this.backend && this.phase === Phase.Exchange) this.backend.counters.clientAborts++;
    this.close('C', this.phaseLetter());
  }

  onWritable(): void {
    this.onClientDrain();
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
    const fields: string[] = [':status', String(res.status)];
    for (let i = 0; i < h.length; i++) {
      const n = h.lowerName(i);
      if (!isConnectionSpecific(n)) fields.push(n, h.values[i]!);
    }
    this.session.conn.respond(this.id, fields, false);
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
    this.giveWindowBack();
    if (!this.outClosed) {
      this.outClosed = true;
      this.session.conn.resetStream(this.id, H2Code.INTERNAL_ERROR);
    }
    this.session.streamEnded(this);
  }
}

/** Fields HTTP/2 forbids (RFC 9113 8.2.2); "te" may only say "trailers", which responses never carry. */
function isConnectionSpecific(n: string): boolean {
  return n === 'connection' || n === 'keep-alive' || n === 'proxy-connection' || n === 'transfer-encoding' || n === 'upgrade' || n === 'te';
}

/** A Content-Length value (digits only, at most 15 of them), or -1. */
function parseLength(v: string): number {
  if (v.length === 0 || v.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
