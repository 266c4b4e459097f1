// The TLS handshake of connections accepted on a "bind ... ssl" line, before they become
// streams. A Node tls.Server that never listens (accepted sockets are handed to it, the
// documented way) runs the handshake, the SNI selection and the client certificate
// verification; a connection is passed on once secure, paused like the plain ones. Failures
// are reported with HAProxy's embryonic session errors ("SSL handshake failure", "Timeout
// during SSL handshake", "SSL client certificate not trusted"...).
//
// The ClientHello is read before the TLS library gets it, for its SNI (client-hello.ts).
// With "accept-proxy", the PROXY header comes in clear before the handshake: it is read from
// the raw socket, then put back in front of the decrypted bytes, where the stream reads it.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Server as TlsServer, type SecureContext, type TLSSocket } from 'node:tls';
import { parseProxyHeader } from '../proxy-protocol.ts';
import { peekClientHello } from './client-hello.ts';
import { ProxyHeaderError, proxyHeaderErrorText } from '../../observe/log/logger.ts';
import { bindOptions, withSharedTicketKeys } from './context.ts';
import { setClientTlsInfo, x509ErrorCode } from './info.ts';
import { allowReset } from './reset.ts';
import { Sig } from './client-hello.ts';
import type { BindCerts, CertInstance } from './bind-certs.ts';
import type { CertEntry } from './certs.ts';
import type { BindTls, IgnoredErrors } from './settings.ts';

/** The TLS session ID context of every bind: sessions resume whichever thread or process issued them. */
const SESSION_ID_CONTEXT = 'turnpike';

export const HandshakeError = {
  Failure: 'SSL handshake failure',
  Timeout: 'Timeout during SSL handshake',
  Closed: 'Connection closed during SSL handshake',
  Aborted: 'Connection error during SSL handshake',
  CertNotTrusted: 'SSL client certificate not trusted',
  ChainNotVerified: 'SSL client CA chain cannot be verified',
} as const;

/**
 * Verification errors found above the client's certificate (HAProxy reports the CA chain
 * when the error's depth is not 0; Node gives the error, not its depth).
 */
const CHAIN_ERRORS: ReadonlySet<string> = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'CERT_CHAIN_TOO_LONG']);

/** Where accepted connections go. */
export interface HandshakeSink {
  /** The connection is secure (and paused): start its stream. */
  secure(sock: TLSSocket): void;
  /** The connection ended before becoming secure; `error` is HAProxy's text for it. */
  failed(error: string, client: AcceptedClient): void;
}

/** The client of a failed handshake, as accepted. */
export interface AcceptedClient {
  readonly address: string;
  readonly port: number;
  readonly family: string;
  readonly acceptDate: number;
}

/**
 * A connection before the TLS library takes it: its PROXY header (accept-proxy) and its
 * ClientHello are read in clear, then given back (the header to the stream, the hello to
 * the handshake).
 */
class Pending implements AcceptedClient {
  readonly raw: Socket;
  readonly address: string;
  readonly port: number;
  readonly family: string;
  readonly acceptDate = Date.now();
  readonly acceptMono = performance.now();
  /** Waiting for the PROXY header, then for the ClientHello; 'tls' once handed over, 'done' once secure or failed. */
  stage: 'proxy' | 'hello' | 'tls' | 'done';
  /** PROXY header bytes, given back to the stream after the handshake. */
  proxyHeader: Buffer | null = null;
  /** The SNI of the ClientHello and the certificate key types it accepts (Sig flags). */
  sni: string | null = null;
  sigs: number = Sig.Rsa;
  /** The certificate picked for the handshake, and its context (kept even if a commit replaces it meanwhile). */
  inst: CertInstance | null = null;
  cert: CertEntry | null = null;
  context: SecureContext | null = null;
  error: string | null = null;
  private buf: Buffer = EMPTY;
  private timer: NodeJS.Timeout | null = null;
  private readonly acceptor: TlsAcceptor;

  constructor(raw: Socket, acceptor: TlsAcceptor, acceptProxy: boolean, timeoutMs: number) {
    this.raw = raw;
    this.acceptor = acceptor;
    this.address = raw.remoteAddress ?? '';
    this.port = raw.remotePort ?? 0;
    this.family = raw.remoteFamily ?? '';
    this.stage = acceptProxy ? 'proxy' : 'hello';
    if (timeoutMs > 0) this.timer = setTimeout(this.onTimeout, timeoutMs);
    raw.on('data', this.onData);
    raw.once('end', this.onEnd);
    raw.resume();
  }

