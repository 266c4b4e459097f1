// crt-list line parsing (crtlist_parse_line()'s rules and texts) and the SNI selection of a
// bind line's certificates: filters, exclusions, wildcards, key types, the default, strict-sni,
// and names moving behind the others when a certificate is replaced.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseCrtListLine, crtListOf, entryText, type CrtList } from '../../../src/protocols/tls/crt-list.ts';
import { newBindTls, newGlobalTls, type GlobalTls } from '../../../src/protocols/tls/settings.ts';
import { bindCerts, type BindCerts } from '../../../src/protocols/tls/bind-certs.ts';
import { Sig } from '../../../src/protocols/tls/client-hello.ts';
import { addEntry, commitCert, deleteEntry } from '../../../src/protocols/tls/cert-ops.ts';
import { readCertFile } from '../../../src/protocols/tls/certs.ts';
import { makeTestCerts, openssl, signedCert, type TestCerts } from '../protocols/tls-certs.ts';

function env(g: GlobalTls = newGlobalTls()) {
  const alerts: string[] = [];
  return { global: g, alert: (t: string) => alerts.push(t), alerts };
}

describe('crt-list lines', () => {
  test('certificate, options in brackets, filters', () => {
    const r = parseCrtListLine('a.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.3 verify none] a.test !b.test', 'f', 3, env());
    assert.ok(r && typeof r !== 'string');
    assert.equal(r.crt, 'a.pem');
    assert.deepEqual(r.filters, ['a.test', '!b.test']);
    assert.deepEqual(r.conf?.alpn, ['h2', 'http/1.1']);
    assert.equal(r.conf?.min, 'TLSv1.3');
    assert.equal(r.conf?.verify, 'none');
    // Brackets need no blanks around them.
    const tight = parseCrtListLine('a.pem[verify none]x.test', 'f', 1, env());
    assert.ok(tight && typeof tight !== 'string');
    assert.deepEqual([tight.crt, tight.conf?.verify, tight.filters], ['a.pem', 'none', ['x.test']]);
    assert.equal(parseCrtListLine('   \t ', 'f', 1, env()), null);
    // A '[' without ']' leaves the words as filters, as HAProxy does.
    const open = parseCrtListLine('a.pem [alpn h2', 'f', 1, env());
    assert.ok(open && typeof open !== 'string');
    assert.deepEqual(open.filters, ['alpn', 'h2']);
  });

  test("HAProxy's errors", () => {
    const e = (l: string) => parseCrtListLine(l, 'list', 7, env());
    assert.equal(e('a.pem [foo] x'), 'parsing [list:7]: unknown ssl keyword foo');
    assert.equal(e('a.pem [alpn] x'), "parsing [list:7]: ssl args out of '[]' for alpn");
    assert.equal(e('a.pem [[alpn h2]'), "parsing [list:7]: too many '['");
    assert.equal(e('a.pem [alpn h2]]'), "parsing [list:7]: too many ']'");
    assert.equal(e('a.pem alpn]'), "parsing [list:7]: missing '['");
    assert.equal(e('[alpn h2] a.pem'), 'parsing [list:7]: file must start with a cert');
    assert.equal(e('a.pem [strict-sni]'), 'parsing [list:7]: unknown ssl keyword strict-sni');
    assert.equal(e('a.pem [allow-0rtt]'), "parsing [list:7]: 'allow-0rtt' is a HAProxy bind option that Turnpike does not support yet.");
    assert.equal(e('a.pem [verify maybe]'), "'verify' : unknown verify method 'maybe', only 'none', 'optional', and 'required' are supported");
    assert.equal(e('a.pem [ssl-min-ver TLSv9]'), "'TLSv9' : unknown ssl/tls version");
  });

  test('any line: a result or an error text, never an exception; written back, it reads the same', () => {
    const word = fc.stringMatching(/^[a-z.*!]{1,8}$/);
    fc.assert(fc.property(fc.array(fc.oneof(word, fc.constantFrom('[', ']', ' ', '\t', 'alpn', 'h2', 'verify', 'none')), { maxLength: 12 }), (parts) => {
      const line = parts.join(' ');
      const r = parseCrtListLine(line, 'f', 1, env());
      if (r === null || typeof r === 'string') return;
      const store = { path: r.crt } as never;
      const text = entryText({ list: null as never, store, conf: r.conf, filters: r.filters, linenum: 1 }, false);
      const again = parseCrtListLine(text, 'f', 1, env());
      assert.ok(again && typeof again !== 'string');
      assert.deepEqual(again.filters, r.filters);
      assert.deepEqual(again.conf?.alpn ?? null, r.conf?.alpn ?? null);
    }));
  });
});

