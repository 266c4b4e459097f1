// Certificates and trust stores read from PEM files, as HAProxy loads them at parse time:
// "crt" files hold the certificate, its private key (or a "<file>.key" beside it), the chain
// and optional DH parameters; a "crt" directory loads every file in it in name order (skipping
// hidden files and the .key/.ocsp/.issuer/.sctl companions); "ca-file"/"crl-file" hold
// certificates or CRLs. The SNI names of a certificate are its subjectAltName DNS names and
// its CN entries, wildcards included.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { getCACertificates } from 'node:tls';
import { parseCertificate, type CertInfo } from './x509.ts';

/** The signature type of a certificate's key, to pick between RSA and ECDSA certificates of one name. */
export type KeyType = 'ecdsa' | 'rsa' | 'other';

/** A certificate with its key, ready for a TLS context. */
export interface CertEntry {
  /** The file it was read from (messages, the certificate store's key). */
  readonly path: string;
  /** The certificate then its chain, PEM (Node's "cert" option). */
  readonly certPem: string;
  readonly keyPem: string;
  /** DH parameters found in the file, PEM. */
  readonly dhPem: string | null;
  readonly info: CertInfo;
  /** SNI names, lower case: subjectAltName DNS names then CN values ("*.example.com" included). */
  readonly names: readonly string[];
  readonly keyType: KeyType;
  /** "EC256", "RSA2048", "DSA1024" ("show ssl cert"); null for other key types. */
  readonly algorithm: string | null;
  /** The certificates after the first one, PEM. */
  readonly chainPems: readonly string[];
}

/**
 * What a certificate file (or a CLI payload) holds, before the certificate and its key are
 * checked against each other: a "set ssl cert" transaction may hold a certificate without a key.
 */
export interface CertData {
  /** The certificate then its chain, PEM blocks. */
  readonly certs: readonly string[];
  readonly key: string | null;
  readonly dh: string | null;
}

/** CA certificates or CRLs for a context ("ca-file", "crl-file"). */
export interface PemBundle {
  readonly path: string;
  readonly pem: string;
}

interface PemBlock {
  readonly type: string;
  readonly text: string;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_RE)) out.push({ type: m[1]!, text: m[0] + '\n' });
  return out;
}

function isKey(type: string): boolean {
  return type === 'PRIVATE KEY' || type === 'RSA PRIVATE KEY' || type === 'EC PRIVATE KEY' || type === 'ENCRYPTED PRIVATE KEY';
}

function isCert(type: string): boolean {
  return type === 'CERTIFICATE' || type === 'TRUSTED CERTIFICATE';
}

/** strerror() texts for file errors. */
export function errnoText(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'ENOTDIR': return 'Not a directory';
    case 'EISDIR': return 'Is a directory';
    default: return e.message;
  }
}

/** Files of a "crt" directory HAProxy leaves out (companions of the certificates). */
export function skippedInDir(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.key') || name.endsWith('.ocsp') || name.endsWith('.issuer') || name.endsWith('.sctl');
}

/** Joins a directory and a file name as HAProxy prints them ("dir/" + name or "dir" + "/" + name). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** A path relative to a base directory (crt-base, ca-base); absolute paths are kept. */
export function withBase(base: string | null, path: string): string {
  if (!base || path.startsWith('/')) return path;
  return joinPath(base, path);
}

/**
 * The certificate, chain, key and DH parameters of PEM text; `path` names it in the error
 * (HAProxy's text when no certificate is found).
 */
export function readCertPem(path: string, text: string): CertData | string {
  const blocks = pemBlocks(text);
  const certs = blocks.filter((b) => isCert(b.type)).map((b) => b.text);
  if (certs.length === 0) return `unable to load certificate from file '${path}'.`;
  return { certs, key: blocks.find((b) => isKey(b.type))?.text ?? null, dh: blocks.find((b) => b.type === 'DH PARAMETERS')?.text ?? null };
}

/** The private key of PEM text ("<file>.key" companions, "set ssl cert <file>.key"), null when there is none. */
export function readKeyPem(text: string): string | null {
  return pemBlocks(text).find((b) => isKey(b.type))?.text ?? null;
}

