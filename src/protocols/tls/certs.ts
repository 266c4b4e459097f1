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

/** A certificate with its key, ready for a TLS context. */
export interface CertEntry {
  /** The file it was read from (messages). */
  readonly path: string;
  /** The certificate then its chain, PEM (Node's "cert" option). */
  readonly certPem: string;
  readonly keyPem: string;
  /** DH parameters found in the file, PEM. */
  readonly dhPem: string | null;
  readonly info: CertInfo;
  /** SNI names, lower case: subjectAltName DNS names then CN values ("*.example.com" included). */
  readonly names: readonly string[];
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
function errnoText(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'ENOTDIR': return 'Not a directory';
    case 'EISDIR': return 'Is a directory';
    default: return e.message;
  }
}

/** Files of a "crt" directory HAProxy leaves out (companions of the certificates). */
function skippedInDir(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.key') || name.endsWith('.ocsp') || name.endsWith('.issuer') || name.endsWith('.sctl');
}

/** Joins a directory and a file name as HAProxy prints them ("dir/" + name or "dir" + "/" + name). */
function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** A path relative to a base directory (crt-base, ca-base); absolute paths are kept. */
export function withBase(base: string | null, path: string): string {
  if (!base || path.startsWith('/')) return path;
  return joinPath(base, path);
}

/** Loads one PEM certificate file; returns the entry or HAProxy's error text. */
function loadCertFile(path: string): CertEntry | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return `unable to load certificate from file '${path}'.`;
  }
  const blocks = pemBlocks(text);
  const certs = blocks.filter((b) => isCert(b.type));
  let key = blocks.find((b) => isKey(b.type))?.text ?? null;
  const dh = blocks.find((b) => b.type === 'DH PARAMETERS')?.text ?? null;
  if (certs.length === 0) return `unable to load certificate from file '${path}'.`;
  if (key === null) {
    try {
      key = pemBlocks(readFileSync(`${path}.key`, 'latin1')).find((b) => isKey(b.type))?.text ?? null;
    } catch {
      key = null;
    }
    if (key === null) return `No Private Key found in '${path}.key'.`;
  }
  const leaf = certs[0]!.text;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(leaf);
  } catch {
    return `unable to load certificate from file '${path}'.`;
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) return `inconsistencies between private key and certificate loaded '${path}'.`;
  } catch {
    // An encrypted key or an unknown key type: HAProxy cannot read it without a passphrase either.
    return `unable to load private key from file '${path}'.`;
  }
  const info = parseCertificate(x509.raw);
  if (!info) return `unable to load certificate from file '${path}'.`;
  const names: string[] = [];
  for (const n of info.dnsNames) names.push(n.toLowerCase());
  for (const e of info.subject) if (e.name === 'CN') names.push(e.value.toString('latin1').toLowerCase());
  return { path, certPem: certs.map((c) => c.text).join(''), keyPem: key, dhPem: dh, info, names };
}

/** "crt <file|dir>": one file, or every certificate of a directory in name order. */
export function loadCerts(path: string): CertEntry[] | string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    return `unable to stat SSL certificate from file '${path}' : ${errnoText(e as NodeJS.ErrnoException)}.`;
  }
  if (!isDir) {
    const c = loadCertFile(path);
    return typeof c === 'string' ? c : [c];
  }
  const out: CertEntry[] = [];
  // HAProxy's scandir() with alphasort: byte order in the C locale.
  const names = readdirSync(path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (skippedInDir(name)) continue;
    const file = joinPath(path, name);
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    const c = loadCertFile(file);
    if (typeof c === 'string') return c;
    out.push(c);
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

/**
 * The certificates of a bind line indexed by SNI name: exact names first, then the wildcard
 * covering the name's first label ("*.example.com" for "www.example.com", not for
 * "example.com" nor "a.b.example.com"). The first certificate declaring a name wins.
 */
export class CertIndex {
  private readonly exact = new Map<string, CertEntry>();
  private readonly wildcard = new Map<string, CertEntry>();

  constructor(certs: readonly CertEntry[]) {
    for (const c of certs) {
      for (const n of c.names) {
        if (n.startsWith('*.')) {
          const suffix = n.slice(1);
          if (!this.wildcard.has(suffix)) this.wildcard.set(suffix, c);
        } else if (!this.exact.has(n)) {
          this.exact.set(n, c);
        }
      }
    }
  }

  /** The certificate for an SNI name (any case), or null when none matches. */
  lookup(servername: string): CertEntry | null {
    const n = servername.toLowerCase();
    const hit = this.exact.get(n);
    if (hit) return hit;
    const dot = n.indexOf('.');
    return dot > 0 ? this.wildcard.get(n.slice(dot)) ?? null : null;
  }
}
