// crt-lists (configuration.txt 5.1 "crt-list") and "crt" directories, which HAProxy 2.6 loads
// the same way: a list of entries, each a stored certificate with, for crt-list lines, the
// options in brackets and the SNI filters that follow:
//   <crtfile> [\[<sslbindconf> ...\]] [[!]<snifilter> ...]
// Lines starting with '#' and empty lines are skipped. A list is shared by every bind line
// naming it; the runtime API adds and deletes entries ("add/del ssl crt-list").
import { readFileSync } from 'node:fs';
import { certFilesOf, errnoText, statCertPath, withBase } from './certs.ts';
import { LINE_OPTIONS, parseLineOption, type OptionEnv } from './bind-options.ts';
import type { StoredCert } from './cert-store.ts';
import { newBindTls, type LineConf } from './settings.ts';

export interface CrtListEntry {
  readonly list: CrtList;
  readonly store: StoredCert;
  /** The options in brackets (null without brackets). */
  readonly conf: LineConf | null;
  /** SNI filters as written ("*.example.com", "!secret.example.com"). */
  readonly filters: readonly string[];
  /** Line number in the file, or the order of an entry added at run time. */
  linenum: number;
}

/** Something using a crt-list: a bind line, which builds instances of the entries added at run time. */
export interface CrtListUser {
  /** Builds the instance of a new entry without using it yet; returns the function inserting it, or an error text. */
  prepareAdd(e: CrtListEntry): (() => void) | string;
  /** Stops serving an entry deleted from the list. */
  remove(e: CrtListEntry): void;
}

export class CrtList {
  /** The file or directory, without trailing slashes. */
  readonly path: string;
  /** A "crt" directory: one entry per certificate, no options nor filters. */
  readonly isDir: boolean;
  readonly entries: CrtListEntry[] = [];
  /** Lines read (entries added at run time are numbered after them). */
  linecount = 0;
  readonly users = new Set<CrtListUser>();

  constructor(path: string, isDir: boolean) {
    this.path = path;
    this.isDir = isDir;
  }
}

/** HAProxy's limits: fgets() buffer and words per line. */
const LINE_SIZE = 65536;
const MAX_ARGS = 2048;

/** A parsed crt-list line: the certificate path as written, its options and filters. */
export interface ParsedLine {
  readonly crt: string;
  readonly conf: LineConf | null;
  readonly filters: string[];
}

/**
 * One crt-list line (without its line feed), as crtlist_parse_line() reads it: blanks separate
 * words, '[' and ']' delimit the options wherever they are. Returns null for an empty line,
 * or the error text.
 */
export function parseCrtListLine(line: string, file: string, linenum: number, env: OptionEnv): ParsedLine | string | null {
  const where = `parsing [${file}:${linenum}]:`;
  const args: string[] = [];
  let sslB = 0;
  let sslE = 0;
  let word: string | null = null;
  const endWord = (): void => {
    if (word !== null) args.push(word);
    word = null;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f') {
      endWord();
    } else if (c === '[') {
      endWord();
      if (sslB) return `${where} too many '['`;
      if (args.length === 0) return `${where} file must start with a cert`;
      sslB = args.length;
    } else if (c === ']') {
      endWord();
      if (sslE) return `${where} too many ']'`;
      if (!sslB) return `${where} missing '['`;
      sslE = args.length;
    } else if (word === null) {
      if (args.length === MAX_ARGS) return `${where} too many args `;
      word = c;
    } else {
      word += c;
    }
  }
  endWord();
  if (args.length === 0) return null;
  let conf: LineConf | null = null;
  // A '[' without its ']' leaves the words after it as filters, as HAProxy does.
  let cur = sslB || 1;
  if (sslB) {
    const t = newBindTls(env.global);
    while (cur < sslE) {
      const opt = args[cur]!;
      const skip = LINE_OPTIONS.get(opt);
      if (skip === undefined) return `${where} unknown ssl keyword ${opt}`;
      if (cur + 1 + skip > sslE) return `${where} ssl args out of '[]' for ${opt}`;
      const r = parseLineOption(t, opt, args[cur + 1], env);
      if (r === null) return `${where} '${opt}' is a HAProxy bind option that Turnpike does not support yet.`;
      if (typeof r === 'string') return r;
      cur += 1 + skip;
    }
    conf = {
      alpn: t.alpn, verify: t.verify, ca: t.ca, crl: t.crl, ciphers: t.ciphers, ciphersuites: t.ciphersuites, curves: t.curves,
      min: t.versions.min, max: t.versions.max,
    };
  }
  return { crt: args[0]!, conf, filters: args.slice(cur) };
}

