// TLS building blocks: X.509 reading compared with the openssl command's own output,
// certificate loading (files, directories, companions, HAProxy's error texts), SNI lookup,
// version ranges, and the TLS keywords through the configuration parser.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts, openssl, signedCert, type TestCerts } from './tls-certs.ts';
import { asn1TimeText, dnEntry, dnOneline, dnRfc2253, parseCertificate, type CertInfo } from '../../../src/protocols/tls/x509.ts';
import { certFilesOf, loadCertFile, loadPemBundle, statCertPath } from '../../../src/protocols/tls/certs.ts';
import { newVersionConfig, versionOption, versionRange, type VersionConfig } from '../../../src/protocols/tls/settings.ts';
import fc from 'fast-check';
import { peekClientHello, Sig } from '../../../src/protocols/tls/client-hello.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { createServer, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseConfigText } from '../../../src/config/parser.ts';

let dir: string;
let certs: TestCerts;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'turnpike-tls-'));
  certs = makeTestCerts(dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function info(file: string): CertInfo {
  const c = parseCertificate(new X509Certificate(readFileSync(file)).raw);
  assert.ok(c);
  return c;
}

describe('X.509 fields', () => {
  test('subject and issuer: one-line form, entries, RFC 2253 form as openssl prints it', () => {
    const c = info(certs.clientCrt);
    assert.equal(dnOneline(c.subject), '/C=FR/ST=Paris/O=Acme/CN=client one');
    assert.equal(dnOneline(c.issuer), '/C=FR/O=Test CA/CN=Test Root');
    const rfc = openssl(['x509', '-in', certs.clientCrt, '-noout', '-subject', '-nameopt', 'RFC2253'], dir).trim().replace(/^subject=/, '');
    assert.equal(dnRfc2253(c.subject), rfc);
    assert.equal(dnEntry(c.subject, 'cn', 1), 'client one');
    assert.equal(dnEntry(c.issuer, 'O', 1), 'Test CA');
    // Long names are not short names; occurrence 0 never matches (as HAProxy).
    assert.equal(dnEntry(c.subject, 'commonName', 1), null);
    assert.equal(dnEntry(c.subject, 'CN', 0), null);
  });

  test('occurrences count from the start, or from the end when negative', () => {
    signedCert(dir, 'multi', '/O=Acme/OU=first/OU=second/CN=m', '');
    const c = info(join(dir, 'multi.crt'));
    assert.equal(dnEntry(c.subject, 'OU', 1), 'first');
    assert.equal(dnEntry(c.subject, 'OU', 2), 'second');
    assert.equal(dnEntry(c.subject, 'OU', -1), 'second');
    assert.equal(dnEntry(c.subject, 'OU', -2), 'first');
    assert.equal(dnEntry(c.subject, 'OU', 3), null);
  });

  test('RFC 2253 escaping, multi-valued RDNs and UTF-8 match openssl', () => {
    signedCert(dir, 'odd', '/C=FR/O=Acme, Inc./OU=R&D <lab>/CN=Jos\u00e9 ;x+UID=42/emailAddress=a@b.c', '', ['-utf8', '-multivalue-rdn']);
    const file = join(dir, 'odd.crt');
    const c = info(file);
    const rfc = openssl(['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253'], dir).trim().replace(/^subject=/, '');
    assert.equal(dnRfc2253(c.subject), rfc);
    // The one-line form keeps the raw bytes (UTF-8 here, one char per byte).
    assert.equal(dnEntry(c.subject, 'CN', 1), Buffer.from('Jos\u00e9 ;x', 'utf8').toString('latin1'));
    assert.equal(dnEntry(c.subject, 'UID', 1), '42');
  });

  test('serial, SHA-1, validity and subjectAltName', () => {
    const c = info(certs.aCrt);
    const serial = openssl(['x509', '-in', certs.aCrt, '-noout', '-serial'], dir).trim().replace(/^serial=/, '');
    assert.equal(c.serial.toString('hex').toUpperCase(), serial);
    const fp = openssl(['x509', '-in', certs.aCrt, '-noout', '-fingerprint', '-sha1'], dir).trim().replace(/^.*=/, '').replace(/:/g, '');
    assert.equal(createHash('sha1').update(c.der).digest('hex').toUpperCase(), fp);
    assert.deepEqual(c.dnsNames, ['a.test', 'alt.a.test']);
    assert.equal(c.version, 3);
    const end = new Date(openssl(['x509', '-in', certs.aCrt, '-noout', '-enddate'], dir).trim().replace(/^notAfter=/, ''));
    const t = asn1TimeText(c.notAfter, c.notAfterTag)!;
    const iso = `20${t.slice(0, 2)}-${t.slice(2, 4)}-${t.slice(4, 6)}T${t.slice(6, 8)}:${t.slice(8, 10)}:${t.slice(10, 12)}Z`;
    assert.equal(new Date(iso).getTime(), end.getTime());
    assert.match(t, /^\d{12}Z$/);
  });

  test('validity texts: UTCTime as is, GeneralizedTime of the 20xx years without the century', () => {
    assert.equal(asn1TimeText('261224182832Z', 0x17), '261224182832Z');
    assert.equal(asn1TimeText('20501224182832Z', 0x18), '501224182832Z');
    assert.equal(asn1TimeText('19501224182832Z', 0x18), null);
    assert.equal(asn1TimeText('551224182832Z', 0x17), null);
  });

  test('a serial with its high bit set loses the DER sign byte', () => {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'hi.key', '-out', 'hi.crt',
      '-days', '1', '-subj', '/CN=hi', '-set_serial', '0x8f00aa'], dir);
    assert.equal(info(join(dir, 'hi.crt')).serial.toString('hex'), '8f00aa');
  });

  test('not a certificate', () => {
    assert.equal(parseCertificate(Buffer.from('3003020101', 'hex')), null);
    assert.equal(parseCertificate(Buffer.alloc(0)), null);
  });
});