  private onData = (chunk: Buffer): void => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.stage === 'proxy') {
      const r = parseProxyHeader(this.buf);
      if (r.kind === 'incomplete') return;
      if (r.kind !== 'ok') return this.fail(r.kind === 'error' ? proxyHeaderErrorText(r.reason, this.buf.length) : ProxyHeaderError.Truncated);
      this.proxyHeader = this.buf.subarray(0, r.consumed);
      this.buf = this.buf.subarray(r.consumed);
      this.stage = 'hello';
    }
    const hello = peekClientHello(this.buf);
    if (hello.kind === 'incomplete') return;
    this.sni = hello.sni;
    this.sigs = hello.sigs;
    this.handOver();
  };

  private handOver(): void {
    const raw = this.raw;
    raw.off('data', this.onData);
    raw.off('end', this.onEnd);
    raw.pause();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stage = 'tls';
    if (this.buf.length > 0) raw.unshift(this.buf);
    this.buf = EMPTY;
    this.acceptor.handshake(raw, this);
  }

  private onEnd = (): void => {
    if (this.stage === 'proxy') this.fail(this.buf.length > 0 ? ProxyHeaderError.Truncated : ProxyHeaderError.Closed);
    else this.fail(HandshakeError.Closed);
  };

  private onTimeout = (): void => {
    this.timer = null;
    this.fail(this.stage === 'proxy' ? ProxyHeaderError.Timeout : HandshakeError.Timeout);
  };

  private fail(error: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.error = error;
    this.raw.destroy();
  }
}

const EMPTY = Buffer.alloc(0);

/** A tls.Server for the handshakes of one set of settings, and the default certificate it was built with. */
interface Handshaker {
  readonly server: TlsServer;
  generation: number;
}

/**
 * Handshakes of one bind line. The certificate is picked from the ClientHello before the TLS
 * library gets it; the handshake then runs in a tls.Server (which never listens) made for the
 * certificate's settings, since the verify mode, ALPN, versions and ciphers are set when the
 * TLS library takes the connection: one server for the bind line's settings, one for each
 * crt-list line with options. Its SNI callback hands over the picked context. The default
 * context of a server is the default certificate's when it has that certificate's settings
 * (clients without SNI), otherwise one without a certificate.
 */
