// Certificates from crt-lists and their hot replacement through the runtime API: SNI
// selection by crt-list filters (negative ones included) checked with openssl s_client,
// per-line options (versions, ALPN, client certificates), HAProxy's "-c" texts for bad lines,
// "show ssl cert" before and after "commit ssl cert" with the fingerprint served, crt-list
// entries added and deleted at run time, and a certificate swapped under a load of TLS
// requests with none failing. Certificates are made with openssl for the run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { tempDir, writeConfig, freePort, startTurnpike, runTurnpike, type RunningProxy } from './harness.ts';
import { makeTestCerts, signedCert, type TestCerts } from '../unit/protocols/tls-certs.ts';

/** Sends `input` to a CLI socket with socat (one-shot mode) and returns what was printed. */
function cli(path: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('socat', ['-t', '5', '-', `UNIX-CONNECT:${path}`], { timeout: 10_000, encoding: 'latin1' }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
    child.stdin!.end(input);
  });
}

function sClient(port: number, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { timeout: 10_000, encoding: 'latin1' }, (_err, stdout, stderr) => resolve(stdout + stderr));
    p.stdin!.end('');
  });
}

/** The subject CN of the certificate served, or null when the handshake failed. */
async function servedCn(port: number, sni: string | null, extra: string[] = []): Promise<string | null> {
  const out = await sClient(port, [...(sni ? ['-servername', sni] : ['-noservername']), ...extra]);
  const m = /subject=CN ?= ?([^\n]+)/.exec(out);
  return m ? m[1]!.trim() : null;
}

interface Answer {
  readonly ok: boolean;
  /** SHA-1 fingerprint of the certificate served, as "show ssl cert" prints it. */
  readonly fingerprint: string | null;
}

/** One HTTPS request on a new connection; never throws. */
function request(port: number, servername: string): Promise<Answer> {
  return new Promise((resolve) => {
    let fingerprint: string | null = null;
    let text = '';
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('secureConnect', () => {
      fingerprint = s.getPeerX509Certificate()?.fingerprint.replaceAll(':', '') ?? null;
      s.write(`GET / HTTP/1.0\r\nHost: ${servername}\r\n\r\n`);
    });
    s.setEncoding('latin1');
    s.on('data', (d: string) => { text += d; });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ ok: /^HTTP\/1\.[01] 200 /.test(text), fingerprint });
    });
  });
}

function fingerprintOf(pemFile: string): string {
  const out = readFileSync(pemFile, 'latin1');
  const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(out)!;
  return new X509Certificate(m[0]).fingerprint.replaceAll(':', '');
}