describe('certificate files', () => {
  test('a directory loads its certificates in name order, skipping hidden files and companions', () => {
    const d = join(dir, 'load');
    mkdirSync(d);
    copyFileSync(join(certs.certsDir, 'b.pem'), join(d, 'b.pem'));
    copyFileSync(join(certs.certsDir, 'a.pem'), join(d, 'z.pem'));
    // A certificate with its key beside it, in <file>.key.
    copyFileSync(certs.aCrt.replace('a.crt', 'wild.crt'), join(d, 'c.crt'));
    copyFileSync(certs.aCrt.replace('a.crt', 'wild.key'), join(d, 'c.crt.key'));
    for (const junk of ['.hidden', 'x.key', 'x.ocsp', 'x.issuer', 'x.sctl']) writeFileSync(join(d, junk), 'garbage');
    const r = certFilesOf(d).map(loadCertFile);
    assert.deepEqual(r.map((c) => (typeof c === 'string' ? c : c.path)), [`${d}/b.pem`, `${d}/c.crt`, `${d}/z.pem`]);
    const [, c, z] = r as Exclude<(typeof r)[number], string>[];
    assert.deepEqual(c!.names, ['*.wild.test', '*.wild.test']);
    assert.deepEqual(z!.names, ['a.test', 'alt.a.test', 'a.test']);
    assert.equal(z!.keyType, 'ecdsa');
    assert.equal(z!.algorithm, 'EC256');
  });

  test("HAProxy's error texts", () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'garbage.pem'), 'garbage\n');
    writeFileSync(join(bad, 'mismatch.pem'), readFileSync(certs.aCrt, 'latin1') + readFileSync(certs.clientKey, 'latin1'));
    copyFileSync(certs.aCrt, join(bad, 'nokey.pem'));
    copyFileSync(certs.aKey, join(bad, 'onlykey.pem'));
    assert.equal(statCertPath(join(bad, 'none.pem')), `unable to stat SSL certificate from file '${bad}/none.pem' : No such file or directory.`);
    assert.equal(loadCertFile(join(bad, 'garbage.pem')), `unable to load certificate from file '${bad}/garbage.pem'.`);
    assert.equal(loadCertFile(join(bad, 'onlykey.pem')), `unable to load certificate from file '${bad}/onlykey.pem'.`);
    assert.equal(loadCertFile(join(bad, 'nokey.pem')), `No Private Key found in '${bad}/nokey.pem.key'.`);
    assert.equal(loadCertFile(join(bad, 'mismatch.pem')), `inconsistencies between private key and certificate loaded '${bad}/mismatch.pem'.`);
    assert.equal(certFilesOf(bad + '/')[0], `${bad}/garbage.pem`);
  });

  test('CA bundles: certificates of a file, none is an error', () => {
    const ok = loadPemBundle(certs.caCrt, 'ca');
    assert.ok(!('error' in ok) && ok.pem.includes('BEGIN CERTIFICATE'));
    assert.deepEqual(loadPemBundle(certs.aKey, 'ca'), { error: '(no certificate or crl found)' });
    assert.deepEqual(loadPemBundle(join(dir, 'nope'), 'crl'), { error: '(No such file or directory)' });
    const sys = loadPemBundle('@system-ca', 'ca');
    assert.ok(!('error' in sys));
  });
});

