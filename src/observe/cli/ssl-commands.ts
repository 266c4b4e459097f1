// Certificate commands of the runtime API (management.txt 9.3), with HAProxy 2.6's texts:
// "show ssl cert", "new/set/commit/abort/del ssl cert" (one transaction at a time; "*" marks
// its uncommitted certificate), "show/add/del ssl crt-list". A committed certificate is used
// by the next handshakes; established connections keep theirs. The changes themselves are in
// protocols/tls/cert-ops.ts. One deliberate difference: "set ssl cert" on another file than
// the ongoing transaction's is refused (HAProxy 2.6.12 silently updated the ongoing one).
import { createHash, X509Certificate } from 'node:crypto';
import { certEntry, publicKeyInfo, readCertPem, readKeyPem, withBase, type CertData } from '../../protocols/tls/certs.ts';
import type { CertStore, StoredCert } from '../../protocols/tls/cert-store.ts';
import { addEntry, commitCert, deleteCert, deleteEntry, newCert } from '../../protocols/tls/cert-ops.ts';
import { certChangesApplied } from '../../protocols/tls/cert-sync.ts';
import { entryText, parseCrtListLine, type CrtListEntry } from '../../protocols/tls/crt-list.ts';
import { parseCertificate, dnOneline, type CertInfo } from '../../protocols/tls/x509.ts';
import { Level, err, needLevel, registerCliCommands, type CliOutput, type CliSession } from './registry.ts';

/** LOG_NOTICE: the severity HAProxy gives these commands' success messages. */
function notice(text: string): CliOutput {
  return { text, severity: 5 };
}

function storeOf(s: CliSession): CertStore {
  return s.rt.config.global.tls.store;
}

const HEX = '0123456789ABCDEF';

function hex(b: Buffer): string {
  let out = '';
  for (const x of b) out += HEX[x >> 4]! + HEX[x & 15]!;
  return out;
}

/** The details "show ssl cert <file>" prints for a certificate and its chain (show_cert_detail()). */
function certDetail(leaf: CertInfo, algorithm: string | null, chain: readonly string[]): string {
  const x509 = new X509Certificate(leaf.der);
  let out = `Serial: ${hex(leaf.serial)}\n`;
  out += `notBefore: ${x509.validFrom}\nnotAfter: ${x509.validTo}\n`;
  // Entries other than DNS names print nothing but keep their separator.
  out += `Subject Alternative Name: ${leaf.altNames.map((n) => (n === null ? '' : `DNS:${n}`)).join(', ')}\n`;
  out += 'Algorithm: ';
  // HAProxy stops at a key type it does not know.
  if (algorithm === null) return out;
  out += `${algorithm}\n`;
  out += `SHA1 FingerPrint: ${hex(createHash('sha1').update(leaf.der).digest())}\n`;
  out += `Subject: ${dnOneline(leaf.subject)}\nIssuer: ${dnOneline(leaf.issuer)}\n`;
  for (const pem of chain) {
    const c = parseCertificate(new X509Certificate(pem).raw);
    if (!c) break;
    out += `Chain Subject: ${dnOneline(c.subject)}\nChain Issuer: ${dnOneline(c.issuer)}\n`;
  }
  return out;
}

/** The certificate of stored data for display (a transaction may not hold its key yet). */
function displayOf(data: CertData | null): { info: CertInfo; algorithm: string | null; chain: readonly string[] } | null {
  if (!data || data.certs.length === 0) return null;
  const x509 = new X509Certificate(data.certs[0]!);
  const info = parseCertificate(x509.raw);
  return info ? { info, algorithm: publicKeyInfo(x509).algorithm, chain: data.certs.slice(1) } : null;
}

function statusOf(st: StoredCert, data: CertData | null, inTransaction: boolean): string {
  if (!data) return 'Empty';
  // The transaction's copy is used nowhere yet.
  return inTransaction || st.users.size === 0 ? 'Unused' : 'Used';
}