describe('TLS certificates: crt-list and the runtime API', () => {
  let dir: { path: string; cleanup(): void };
  let certs: TestCerts;
  let tp: RunningProxy;
  let port: number;
  let sock: string;
  let list: string;
  /** a.test's certificate and key, and a second certificate for the same names (the replacement). */
  let aPem: string;
  let a2Pem: string;

  before(async () => {
    dir = tempDir();
    certs = makeTestCerts(dir.path);
    signedCert(dir.path, 'a2', '/CN=a.test/O=second', 'DNS:a.test,DNS:alt.a.test');
    signedCert(dir.path, 'n', '/CN=n.test', 'DNS:n.test');
    a2Pem = join(dir.path, 'a2.pem');
    writeFileSync(a2Pem, readFileSync(join(dir.path, 'a2.crt'), 'latin1') + readFileSync(join(dir.path, 'a2.key'), 'latin1'));
    writeFileSync(join(dir.path, 'n.pem'), readFileSync(join(dir.path, 'n.crt'), 'latin1') + readFileSync(join(dir.path, 'n.key'), 'latin1'));
    aPem = join(certs.certsDir, 'a.pem');
    list = join(dir.path, 'list.txt');
    writeFileSync(list, [
      '# the default certificate, for no name of its own',
      'certs/a.pem !*',
      '',
      `certs/b.pem [alpn x-test,http/1.1 ssl-min-ver TLSv1.3] b.test other.test`,
      'certs/wild.pem *.wild.test !secret.wild.test',
      `certs/a.pem [verify required ca-file ${certs.caCrt}] mtls.test`,
      'certs/a.pem a.test',
      '',
    ].join('\n'));
    port = await freePort();
    sock = join(dir.path, 'admin.sock');
    const cfg = writeConfig(dir.path, `
global
  stats socket ${sock} level admin
  crt-base ${dir.path}
defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt-list ${list}
  http-request return status 200 content-type text/plain lf-string "%[ssl_fc_sni]"
`);
    tp = await startTurnpike(cfg, [port]);
  });

  after(async () => {
    await tp?.stop();
    dir?.cleanup();
  });

  test('SNI picks the certificate of the crt-list filters; no match or an excluded name gets the first one', async () => {
    assert.equal(await servedCn(port, null), 'a.test');
    assert.equal(await servedCn(port, 'other.test', ['-tls1_3']), 'b.test');
    assert.equal(await servedCn(port, 'x.wild.test'), '*.wild.test');
    assert.equal(await servedCn(port, 'X.Wild.TEST'), '*.wild.test');
    // Excluded from the wildcard of its line.
    assert.equal(await servedCn(port, 'secret.wild.test'), 'a.test');
    // One label only for a wildcard.
    assert.equal(await servedCn(port, 'a.b.wild.test'), 'a.test');
    assert.equal(await servedCn(port, 'unknown.test'), 'a.test');
  });

  test("a line's options apply to its certificate only: versions, ALPN, client certificates", async () => {
    // ssl-min-ver TLSv1.3 for b.test; the other names still take TLS 1.2.
    assert.equal(await servedCn(port, 'b.test', ['-tls1_2']), null);
    assert.equal(await servedCn(port, 'x.wild.test', ['-tls1_2']), '*.wild.test');
    assert.match(await sClient(port, ['-servername', 'b.test', '-alpn', 'x-test']), /ALPN protocol: x-test/);
    assert.match(await sClient(port, ['-servername', 'x.wild.test', '-alpn', 'x-test']), /No ALPN negotiated/);
    // verify required on mtls.test only.
    const noCert = await request(port, 'mtls.test');
    assert.equal(noCert.ok, false);
    const withCert = await new Promise<boolean>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'mtls.test', rejectUnauthorized: false, cert: readFileSync(certs.clientCrt), key: readFileSync(certs.clientKey) });
      let text = '';
      s.on('secureConnect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
      s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
      s.on('error', () => {});
      s.on('close', () => resolve(/^HTTP\/1\.[01] 200 /.test(text) && text.endsWith('mtls.test')));
    });
    assert.ok(withCert);
    assert.equal((await request(port, 'a.test')).ok, true);
  });

  test('"show ssl cert" and "show ssl crt-list" as HAProxy prints them', async () => {
    const listing = await cli(sock, 'show ssl cert\n');
    assert.equal(listing, `# filename\n${aPem}\n${join(certs.certsDir, 'b.pem')}\n${join(certs.certsDir, 'wild.pem')}\n\n`);
    const detail = await cli(sock, `show ssl cert ${aPem}\n`);
    assert.match(detail, new RegExp(`^Filename: ${aPem}\nStatus: Used\nSerial: [0-9A-F]+\nnotBefore: \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} GMT\nnotAfter: .+ GMT\n`));
    assert.match(detail, /\nSubject Alternative Name: DNS:a\.test, DNS:alt\.a\.test\nAlgorithm: EC256\n/);
    assert.match(detail, new RegExp(`\nSHA1 FingerPrint: ${fingerprintOf(aPem)}\nSubject: /CN=a.test\nIssuer: /C=FR/O=Test CA/CN=Test Root\nOCSP Response Key: \n\n$`));
    assert.equal(await cli(sock, 'show ssl crt-list\n'), `${list}\n\n`);
    // HAProxy 2.6 writes a NUL byte after an ALPN list (a bug Turnpike does not copy).
    assert.equal((await cli(sock, `show ssl crt-list -n ${list}\n`)).replaceAll('\0', ''), [
      `# ${list}`,
      `${aPem}:2 !*`,
      `${join(certs.certsDir, 'b.pem')}:4 [alpn x-test,http/1.1 ssl-min-ver TLSv1.3] b.test other.test`,
      `${join(certs.certsDir, 'wild.pem')}:5 *.wild.test !secret.wild.test`,
      `${aPem}:6 [verify required ca-file ${certs.caCrt}] mtls.test`,
      `${aPem}:7 a.test`,
      '', '',
    ].join('\n'));
    assert.equal(await cli(sock, 'show ssl cert nothere.pem\n'), "Can't display the certificate: Not found or the certificate is a bundle!\n\n");
  });

  test('a certificate replaced with set/commit is served by the next handshakes, "*" showing the transaction', async () => {
    const before = await request(port, 'a.test');
    assert.equal(before.fingerprint, fingerprintOf(aPem));
    const payload = readFileSync(a2Pem, 'latin1').trim();
    assert.equal(await cli(sock, `set ssl cert ${aPem} <<\n${payload}\n\n`), `Transaction created for certificate ${aPem}!\n\n`);
    assert.equal(await cli(sock, 'show ssl cert\n'), `# transaction\n*${aPem}\n# filename\n${aPem}\n${join(certs.certsDir, 'b.pem')}\n${join(certs.certsDir, 'wild.pem')}\n\n`);
    assert.match(await cli(sock, `show ssl cert *${aPem}\n`), new RegExp(`^Filename: \\*${aPem}\nStatus: Unused\n[\\s\\S]*SHA1 FingerPrint: ${fingerprintOf(a2Pem)}\n`));
    // Not committed yet: still the old one.
    assert.equal((await request(port, 'a.test')).fingerprint, fingerprintOf(aPem));
    // Three instances use it: the default line, the mtls.test line and the a.test line.
    assert.equal(await cli(sock, `commit ssl cert ${aPem}\n`), `Committing ${aPem}...\nSuccess!\n\n`);
    for (let i = 0; i < 6; i++) assert.equal((await request(port, 'a.test')).fingerprint, fingerprintOf(a2Pem));
    assert.match(await cli(sock, `show ssl cert ${aPem}\n`), new RegExp(`SHA1 FingerPrint: ${fingerprintOf(a2Pem)}\nSubject: /CN=a.test/O=second\n`));
    assert.equal(await cli(sock, `abort ssl cert ${aPem}\n`), 'No ongoing transaction!\n\n');
    assert.equal(await cli(sock, `del ssl cert ${aPem}\n`), `Can't remove the certificate: certificate '${aPem}' in use, can't be deleted!\n\n\n`);
  });

  test('crt-list entries added and deleted at run time', async () => {
    const nPem = join(dir.path, 'n.pem');
    assert.equal(await cli(sock, `add ssl crt-list ${list} ${nPem}\n`), `Can't edit the crt-list: certificate '${nPem}' does not exist!\n\n`);
    assert.equal(await cli(sock, `new ssl cert ${nPem}\n`), `New empty certificate store '${nPem}'!\n\n`);
    const payload = readFileSync(nPem, 'latin1').trim();
    assert.equal(await cli(sock, `set ssl cert ${nPem} <<\n${payload}\n\ncommit ssl cert ${nPem}\n`), `Transaction created for certificate ${nPem}!\n\nCommitting ${nPem}\nSuccess!\n\n`);
    // Until added to a crt-list, the default certificate (a.test, replaced by the previous test).
    assert.match(String(await servedCn(port, 'n.test')), /^a\.test/);
    assert.equal(await cli(sock, `add ssl crt-list ${list} <<\n${nPem} [ssl-max-ver TLSv1.2] n.test *.n.test !no.n.test\n\n`), `Inserting certificate '${nPem}' in crt-list '${list}'.\nSuccess!\n\n`);
    assert.equal(await servedCn(port, 'n.test'), 'n.test');
    assert.equal(await servedCn(port, 'x.n.test'), 'n.test');
    assert.match(String(await servedCn(port, 'no.n.test')), /^a\.test/);
    assert.match(await sClient(port, ['-servername', 'n.test']), /Protocol *: TLSv1\.2/);
    assert.match(await cli(sock, `show ssl crt-list -n ${list}\n`), new RegExp(`\n${nPem}:8 \\[ssl-max-ver TLSv1.2\\] n.test \\*.n.test !no.n.test\n\n$`));
    assert.equal(await cli(sock, `del ssl crt-list ${list} ${nPem}\n`), `Entry '${nPem}' deleted in crtlist '${list}'!\n\n`);
    assert.match(String(await servedCn(port, 'n.test')), /^a\.test/);
    assert.equal(await cli(sock, `del ssl cert ${nPem}\n`), `Certificate '${nPem}' deleted!\n\n`);
  });

  test('no request fails while the certificate is swapped under load', async () => {
    const pems = [readFileSync(aPem, 'latin1').trim(), readFileSync(a2Pem, 'latin1').trim()];
    let stop = false;
    const results: Answer[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) results.push(await request(port, 'a.test'));
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 6; i++) {
      const out = await cli(sock, `set ssl cert ${aPem} <<\n${pems[i % 2]}\n\ncommit ssl cert ${aPem}\n`);
      assert.match(out, /Success!/);
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await Promise.all(workers);
    const failed = results.filter((r) => !r.ok).length;
    assert.ok(results.length >= 50, `only ${results.length} requests`);
    assert.equal(failed, 0, `${failed} of ${results.length} requests failed`);
    const seen = new Set(results.map((r) => r.fingerprint));
    assert.ok(seen.has(fingerprintOf(aPem)) && seen.has(fingerprintOf(a2Pem)), 'both certificates served');
  });
});

