// What the streams (TCP, HTTP/1, HTTP/2), the listeners and the server connections need of a
// connection: the part of net.Socket they use. A net.Socket (UNIX sockets, TLS) and a HandleSocket (plain TCP, no
// stream machinery) both are one.
import type { EventEmitter } from 'node:events';

/** A byte stream as the HTTP/2 framing layer uses it (a Duplex is one too). */
export interface ByteStream extends EventEmitter {
  write(data: Buffer | string): boolean;
  /** Writes until uncork() leave together. */
  cork(): void;
  uncork(): void;
  /** Bytes written and not yet taken by the kernel. */
  readonly writableLength: number;
  /** Half-closes once the queued bytes are written. */
  end(): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  readonly destroyed: boolean;
}

export interface Conn extends ByteStream {
  /** end(), then closes once the queued bytes are written. */
  destroySoon(): void;
  /** Closes with a TCP RST (SO_LINGER 0). */
  resetAndDestroy(): unknown;
  /** Inactivity timeout ('timeout' event); 0 disables it. */
  setTimeout(ms: number): unknown;
  setNoDelay(on?: boolean): unknown;
  setKeepAlive(on?: boolean, initialDelayMs?: number): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly remoteFamily?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}
