// TLS contexts built from the parsed settings, with the global defaults applied: the options
// shared by the contexts of a bind line (bind-certs.ts adds one certificate to each), one
// context per server.
// Building a context is also how a cipher, cipher suite or curve list is validated, so the
// configuration check builds them and the runtime reuses the same objects.
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { CertEntry } from './certs.ts';
import { mergeVersions, newGlobalTls, NODE_VERSION, versionRange, type BindTls, type GlobalTls, type ServerTls, type VersionRange } from './settings.ts';
import { threads } from '../../runtime/threads/context.ts';

/** What went wrong while building contexts; the caller words it for its line. */
export type ContextProblem =
  | { readonly kind: 'ciphers' | 'ciphersuites' | 'curves'; readonly value: string }
  | { readonly kind: 'versions' };

/** Splits an OpenSSL cipher string from TLS 1.3 suite names (Node takes both in one "ciphers" string). */
function cipherString(ciphers: string | null, suites: string | null): string {
  // TLS 1.3 names have no meaning in a TLS 1.2 cipher list: OpenSSL ignores them there.
  const list = (ciphers ?? 'DEFAULT').split(':').filter((c) => c !== '' && !c.startsWith('TLS_')).join(':');
  // Without suites Node keeps OpenSSL's default TLS 1.3 suites.
  return suites ? `${list}:${suites}` : list;
}

/** Checks the lists one by one, as HAProxy applies them, to name the one that fails. */
function checkLists(ciphers: string | null, suites: string | null, curves: string | null): ContextProblem[] {
  const problems: ContextProblem[] = [];
  if (ciphers !== null) {
    try {
      if (cipherString(ciphers, null) === '') throw new Error('no cipher');
      createSecureContext({ ciphers: cipherString(ciphers, null) });
    } catch {
      problems.push({ kind: 'ciphers', value: ciphers });
    }
  }
  if (suites !== null) {
    try {
      // Every TLS 1.3 suite name starts with "TLS_"; anything else would be read as a TLS 1.2 cipher.
      if (suites.split(':').some((s) => s !== '' && !s.startsWith('TLS_'))) throw new Error('not a suite');
      createSecureContext({ ciphers: suites });
    } catch {
      problems.push({ kind: 'ciphersuites', value: suites });
    }
  }
  if (curves !== null) {
    try {
      createSecureContext({ ecdhCurve: curves });
    } catch {
      problems.push({ kind: 'curves', value: curves });
    }
  }
  return problems;
}

// ---- bind lines ------------------------------------------------------------------------

/** The context options of a bind line's settings, without a certificate, and what is wrong with them. */
export type BindOptionsBuild =
  | { readonly ok: true; readonly options: SecureContextOptions; readonly warnings: readonly ('ignored' | 'ambiguous')[] }
  | { readonly ok: false; readonly problems: readonly ContextProblem[]; readonly warnings: readonly ('ignored' | 'ambiguous')[] };

const builtOptions = new WeakMap<BindTls, BindOptionsBuild>();

/**
 * With several threads (nbthread), the session ticket keys every thread shares, so that a
 * ticket issued by one thread resumes on another; unchanged with one thread (random keys).
 */
export function withSharedTicketKeys<T extends SecureContextOptions>(o: T): T {
  return threads.ticketKeys ? { ...o, ticketKeys: threads.ticketKeys } : o;
}

/**
 * The options every context of these settings shares (a bind line's, or a crt-list line's
 * over them), built and checked once.
 */
export function bindOptions(b: BindTls): BindOptionsBuild {
  let r = builtOptions.get(b);
  if (!r) {
    r = buildBindOptions(b, b.global);
    builtOptions.set(b, r);
  }
  return r;
}

