// The changes the runtime API makes to the certificate store, once checked and worded by the
// CLI (observe/cli/ssl-commands.ts): committing a certificate, creating and deleting stored
// certificates, adding and deleting crt-list entries. Each change is also described by a
// plain, serializable CertChange given to the listeners of certChanges, so that another
// runtime holding the same configuration (another thread) can replay it with applyCertChange().
import { certEntry, type CertData } from './certs.ts';
import { StoredCert, type CertStore } from './cert-store.ts';
import type { CrtList, CrtListEntry } from './crt-list.ts';
import type { LineConf } from './settings.ts';

export type CertChange =
  | { readonly kind: 'commit'; readonly path: string; readonly data: CertData }
  | { readonly kind: 'new'; readonly path: string }
  | { readonly kind: 'delete'; readonly path: string }
  | { readonly kind: 'add-entry'; readonly list: string; readonly cert: string; readonly conf: LineConf | null; readonly filters: readonly string[] }
  | { readonly kind: 'del-entry'; readonly list: string; readonly cert: string; readonly linenum: number };

const listeners = new Set<(c: CertChange) => void>();

/** Listeners told of every change made here (for instance to replay it in other threads). */
export const certChanges = {
  subscribe(fn: (c: CertChange) => void): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

function announce(c: CertChange): void {
  for (const fn of listeners) fn(c);
}

/**
 * Serves `data` wherever the stored certificate `path` is used: every user prepares its new
 * contexts first, then all switch at once. Returns how many users were rebuilt (HAProxy prints
 * a dot for each), or the first error, in which case nothing changed.
 */
export function commitCert(store: CertStore, path: string, data: CertData): number | string {
  const s = store.get(path);
  if (!s) return `certificate '${path}' does not exist!\n`;
  const entry = certEntry(path, data, 'The transaction must contain at least a certificate and a private key!\n');
  if (typeof entry === 'string') return entry.endsWith('\n') ? entry : `${entry}\n`;
  const switches: (() => void)[] = [];
  for (const u of s.users) {
    const r = u.prepare(entry);
    if (typeof r === 'string') return `${r}\n`;
    switches.push(r);
  }
  for (const sw of switches) sw();
  s.data = data;
  s.entry = entry;
  announce({ kind: 'commit', path, data });
  return switches.length;
}

/** A new empty stored certificate ("new ssl cert"). */
export function newCert(store: CertStore, path: string): void {
  store.add(new StoredCert(path, null, null));
  announce({ kind: 'new', path });
}

/** Deletes an unused stored certificate ("del ssl cert"). */
export function deleteCert(store: CertStore, path: string): void {
  store.delete(path);
  announce({ kind: 'delete', path });
}

/**
 * Adds an entry to a crt-list and serves it on every bind line using the list. Returns how
 * many bind lines serve it, or the first error, in which case nothing changed.
 */
export function addEntry(list: CrtList, cert: StoredCert, conf: LineConf | null, filters: readonly string[]): number | string {
  const e: CrtListEntry = { list, store: cert, conf, filters, linenum: 0 };
  const inserts: (() => void)[] = [];
  for (const u of list.users) {
    const r = u.prepareAdd(e);
    if (typeof r === 'string') return `${r}\n`;
    inserts.push(r);
  }
  list.entries.push(e);
  for (const ins of inserts) ins();
  e.linenum = ++list.linecount;
  announce({ kind: 'add-entry', list: list.path, cert: cert.path, conf, filters });
  return inserts.length;
}

/** Deletes a crt-list entry and stops serving it. */
export function deleteEntry(e: CrtListEntry): void {
  const list = e.list;
  const i = list.entries.indexOf(e);
  if (i >= 0) list.entries.splice(i, 1);
  for (const u of list.users) u.remove(e);
  announce({ kind: 'del-entry', list: list.path, cert: e.store.path, linenum: e.linenum });
}

/** Replays a change made by another runtime on the same configuration; an error text if it does not apply. */
export function applyCertChange(store: CertStore, c: CertChange): string | null {
  switch (c.kind) {
    case 'commit': {
      const r = commitCert(store, c.path, c.data);
      return typeof r === 'string' ? r : null;
    }
    case 'new':
      newCert(store, c.path);
      return null;
    case 'delete':
      deleteCert(store, c.path);
      return null;
    case 'add-entry': {
      const list = store.lists.get(c.list);
      const cert = store.get(c.cert);
      if (!list || !cert) return `crt-list '${c.list}' or certificate '${c.cert}' does not exist!\n`;
      const r = addEntry(list, cert, c.conf, c.filters);
      return typeof r === 'string' ? r : null;
    }
    case 'del-entry': {
      const e = store.lists.get(c.list)?.entries.find((x) => x.store.path === c.cert && x.linenum === c.linenum);
      if (!e) return `certificate '${c.cert}' can't be found in crt-list '${c.list}'!\n`;
      deleteEntry(e);
      return null;
    }
  }
}