describe('crt-list configuration errors', () => {
  test('HAProxy\'s texts with the crt-list file and line', () => {
    const dir = tempDir();
    try {
      const certs = makeTestCerts(dir.path);
      const cases: [string, string][] = [
        ['certs/a.pem [foo bar] x\n', "parsing [LIST:1]: unknown ssl keyword foo"],
        ['# c\ncerts/a.pem [alpn] x\n', "parsing [LIST:2]: ssl args out of '[]' for alpn"],
        ['certs/a.pem [[alpn h2]\n', "parsing [LIST:1]: too many '['"],
        ['certs/a.pem alpn h2]\n', "parsing [LIST:1]: missing '['"],
        ['[alpn h2] certs/a.pem\n', 'parsing [LIST:1]: file must start with a cert'],
        ['certs/a.pem\ncerts/b.pem', 'parsing [LIST:2]: Missing LF on last line, file might have been truncated at position 12.'],
        ['certs/nothere.pem\n', `unable to stat SSL certificate from file '${dir.path}/certs/nothere.pem' : No such file or directory.`],
        ['certs/a.pem [verify maybe]\n', "'verify' : unknown verify method 'maybe', only 'none', 'optional', and 'required' are supported"],
      ];
      cases.forEach(([text, error], i) => {
        const lst = join(dir.path, `l${i}.txt`);
        writeFileSync(lst, text);
        const cfg = writeConfig(dir.path, `
global
  crt-base ${dir.path}
frontend fe
  mode http
  timeout client 5s
  bind 127.0.0.1:1 ssl crt-list ${lst}
`, `c${i}.cfg`);
        const r = runTurnpike(['-c', '-f', cfg]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`\\[ALERT\\] +\\(\\d+\\) : config : parsing \\[${cfg.replaceAll('/', '\\/')}:7\\] : 'bind 127.0.0.1:1' in section 'frontend' : 'crt-list' : ${escape(error.replace('LIST', lst))}\n`));
      });
      const cfg = writeConfig(dir.path, `
frontend fe
  bind 127.0.0.1:1 ssl crt ${certs.certsDir}/a.pem default-crt ${certs.certsDir}/b.pem
`, 'd.cfg');
      assert.match(runTurnpike(['-c', '-f', cfg]).stderr, /'bind 127\.0\.0\.1:1' in section 'frontend': unknown keyword 'default-crt'/);
    } finally {
      dir.cleanup();
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('testssl.sh against a default "bind ssl"', { skip: !existsSync('/usr/bin/testssl') && 'testssl.sh is not installed' }, () => {
  test('nothing below TLS 1.2, no vulnerability found', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const certs = makeTestCerts(dir.path);
    const port = await freePort();
    const tp = await startTurnpike(writeConfig(dir.path, `
defaults
  mode http
  timeout client 5s
frontend fe
  bind 127.0.0.1:${port} ssl crt ${certs.certsDir}/a.pem
  http-request return status 200 content-type text/plain string ok
`), [port]);
    try {
      const out = await new Promise<string>((resolve) => {
        execFile('testssl', ['--quiet', '--color', '0', '--warnings', 'off', '-p', '-U', '--ip', 'one', `127.0.0.1:${port}`],
          { timeout: 170_000, encoding: 'latin1', maxBuffer: 1 << 22 }, (_err, stdout) => resolve(stdout));
      });
      for (const p of ['SSLv2', 'SSLv3', 'TLS 1  ', 'TLS 1.1']) assert.match(out, new RegExp(`\\n ${escape(p)}\\s+not offered`), out);
      assert.match(out, /\n TLS 1\.2 +offered \(OK\)/);
      assert.match(out, /\n TLS 1\.3 +offered \(OK\)/);
      // LUCKY13 is only a "potentially" for any CBC cipher in TLS 1.2, which OpenSSL's default
      // list (HAProxy's default too) keeps; anything else flagged is a finding.
      const flagged = out.split('\n').filter((l) => /VULNERABLE|NOT ok/.test(l) && !/^ LUCKY13 .*potentially VULNERABLE/.test(l));
      assert.deepEqual(flagged, []);
    } finally {
      await tp.stop();
      dir.cleanup();
    }
  });
});