describe('ClientHello SNI', () => {
  /** The first bytes a Node TLS client sends. */
  async function hello(servername: string | undefined): Promise<Buffer> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const got = new Promise<Buffer>((resolve) => srv.once('connection', (c) => c.once('data', (d: Buffer) => { resolve(d); c.destroy(); })));
    const port = (srv.address() as AddressInfo).port;
    const t = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    t.on('error', () => {});
    const data = await got;
    t.destroy();
    srv.close();
    return data;
  }

  test('the name sent, none, and a hello arriving in pieces', async () => {
    const h = await hello('Sni.Example.test');
    // Node offers ECDSA and RSA PKCS#1 signatures, and ECDHE-ECDSA ciphers.
    assert.deepEqual(peekClientHello(h), { kind: 'done', sni: 'Sni.Example.test', sigs: Sig.Ecdsa | Sig.Rsa });
    assert.deepEqual(peekClientHello(h.subarray(0, 4)), { kind: 'incomplete' });
    assert.deepEqual(peekClientHello(h.subarray(0, h.length - 1)), { kind: 'incomplete' });
    // Node sends no SNI for an IP address.
    assert.deepEqual(peekClientHello(await hello(undefined)), { kind: 'done', sni: null, sigs: Sig.Ecdsa | Sig.Rsa });
  });

  test('not a ClientHello: no name, the TLS library decides', () => {
    assert.deepEqual(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { kind: 'done', sni: null, sigs: Sig.Rsa });
    assert.deepEqual(peekClientHello(Buffer.from([0x16, 3, 1, 0x60, 0])), { kind: 'done', sni: null, sigs: Sig.Rsa });
    assert.deepEqual(peekClientHello(Buffer.from([0x16, 3, 1, 0, 4, 2, 0, 0, 0])), { kind: 'done', sni: null, sigs: Sig.Rsa });
  });

  test('any bytes after a handshake record header: an answer, never an exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, framed) => {
      const b = Buffer.from(bytes);
      const buf = framed ? Buffer.concat([Buffer.from([0x16, 3, 1, b.length >> 8, b.length & 255, 1]), b]) : b;
      const r = peekClientHello(buf);
      assert.ok(r.kind === 'incomplete' || r.kind === 'done');
    }), { numRuns: 2000 });
  });

  test('truncated fields inside a complete record do not read past it', () => {
    for (let n = 4; n < 60; n++) {
      const body = Buffer.alloc(n, 0xff);
      body[0] = 1;
      const rec = Buffer.concat([Buffer.from([0x16, 3, 1, n >> 8, n & 255]), body]);
      const r = peekClientHello(rec);
      assert.equal(r.kind, 'done');
    }
  });
});

describe('version ranges', () => {
  function range(words: string[]): { range: string | null; warnings: string[] } {
    const v: VersionConfig = newVersionConfig();
    for (let i = 0; i < words.length; i++) {
      const r = versionOption(v, words[i]!, words[i + 1]);
      assert.ok(r && !('error' in r), words[i]);
      i += r.used;
    }
    const warnings: string[] = [];
    const r = versionRange(v, (w) => warnings.push(w));
    return { range: r ? `${r.min}-${r.max}` : null, warnings };
  }

  test('TLSv1.2 is the default minimum; flags remove versions; min and max win over flags', () => {
    assert.deepEqual(range([]), { range: 'TLSv1.2-TLSv1.3', warnings: [] });
    assert.deepEqual(range(['no-tlsv12']), { range: 'TLSv1.3-TLSv1.3', warnings: [] });
    assert.deepEqual(range(['no-tlsv12', 'no-tlsv13']), { range: null, warnings: [] });
    assert.deepEqual(range(['ssl-min-ver', 'TLSv1.0', 'no-tlsv11']), { range: 'TLSv1.0-TLSv1.3', warnings: ['ignored'] });
    assert.deepEqual(range(['ssl-min-ver', 'TLSv1.3', 'ssl-max-ver', 'TLSv1.2']), { range: null, warnings: [] });
    assert.deepEqual(range(['force-tlsv12']), { range: 'TLSv1.2-TLSv1.2', warnings: [] });
  });

  test('a max below the default min sets the min to it; SSLv3 is never available', () => {
    assert.deepEqual(range(['ssl-max-ver', 'TLSv1.1']), { range: 'TLSv1.1-TLSv1.1', warnings: ['ambiguous'] });
    assert.deepEqual(range(['ssl-max-ver', 'SSLv3']), { range: null, warnings: ['ambiguous'] });
    assert.deepEqual(range(['ssl-min-ver', 'SSLv3']), { range: 'TLSv1.0-TLSv1.3', warnings: [] });
  });

  test('bad versions', () => {
    assert.deepEqual(versionOption(newVersionConfig(), 'ssl-min-ver', 'TLSv1.4'), { error: `'TLSv1.4' : unknown ssl/tls version` });
    assert.deepEqual(versionOption(newVersionConfig(), 'ssl-max-ver', undefined), { error: `'ssl-max-ver' : missing the ssl/tls version` });
    assert.equal(versionOption(newVersionConfig(), 'alpn', 'h2'), null);
  });
});

