// HTTP/2 towards a server ("proto h2", or TLS with "alpn h2"): a request is a stream on one of
// the server's few HTTP/2 connections, which streams share (HAProxy's h2 backend mux). gRPC
// needs this: its servers speak HTTP/2 only, and its status travels in response trailers.
import type { Conn } from '../protocols/tcp/conn.ts';
import { TLSSocket } from 'node:tls';
import { BodyKind, HttpHeaders, HttpResponse, originForm, type HttpRequest } from '../protocols/http1/message.ts';
import { httpReason } from '../protocols/http1/reason.ts';
import { H2Connection, type H2ConnectionOwner, type H2StreamHandler } from '../protocols/http2/connection.ts';
import { H2Code, type H2Error } from '../protocols/http2/errors.ts';
import type { H2Settings } from '../protocols/http2/settings.ts';
import { connectServerTls } from '../protocols/tls/connect.ts';
import { openServerSocket, type ConnectOptions } from '../protocols/http1/server-conn.ts';
import type { Server } from './server.ts';
import type { ServerConfig } from '../config/model.ts';

/** What the HTTP stream hears from its request's stream. */
export interface UpstreamOwner {
  onServerConnect(): void;
  onUpstreamResponse(res: HttpResponse, kind: BodyKind, length: number): void;
  onUpstreamData(data: Buffer, end: boolean): void;
  onUpstreamTrailers(trailers: HttpHeaders): void;
  /** The stream or its connection failed (refused, reset, closed, GOAWAY beyond it). */
  onServerError(err: Error): void;
  onServerDrain(): void;
}

/** Streams queued on a connection that is not established yet (the peer's limit is unknown). */
const WAITING_MAX = 100;

/** One HTTP/2 connection to a server. */
class H2Upstream implements H2ConnectionOwner {
  readonly sock: Conn;
  readonly conn: H2Connection;
  readonly sni: string | null;
  private readonly pool: H2UpstreamPool;
  private readonly server: Server;
  connected = false;
  /** No new streams: GOAWAY received, or the connection failed. */
  closing = false;
  /** http-reuse never: the connection serves the stream it was opened for, then closes. */
  privateConn = false;
  readonly streams = new Map<number, UpstreamStream>();
  /** Streams waiting for the connection to be established. */
  private readonly waiting: UpstreamStream[] = [];

  constructor(pool: H2UpstreamPool, server: Server, port: number, opts: ConnectOptions, settings: H2Settings) {
    this.pool = pool;
    this.server = server;
    this.sni = opts.sni;
    const t = server.target!;
    this.sock = openServerSocket(t, port, opts, server.cfg.tls.ssl ? (raw) => connectServerTls(raw, server.cfg.tls, opts.sni) : null);
    this.sock.on(this.sock instanceof TLSSocket ? 'secureConnect' : 'connect', this.onConnect);
    this.sock.on('error', this.onSocketError);
    this.conn = new H2Connection(this.sock, this, settings, 'client');
  }

  /** Another stream fits: not closing, under the server's stream limit (before its SETTINGS: the waiting ones count). */
  get hasRoom(): boolean {
    if (this.closing) return false;
    return this.connected ? this.conn.availableStreams > 0 : this.waiting.length < WAITING_MAX;
  }

  /** A stream waits for the connection unless it is established already (then the owner goes on at once). */
  open(s: UpstreamStream): void {
    if (!this.connected) this.waiting.push(s);
  }

  attach(id: number, s: UpstreamStream): void {
    this.streams.set(id, s);
  }

  detach(s: UpstreamStream): void {
    if (s.id >= 0) this.streams.delete(s.id);
    else {
      const i = this.waiting.indexOf(s);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    // An idle connection stays for the next requests; pool-purge-delay closes it (pool.ts).
    if (this.streams.size === 0 && this.waiting.length === 0) this.pool.idle(this);
  }

  private onConnect = (): void => {
    if (alpnChooses(this.server.cfg) && !negotiatedH2(this.sock)) {
      this.server.alpnH2 = false;
      return this.fail(new AlpnPickedHttp1('the server chose HTTP/1 by ALPN'));
    }
    this.connected = true;
    this.conn.start(Buffer.alloc(0));
    for (const s of this.waiting.splice(0)) s.ready();
  };

  private onSocketError = (err: Error): void => {
    this.fail(err);
  };

  onRequest(): H2StreamHandler | null {
    return null; // the client role receives no requests
  }

  onResponse(id: number, fields: string[], endStream: boolean): void {
    this.streams.get(id)?.onResponse(fields, endStream);
  }

  onGoaway(lastStreamId: number): void {
    this.closing = true;
    this.pool.forget(this);
    for (const [id, s] of this.streams) if (id > lastStreamId) s.onReset(H2Code.REFUSED_STREAM);
  }

  onClose(err: H2Error | null): void {
    this.fail(err ?? new Error('server connection closed'));
  }

  private fail(err: Error): void {
    if (this.closing && this.streams.size === 0 && this.waiting.length === 0) return this.pool.forget(this);
    this.closing = true;
    this.pool.forget(this);
    for (const s of this.waiting.splice(0)) s.failed(err);
    for (const s of [...this.streams.values()]) s.failed(err);
    this.sock.destroy();
  }

  close(): void {
    this.closing = true;
    this.conn.goaway(H2Code.NO_ERROR);
    this.sock.end();
    this.sock.destroySoon();
  }
}

/** One request on an HTTP/2 server connection: what HttpStream holds instead of an HTTP/1 connection. */
export class UpstreamStream implements H2StreamHandler {
  readonly up: H2Upstream;
  owner: UpstreamOwner | null;
  id = -1;
  private inputPaused = false;
  private unacked = 0;
  private isHead = false;
  private done = false;