function showCert(args: readonly string[], s: CliSession): CliOutput {
  if (s.level < Level.Operator) return err("Can't allocate memory!\n");
  const store = storeOf(s);
  const tx = store.transaction;
  let name = args[3];
  if (!name) {
    let out = '';
    if (tx) out += `# transaction\n*${tx.store.path}\n`;
    out += '# filename\n';
    for (const c of store.all()) out += `${c.path}\n`;
    return out;
  }
  // "<file>.ocsp" shows the certificate's OCSP response: Turnpike staples none.
  if (name.endsWith('.ocsp')) name = name.slice(0, -5);
  let st: StoredCert | undefined;
  let data: CertData | null;
  const fromTx = name.startsWith('*');
  if (fromTx) {
    if (!tx || name.slice(1) !== tx.store.path) return err("Can't display the certificate: Not found or the certificate is a bundle!\n");
    st = tx.store;
    data = tx.data;
  } else {
    st = store.get(name);
    if (!st) return err("Can't display the certificate: Not found or the certificate is a bundle!\n");
    data = st.data;
  }
  if (args[3]!.endsWith('.ocsp')) return '';
  let out = `Filename: ${fromTx ? '*' : ''}${st.path}\nStatus: ${statusOf(st, data, fromTx)}\n`;
  const d = displayOf(data);
  if (d) {
    out += certDetail(d.info, d.algorithm, d.chain);
    if (d.algorithm === null) return out;
  }
  return out + 'OCSP Response Key: \n';
}

async function newCertCmd(args: readonly string[], s: CliSession): Promise<CliOutput> {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  const path = args[3];
  if (!path) return err("'new ssl cert' expects a filename\n");
  const store = storeOf(s);
  if (store.get(path)) return err(`Certificate '${path}' already exists!\n`);
  newCert(store, path);
  await certChangesApplied();
  return notice(`New empty certificate store '${path}'!\n`);
}

/** Companion files "set ssl cert" may update, by extension; Turnpike has no OCSP stapling nor SCT. */
const UNSUPPORTED_EXTS = ['ocsp', 'sctl', 'issuer'];

function setCert(args: readonly string[], s: CliSession, payload: string | null): CliOutput {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  const arg = args[3];
  if (!arg || payload === null) return err("'set ssl cert expects a filename and a certificate as a payload\n");
  const store = storeOf(s);
  let path = arg;
  let type = 'pem';
  const dot = arg.lastIndexOf('.');
  const ext = dot >= 0 ? arg.slice(dot + 1) : '';
  if (ext === 'key' || UNSUPPORTED_EXTS.includes(ext)) {
    path = arg.slice(0, dot);
    type = ext;
  }
  const fail = (why: string): CliOutput => err(`${why}Can't update ${arg}!\n`);
  const tx = store.transaction;
  if (tx && tx.store.path !== path) return fail(`The ongoing transaction is about '${tx.store.path}' but you are trying to set '${path}'\n`);
  const st = tx ? tx.store : store.get(path);
  if (!st) return fail("Can't replace a certificate which is not referenced by the configuration!\n");
  if (type !== 'pem' && type !== 'key') return fail(`Turnpike does not support '.${type}' files.\nCan't load the payload\n`);
  const base: CertData = tx ? tx.data : st.data ?? { certs: [], key: null, dh: null };
  let next: CertData;
  if (type === 'key') {
    const key = readKeyPem(payload);
    if (key === null) return fail(`unable to load private key from file '${path}'.\nCan't load the payload\n`);
    next = { ...base, key };
  } else {
    const pem = readCertPem(path, payload);
    if (typeof pem === 'string') return fail(`${pem}\nCan't load the payload\n`);
    next = pem;
  }
  if (tx) {
    tx.data = next;
    return notice(`Transaction updated for certificate ${st.path}!\n`);
  }
  store.transaction = { store: st, data: next };
  return notice(`Transaction created for certificate ${st.path}!\n`);
}