/** The key type and "show ssl cert" algorithm of a certificate's public key. */
export function publicKeyInfo(x509: X509Certificate): { keyType: KeyType; algorithm: string | null } {
  const k = x509.publicKey;
  const d = k.asymmetricKeyDetails;
  switch (k.asymmetricKeyType) {
    case 'rsa': case 'rsa-pss': return { keyType: 'rsa', algorithm: `RSA${d?.modulusLength ?? 0}` };
    case 'ec': return { keyType: 'ecdsa', algorithm: `EC${EC_BITS[d?.namedCurve ?? ''] ?? 0}` };
    case 'dsa': return { keyType: 'other', algorithm: `DSA${d?.modulusLength ?? 0}` };
    default: return { keyType: 'other', algorithm: null };
  }
}

/** Key sizes of the named curves OpenSSL reports (EVP_PKEY_bits). */
const EC_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256, secp384r1: 384, secp521r1: 521, secp224r1: 224, secp256k1: 256, prime192v1: 192,
  brainpoolP256r1: 256, brainpoolP384r1: 384, brainpoolP512r1: 512,
};

/**
 * A certificate ready for use: its key present and matching. Returns HAProxy's error text
 * otherwise (`missingKey` is the one for a certificate without a key).
 */
export function certEntry(path: string, data: CertData, missingKey: string): CertEntry | string {
  if (data.key === null) return missingKey;
  const leaf = data.certs[0]!;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(leaf);
  } catch {
    return `unable to load certificate from file '${path}'.`;
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(data.key))) return `inconsistencies between private key and certificate loaded '${path}'.`;
  } catch {
    // An encrypted key or an unknown key type: HAProxy cannot read it without a passphrase either.
    return `unable to load private key from file '${path}'.`;
  }
  const info = parseCertificate(x509.raw);
  if (!info) return `unable to load certificate from file '${path}'.`;
  const names: string[] = [];
  for (const n of info.dnsNames) names.push(n.toLowerCase());
  for (const e of info.subject) if (e.name === 'CN') names.push(e.value.toString('latin1').toLowerCase());
  return {
    path, certPem: data.certs.join(''), keyPem: data.key, dhPem: data.dh, info, names, ...publicKeyInfo(x509), chainPems: data.certs.slice(1),
  };
}

/** Reads a certificate file (and its "<file>.key" when the key is not in it), unchecked. */
export function readCertFile(path: string): CertData | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return `unable to load certificate from file '${path}'.`;
  }
  const data = readCertPem(path, text);
  if (typeof data === 'string' || data.key !== null) return data;
  let key: string | null = null;
  try {
    key = readKeyPem(readFileSync(`${path}.key`, 'latin1'));
  } catch {
    key = null;
  }
  return { ...data, key };
}

/** Loads one PEM certificate file; returns the entry or HAProxy's error text. */
export function loadCertFile(path: string): CertEntry | string {
  const data = readCertFile(path);
  if (typeof data === 'string') return data;
  return certEntry(path, data, `No Private Key found in '${path}.key'.`);
}

/** Whether `path` is a directory, or HAProxy's error text when it cannot be read. */
export function statCertPath(path: string): boolean | string {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    return `unable to stat SSL certificate from file '${path}' : ${errnoText(e as NodeJS.ErrnoException)}.`;
  }
}

/** The certificate files of a "crt" directory, in HAProxy's order (scandir() with alphasort, C locale). */
export function certFilesOf(dir: string): string[] {
  const out: string[] = [];
  const names = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (skippedInDir(name)) continue;
    const file = joinPath(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    out.push(file);
  }
  return out;
}

/**
 * "ca-file" / "crl-file": the certificates (and CRLs) of a file, or of every file of a
 * directory; "@system-ca" is the system's trust store. Returns the bundle or the reason
 * HAProxy gives after "Couldn't open the ca-file '<path>'".
 */
export function loadPemBundle(path: string, kind: 'ca' | 'crl'): PemBundle | { error: string } {
  if (path === '@system-ca' && kind === 'ca') return { path, pem: getCACertificates('system').join('\n') };
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path).filter((n) => !n.startsWith('.')).sort().map((n) => joinPath(path, n))
      : [path];
  } catch (e) {
    return { error: `(${errnoText(e as NodeJS.ErrnoException)})` };
  }
  let pem = '';
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EISDIR') continue;
      return { error: `(${errnoText(e as NodeJS.ErrnoException)})` };
    }
    for (const b of pemBlocks(text)) if (isCert(b.type) || b.type === 'X509 CRL') pem += b.text;
  }
  if (pem === '') return { error: '(no certificate or crl found)' };
  return { path, pem };
}
