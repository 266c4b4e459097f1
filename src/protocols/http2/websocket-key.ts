// The HTTP/1.1 WebSocket handshake keys (RFC 6455 4.1, 4.2.2) on the server side of an
// HTTP/2 WebSocket (RFC 8441): the HTTP/2 request carries no Sec-WebSocket-Key, so, as HAProxy,
// one is generated for the HTTP/1 server, and the server's Sec-WebSocket-Accept must match it.
// A response announcing a WebSocket upgrade without Sec-WebSocket-Accept is invalid (502).
import { createHash, randomBytes } from 'node:crypto';
import type { HttpHeaders } from '../http1/message.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A fresh Sec-WebSocket-Key: 16 random bytes in base64. */
export function newWebSocketKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept answering `key`. */
export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + GUID, 'latin1').digest('base64');
}

/** Connection has the "upgrade" token and Upgrade the "websocket" one (what HAProxy checks keys on). */
export function isWebSocketUpgrade(headers: HttpHeaders): boolean {
  return hasToken(headers, 'connection', 'upgrade') && hasToken(headers, 'upgrade', 'websocket');
}

/**
 * Whether a response is acceptable as far as WebSocket keys go: one announcing a WebSocket
 * upgrade carries Sec-WebSocket-Accept, matching `key` (case-insensitively, as HAProxy
 * compares) when we generated the request's key.
 */
export function webSocketAcceptValid(headers: HttpHeaders, key: string | null): boolean {
  if (!isWebSocketUpgrade(headers)) return true;
  const accept = headers.get('sec-websocket-accept');
  if (accept === undefined) return false;
  return key === null || accept.toLowerCase() === webSocketAccept(key).toLowerCase();
}

/** A comma-separated token in any line of `name` (case-insensitive, surrounding spaces ignored). */
function hasToken(headers: HttpHeaders, name: string, token: string): boolean {
  for (let i = headers.indexOf(name); i >= 0; i = headers.indexOf(name, i + 1)) {
    const v = headers.values[i]!;
    let start = 0;
    while (start <= v.length) {
      let end = v.indexOf(',', start);
      if (end < 0) end = v.length;
      if (v.slice(start, end).trim().toLowerCase() === token) return true;
      start = end + 1;
    }
  }
  return false;
}