async function commitCertCmd(args: readonly string[], s: CliSession): Promise<CliOutput> {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  const path = args[3];
  if (!path) return err("'commit ssl cert expects a filename\n");
  const store = storeOf(s);
  const tx = store.transaction;
  const fail = (why: string): CliOutput => err(`${why}Can't commit ${path}!\n`);
  if (!tx) return fail('No ongoing transaction! !\n');
  if (tx.store.path !== path) return fail(`The ongoing transaction is about '${tx.store.path}' but you are trying to set '${path}'\n`);
  if (tx.data.certs.length > 0 && tx.data.key === null) return fail('The transaction must contain at least a certificate and a private key!\n');
  const checked = tx.data.certs.length > 0 ? certEntry(path, tx.data, '') : `inconsistencies between private key and certificate loaded '${path}'.`;
  if (typeof checked === 'string') return fail(`${checked}\n`);
  const r = commitCert(store, path, tx.data);
  if (typeof r === 'string') return `Committing ${path}\n${r}Failed!\n`;
  store.transaction = null;
  // The other threads serve it too before the answer.
  await certChangesApplied();
  return `Committing ${path}${'.'.repeat(r)}\nSuccess!\n`;
}

function abortCert(args: readonly string[], s: CliSession): CliOutput {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  const path = args[3];
  if (!path) return err("'abort ssl cert' expects a filename\n");
  const store = storeOf(s);
  const tx = store.transaction;
  if (!tx) return err('No ongoing transaction!\n');
  if (tx.store.path !== path) return err(`The ongoing transaction is about '${tx.store.path}' but you are trying to abort a transaction for '${path}'\n`);
  store.transaction = null;
  return notice(`Transaction aborted for certificate '${path}'!\n`);
}

function inUse(store: CertStore, st: StoredCert): boolean {
  if (st.users.size > 0) return true;
  for (const l of store.lists.values()) if (l.entries.some((e) => e.store === st)) return true;
  return false;
}

async function delCert(args: readonly string[], s: CliSession): Promise<CliOutput> {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  const path = args[3];
  if (!path) return err("'del ssl cert' expects a certificate name\n");
  const store = storeOf(s);
  const st = store.get(path);
  if (!st) return err(`Can't remove the certificate: certificate '${path}' doesn't exist!\n\n`);
  if (inUse(store, st) || store.transaction?.store === st) return err(`Can't remove the certificate: certificate '${path}' in use, can't be deleted!\n\n`);
  deleteCert(store, path);
  await certChangesApplied();
  return notice(`Certificate '${path}' deleted!\n`);
}

function stripSlashes(p: string): string {
  return p.replace(/\/+$/, '');
}

function showCrtList(args: readonly string[], s: CliSession): CliOutput {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  const numbered = args[3] === '-n';
  const name = numbered ? args[4] : args[3];
  if (numbered && !name) return err("'show ssl crt-list -n' expects a filename or a directory\n");
  const store = storeOf(s);
  if (!name) {
    return [...store.lists.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => `${k}\n`).join('');
  }
  const list = store.lists.get(stripSlashes(name));
  if (!list) return err("didn't find the specified filename\n");
  let out = `# ${list.path}\n`;
  for (const e of list.entries) out += `${entryText(e, numbered)}\n`;
  return out;
}

async function addCrtList(args: readonly string[], s: CliSession, payload: string | null): Promise<CliOutput> {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  if (!args[3] || (payload === null && !args[4])) return err("'add ssl crtlist' expects a filename and a certificate name\n");
  const fail = (why: string): CliOutput => err(`Can't edit the crt-list: ${why}\n`);
  const store = storeOf(s);
  const g = s.rt.config.global.tls;
  const listPath = stripSlashes(args[3]);
  const list = store.lists.get(listPath);
  if (!list) return fail(`crt-list '${listPath}' does not exist!`);
  let crt: string;
  let conf = null;
  let filters: string[] = [];
  if (payload !== null) {
    if (payload.includes('\n')) return fail('only one line of payload is supported!');
    let alert = '';
    const p = parseCrtListLine(payload, 'CLI', 1, { global: g, alert: (t) => { alert += `${t}\n`; } });
    if (typeof p === 'string') return fail(`${alert}${p}`);
    if (p === null) return fail("'add ssl crtlist' should contain the certificate name in the payload");
    crt = p.crt;
    conf = p.conf;
    filters = p.filters;
  } else {
    crt = args[4]!;
  }
  if (list.isDir) {
    const slash = crt.lastIndexOf('/');
    if (slash < 0 || crt.slice(0, slash) !== list.path) return fail(`'${list.path}' is a directory, certificate path '${crt}' must contain the directory path`);
  }
  const path = withBase(g.crtBase, crt);
  const st = store.get(path);
  if (!st) return fail(`certificate '${path}' does not exist!`);
  if (!st.entry) return fail(`certificate '${path}' is empty!`);
  if (list.isDir) {
    if (list.entries.some((e) => e.store === st)) return fail('file already exists in this directory!');
    if (conf || filters.length > 0) return fail('this is a directory, SSL configuration and filters are not allowed');
  }
  const r = addEntry(list, st, conf, filters);
  const head = `Inserting certificate '${st.path}' in crt-list '${list.path}'`;
  if (typeof r === 'string') return `${head}\n${r}Failed!\n`;
  await certChangesApplied();
  return `${head}${'.'.repeat(r)}\nSuccess!\n`;
}

