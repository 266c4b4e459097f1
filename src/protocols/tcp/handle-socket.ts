// A TCP connection driven on its libuv handle directly, without net.Socket's Readable/Writable
// machinery: a read calls back with the bytes, a write goes to libuv (which writes at once when
// the kernel takes it, else queues it). Measured with callgrind on a TCP pipe forwarding one
// short connection per request: 64k instructions per connection on handles, 167k with
// net.Socket. It speaks the part of net.Socket's events the proxy uses (data, end, drain,
// connect, timeout, error, close) so that the stream code serves both kinds.
//
// The handles come from Node's internal bindings (process.binding: the tcp_wrap and
// stream_wrap classes net.js itself is built on). They are stable across Node 24 and pinned
// with it; bindings() checks the shape at load so a change fails loudly, not at run time.
import type { Server as NetServer } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { Conn } from './conn.ts';
import { SocketEvents, DATA, END, CLOSE, ERROR, DRAIN, TIMEOUT, CONNECT } from './socket-events.ts';
import { DeadlineTimer } from '../../runtime/deadline-timer.ts';

interface WriteReq {
  handle: TcpHandle | null;
  oncomplete: (this: WriteReq, status: number) => void;
  owner: HandleSocket | null;
  buffer: Buffer | Buffer[] | null;
  /** Read buffers to give back once libuv is done with them (writeReleasing). */
  giveBack: Buffer | Buffer[] | null;
}

interface ShutdownReq {
  handle: TcpHandle;
  oncomplete: (this: ShutdownReq, status: number) => void;
  owner: HandleSocket;
}

interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number) => void;
  owner: HandleSocket;
}

/** libuv TCP handle as tcp_wrap exposes it (return values are 0 or a negative errno). */
export interface TcpHandle {
  onread: ((this: TcpHandle) => Buffer | undefined) | null;
  /** Reads go into `buf`; the onread callback may return the buffer for the next read. */
  useUserBuffer(buf: Buffer): void;
  owner: HandleSocket | null;
  readonly fd: number;
  readonly writeQueueSize: number;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: WriteReq, buf: Buffer): number;
  writev(req: WriteReq, chunks: Buffer[], allBuffers: boolean): number;
  shutdown(req: ShutdownReq): number;
  close(cb?: () => void): void;
  reset(cb?: () => void): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  setNoDelay(on: boolean): number;
  setKeepAlive(on: boolean, delaySecs: number): number;
  getpeername(out: Record<string, unknown>): number;
  getsockname(out: Record<string, unknown>): number;
}

interface Bindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
  SOCKET: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

const UV_EOF = -4095;

function bindings(): Bindings {
  const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
  const tcp = binding('tcp_wrap') as { TCP: Bindings['TCP']; TCPConnectWrap: Bindings['TCPConnectWrap']; constants: { SOCKET: number } };
  const sw = binding('stream_wrap') as Record<string, unknown>;
  const b: Bindings = {
    TCP: tcp.TCP,
    TCPConnectWrap: tcp.TCPConnectWrap,
    WriteWrap: sw.WriteWrap as Bindings['WriteWrap'],
    ShutdownWrap: sw.ShutdownWrap as Bindings['ShutdownWrap'],
    SOCKET: tcp.constants.SOCKET,
    state: sw.streamBaseState as Int32Array,
    kReadBytesOrError: sw.kReadBytesOrError as number,
    kLastWriteWasAsync: sw.kLastWriteWasAsync as number,
  };
  const proto = b.TCP.prototype as unknown as Record<string, unknown>;
  for (const m of ['readStart', 'readStop', 'useUserBuffer', 'writeBuffer', 'writev', 'shutdown', 'close', 'reset', 'connect', 'connect6', 'getpeername', 'getsockname']) {
    if (typeof proto[m] !== 'function') throw new Error(`this Node.js has no tcp_wrap ${m}(): Turnpike needs Node.js 24`);
  }
  if (!(b.state instanceof Int32Array) || typeof b.kReadBytesOrError !== 'number') throw new Error('this Node.js has no streamBaseState: Turnpike needs Node.js 24');
  return b;
}

const B = bindings();
const state = B.state;
const kReadBytesOrError = B.kReadBytesOrError;
const kLastWriteWasAsync = B.kLastWriteWasAsync;

/** write() returns false from this many queued bytes on (net.Socket's default high-water mark). */
const HIGH_WATER = 16 * 1024;

