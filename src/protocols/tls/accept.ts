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
import type { BindContexts } from './context.ts';
import { setClientTlsInfo } from './info.ts';
import { allowReset } from './reset.ts';
import type { CertEntry, CertIndex } from './certs.ts';

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
  /** The SNI of the ClientHello. */
  sni: string | null = null;
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
    this.acceptor.handshake(raw);
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

/** Handshakes of one bind line. */
export class TlsAcceptor {
  private readonly server: TlsServer;
  private readonly sink: HandshakeSink;
  private readonly verify: BindContexts['verify'];
  private readonly index: CertIndex;
  private readonly defaultCert: CertEntry | null;
  private readonly acceptProxy: boolean;
  private readonly timeoutMs: number;
  /** Connections in handshake, by their TCP (or UNIX) socket. */
  private readonly pending = new WeakMap<Socket, Pending>();

  constructor(c: BindContexts, opts: { readonly timeoutMs: number; readonly acceptProxy: boolean }, sink: HandshakeSink) {
    this.sink = sink;
    this.verify = c.verify;
    this.index = c.index;
    this.defaultCert = c.defaultCert;
    this.acceptProxy = opts.acceptProxy;
    this.timeoutMs = opts.timeoutMs;
    const { index, byCert } = c;
    this.server = new TlsServer({
      ...c.defaultOptions,
      requestCert: c.verify !== 'none',
      // Verification results are checked on 'secureConnection', where failures are reported.
      rejectUnauthorized: false,
      handshakeTimeout: opts.timeoutMs,
      pauseOnConnect: true,
      ...(c.alpn ? { ALPNProtocols: c.alpn } : {}),
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
        const cert = index.lookup(servername);
        cb(null, cert ? byCert.get(cert) : undefined);
      },
    });
    this.server.on('secureConnection', this.onSecure);
    this.server.on('tlsClientError', this.onClientError);
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

  /** The ClientHello is there: the TLS library takes the connection. */
  handshake(raw: Socket): void {
    this.server.emit('connection', raw);
  }

  private onSecure = (sock: TLSSocket): void => {
    const p = this.pendingOf(sock);
    if (!p || p.stage === 'done') {
      sock.destroy();
      return;
    }
    p.stage = 'done';
    // HAProxy aborts the handshake on a certificate that does not verify, and with "required"
    // on a missing one ("optional" accepts its absence).
    if (this.verify !== 'none' && !sock.authorized) {
      const hasCert = sock.getPeerX509Certificate() !== undefined;
      if (hasCert || this.verify === 'required') {
        const chain = hasCert && CHAIN_ERRORS.has(String(sock.authorizationError));
        this.sink.failed(!hasCert ? HandshakeError.Failure : chain ? HandshakeError.ChainNotVerified : HandshakeError.CertNotTrusted, p);
        sock.destroy();
        return;
      }
    }
    sock.allowHalfOpen = true;
    allowReset(sock, p.raw);
    sock.pause();
    if (p.proxyHeader) sock.unshift(p.proxyHeader);
    // The certificate the SNI callback picked, or the default one.
    const cert = (p.sni !== null ? this.index.lookup(p.sni) : null) ?? this.defaultCert;
    setClientTlsInfo(sock, {
      sni: p.sni, localCert: cert?.info ?? null, peerExpected: this.verify !== 'none',
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

function clientErrorText(code: string | undefined): string {
  switch (code) {
    case 'ERR_TLS_HANDSHAKE_TIMEOUT': return HandshakeError.Timeout;
    case 'ECONNRESET': case 'EPIPE': case 'ETIMEDOUT': return HandshakeError.Aborted;
    default: return HandshakeError.Failure;
  }
}

function noop(): void {}
