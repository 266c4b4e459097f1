// The certificate store (HAProxy's ckch_store tree): every certificate file the configuration
// loaded, by path, shared by the bind lines, crt-lists and servers using it; the crt-lists and
// "crt" directories by path; and the single "set ssl cert" transaction of the runtime API. A
// certificate is read once however many lines name it, and replacing it through the runtime
// API replaces it everywhere it is used.
import { certEntry, readCertFile, type CertData, type CertEntry } from './certs.ts';
import type { CrtList } from './crt-list.ts';

/** Something serving a stored certificate: a bind line's instance of it, or a server. */
export interface CertUser {
  /**
   * Builds what serving `next` takes (TLS contexts) without using it yet; returns the
   * function that switches to it, or an error text. A commit prepares every user first, so
   * that a failure changes nothing.
   */
  prepare(next: CertEntry): (() => void) | string;
}

export class StoredCert {
  readonly path: string;
  /** What the store holds: null for an empty store ("new ssl cert"). */
  data: CertData | null;
  /** The certificate as served (null while empty). */
  entry: CertEntry | null;
  readonly users = new Set<CertUser>();

  constructor(path: string, data: CertData | null, entry: CertEntry | null) {
    this.path = path;
    this.data = data;
    this.entry = entry;
  }
}

/** The uncommitted certificate of "set ssl cert": what the store will hold once committed. */
export interface CertTransaction {
  readonly store: StoredCert;
  data: CertData;
}

export class CertStore {
  private readonly certs = new Map<string, StoredCert>();
  /** crt-list files and "crt" directories, by path (without trailing slashes). */
  readonly lists = new Map<string, CrtList>();
  transaction: CertTransaction | null = null;

  get(path: string): StoredCert | undefined {
    return this.certs.get(path);
  }

  add(s: StoredCert): void {
    this.certs.set(s.path, s);
  }

  delete(path: string): void {
    this.certs.delete(path);
  }

  /** Every stored certificate, by path in byte order (the tree order HAProxy lists them in). */
  all(): StoredCert[] {
    return [...this.certs.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The stored certificate of a file, read from disk the first time; HAProxy's error text otherwise. */
  load(path: string): StoredCert | string {
    const known = this.certs.get(path);
    if (known) return known;
    const data = readCertFile(path);
    if (typeof data === 'string') return data;
    const entry = certEntry(path, data, `No Private Key found in '${path}.key'.`);
    if (typeof entry === 'string') return entry;
    const s = new StoredCert(path, data, entry);
    this.certs.set(path, s);
    return s;
  }
}
