// TLS for a listener ("bind ... ssl"): handshakes with the client timeout, secure connections
// handed to the listener's host as plain ones are, failed handshakes counted on the listener
// and logged as HAProxy's embryonic session errors.
import type { TLSSocket } from 'node:tls';
import type { Listener } from '../../runtime/listener.ts';
import { ProxyHeaderError, sendLog } from '../../observe/log/logger.ts';
import { logDate } from '../../observe/log/dates.ts';
import { Level } from '../../observe/log/targets.ts';
import { TlsAcceptor, HandshakeError, type AcceptedClient } from './accept.ts';
import { bindCerts } from './bind-certs.ts';
import { shareCertStore } from './cert-sync.ts';

/** The acceptor of a listener whose bind line has "ssl"; null for a plain one. */
export function listenerTls(l: Listener): TlsAcceptor | null {
  const t = l.bind.tls;
  if (!t?.ssl) return null;
  const built = bindCerts(t);
  // The configuration check refused anything else.
  if (!built.ok) throw new Error(`TLS contexts of bind '${l.bind.text}' could not be built`);
  shareCertStore(t.global.store);
  const fe = l.proxy;
  return new TlsAcceptor(built.certs, { timeoutMs: fe.cfg.timeouts.client ?? 0, acceptProxy: l.bind.acceptProxy }, {
    secure: (sock: TLSSocket) => l.host.accept(l, sock),
    failed: (error: string, client: AcceptedClient) => {
      l.counters.sslHandshakeFailures++;
      logHandshakeError(l, error, client);
    },
  });
}

/** Connections that ended without sending anything, or broke. */
const SILENT_WITH_DONTLOGNULL: ReadonlySet<string> = new Set([
  HandshakeError.Closed, HandshakeError.Aborted, ProxyHeaderError.Closed, ProxyHeaderError.Aborted,
]);

/**
 * "<ci>:<cp> [<accept date>] <frontend>/<listener id>: <error>", as HAProxy logs a
 * connection that never became a stream when its frontend has a log format; "option
 * dontlognull" silences the connections closed or broken without a word.
 */
function logHandshakeError(l: Listener, error: string, client: AcceptedClient): void {
  const fe = l.proxy.cfg;
  if (fe.log.targets.length === 0 || fe.log.format === null) return;
  if (fe.option('dontlognull') && SILENT_WITH_DONTLOGNULL.has(error)) return;
  const id = l.bind.id ?? l.proxy.listeners.indexOf(l) + 1;
  const src = l.isUnix ? `unix:${id}` : `${stripMapped(client.address)}:${client.port}`;
  const level = fe.option('log-separate-errors') ? Level.Err : Level.Info;
  sendLog(fe.log, level, `${src} [${logDate(client.acceptDate)}] ${l.proxy.name}/${id}: ${error}`);
}

function stripMapped(a: string): string {
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}
