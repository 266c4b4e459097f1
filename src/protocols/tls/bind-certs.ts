// The certificates a "bind ... ssl" line serves and how a handshake picks one (HAProxy's
// ckch_inst, sni_ctx trees and ssl_sock_switchctx_cbk()). Each certificate of the line ("crt"
// file, each file of a "crt" directory, each crt-list entry) has an instance: its TLS context,
// built with the line's settings or its crt-list line's options, and its SNI names (the
// crt-list filters, else the certificate's subjectAltName DNS names and CNs). Names are exact,
// or wildcards ("*.example.com" is kept as ".example.com", matched from the first dot of the
// requested name); "!name" excludes a name from a wildcard of the same entry. Among the
// instances declaring a name, the first of each key type wins, exact names before wildcards,
// then ECDSA if the client can use it, else RSA, else another type. No match (or no SNI)
// gives the default instance, the line's first certificate, unless "strict-sni".
//
// The runtime API changes instances while handshakes go on: a committed certificate replaces
// the contexts of its instances (its names moving behind the other certificates declaring
// them, as in HAProxy), crt-list entries are added and deleted. Handshakes started keep what
// they picked; established connections are untouched.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertEntry } from './certs.ts';
import type { CertUser, StoredCert } from './cert-store.ts';
import type { CrtListEntry, CrtListUser } from './crt-list.ts';
import { Sig } from './client-hello.ts';
import { bindOptions, withSharedTicketKeys, type ContextProblem } from './context.ts';
import { lineSettings, type BindTls, type LineConf } from './settings.ts';

/** One SNI name of an instance. */
interface Sni {
  /** Lower case; a wildcard without its '*'. */
  readonly key: string;
  readonly neg: boolean;
  readonly wild: boolean;
  readonly inst: CertInstance;
}

/** A certificate served by a bind line. */
export class CertInstance implements CertUser {
  readonly certs: BindCerts;
  readonly store: StoredCert;
  /** The crt-list (or directory) entry it comes from; null for a "crt" file. */
  readonly entry: CrtListEntry | null;
  /** The settings it is served with: the bind line's, or its crt-list line's options over them. */
  readonly settings: BindTls;
  cert: CertEntry;
  context: SecureContext;
  snis: readonly Sni[] = [];

  constructor(certs: BindCerts, store: StoredCert, entry: CrtListEntry | null, settings: BindTls, cert: CertEntry, context: SecureContext) {
    this.certs = certs;
    this.store = store;
    this.entry = entry;
    this.settings = settings;
    this.cert = cert;
    this.context = context;
  }

  prepare(next: CertEntry): (() => void) | string {
    const ctx = this.certs.contextFor(this.settings, next);
    if (typeof ctx === 'string') return ctx;
    return () => this.certs.replace(this, next, ctx);
  }
}

/**
 * A bind line's certificates, or what is wrong with their settings. `contexts` lists the
 * settings of each context HAProxy would check, in its order: the default context's (the
 * bind line's), then each certificate's; `problems` goes with it.
 */
export type BindCertsBuild =
  | { readonly ok: true; readonly certs: BindCerts; readonly contexts: readonly BindTls[] }
  | { readonly ok: false; readonly contexts: readonly BindTls[]; readonly problems: readonly (readonly ContextProblem[])[] };

const built = new WeakMap<BindTls, BindCertsBuild>();

/** The certificates of a bind line with "ssl", built once (the configuration check builds them). */
export function bindCerts(t: BindTls): BindCertsBuild {
  let r = built.get(t);
  if (!r) {
    r = BindCerts.build(t);
    built.set(t, r);
  }
  return r;
}

function lineConfEmpty(c: LineConf): boolean {
  return c.alpn === null && c.verify === null && c.ca === null && c.crl === null && c.ciphers === null
    && c.ciphersuites === null && c.curves === null && c.min === null && c.max === null;
}

export class BindCerts implements CrtListUser {
  readonly tls: BindTls;
  /** Instances in creation order. */
  readonly instances: CertInstance[] = [];
  /** The instance used without SNI or without a match; its context stays even if its entry is deleted. */
  defaultInst: CertInstance | null = null;
  /** Changes when the default instance's certificate does (acceptors rebuild their default contexts). */
  generation = 0;
  private readonly exact = new Map<string, Sni[]>();
  private readonly wild = new Map<string, Sni[]>();
  private readonly lineSettings = new Map<LineConf, BindTls>();

  private constructor(tls: BindTls) {
    this.tls = tls;
  }

  static build(t: BindTls): BindCertsBuild {
    const certs = new BindCerts(t);
    const plan: { store: StoredCert; entry: CrtListEntry | null; settings: BindTls }[] = [];
    for (const src of t.sources) {
      if (src.kind === 'cert') plan.push({ store: src.store, entry: null, settings: t });
      else for (const e of src.list.entries) plan.push({ store: e.store, entry: e, settings: certs.settingsOf(e.conf) });
    }
    const contexts = [t, ...plan.map((p) => p.settings)];
    const problems = contexts.map((s) => {
      const b = bindOptions(s);
      return b.ok ? [] : b.problems;
    });
    if (problems.some((p) => p.length > 0)) return { ok: false, contexts, problems };
    for (const p of plan) {
      const inst = certs.instance(p.store, p.entry, p.settings);
      // Stores read by the configuration are never empty, and the options were checked above.
      if (typeof inst === 'string') throw new Error(inst);
      certs.insert(inst);
    }
    for (const src of t.sources) if (src.kind === 'list') src.list.users.add(certs);
    return { ok: true, certs, contexts };
  }