/** The crt-list file or "crt" directory `path`, read once and shared; HAProxy's error text otherwise. */
export function crtListOf(path: string, isDir: boolean, env: OptionEnv): CrtList | string {
  const key = path.replace(/\/+$/, '');
  const known = env.global.store.lists.get(key);
  if (known) return known;
  const list = isDir ? loadDir(key, env) : loadFile(key, env);
  if (typeof list !== 'string') env.global.store.lists.set(key, list);
  return list;
}

function loadDir(dir: string, env: OptionEnv): CrtList | string {
  const list = new CrtList(dir, true);
  for (const file of certFilesOf(dir)) {
    const store = env.global.store.load(file);
    if (typeof store === 'string') return store;
    list.entries.push({ list, store, conf: null, filters: [], linenum: 0 });
  }
  return list;
}

function loadFile(file: string, env: OptionEnv): CrtList | string {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    return `cannot open file '${file}' : ${errnoText(e as NodeJS.ErrnoException)}`;
  }
  const list = new CrtList(file, false);
  const lines = text.split('\n');
  // The last element is what follows the last line feed: a line without one, or nothing.
  const last = lines.pop()!;
  let linenum = 0;
  for (const raw of lines) {
    linenum++;
    if (raw.length + 1 > LINE_SIZE - 1) return `parsing [${file}:${linenum}]: line too long, limit is ${LINE_SIZE - 1} characters`;
    const r = addLine(list, raw, file, linenum, env);
    if (r) return r;
  }
  if (last !== '') {
    linenum++;
    if (last.length > LINE_SIZE - 1) return `parsing [${file}:${linenum}]: line too long, limit is ${LINE_SIZE - 1} characters`;
    const r = addLine(list, last, file, linenum, env);
    if (r) return r;
    return `parsing [${file}:${linenum}]: Missing LF on last line, file might have been truncated at position ${last.length + 1}.`;
  }
  list.linecount = linenum;
  return list;
}

function addLine(list: CrtList, raw: string, file: string, linenum: number, env: OptionEnv): string | null {
  if (raw.startsWith('#') || raw === '' || raw.startsWith('\r')) return null;
  const p = parseCrtListLine(raw, file, linenum, env);
  if (p === null) return null;
  if (typeof p === 'string') return p;
  const path = withBase(env.global.crtBase, p.crt);
  let store = env.global.store.get(path);
  if (!store) {
    const st = statCertPath(path);
    if (typeof st === 'string') return st;
    const loaded = env.global.store.load(path);
    if (typeof loaded === 'string') return loaded;
    store = loaded;
  }
  list.entries.push({ list, store, conf: p.conf, filters: p.filters, linenum });
  return null;
}

/** One entry as "show ssl crt-list" prints it (a valid crt-list line), with ":<line>" after the file for "-n". */
export function entryText(e: CrtListEntry, withLine: boolean): string {
  let s = e.store.path;
  if (withLine) s += `:${e.linenum}`;
  if (e.conf) s += ` [${confText(e.conf)}]`;
  for (const f of e.filters) s += ` ${f}`;
  return s;
}

/** The options of a line in HAProxy's order (dump_crtlist_sslconf()). */
function confText(c: LineConf): string {
  const parts: string[] = [];
  if (c.alpn) parts.push(`alpn ${c.alpn.join(',')}`);
  if (c.verify) parts.push(`verify ${c.verify}`);
  if (c.ca) parts.push(`ca-file ${c.ca.path}`);
  if (c.crl) parts.push(`crl-file ${c.crl.path}`);
  if (c.ciphers !== null) parts.push(`ciphers ${c.ciphers}`);
  if (c.ciphersuites !== null) parts.push(`ciphersuites ${c.ciphersuites}`);
  if (c.curves !== null) parts.push(`curves ${c.curves}`);
  if (c.min) parts.push(`ssl-min-ver ${c.min}`);
  if (c.max) parts.push(`ssl-max-ver ${c.max}`);
  return parts.join(' ');
}