function errnoError(status: number, syscall: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(status);
  const e = new Error(`${syscall} ${code}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = status;
  e.syscall = syscall;
  return e;
}

/**
 * Reads land in one buffer shared by every connection of the thread (useUserBuffer), not in a
 * 64 KiB allocation per read that the engine wraps in an ArrayBuffer, tracks and frees at the
 * next scavenge: measured pinned on HTTP keep-alive, 26.3k -> 29.6k req/s and 2.7 us less user
 * CPU per request. The bytes are copied out (a slice of Node's buffer pool below 4 KiB), so a
 * consumer owns what it gets. A connection whose reads are large (bulk transfer) reads into
 * buffers of its own instead, handed over without a copy, until a read is small again:
 * copying every 64 KiB read cost bulk TCP 6% (0.99 -> 0.93 GB/s).
 */
const READ_SIZE = 64 * 1024;
const sharedReads = Buffer.allocUnsafeSlow(READ_SIZE);
const BIG_READ = 16 * 1024;

/**
 * Large reads are not allocated afresh each time: a writer that was the last holder of a read's
 * bytes gives its buffer back once written (writeReleasing), and the next large read takes it.
 * A new 64 KiB buffer per read counted as external memory and drove V8 into a major GC every
 * ~60 ms under 64 KiB HTTP responses (67 mark-compacts in 4 s, a third of the CPU in marking).
 */
const spareReads: ArrayBuffer[] = [];
const SPARE_READS_MAX = 16;
/** The buffers large reads are made of: only these are ever given back. */
const readBuffers = new WeakSet<ArrayBuffer>();

function takeReadBuffer(): Buffer {
  const ab = spareReads.pop();
  if (ab !== undefined) return Buffer.from(ab);
  const b = Buffer.allocUnsafeSlow(READ_SIZE);
  readBuffers.add(b.buffer);
  return b;
}

/** Gives back the read buffer under `data`, which nothing refers to any more. */
function giveBackRead(data: Buffer): void {
  const ab = data.buffer as ArrayBuffer;
  if (spareReads.length < SPARE_READS_MAX && readBuffers.has(ab) && !spareReads.includes(ab)) spareReads.push(ab);
}

function giveBackAll(b: Buffer | Buffer[]): void {
  if (Array.isArray(b)) for (let i = 0; i < b.length; i++) giveBackRead(b[i]!);
  else giveBackRead(b);
}

function onRead(this: TcpHandle): Buffer | undefined {
  const s = this.owner;
  if (s === null) return undefined;
  const n = state[kReadBytesOrError]!;
  if (n > 0) {
    s.bytesRead += n;
    s.touch();
    const src = s.ownReads ?? sharedReads;
    let data: Buffer;
    let next: Buffer | undefined;
    if (n >= BIG_READ) {
      // Large: the connection's own buffer is handed over as it is; the next read gets another.
      if (src === sharedReads) {
        data = takeReadBuffer();
        sharedReads.copy(data, 0, 0, n);
        data = data.subarray(0, n);
      } else data = src.subarray(0, n);
      next = s.ownReads = takeReadBuffer();
    } else {
      // Small: copied out (pinning no 64 KiB buffer), and the connection reads through the shared one again.
      data = Buffer.allocUnsafe(n);
      src.copy(data, 0, 0, n);
      if (src !== sharedReads) {
        s.ownReads = null;
        giveBackRead(src);
        next = sharedReads;
      }
    }
    s.fire1(DATA, data);
    return next;
  }
  if (n === UV_EOF) s.readEnded();
  else if (n < 0) s.fail(errnoError(n, 'read'));
  return undefined;
}

/**
 * A write request object Node did not take: it binds one to its native write only when the write
 * has to wait, so one that served a write done at once (or failed) serves the next: two API
 * object constructions fewer per short connection.
 */
let spareWriteReq: WriteReq | null = null;

function spareWrite(req: WriteReq): void {
  req.owner = null;
  req.handle = null;
  spareWriteReq = req;
}

function afterWrite(this: WriteReq, status: number): void {
  const s = this.owner!;
  this.buffer = null;
  if (this.giveBack !== null) {
    giveBackAll(this.giveBack);
    this.giveBack = null;
  }
  if (s.destroyed) return;
  if (status < 0) return s.fail(errnoError(status, 'write'));
  s.touch();
  s.wrote();
}

function afterShutdown(this: ShutdownReq): void {
  this.owner.writeShut();
}

function afterConnect(this: ConnectReq, status: number): void {
  this.owner.connected(status);
}

function emitClose(s: HandleSocket, err: Error | null): void {
  if (err !== null) s.fire1(ERROR, err);
  s.fire1(CLOSE, err !== null);
}

function onIdle(s: HandleSocket): void {
  s.fire0(TIMEOUT);
}

/** Peer or local address of a handle, read once. */
interface Ends {
  address?: string;
  family?: string;
  port?: number;
}

export class HandleSocket extends SocketEvents implements Conn {
  /** Named as net.Socket's so code reading the descriptor (`_handle.fd`) serves both. */
  readonly _handle: TcpHandle;
  bytesRead = 0;
  /** @internal the buffer this connection reads into while its reads are large, else null (the shared one) */
  ownReads: Buffer | null = null;
  bytesWritten = 0;
  destroyed = false;
  connecting = false;
  /** Whether the owner wants data events (net.Socket's flowing mode). */
  private wantRead: boolean;
  private reading = false;
  private readDone = false;
  private ending = false;
  /** destroySoon(): closes once the write side is shut. */
  private closeAfterEnd = false;
  private endDone = false;
  private needDrain = false;
  /** Writes made while connecting or corked. */
  private queued: Buffer[] | null = null;
  /** Those of them whose read buffers go back once written (writeReleasing). */
  private queuedGiveBack: Buffer[] | null = null;
  private queuedLen = 0;
  private corked = 0;
  /** The inactivity timeout (setTimeout), null until one is set. */
  private idle: DeadlineTimer<HandleSocket> | null = null;
  private timeoutMs = 0;
  private peer: Ends | null = null;
  private local: Ends | null = null;

  /** Wraps an accepted handle (paused until resume(), as with pauseOnConnect). */
  constructor(handle: TcpHandle, reading = false) {
    super();
    this._handle = handle;
    handle.owner = this;
    handle.onread = onRead;
    handle.useUserBuffer(sharedReads);
    this.wantRead = reading;
  }

  /** Opens a connection; 'connect' or 'error' follows. Data events flow once connected unless paused. */
  static connect(opts: { host: string; port: number; localAddress?: string | undefined; localPort?: number | undefined; noDelay?: boolean; keepAlive?: boolean }): HandleSocket {
    const s = new HandleSocket(new B.TCP(B.SOCKET), true);
    s.connecting = true;
    const h = s._handle;
    // Targets are addresses (names are resolved at load): a colon means IPv6.
    const v6 = opts.host.includes(':');
    let err = 0;
    if (opts.localAddress || opts.localPort) {
      const local = opts.localAddress || (v6 ? '::' : '0.0.0.0');
      err = local.includes(':') ? h.bind6(local, opts.localPort ?? 0, 0) : h.bind(local, opts.localPort ?? 0);
    }
    if (err === 0) {
      if (opts.noDelay) h.setNoDelay(true);
      if (opts.keepAlive) h.setKeepAlive(true, 0);
      const req = new B.TCPConnectWrap();
      req.oncomplete = afterConnect;
      req.owner = s;
      err = v6 ? h.connect6(req, opts.host, opts.port) : h.connect(req, opts.host, opts.port);
    }
    if (err !== 0) process.nextTick(() => s.fail(errnoError(err, 'connect')));
    return s;
  }

  /** @internal connect completion */
  connected(status: number): void {
    if (this.destroyed) return;
    this.connecting = false;
    if (status < 0) return this.fail(errnoError(status, 'connect'));
    if (this.corked === 0) this.flushQueued();
    if (this.destroyed) return;
    if (this.ending) this.shutdownNow();
    this.applyReading();
    this.fire0(CONNECT);
  }

  write(data: Buffer | string): boolean {
    return this.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, false);
  }

  /**
   * Writes bytes of a read that the caller holds no reference to, nor will (no subarray kept,
   * nothing queued elsewhere): a large read's buffer then serves another read once written.
   */
  writeReleasing(data: Buffer): boolean {
    return this.send(data, true);
  }

  private send(buf: Buffer, giveBack: boolean): boolean {
    if (this.destroyed || this.ending) return false;
    if (this.connecting || this.corked > 0) {
      (this.queued ??= []).push(buf);
      if (giveBack) (this.queuedGiveBack ??= []).push(buf);
      this.queuedLen += buf.length;
      if (this.queuedLen < HIGH_WATER) return true;
      this.needDrain = true;
      return false;
    }
    const req = this.writeReq();
    const err = this._handle.writeBuffer(req, buf);
    if (err !== 0) {
      spareWrite(req);
      this.failLater(errnoError(err, 'write'));
      return false;
    }
    this.bytesWritten += buf.length;
    // libuv references the bytes until the write completes.
    if (state[kLastWriteWasAsync]) {
      req.buffer = buf;
      if (giveBack) req.giveBack = buf;
    } else {
      spareWrite(req);
      if (giveBack) giveBackRead(buf);
    }
    return this.afterSend();
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0 && !this.connecting) this.flushQueued();
  }

  get writableLength(): number {
    return this.destroyed ? 0 : this._handle.writeQueueSize + this.queuedLen;
  }

  private writeReq(): WriteReq {
    let req = spareWriteReq;
    if (req === null) {
      req = new B.WriteWrap();
      req.oncomplete = afterWrite;
    } else spareWriteReq = null;
    req.handle = this._handle;
    req.owner = this;
    req.buffer = null;
    req.giveBack = null;
    return req;
  }

  /** Writes what was held back (while connecting, or corked) in one writev. */
  private flushQueued(): void {
    const q = this.queued;
    if (q === null) return;
    const giveBack = this.queuedGiveBack;
    this.queued = this.queuedGiveBack = null;
    this.queuedLen = 0;
    const req = this.writeReq();
    const err = this._handle.writev(req, q, true);
    if (err !== 0) {
      spareWrite(req);
      return this.failLater(errnoError(err, 'write'));
    }
    for (let i = 0; i < q.length; i++) this.bytesWritten += q[i]!.length;
    if (state[kLastWriteWasAsync]) {
      req.buffer = q;
      req.giveBack = giveBack;
    } else {
      spareWrite(req);
      if (giveBack !== null) giveBackAll(giveBack);
    }
    if (this.afterSend()) this.wrote();
  }

  /** After a write: whether the queue is below the high-water mark (else 'drain' follows). */
  private afterSend(): boolean {
    this.touch();
    if (this._handle.writeQueueSize < HIGH_WATER) return true;
    this.needDrain = true;
    return false;
  }

  /** @internal a write completed (or the queue emptied) */
  wrote(): void {
    if (this.needDrain && this._handle.writeQueueSize === 0) {
      this.needDrain = false;
      this.fire0(DRAIN);
    }
  }

  /** Half-closes after the queued bytes; a corked socket is uncorked first, as net.Socket. */
  end(): this {
    if (this.ending || this.destroyed) return this;
    this.corked = 0;
    if (!this.connecting) this.flushQueued();
    this.ending = true;
    if (!this.connecting && !this.destroyed) this.shutdownNow();
    return this;
  }

  destroySoon(): void {
    this.closeAfterEnd = true;
    this.end();
    if (this.endDone) this.destroy();
  }

  private shutdownNow(): void {
    const req = new B.ShutdownWrap();
    req.handle = this._handle;
    req.oncomplete = afterShutdown;
    req.owner = this;
    const err = this._handle.shutdown(req);
    // 1: done synchronously; ENOTCONN: the peer reset: nothing left to shut.
    if (err === 1 || err === -107) this.writeShut();
    else if (err !== 0) this.failLater(errnoError(err, 'shutdown'));
  }

  /** @internal the write side is closed */
  writeShut(): void {
    if (this.endDone) return;
    this.endDone = true;
    if (this.readDone || this.closeAfterEnd) this.destroy();
  }

  /** @internal the peer half-closed */
  readEnded(): void {
    this.readDone = true;
    this.reading = false;
    this._handle.readStop();
    this.fire0(END);
    if (this.endDone && !this.destroyed) this.destroy();
  }

  pause(): this {
    this.wantRead = false;
    this.applyReading();
    return this;
  }

  resume(): this {
    this.wantRead = true;
    this.applyReading();
    return this;
  }

  private applyReading(): void {
    if (this.destroyed || this.connecting || this.readDone) return;
    if (this.wantRead === this.reading) return;
    this.reading = this.wantRead;
    const err = this.reading ? this._handle.readStart() : this._handle.readStop();
    if (err !== 0 && this.reading) this.failLater(errnoError(err, 'read'));
  }

  setTimeout(ms: number): this {
    this.timeoutMs = this.destroyed ? 0 : ms;
    if (this.timeoutMs > 0) (this.idle ??= new DeadlineTimer<HandleSocket>(this, onIdle, false)).arm(ms);
    else this.idle?.cancel();
    return this;
  }

  /** @internal I/O happened: the inactivity timeout starts again */
  touch(): void {
    if (this.timeoutMs > 0) this.idle!.arm(this.timeoutMs);
  }

  setNoDelay(on = true): this {
    if (!this.destroyed) this._handle.setNoDelay(on);
    return this;
  }

  setKeepAlive(on = false, initialDelayMs = 0): this {
    if (!this.destroyed) this._handle.setKeepAlive(on, Math.floor(initialDelayMs / 1000));
    return this;
  }

  get remoteAddress(): string | undefined {
    return this.ends(true).address;
  }

  get remotePort(): number | undefined {
    return this.ends(true).port;
  }

  get remoteFamily(): string | undefined {
    return this.ends(true).family;
  }

  get localAddress(): string | undefined {
    return this.ends(false).address;
  }

  get localPort(): number | undefined {
    return this.ends(false).port;
  }

  /** getpeername/getsockname, read once; empty (and asked again later) while the socket has none. */
  private ends(peer: boolean): Ends {
    const cached = peer ? this.peer : this.local;
    if (cached !== null) return cached;
    const out: Ends = {};
    if (this.destroyed) return out;
    const err = peer ? this._handle.getpeername(out as Record<string, unknown>) : this._handle.getsockname(out as Record<string, unknown>);
    if (err !== 0) return out;
    if (peer) this.peer = out;
    else this.local = out;
    return out;
  }

  get readable(): boolean {
    return !this.destroyed && !this.readDone;
  }

  get writable(): boolean {
    return !this.destroyed && !this.ending;
  }

  /** @internal an I/O error: 'error' then 'close', as net.Socket */
  fail(err: Error): void {
    if (this.destroyed) return;
    this.close(err);
  }

  /** Errors met inside a call are reported after it returns, so callers never re-enter. */
  private failLater(err: Error): void {
    process.nextTick(() => this.fail(err));
  }

  destroy(): this {
    if (!this.destroyed) this.close(null);
    return this;
  }

  resetAndDestroy(): this {
    if (this.destroyed) return this;
    // A connection never established has no RST to send.
    if (this.connecting) return this.destroy();
    this.release();
    if (this._handle.reset() !== 0) this._handle.close();
    process.nextTick(emitClose, this, null);
    return this;
  }

  /**
   * The handle closes without a callback into JS (a callback costs a trip through node's
   * callback scope per socket); 'error' and 'close' follow on the next tick, as net.Socket's do.
   */
  private close(err: Error | null): void {
    this.release();
    this._handle.close();
    process.nextTick(emitClose, this, err);
  }

  private release(): void {
    this.destroyed = true;
    this.reading = false;
    this.queued = this.queuedGiveBack = null;
    this.queuedLen = 0;
    // The buffer the next read would have landed in: libuv reads no more.
    if (this.ownReads !== null) giveBackRead(this.ownReads);
    this.ownReads = null;
    this._handle.owner = null;
    this.timeoutMs = 0;
    this.idle?.cancel();
  }
}

/**
 * Writes bytes of a read that the caller keeps no reference to: over a HandleSocket, the read's
 * buffer serves another read once written (see HandleSocket.writeReleasing); others just write.
 */
export function writeReleasing(to: Conn, data: Buffer): boolean {
  return to instanceof HandleSocket ? to.writeReleasing(data) : to.write(data);
}

/**
 * Makes a listening net.Server hand its accepted TCP connections to `accept` as HandleSockets
 * (paused, no delay) instead of building net.Sockets; accept errors still reach the server's
 * 'error' listeners.
 */
export function acceptHandles(server: NetServer, accept: (sock: HandleSocket) => void): void {
  const listening = (server as unknown as { _handle: { onconnection: (this: unknown, err: number, client?: TcpHandle) => void } | null })._handle;
  if (listening === null) return;
  const viaNet = listening.onconnection;
  listening.onconnection = function (this: unknown, err: number, client?: TcpHandle): void {
    if (err !== 0 || client === undefined) return viaNet.call(this, err, client);
    client.setNoDelay(true);
    accept(new HandleSocket(client));
  };
}