describe('configuration', () => {
  function check(text: string): string[] {
    const diag = new Diagnostics();
    parseConfigText('t.cfg', text, diag, {});
    return diag.messages.map((m) => `${m.level} ${m.text}`);
  }
  const defaults = 'defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n';

  test('a valid configuration of both sides', () => {
    const msgs = check(`global
  ssl-default-bind-options prefer-client-ciphers no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets
  ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256
  ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384
  ssl-default-server-options ssl-min-ver TLSv1.2
  tune.ssl.default-dh-param 2048
  ca-base ${dir}
  crt-base ${dir}
${defaults}frontend fe
  bind 127.0.0.1:8443 ssl crt certs/ crt certs/a.pem alpn http/1.1 ca-file ca.crt verify optional strict-sni curves P-256:X25519
  default_backend be
backend be
  server s1 127.0.0.1:443 ssl verify required ca-file ca.crt sni req.hdr(host) alpn http/1.1 check check-sni a.test
  server s2 127.0.0.1:443 ssl verify none crt client.pem no-ssl-reuse ssl-min-ver TLSv1.3
`);
    assert.deepEqual(msgs, []);
  });

  test('errors after parsing, worded as HAProxy', () => {
    const msgs = check(`${defaults}frontend fe
  bind :8443 ssl crt ${certs.certsDir} verify required ciphers FOO
  bind :8444 ssl
  bind :8445 ssl crt ${certs.certsDir}/a.pem ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2
  default_backend be
backend be
  server s1 127.0.0.1:443 ssl
  server s2 127.0.0.1:443 ssl verify none ciphersuites FOO
`);
    const bind = `for bind ':8443' at [t.cfg:7]`;
    const one = `Proxy 'fe': verify is enabled but no CA file specified ${bind}.\nProxy 'fe': unable to set SSL cipher list to 'FOO' ${bind}.`;
    assert.deepEqual(msgs, [
      // The default context, then one per certificate of the directory (3).
      `ALERT config : ${[one, one, one, one].join('\n')}`,
      `ALERT config : Proxy 'fe': no SSL certificate specified for bind ':8444' at [t.cfg:8] (use 'crt').`,
      `ALERT config : Proxy 'fe': all SSL/TLS versions are disabled for bind ':8445' at [t.cfg:9].`,
      `ALERT config : [t.cfg:12] : 'server be/s1' : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.`,
      `ALERT config : [t.cfg:13] : 'server be/s2' : unable to set TLS 1.3 cipher suites to 'FOO'.`,
    ]);
  });

  test('errors on the lines', () => {
    const msgs = check(`${defaults}frontend fe
  bind :8443 ssl crt ${certs.certsDir} verify sometimes
  bind :8444 ssl crt ${certs.certsDir} npn h2
  bind :8445 ssl crt ${certs.certsDir} crt-list x.lst
  bind :8446 ssl crt ${certs.certsDir} ca-file ${dir}/nothere
  default_backend be
backend be
  server s1 127.0.0.1:443 ssl verify none sni foo(
  default-server no-tlsv12
`);
    assert.deepEqual(msgs, [
      `ALERT config : parsing [t.cfg:7] : 'bind :8443' in section 'frontend' : 'verify' : unknown verify method 'sometimes', only 'none', 'optional', and 'required' are supported`,
      `ALERT config : parsing [t.cfg:8] : 'bind :8444' in section 'frontend' : 'npn' : library does not support TLS NPN extension`,
      `ALERT config : parsing [t.cfg:9] : 'bind :8445' in section 'frontend' : 'crt-list' : cannot open file 'x.lst' : No such file or directory`,
      `ALERT config : Couldn't open the ca-file '${dir}/nothere' (No such file or directory).`,
      `ALERT config : parsing [t.cfg:10] : 'bind :8446' in section 'frontend' : 'ca-file' : unable to load ${dir}/nothere`,
      `ALERT config : parsing [t.cfg:13] : 'server be/s1' : error detected while parsing sni expression : unknown fetch method 'foo'`,
      `ALERT config : parsing [t.cfg:14] : 'no-tlsv12' option is not accepted in default-server sections`,
      'ALERT config : Error(s) found in configuration file : t.cfg',
    ]);
  });

  test('HTTP/2 by ALPN on binds and to servers, with "alpn h2" or letting the server choose', () => {
    const msgs = check(`${defaults}frontend fe
  bind :8443 ssl crt ${certs.certsDir} alpn h2,http/1.1
  default_backend be
backend be
  server s1 127.0.0.1:443 ssl verify none alpn h2
  server s2 127.0.0.1:443 ssl verify none alpn h2,http/1.1
  server s3 127.0.0.1:443 ssl verify none alpn h2,http/1.1 proto h2
`);
    assert.deepEqual(msgs, []);
  });
});