  /** The settings of a crt-list line's certificates (the bind line's when the line sets nothing). */
  settingsOf(conf: LineConf | null): BindTls {
    if (conf === null || lineConfEmpty(conf)) return this.tls;
    let s = this.lineSettings.get(conf);
    if (!s) {
      s = lineSettings(this.tls, conf);
      this.lineSettings.set(conf, s);
    }
    return s;
  }

  /** A context serving `cert` with `settings`, or the problem's text. */
  contextFor(settings: BindTls, cert: CertEntry): SecureContext | string {
    const b = bindOptions(settings);
    if (!b.ok) return `unable to build the SSL context of '${cert.path}'.`;
    try {
      return createSecureContext(withSharedTicketKeys({ ...b.options, cert: cert.certPem, key: cert.keyPem, dhparam: cert.dhPem ?? 'auto' }));
    } catch (e) {
      return `unable to load SSL certificate into SSL Context '${cert.path}' (${(e as Error).message}).`;
    }
  }

  private instance(store: StoredCert, entry: CrtListEntry | null, settings: BindTls): CertInstance | string {
    const cert = store.entry;
    if (!cert) return `certificate '${store.path}' is empty!`;
    const ctx = this.contextFor(settings, cert);
    if (typeof ctx === 'string') return ctx;
    return new CertInstance(this, store, entry, settings, cert, ctx);
  }

  /** Adds an instance: its names go behind those already declared; the first instance becomes the default. */
  private insert(inst: CertInstance): void {
    this.instances.push(inst);
    inst.store.users.add(inst);
    this.index(inst);
    if (!this.defaultInst) {
      this.defaultInst = inst;
      this.generation++;
    }
  }

  private index(inst: CertInstance): void {
    const snis: Sni[] = [];
    const add = (raw: string): void => {
      let name = raw;
      let neg = false;
      let wild = false;
      if (name.startsWith('!')) {
        neg = true;
        name = name.slice(1);
      }
      if (name.startsWith('*')) {
        wild = true;
        name = name.slice(1);
      }
      // "!*" and "!*.x" exclude nothing; "*" alone declares no name.
      if ((neg && wild) || name === '') return;
      const sni: Sni = { key: name.toLowerCase(), neg, wild, inst };
      snis.push(sni);
      const tree = wild ? this.wild : this.exact;
      const list = tree.get(sni.key);
      if (list) list.push(sni);
      else tree.set(sni.key, [sni]);
    };
    const filters = inst.entry?.filters ?? [];
    // HAProxy adds the filters from the last one.
    if (filters.length > 0) for (let i = filters.length - 1; i >= 0; i--) add(filters[i]!);
    else for (const n of inst.cert.names) add(n);
    inst.snis = snis;
  }

  private unindex(inst: CertInstance): void {
    for (const sni of inst.snis) {
      const tree = sni.wild ? this.wild : this.exact;
      const list = tree.get(sni.key);
      if (!list) continue;
      const i = list.indexOf(sni);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) tree.delete(sni.key);
    }
    inst.snis = [];
  }

  /** Serves `cert` for `inst` from now on ("commit ssl cert"). */
  replace(inst: CertInstance, cert: CertEntry, context: SecureContext): void {
    this.unindex(inst);
    inst.cert = cert;
    inst.context = context;
    this.index(inst);
    if (inst === this.defaultInst) this.generation++;
  }

  prepareAdd(e: CrtListEntry): (() => void) | string {
    const inst = this.instance(e.store, e, this.settingsOf(e.conf));
    if (typeof inst === 'string') return inst;
    return () => this.insert(inst);
  }

  remove(e: CrtListEntry): void {
    for (let i = this.instances.length - 1; i >= 0; i--) {
      const inst = this.instances[i]!;
      if (inst.entry !== e) continue;
      this.unindex(inst);
      inst.store.users.delete(inst);
      this.instances.splice(i, 1);
    }
  }

  /**
   * The instance for a handshake: by SNI (any case) and the key types the client accepts
   * (Sig flags from its ClientHello); the default one without a match, null with strict-sni.
   */
  select(servername: string | null, sigs: number): CertInstance | null {
    const fallback = this.tls.strictSni ? null : this.defaultInst;
    if (servername === null) return fallback;
    const name = servername.toLowerCase();
    let ecdsa: Sni | null = null;
    let rsa: Sni | null = null;
    let other: Sni | null = null;
    for (let pass = 0; pass < 2; pass++) {
      let list: Sni[] | undefined;
      if (pass === 0) list = this.exact.get(name);
      else {
        const dot = name.indexOf('.');
        if (dot < 0) break;
        list = this.wild.get(name.slice(dot));
      }
      if (!list) continue;
      for (const sni of list) {
        if (sni.neg || (pass === 1 && excludes(sni.inst, name))) continue;
        switch (sni.inst.cert.keyType) {
          case 'ecdsa': ecdsa ??= sni; break;
          case 'rsa': rsa ??= sni; break;
          default: other ??= sni;
        }
      }
    }
    const hit = (sigs & Sig.Ecdsa && ecdsa) || (sigs & Sig.Rsa && rsa) || other || ecdsa || rsa;
    return hit ? hit.inst : fallback;
  }
}

/** Whether an instance excludes a name from its wildcards ("*.example.com !secret.example.com"). */
function excludes(inst: CertInstance, name: string): boolean {
  for (const s of inst.snis) if (s.neg && s.key === name) return true;
  return false;
}