async function delCrtList(args: readonly string[], s: CliSession): Promise<CliOutput> {
  const denied = needLevel(s, Level.Admin);
  if (denied) return denied;
  if (!args[3] || !args[4]) return err("'del ssl crtlist' expects a filename and a certificate name\n");
  const fail = (why: string): CliOutput => err(`Can't delete the entry: ${why}\n`);
  let certPath = args[4];
  let linenum = 0;
  const colon = certPath.indexOf(':');
  if (colon >= 0) {
    const m = /^[-+]?\d+/.exec(certPath.slice(colon + 1));
    if (!m || m[0].length !== certPath.length - colon - 1) return fail(`wrong line number after colons in '${certPath}'!`);
    linenum = Number(m[0]);
    certPath = certPath.slice(0, colon);
  }
  const listPath = stripSlashes(args[3]);
  const store = storeOf(s);
  const list = store.lists.get(listPath);
  if (!list) return fail(`crt-list '${listPath}' does not exist!`);
  const st = store.get(certPath);
  if (!st) return fail(`certificate '${certPath}' does not exist!`);
  if (!st.entry) return fail(`certificate '${certPath}' is empty!`);
  const found: CrtListEntry[] = list.entries.filter((e) => e.store === st);
  if (found.length === 0) return fail(`certificate '${certPath}' can't be found in crt-list '${listPath}'!`);
  const lines = found.map((e) => e.linenum).join(', ');
  const entry = found.find((e) => linenum === 0 || e.linenum === linenum);
  if (!entry) return fail(`found a certificate '${certPath}' but the line number is incorrect, please specify a correct line number preceded by colons (${lines})!`);
  if (linenum === 0 && found.length > 1) return fail(`found the certificate '${certPath}' in several entries, please specify a line number preceded by colons (${lines})!`);
  deleteEntry(entry);
  await certChangesApplied();
  return notice(`Entry '${certPath}' deleted in crtlist '${listPath}'!\n`);
}

registerCliCommands(
  { words: ['show', 'ssl', 'cert'], usage: 'show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file', run: showCert },
  { words: ['new', 'ssl', 'cert'], usage: 'new ssl cert <certfile>                 : create a new certificate file to be used in a crt-list or a directory', run: newCertCmd },
  { words: ['set', 'ssl', 'cert'], usage: 'set ssl cert <certfile> <payload>       : replace a certificate file', run: setCert },
  { words: ['commit', 'ssl', 'cert'], usage: 'commit ssl cert <certfile>              : commit a certificate file', run: commitCertCmd },
  { words: ['abort', 'ssl', 'cert'], usage: 'abort ssl cert <certfile>               : abort a transaction for a certificate file', run: abortCert },
  { words: ['del', 'ssl', 'cert'], usage: 'del ssl cert <certfile>                 : delete an unused certificate file', run: delCert },
  { words: ['show', 'ssl', 'crt-list'], usage: 'show ssl crt-list [-n] [<list>]         : show the list of crt-lists or the content of a crt-list file <list>', run: showCrtList },
  { words: ['add', 'ssl', 'crt-list'], usage: 'add ssl crt-list <list> <cert> [opts]*  : add to crt-list file <list> a line <cert> or a payload', run: addCrtList },
  { words: ['del', 'ssl', 'crt-list'], usage: 'del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>', run: delCrtList },
);