  constructor(up: H2Upstream, owner: UpstreamOwner) {
    this.up = up;
    this.owner = owner;
  }

  get sock(): Conn {
    return this.up.sock;
  }

  get connected(): boolean {
    return this.up.connected;
  }

  /** The connection is established (now or earlier). */
  ready(): void {
    this.owner?.onServerConnect();
  }

  /** Opens the stream with the request head; `end`: no body follows. */
  sendHead(req: HttpRequest, scheme: string, end: boolean): void {
    this.isHead = req.method === 'HEAD';
    const h = req.headers;
    const fields: string[] = [':method', req.method, ':scheme', scheme, ':authority', h.get('host') ?? '', ':path', originForm(req.uri)];
    for (let i = 0; i < h.length; i++) {
      const n = h.lowerName(i);
      if (n === 'host' || n === 'connection' || n === 'keep-alive' || n === 'proxy-connection' || n === 'transfer-encoding' || n === 'upgrade') continue;
      if (n === 'te' && h.values[i]!.toLowerCase() !== 'trailers') continue;
      fields.push(n, h.values[i]!);
    }
    const id = this.up.conn.request(fields, end, this);
    if (id < 0) return this.failed(new Error('no stream available on the server connection'));
    this.id = id;
    this.up.attach(id, this);
  }

  write(data: Buffer): boolean {
    if (this.id < 0 || this.done) return true;
    return this.up.conn.sendData(this.id, data, false);
  }

  /** The request body ended (with trailers, or none). */
  end(trailers: HttpHeaders | null): void {
    if (this.id < 0 || this.done) return;
    if (trailers && trailers.length > 0) {
      const f: string[] = [];
      for (let i = 0; i < trailers.length; i++) f.push(trailers.lowerName(i), trailers.values[i]!);
      this.up.conn.sendTrailers(this.id, f);
    } else this.up.conn.sendData(this.id, EMPTY, true);
  }

  pause(): void {
    this.inputPaused = true;
  }

  resume(): void {
    this.inputPaused = false;
    if (this.unacked > 0 && this.id >= 0 && !this.done) this.up.conn.consumed(this.id, this.unacked);
    this.unacked = 0;
  }

  // ---- H2StreamHandler ----

  onResponse(fields: string[], endStream: boolean): void {
    const o = this.owner;
    if (!o) return;
    const headers = new HttpHeaders();
    let status = 0;
    let length = -1;
    for (let i = 0; i < fields.length; i += 2) {
      const n = fields[i]!;
      if (n === ':status') status = Number(fields[i + 1]);
      else if (n.charCodeAt(0) !== 0x3a) {
        headers.add(n, fields[i + 1]!);
        if (n === 'content-length') length = Number(fields[i + 1]);
      }
    }
    const res = new HttpResponse('HTTP/2.0', status, httpReason(status), headers);
    let kind: BodyKind = BodyKind.UntilClose;
    if (endStream || this.isHead || status === 204 || status === 304 || status < 200) kind = BodyKind.None;
    else if (length >= 0) kind = BodyKind.Length;
    o.onUpstreamResponse(res, kind, length);
    if (endStream && status >= 200) this.finish();
  }

  onData(data: Buffer, endStream: boolean): void {
    if (this.inputPaused) this.unacked += data.length;
    else if (data.length > 0) this.up.conn.consumed(this.id, data.length);
    if (endStream) this.finish();
    this.owner?.onUpstreamData(data, endStream);
  }

  onTrailers(fields: string[]): void {
    const t = new HttpHeaders();
    for (let i = 0; i < fields.length; i += 2) t.add(fields[i]!, fields[i + 1]!);
    this.finish();
    this.owner?.onUpstreamTrailers(t);
  }

  onReset(code: number): void {
    this.failed(new Error(`stream reset by the server (code ${code})`));
  }

