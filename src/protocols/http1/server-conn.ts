// One HTTP/1 connection to a server. Its socket handlers are created once per connection and
// dispatch to the current owner (the stream using it) or, while idle in the pool, close it on
// any event: an idle connection must not receive data, and a close must remove it from the pool.
import { connect, type Socket } from 'node:net';
import type { Conn } from '../tcp/conn.ts';
import { HandleSocket } from '../tcp/handle-socket.ts';
import { TLSSocket } from 'node:tls';
import type { Server, ServerTarget } from '../../runtime/server.ts';
import { socketEnds, type ServerEnds } from '../../runtime/session.ts';
import { connectServerTls } from '../tls/connect.ts';
import { PoolState, type ConnPool, type PoolMember } from './conn-pool.ts';

export interface ServerConnOwner {
  onServerConnect(): void;
  onServerData(chunk: Buffer): void;
  onServerEnd(): void;
  onServerClose(): void;
  onServerError(err: Error): void;
  onServerTimeout(): void;
  onServerDrain(): void;
}

export interface ConnectOptions {
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly keepAlive: boolean;
  /** The SNI of a TLS connection ("sni" expression of the server), null without. */
  readonly sni: string | null;
}

export class ServerConn implements PoolMember {
  readonly sock: Conn;
  readonly server: Server;
  /** The SNI it was opened with: only a request with the same SNI may reuse it. */
  readonly sni: string | null;
  owner: ServerConnOwner | null = null;
  /** Requests sent over this connection (max-reuse). */
  uses = 0;
  connected = false;
  closed = false;
  /** Its server's pool on this thread, which counts it while used and keeps it while idle. */
  readonly pool: ConnPool<ServerConn>;
  poolState: PoolState = PoolState.None;
  idlePrev: ServerConn | null = null;
  idleNext: ServerConn | null = null;
  /** Both ends, read when a logging frontend first asks (see logServerEnds), then kept for every request on the connection. */
  private endsRead: ServerEnds | null = null;

  /** Opens a connection that carries a request at once (counted as used by its pool). */
  constructor(server: Server, pool: ConnPool<ServerConn>, port: number, opts: ConnectOptions) {
    this.server = server;
    this.pool = pool;
    this.sni = opts.sni;
    const t = server.target!;
    this.sock = openServerSocket(t, port, opts, server.cfg.tls.ssl ? (raw) => connectServerTls(raw, server.cfg.tls, opts.sni) : null);
    pool.use(this);
    const s = this.sock;
    s.on(s instanceof TLSSocket ? 'secureConnect' : 'connect', this.onConnect);
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('close', this.onClose);
    s.on('error', this.onError);
    s.on('timeout', this.onTimeout);
    s.on('drain', this.onDrain);
  }

  ends(): ServerEnds {
    return (this.endsRead ??= socketEnds(this.sock));
  }

  private onConnect = (): void => {
    this.connected = true;
    this.owner?.onServerConnect();
  };
  private onData = (chunk: Buffer): void => {
    if (this.owner) this.owner.onServerData(chunk);
    else this.destroy();
  };
  private onEnd = (): void => {
    if (this.owner) this.owner.onServerEnd();
    else this.destroy();
  };
  private onClose = (): void => {
    this.closed = true;
    this.pool.forget(this);
    this.owner?.onServerClose();
  };
  private onError = (err: Error): void => {
    if (this.owner) this.owner.onServerError(err);
    else this.destroy();
  };
  private onTimeout = (): void => {
    if (this.owner) this.owner.onServerTimeout();
    else this.destroy();
  };
  private onDrain = (): void => {
    this.owner?.onServerDrain();
  };

  /** True while the socket can carry another request. */
  get reusable(): boolean {
    return this.connected && !this.closed && !this.sock.destroyed && this.sock.writable && this.sock.readable;
  }

  destroy(): void {
    this.owner = null;
    this.pool.forget(this);
    if (!this.closed) this.sock.destroy();
    this.closed = true;
  }
}

/**
 * A connection to a server target: clear TCP on its libuv handle (HandleSocket), UNIX sockets
 * and TLS (`tls` wraps the socket below it) on net.Socket.
 */
export function openServerSocket(t: ServerTarget, port: number, opts: Omit<ConnectOptions, 'sni'>, tls: ((raw: Socket) => Conn) | null): Conn {
  if ('path' in t) {
    const raw = connect({ path: t.path, allowHalfOpen: true });
    return tls ? tls(raw) : raw;
  }
  const o = { host: t.host, port, allowHalfOpen: true, noDelay: true, localAddress: opts.localAddress, localPort: opts.localPort, keepAlive: opts.keepAlive };
  return tls ? tls(connect(o)) : HandleSocket.connect(o);
}
