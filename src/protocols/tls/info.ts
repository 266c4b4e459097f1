// What the sample fetches and the logs read from a TLS connection, client side (ssl_fc*,
// ssl_c_*, ssl_f_*) or server side (ssl_bc*, ssl_s_*). The values are taken once the
// handshake is done, so that they remain readable when the log line is written after the
// socket is closed; certificates are parsed on first use.
import { createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Conn } from '../tcp/conn.ts';
import type { StreamLog } from '../../observe/log/loggable.ts';
import { parseCertificate, type CertInfo } from './x509.ts';

/** X509_V_ERR_* codes for the names Node reports in authorizationError. */
const X509_ERRORS: Readonly<Record<string, number>> = {
  UNABLE_TO_GET_ISSUER_CERT: 2, UNABLE_TO_GET_CRL: 3, UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5, UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6, CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8, CERT_NOT_YET_VALID: 9, CERT_HAS_EXPIRED: 10, CRL_NOT_YET_VALID: 11, CRL_HAS_EXPIRED: 12,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13, ERROR_IN_CERT_NOT_AFTER_FIELD: 14, ERROR_IN_CRL_LAST_UPDATE_FIELD: 15,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: 16, OUT_OF_MEM: 17, DEPTH_ZERO_SELF_SIGNED_CERT: 18, SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20, UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21, CERT_CHAIN_TOO_LONG: 22, CERT_REVOKED: 23,
  INVALID_CA: 24, PATH_LENGTH_EXCEEDED: 25, INVALID_PURPOSE: 26, CERT_UNTRUSTED: 27, CERT_REJECTED: 28,
  HOSTNAME_MISMATCH: 62,
};

/** The X509_V_ERR_* code of a verification error Node names (1, "unspecified", for one it does not know). */
export function x509ErrorCode(name: string): number {
  return X509_ERRORS[name] ?? 1;
}

/** What a client connection's acceptor knows beyond the socket. */
export interface ClientSide {
  /** The SNI of the ClientHello (Node does not report it on a resumed TLS 1.2 session). */
  readonly sni: string | null;
  /** Our certificate on the connection (ssl_f_*), already parsed. */
  readonly localCert: CertInfo | null;
  /** A client certificate was asked for ("verify optional|required"). */
  readonly peerExpected: boolean;
  readonly acceptDate: number;
  readonly acceptMono: number;
  readonly handshakeMs: number;
}

export class TlsInfo {
  /** The SNI the client sent (client side), or the one we sent (server side). */
  readonly sni: string | null;
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly alpn: string | null;
  readonly resumed: boolean;
  /** SSL_get_verify_result(): 0 when the peer's certificate verified or none was asked for. */
  readonly verifyResult: number;
  /** Accept date, monotonic accept time and handshake duration of a client connection (logs). */
  readonly acceptDate: number;
  readonly acceptMono: number;
  readonly handshakeMs: number;
  private readonly peerDer: Buffer | null;
  private peer: CertInfo | null | undefined;
  private readonly local: CertInfo | null;

  constructor(sock: TLSSocket, sni: string | null, client: ClientSide | null) {
    this.sni = sni;
    this.protocol = sock.getProtocol() ?? null;
    this.cipher = sock.getCipher()?.name ?? null;
    const alpn = sock.alpnProtocol;
    this.alpn = typeof alpn === 'string' && alpn !== '' ? alpn : null;
    this.resumed = sock.isSessionReused();
    // A client sends a certificate only when asked; a server always does.
    this.peerDer = !client || client.peerExpected ? sock.getPeerX509Certificate()?.raw ?? null : null;
    const e = sock.authorizationError;
    this.verifyResult = sock.authorized || !e || !this.peerDer ? 0 : x509ErrorCode(String(e));
    this.local = client?.localCert ?? null;
    this.acceptDate = client?.acceptDate ?? 0;
    this.acceptMono = client?.acceptMono ?? 0;
    this.handshakeMs = client?.handshakeMs ?? 0;
  }

  /** The certificate the peer presented (the client's on a client connection). */
  peerCert(): CertInfo | null {
    if (this.peer === undefined) this.peer = this.peerDer ? parseCertificate(this.peerDer) : null;
    return this.peer;
  }

  /** Our own certificate on a client connection (ssl_f_*). */
  localCert(): CertInfo | null {
    return this.local;
  }
}

const infos = new WeakMap<TLSSocket, TlsInfo>();
/** The SNI sent on server connections, noted when they are opened. */
const sentNames = new WeakMap<TLSSocket, string>();

/** Records a client connection's view once its handshake is done. */
export function setClientTlsInfo(sock: TLSSocket, client: ClientSide): TlsInfo {
  const i = new TlsInfo(sock, client.sni, client);
  infos.set(sock, i);
  return i;
}

/** Notes the SNI sent on a server connection. */
export function noteServername(sock: TLSSocket, sni: string | null): void {
  if (sni !== null) sentNames.set(sock, sni);
}

/**
 * The TLS view of a connection, or null when it is not TLS. Server connections get theirs on
 * the first call, which must come after the handshake (when the connection is established).
 */
export function tlsInfoOf(sock: Conn | null | undefined): TlsInfo | null {
  if (!(sock instanceof TLSSocket)) return null;
  let i = infos.get(sock);
  if (!i) {
    i = new TlsInfo(sock, sentNames.get(sock) ?? null, null);
    infos.set(sock, i);
  }
  return i;
}

/** SHA-1 of a certificate's DER (ssl_c_sha1). */
export function certSha1(c: CertInfo): Buffer {
  return createHash('sha1').update(c.der).digest();
}

/**
 * A TLS client connection in its stream's log: "~" after the frontend name (%ft), %sslv and
 * %sslc; for the connection's first log record (`accepted`), the accept date and %Th of the
 * connection itself, the stream having started after the handshake.
 */
export function logTlsClient(logs: StreamLog, t: TlsInfo, accepted: boolean): void {
  logs.clientTls = true;
  logs.tlsVersion = t.protocol;
  logs.tlsCipher = t.cipher;
  if (!accepted || t.acceptMono === 0) return;
  logs.acceptDate = t.acceptDate;
  logs.acceptMono = t.acceptMono;
  logs.tHandshake = t.handshakeMs;
}
