// TLS towards servers ("server ... ssl", and health checks with check-ssl): the TCP socket
// is wrapped as soon as it is created, so that bytes written to it first (the PROXY header)
// go out in clear before the ClientHello. The server's context is built once; each
// connection adds its SNI (the "sni" expression, or check-sni for checks), ALPN, the last
// session of the server for resumption, and the name to verify the certificate against
// (the SNI, else verifyhost; none without either, as HAProxy 2.6 does).
import type { Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { sampleToString } from '../../sample/casts.ts';
import type { SampleStream } from '../../sample/types.ts';
import { serverContext, type ServerContext } from './context.ts';
import { noteServername } from './info.ts';
import { allowReset } from './reset.ts';
import type { ServerTls } from './settings.ts';

/**
 * The last session of a server, the SNI it was made with (HAProxy resumes only with the same
 * SNI) and the context it was made with (a new client certificate flushes it).
 */
interface SavedSession {
  sni: string | null;
  data: Buffer;
  context: ServerContext;
}

const sessions = new WeakMap<ServerTls, SavedSession>();

function context(t: ServerTls): ServerContext {
  const r = serverContext(t);
  // The configuration check refused anything else.
  if (!r.ok) throw new Error('TLS context of a server could not be built');
  return r.context;
}

function noIdentityCheck(): undefined {
  return undefined;
}

/** The SNI of a connection to a server with "ssl": the "sni" expression's value, null when empty or absent. */
export function tlsServerName(t: ServerTls, s: SampleStream): string | null {
  if (!t.ssl || !t.sni) return null;
  const v = t.sni.eval(s);
  const text = v ? sampleToString(v) : null;
  return text || null;
}

function wrap(raw: Socket, t: ServerTls, sni: string | null, alpn: string[] | null, resume: boolean): TLSSocket {
  const c = context(t);
  const name = sni ?? c.verifyHost;
  const saved = resume && c.reuse ? sessions.get(t) : undefined;
  const sock = tlsConnect({
    socket: raw,
    secureContext: c.context,
    rejectUnauthorized: c.verify,
    ...(sni !== null ? { servername: sni } : {}),
    ...(alpn ? { ALPNProtocols: alpn } : {}),
    ...(saved && saved.sni === sni && saved.context === c ? { session: saved.data } : {}),
    checkServerIdentity: name === null ? noIdentityCheck : (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
  });
  if (resume && c.reuse) sock.on('session', (data: Buffer) => sessions.set(t, { sni, data, context: c }));
  noteServername(sock, sni);
  allowReset(sock, raw);
  return sock;
}

/** Wraps a new connection to a server with "ssl", `sni` from tlsServerName(). */
export function connectServerTls(raw: Socket, t: ServerTls, sni: string | null): TLSSocket {
  return wrap(raw, t, sni, context(t).alpn, true);
}

/** Wraps a health check connection (check-sni, check-alpn; no session reuse). */
export function connectCheckTls(raw: Socket, t: ServerTls): TLSSocket {
  return wrap(raw, t, t.checkSni, t.checkAlpn, false);
}
