// A listening socket of a frontend ("bind" line). Node cannot stop polling a listening socket
// without closing it (and losing its accept queue), so when maxconn is reached, accepted
// connections are held paused (not read, no server side) in FIFO order and started as slots
// free up: clients wait as with HAProxy's paused listeners instead of being reset. The hold
// queue is bounded by the listener's backlog, like the kernel's accept queue, and by the
// descriptors left: a held connection costs one, which HAProxy's paused listener does not.
// With several threads, each thread has its own Listener object and socket on the same address
// (SO_REUSEPORT: the kernel spreads connections); UNIX and fd@ sockets cannot be shared that
// way and listen on the main thread only. A TCP bind also opens sibling sockets on its thread:
// see ACCEPT_SOCKETS.
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { chmodSync, chownSync, renameSync, rmSync } from 'node:fs';
import type { BindConfig } from '../config/model.ts';
import { ListenerCounters, processCounters } from '../observe/counters.ts';
import type { Proxy } from './proxy.ts';
import { listenerTls } from '../protocols/tls/listener-tls.ts';
import type { TlsAcceptor } from '../protocols/tls/accept.ts';
import { isMainThread, threads } from './threads/context.ts';
import type { Conn } from '../protocols/tcp/conn.ts';
import { acceptHandles } from '../protocols/tcp/handle-socket.ts';

/**
 * Listening sockets per TCP bind and process, spread over the threads. libuv accepts one
 * connection per listening socket and event-loop iteration (libuv pull request 3696); while an
 * iteration handles up to 1,024 events of busy connections, a single socket leaves new
 * connections waiting in the kernel queue for seconds. SO_REUSEPORT siblings multiply the accept
 * rate; 64 is what HAProxy accepts per listener and wake-up (tune.maxaccept). Measured with 5,000
 * keep-alive clients under load, one thread: at most ~2,000 accepted during a 10 s run with one
 * socket, 3,100 with 16, all 5,000 with 64; connection-per-request load: 3,300-3,500 req/s with
 * one socket, 4,400-4,500 with 16 (quick unpinned runs on a busy machine).
 */
const ACCEPT_SOCKETS = 64;
/** The siblings take at most one descriptor in this many of the open-file limit. */
const FDS_PER_ACCEPT_SOCKET = 256;

export interface ListenerHost {
  accept(l: Listener, sock: Conn): void;
  /** The process's open-file limit. */
  readonly fdLimit: number;
}

export class Listener {
  readonly bind: BindConfig;
  readonly proxy: Proxy;
  readonly host: ListenerHost;
  readonly isUnix: boolean;
  readonly path: string;
  readonly counters = new ListenerCounters();
  readonly held: Conn[] = [];
  readonly holdLimit: number;
  /** Connections are not held on descriptors from this one up (see hold()). */
  private readonly holdFdCeiling: number;
  /** "ssl" bind lines: connections become streams once their handshake is done. */
  private readonly tls: TlsAcceptor | null;
  private server: NetServer | null = null;
  /** The other listening sockets of a TCP bind on this thread (ACCEPT_SOCKETS). */
  private siblings: NetServer[] = [];

  /** The listening socket's descriptor (-d output), -1 when not listening. */
  get fd(): number {
    const fd = (this.server as unknown as { _handle?: { fd?: number } | null } | null)?._handle?.fd;
    return typeof fd === 'number' ? fd : -1;
  }

  constructor(bind: BindConfig, proxy: Proxy, host: ListenerHost, globalMaxconn: number) {
    this.bind = bind;
    this.proxy = proxy;
    this.host = host;
    this.isUnix = bind.addr.kind === 'unix';
    this.path = bind.addr.kind === 'unix' ? bind.addr.path : '';
    this.holdLimit = bind.backlog || proxy.cfg.backlog || proxy.maxconn || globalMaxconn || 1024;
    this.holdFdCeiling = host.fdLimit - globalMaxconn;
    this.tls = listenerTls(this);
  }

  /** Connections of this listener being served now, on every thread. */
  get cur(): number {
    return this.counters.cur;
  }

  /** Whether this thread opens the socket: UNIX and fd@ sockets cannot be reuse-ported. */
  get onThisThread(): boolean {
    return this.bind.addr.kind !== 'unix' && this.bind.addr.kind !== 'fd' ? true : isMainThread();
  }

  get listening(): boolean {
    return this.server !== null;
  }

  get hasRoom(): boolean {
    return this.bind.maxconn === 0 || this.cur < this.bind.maxconn;
  }

  /** Binds the socket; returns HAProxy's error text on failure. */
  listen(): Promise<string | null> {
    const server = this.newServer();
    const a = this.bind.addr;
    const backlog = this.holdLimit;
    return new Promise((resolve) => {
      const fail = (e: NodeJS.ErrnoException): void => {
        resolve(`Starting ${this.proxy.cfg.kind} ${this.proxy.name}: cannot bind socket (${describeErrno(e)}) [${this.bind.text}]`);
      };
      server.once('error', fail);
      const done = (): void => {
        server.off('error', fail);
        // Accept failures must not stop the process: count them, keep serving. Out of descriptors
        // (EMFILE), libuv itself accepts and closes the pending connections and reports nothing.
        server.on('error', () => { processCounters.acceptErrors++; });
        this.server = server;
        this.takeHandles(server);
        if (a.kind === 'ipv4' || a.kind === 'ipv6') void this.listenSiblings(a.host, (server.address() as AddressInfo).port).then(() => resolve(null));
        else resolve(null);
      };
      switch (a.kind) {
        case 'fd':
          server.listen({ fd: a.fd, backlog }, done);
          break;
        case 'unix':
          if (a.abstract) server.listen({ path: `\0${a.path}`, backlog }, done);
          else this.listenUnix(server, a.path, backlog, done, fail);
          break;
        default:
          server.listen({
            host: a.host, port: a.port, backlog, reusePort: true,
            ipv6Only: a.kind === 'ipv6' && this.bind.v6only && !this.bind.v4v6,
          }, done);
      }
    });
  }

