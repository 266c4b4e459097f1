// Node refuses resetAndDestroy() on a TLS socket (its handle is not a TCP one), yet streams
// reset connections on close with "option nolinger". The TCP socket under it can be reset.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

const rawOf = new WeakMap<TLSSocket, Socket>();

function resetTls(this: TLSSocket): TLSSocket {
  rawOf.get(this)?.resetAndDestroy();
  return this.destroy();
}

/** Makes resetAndDestroy() on `tls` send a TCP reset through `raw`, the socket it wraps. */
export function allowReset(tls: TLSSocket, raw: Socket): void {
  rawOf.set(tls, raw);
  tls.resetAndDestroy = resetTls;
}