describe('SNI selection', () => {
  let dir: string;
  let certs: TestCerts;
  let g: GlobalTls;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'turnpike-crtlist-'));
    certs = makeTestCerts(dir);
    // An RSA certificate for a.test, to be preferred by clients without ECDSA.
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'arsa.key', '-out', 'arsa.csr', '-subj', '/CN=a.test'], dir);
    writeFileSync(join(dir, 'arsa.ext'), 'subjectAltName=DNS:a.test\n');
    openssl(['x509', '-req', '-in', 'arsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'arsa.crt', '-days', '2', '-extfile', 'arsa.ext'], dir);
    writeFileSync(join(dir, 'arsa.pem'), readFileSync(join(dir, 'arsa.crt'), 'latin1') + readFileSync(join(dir, 'arsa.key'), 'latin1'));
    signedCert(dir, 'a2', '/CN=other.test', 'DNS:other.test');
    writeFileSync(join(dir, 'a2.pem'), readFileSync(join(dir, 'a2.crt'), 'latin1') + readFileSync(join(dir, 'a2.key'), 'latin1'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  function build(lines: string[], strict = false): { certs: BindCerts; list: CrtList } {
    g = newGlobalTls();
    g.crtBase = dir;
    const file = join(dir, `l${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(file, lines.join('\n') + '\n');
    const list = crtListOf(file, false, env(g));
    assert.ok(typeof list !== 'string', String(list));
    const t = newBindTls(g);
    t.ssl = true;
    t.strictSni = strict;
    t.sources.push({ kind: 'list', list });
    const r = bindCerts(t);
    assert.ok(r.ok);
    return { certs: r.certs, list };
  }

  const cn = (c: BindCerts, name: string | null, sigs: number = Sig.Ecdsa | Sig.Rsa) => c.select(name, sigs)?.cert.info.subject.at(-1)?.value.toString() ?? null;

  test('filters, exclusions and wildcards; the first certificate is the default', () => {
    const { certs: c } = build(['certs/a.pem !*', 'certs/b.pem b.test other.test', 'certs/wild.pem *.wild.test !secret.wild.test', 'certs/a.pem']);
    assert.equal(cn(c, null), 'a.test');
    assert.equal(cn(c, 'OTHER.test'), 'b.test');
    assert.equal(cn(c, 'x.wild.test'), '*.wild.test');
    assert.equal(cn(c, 'secret.wild.test'), 'a.test');
    assert.equal(cn(c, 'wild.test'), 'a.test');
    assert.equal(cn(c, 'alt.a.test'), 'a.test');
    assert.equal(c.select('x.wild.test', Sig.Rsa)?.cert.keyType, 'ecdsa', 'the only candidate, whatever the client accepts');
  });

  test('strict-sni: no default for unknown names', () => {
    const { certs: c } = build(['certs/a.pem'], true);
    assert.equal(c.select('nope.test', Sig.Rsa), null);
    assert.equal(c.select(null, Sig.Rsa), null);
    assert.equal(cn(c, 'a.test'), 'a.test');
  });

  test('one name with ECDSA and RSA certificates: ECDSA for clients that take it, RSA otherwise', () => {
    const { certs: c } = build(['arsa.pem', 'certs/a.pem']);
    assert.equal(c.select('a.test', Sig.Ecdsa | Sig.Rsa)?.cert.keyType, 'ecdsa');
    assert.equal(c.select('a.test', Sig.Rsa)?.cert.keyType, 'rsa');
    assert.equal(c.select('a.test', 0)?.cert.keyType, 'ecdsa');
  });

  test('a replaced certificate serves its new names, behind the others declaring them; entries come and go', () => {
    const { certs: c, list } = build(['certs/a.pem', 'certs/b.pem']);
    const store = g.store;
    assert.equal(commitCert(store, join(dir, 'certs/a.pem'), readCertFile(join(dir, 'certs/b.pem')) as never), 1);
    // a.pem now holds b.test, declared after b.pem's own b.test.
    assert.equal(c.select('b.test', Sig.Rsa)?.store.path, join(dir, 'certs/b.pem'));
    assert.equal(cn(c, 'a.test'), 'b.test', 'no name matches: the default, which is a.pem');
    const other = store.load(join(dir, 'a2.pem'));
    assert.ok(typeof other !== 'string');
    assert.equal(addEntry(list, other, null, ['*.x.test']), 1);
    assert.equal(cn(c, 'y.x.test'), 'other.test');
    assert.equal(list.entries.at(-1)!.linenum, 3);
    deleteEntry(list.entries.at(-1)!);
    assert.equal(cn(c, 'y.x.test'), 'b.test');
    assert.equal(typeof commitCert(store, join(dir, 'certs/a.pem'), { certs: [readFileSync(certs.aCrt, 'latin1')], key: readFileSync(certs.clientKey, 'latin1'), dh: null }), 'string');
  });
});