  onWritable(): void {
    this.owner?.onServerDrain();
  }

  failed(err: Error): void {
    const o = this.owner;
    this.release();
    o?.onServerError(err);
  }

  private finish(): void {
    this.done = true;
  }

  /** The owner is done with the stream: reset it if it is still open. */
  release(): void {
    if (!this.done && this.id >= 0 && !this.up.closing) this.up.conn.resetStream(this.id, H2Code.CANCEL);
    this.done = true;
    this.owner = null;
    this.up.detach(this);
  }
}

/** A server's HTTP/2 connections: streams go to the first one with room; a new one opens when all are full. */
export class H2UpstreamPool {
  private readonly conns: H2Upstream[] = [];
  private readonly idleSince = new Map<H2Upstream, number>();
  private readonly server: Server;
  private readonly settings: H2Settings;
  private timer: NodeJS.Timeout | null = null;

  constructor(server: Server, settings: H2Settings) {
    this.server = server;
    this.settings = settings;
  }

  get size(): number {
    return this.conns.length;
  }

  /**
   * A stream for `owner`; unless already `connected`, `owner.onServerConnect()` follows once its
   * connection is up. `reuse`: share a connection with room ("shared"), open a new one that
   * others may share later ("new", http-reuse safe's first request), or one for this stream only
   * ("private", http-reuse never).
   */
  open(owner: UpstreamOwner, port: number, opts: ConnectOptions, reuse: 'shared' | 'new' | 'private'): UpstreamStream {
    let up: H2Upstream | undefined;
    if (reuse === 'shared') up = this.conns.find((c) => c.sni === opts.sni && !c.privateConn && c.hasRoom);
    if (!up) {
      up = new H2Upstream(this, this.server, port, opts, this.settings);
      up.privateConn = reuse === 'private';
      this.conns.push(up);
    }
    this.idleSince.delete(up);
    const s = new UpstreamStream(up, owner);
    up.open(s);
    return s;
  }

  get idleCount(): number {
    return this.idleSince.size;
  }

  idle(up: H2Upstream): void {
    const delay = this.server.cfg.poolPurgeDelay;
    if (delay <= 0 || up.privateConn) return up.close();
    this.idleSince.set(up, Date.now());
    if (!this.timer) {
      this.timer = setInterval(this.purge, delay);
      this.timer.unref();
    }
  }

  forget(up: H2Upstream): void {
    const i = this.conns.indexOf(up);
    if (i >= 0) this.conns.splice(i, 1);
    this.idleSince.delete(up);
  }

  private purge = (): void => {
    const limit = Date.now() - this.server.cfg.poolPurgeDelay;
    for (const [up, since] of this.idleSince) if (since <= limit) up.close();
    if (this.idleSince.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  };

  closeAll(): void {
    for (const up of [...this.conns]) up.close();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

const EMPTY = Buffer.alloc(0);

const pools = new WeakMap<Server, H2UpstreamPool>();

/** The HTTP/2 connections of `server`. */
export function upstreamPool(server: Server, settings: H2Settings): H2UpstreamPool {
  let p = pools.get(server);
  if (!p) pools.set(server, (p = new H2UpstreamPool(server, settings)));
  return p;
}

/** HTTP/2 connections to `server` without a stream, on this thread. */
export function upstreamIdleCount(server: Server): number {
  return pools.get(server)?.idleCount ?? 0;
}

/**
 * Whether requests to a server go as HTTP/2: "proto h2", TLS whose ALPN offers h2 alone, or
 * offers h2 among others (alpnChooses) to a server that chose h2 last time.
 */
export function speaksH2(server: Server): boolean {
  const cfg = server.cfg;
  if (cfg.proto !== null) return cfg.proto === 'h2';
  const alpn = cfg.tls.ssl ? cfg.tls.alpn : null;
  if (alpn === null || !alpn.includes('h2')) return false;
  return alpn.length === 1 || server.alpnH2 === true;
}

/** TLS to a server whose ALPN offer lets it choose between HTTP/2 and HTTP/1 (as HAProxy's mux choice after the handshake). */
export function alpnChooses(cfg: ServerConfig): boolean {
  const alpn = cfg.tls.ssl ? cfg.tls.alpn : null;
  return cfg.proto === null && alpn !== null && alpn.length > 1 && alpn.includes('h2');
}

/** What a server connection's TLS handshake settled: true for h2 (TLS ALPN), false otherwise. */
export function negotiatedH2(sock: Conn): boolean {
  return sock instanceof TLSSocket && sock.alpnProtocol === 'h2';
}

/** A server that offered a choice picked HTTP/1 for a connection opened as HTTP/2: the request goes again over HTTP/1. */
export class AlpnPickedHttp1 extends Error {}