export class TlsAcceptor {
  private readonly certs: BindCerts;
  private readonly sink: HandshakeSink;
  private readonly acceptProxy: boolean;
  private readonly timeoutMs: number;
  private readonly handshakers = new Map<BindTls, Handshaker>();
  /** Connections in handshake, by their TCP (or UNIX) socket. */
  private readonly pending = new WeakMap<Socket, Pending>();
  private readonly sniCallback: (this: TLSSocket, servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;

  constructor(certs: BindCerts, opts: { readonly timeoutMs: number; readonly acceptProxy: boolean }, sink: HandshakeSink) {
    this.certs = certs;
    this.sink = sink;
    this.acceptProxy = opts.acceptProxy;
    this.timeoutMs = opts.timeoutMs;
    const acceptor = this;
    // Node calls it as a method of the TLS socket.
    this.sniCallback = function (this: TLSSocket, servername, cb) {
      const p = acceptor.pendingOf(this);
      // A name the ClientHello peek could not read (a hello over several records) is looked up now.
      const ctx = p && p.sni === null ? certs.select(servername, Sig.Rsa | Sig.Ecdsa)?.context : p?.context;
      cb(null, ctx ?? undefined);
    };
  }

  /** Takes an accepted (paused) connection through the handshake. */
  accept(raw: Socket): void {
    // A client leaving during the handshake must close the connection, not half-close it
    // (the TLS socket inherits this; streams get half-open sockets back once secure).
    raw.allowHalfOpen = false;
    raw.on('error', noop);
    const p = new Pending(raw, this, this.acceptProxy, this.timeoutMs);
    this.pending.set(raw, p);
    raw.once('close', () => this.onRawClose(p));
  }

  /** The connection's state, from its TLS socket. */
  private pendingOf(sock: TLSSocket): Pending | undefined {
    // The socket a TLS socket wraps: Node keeps it as _parent (its own address getters read it).
    const raw = (sock as unknown as { _parent?: Socket })._parent;
    return raw ? this.pending.get(raw) : undefined;
  }

  /** The ClientHello is there: the certificate is picked and the TLS library takes the connection. */
  handshake(raw: Socket, p: Pending): void {
    const inst = this.certs.select(p.sni, p.sigs);
    p.inst = inst;
    p.cert = inst?.cert ?? null;
    p.context = inst?.context ?? null;
    this.handshaker(inst?.settings ?? this.certs.tls).emit('connection', raw);
  }

  private handshaker(settings: BindTls): TlsServer {
    const certs = this.certs;
    const h = this.handshakers.get(settings);
    if (h && h.generation === certs.generation) return h.server;
    const b = bindOptions(settings);
    // The configuration check refused anything else.
    if (!b.ok) throw new Error('TLS settings of a bind line could not be used');
    const dflt = certs.defaultInst;
    const options = withSharedTicketKeys(dflt && dflt.settings === settings && !certs.tls.strictSni
      ? { ...b.options, cert: dflt.cert.certPem, key: dflt.cert.keyPem, dhparam: dflt.cert.dhPem ?? 'auto' }
      : b.options);
    if (h) {
      h.server.setSecureContext(options);
      h.generation = certs.generation;
      return h.server;
    }
    const verify = settings.verify ?? 'none';
    const server = new TlsServer({
      ...options,
      // Node derives the default from process.argv, which differs in worker threads: sessions
      // would not resume on another thread (nor after a reload).
      sessionIdContext: SESSION_ID_CONTEXT,
      requestCert: verify !== 'none',
      // Verification results are checked on 'secureConnection', where failures are reported.
      rejectUnauthorized: false,
      handshakeTimeout: this.timeoutMs,
      pauseOnConnect: true,
      ...(settings.alpn ? { ALPNProtocols: settings.alpn } : {}),
      SNICallback: this.sniCallback,
    });
    server.on('secureConnection', this.onSecure);
    server.on('tlsClientError', this.onClientError);
    this.handshakers.set(settings, { server, generation: certs.generation });
    return server;
  }

  private onSecure = (sock: TLSSocket): void => {
    const p = this.pendingOf(sock);
    if (!p || p.stage === 'done') {
      sock.destroy();
      return;
    }
    p.stage = 'done';
    const settings = p.inst?.settings ?? this.certs.tls;
    const verify = settings.verify ?? 'none';
    // HAProxy aborts the handshake on a certificate that does not verify, unless its error is
    // ignored (ca-ignore-err above the certificate, crt-ignore-err on it), and with "required"
    // on a missing one ("optional" accepts its absence).
    if (verify !== 'none' && !sock.authorized) {
      const hasCert = sock.getPeerX509Certificate() !== undefined;
      if (hasCert || verify === 'required') {
        const error = String(sock.authorizationError);
        const chain = hasCert && CHAIN_ERRORS.has(error);
        const tls = this.certs.tls;
        if (!hasCert || !ignored(chain ? tls.caIgnoreErr : tls.crtIgnoreErr, x509ErrorCode(error))) {
          this.sink.failed(!hasCert ? HandshakeError.Failure : chain ? HandshakeError.ChainNotVerified : HandshakeError.CertNotTrusted, p);
          sock.destroy();
          return;
        }
      }
    }
    sock.allowHalfOpen = true;
    allowReset(sock, p.raw);
    sock.pause();
    if (p.proxyHeader) sock.unshift(p.proxyHeader);
    setClientTlsInfo(sock, {
      sni: p.sni, localCert: p.cert?.info ?? null, peerExpected: verify !== 'none',
      acceptDate: p.acceptDate, acceptMono: p.acceptMono, handshakeMs: Math.floor(performance.now() - p.acceptMono),
    });
    this.sink.secure(sock);
  };

  private onClientError = (err: NodeJS.ErrnoException, sock: TLSSocket): void => {
    const p = this.pendingOf(sock);
    if (p && p.error === null) p.error = clientErrorText(err.code);
    sock.destroy();
  };

  private onRawClose(p: Pending): void {
    if (p.stage === 'done') return;
    p.stage = 'done';
    this.sink.failed(p.error ?? HandshakeError.Closed, p);
  }
}

function ignored(list: IgnoredErrors | null, code: number): boolean {
  return list === 'all' || (list !== null && list.has(code));
}

function clientErrorText(code: string | undefined): string {
  switch (code) {
    case 'ERR_TLS_HANDSHAKE_TIMEOUT': return HandshakeError.Timeout;
    case 'ECONNRESET': case 'EPIPE': case 'ETIMEDOUT': return HandshakeError.Aborted;
    default: return HandshakeError.Failure;
  }
}

function noop(): void {}
