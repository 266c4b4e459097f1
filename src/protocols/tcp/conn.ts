// What the TCP-mode stream, the listeners and the session code need of a connection: the part
// of net.Socket they use. A net.Socket (UNIX sockets, TLS) and a HandleSocket (plain TCP, no
// stream machinery) both are one.
import type { EventEmitter } from 'node:events';

export interface Conn extends EventEmitter {
  write(data: Buffer | string): boolean;
  /** Half-closes once the queued bytes are written. */
  end(): unknown;
  destroy(): unknown;
  /** Closes with a TCP RST (SO_LINGER 0). */
  resetAndDestroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  /** Inactivity timeout ('timeout' event); 0 disables it. */
  setTimeout(ms: number): unknown;
  setNoDelay(on?: boolean): unknown;
  setKeepAlive(on?: boolean, initialDelayMs?: number): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly remoteFamily?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly destroyed: boolean;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}