function buildBindOptions(b: BindTls, g: GlobalTls): BindOptionsBuild {
  const warnings: ('ignored' | 'ambiguous')[] = [];
  const range = versionRange(mergeVersions(b.versions, g.bind.versions), (w) => warnings.push(w));
  if (!range) return { ok: false, problems: [{ kind: 'versions' }], warnings };
  const ciphers = b.ciphers ?? g.bindCiphers;
  const suites = b.ciphersuites ?? g.bindCiphersuites;
  const curves = b.curves ?? g.bindCurves;
  const problems = checkLists(ciphers, suites, curves);
  if (problems.length > 0) return { ok: false, problems, warnings };
  let secureOptions = 0;
  if (b.noTlsTickets || g.bind.noTlsTickets) secureOptions |= constants.SSL_OP_NO_TICKET;
  if (!(b.preferClientCiphers || g.bind.preferClientCiphers)) secureOptions |= constants.SSL_OP_CIPHER_SERVER_PREFERENCE;
  const options: SecureContextOptions = {
    ...versionOptions(range),
    ciphers: cipherString(ciphers, suites),
    secureOptions,
    ...(curves !== null ? { ecdhCurve: curves } : {}),
    ...(b.ca ? { ca: b.ca.pem } : {}),
    ...(b.crl ? { crl: b.crl.pem } : {}),
  };
  return { ok: true, options, warnings };
}

function versionOptions(r: VersionRange): Pick<SecureContextOptions, 'minVersion' | 'maxVersion'> {
  return { minVersion: NODE_VERSION[r.min], maxVersion: NODE_VERSION[r.max] };
}

// ---- servers ---------------------------------------------------------------------------

/** The context of a server and the connection settings that go with it. */
export interface ServerContext {
  readonly context: SecureContext;
  /** verify required (explicit, or ssl-server-verify's default). */
  readonly verify: boolean;
  readonly verifyHost: string | null;
  readonly alpn: string[] | null;
  readonly reuse: boolean;
}

export type ServerBuild =
  | { readonly ok: true; readonly context: ServerContext; readonly ignoredFlags: boolean }
  | { readonly ok: false; readonly problems: readonly ContextProblem[]; readonly ignoredFlags: boolean };

const builtServers = new WeakMap<ServerTls, ServerBuild>();

/**
 * Builds (once) the context of a server using TLS for its traffic or its checks. A server
 * presenting a certificate ("crt") is a user of its stored certificate: committing a new one
 * through the runtime API rebuilds the context, and sessions made with the old one are not
 * resumed (connect.ts keeps sessions per context).
 */
export function serverContext(t: ServerTls): ServerBuild {
  let r = builtServers.get(t);
  if (!r) {
    const crt = t.crt;
    const g = t.global ?? newGlobalTls();
    r = buildServer(t, g, crt?.entry ?? null);
    builtServers.set(t, r);
    if (r.ok && crt) {
      crt.users.add({
        prepare(next: CertEntry) {
          const rebuilt = buildServer(t, g, next);
          if (!rebuilt.ok) return `unable to build the SSL context of '${next.path}'.`;
          return () => { builtServers.set(t, rebuilt); };
        },
      });
    }
  }
  return r;
}

function buildServer(t: ServerTls, g: GlobalTls, crt: CertEntry | null): ServerBuild {
  let ignoredFlags = false;
  // Servers get no "ambiguous" warning from HAProxy: the min silently follows a lower max.
  const range = versionRange(mergeVersions(t.versions, g.server.versions), (w) => { if (w === 'ignored') ignoredFlags = true; });
  if (!range) return { ok: false, problems: [{ kind: 'versions' }], ignoredFlags };
  const ciphers = t.ciphers ?? g.serverCiphers;
  const suites = t.ciphersuites ?? g.serverCiphersuites;
  const problems = checkLists(ciphers, suites, null);
  if (problems.length > 0) return { ok: false, problems, ignoredFlags };
  const context = createSecureContext({
    ...versionOptions(range),
    ciphers: cipherString(ciphers, suites),
    secureOptions: t.noTlsTickets || g.server.noTlsTickets ? constants.SSL_OP_NO_TICKET : 0,
    ...(t.ca ? { ca: t.ca.pem } : {}),
    ...(t.crl ? { crl: t.crl.pem } : {}),
    ...(crt ? { cert: crt.certPem, key: crt.keyPem } : {}),
  });
  return {
    ok: true,
    context: { context, verify: (t.verify ?? g.serverVerify) === 'required', verifyHost: t.verifyHost, alpn: t.alpn, reuse: t.reuse },
    ignoredFlags,
  };
}