  /**
   * Clear TCP binds serve their connections on libuv handles (HandleSocket: half of net.Socket's
   * instructions per connection); TLS, UNIX and fd@ sockets keep net.Socket.
   */
  private takeHandles(server: NetServer): void {
    const kind = this.bind.addr.kind;
    if (this.tls || (kind !== 'ipv4' && kind !== 'ipv6')) return;
    acceptHandles(server, (sock) => this.host.accept(this, sock));
  }

  private newServer(): NetServer {
    const tls = this.tls;
    return createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (sock) => {
      if (tls) tls.accept(sock);
      else this.host.accept(this, sock);
    });
  }

  /** Opens the sibling sockets; one that cannot listen (out of descriptors...) is done without. */
  private async listenSiblings(host: string, port: number): Promise<void> {
    const ipv6Only = this.bind.addr.kind === 'ipv6' && this.bind.v6only && !this.bind.v4v6;
    const sockets = Math.max(1, Math.min(Math.ceil(ACCEPT_SOCKETS / threads.count), Math.floor(this.host.fdLimit / FDS_PER_ACCEPT_SOCKET)));
    const opening: Promise<void>[] = [];
    for (let i = 1; i < sockets; i++) {
      const s = this.newServer();
      opening.push(new Promise<void>((resolve) => {
        s.once('error', () => resolve());
        s.listen({ host, port, backlog: this.holdLimit, reusePort: true, ipv6Only }, () => {
          s.removeAllListeners('error');
          s.on('error', () => { processCounters.acceptErrors++; });
          // Closed while the siblings were opening.
          if (this.server === null) s.close();
          else {
            this.takeHandles(s);
            this.siblings.push(s);
          }
          resolve();
        });
      }));
    }
    await Promise.all(opening);
  }

  /** Binds a temporary name then renames it over the path, so a reload never leaves a gap. */
  private listenUnix(server: NetServer, path: string, backlog: number, done: () => void, fail: (e: NodeJS.ErrnoException) => void): void {
    const tmp = `${path}.${process.pid}.tmp`;
    rmSync(tmp, { force: true });
    server.listen({ path: tmp, backlog }, () => {
      try {
        if (this.bind.unixMode !== null) chmodSync(tmp, this.bind.unixMode);
        if (this.bind.unixUid !== null || this.bind.unixGid !== null) chownSync(tmp, this.bind.unixUid ?? -1, this.bind.unixGid ?? -1);
        renameSync(tmp, path);
        done();
      } catch (e) {
        server.close();
        rmSync(tmp, { force: true });
        fail(e as NodeJS.ErrnoException);
      }
    });
  }

  /**
   * Keeps an accepted connection paused until a slot frees up; drops it past the backlog, or when
   * the descriptor table is so full that the connections the process may serve (global maxconn,
   * each needing a server-side descriptor) could run out of descriptors: the kernel hands out
   * the lowest free descriptor, so a high one means as many are in use.
   */
  hold(sock: Conn): void {
    if (this.held.length >= this.holdLimit || socketFd(sock) >= this.holdFdCeiling) {
      sock.destroy();
      return;
    }
    const gone = (): void => {
      const i = this.held.indexOf(sock);
      if (i < 0) return;
      this.held.splice(i, 1);
      processCounters.held--;
    };
    sock.once('close', gone);
    sock.on('error', gone);
    this.held.push(sock);
    processCounters.held++;
  }

  /** Takes the oldest held connection, if any. */
  unhold(): Conn | undefined {
    const sock = this.held.shift();
    if (sock) {
      processCounters.held--;
      sock.removeAllListeners('close');
      sock.removeAllListeners('error');
    }
    return sock;
  }

  /** Stops accepting; with SO_REUSEPORT siblings and tcp_migrate_req the kernel hands our queue over. */
  close(): void {
    const s = this.server;
    this.server = null;
    s?.close();
    for (const x of this.siblings.splice(0)) x.close();
  }

  /** Drops connections still waiting for a slot (hard stop). */
  dropHeld(): void {
    for (const sock of this.held.splice(0)) {
      processCounters.held--;
      sock.destroy();
    }
  }
}

function socketFd(sock: Conn): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

export function describeErrno(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EADDRINUSE': return 'Address already in use';
    case 'EACCES': return 'Permission denied';
    case 'EADDRNOTAVAIL': return 'Cannot assign requested address';
    case 'ENOENT': return 'No such file or directory';
    case 'EBADF': return 'Bad file descriptor';
    case 'ENOTSOCK': return 'Socket operation on non-socket';
    default: return e.message;
  }
}
