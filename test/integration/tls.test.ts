// TLS on both sides: termination with certificates picked by SNI (default, wildcard,
// strict-sni), client certificates (verify required/optional), version limits, the ssl_*
// fetches in rules and logs, redirect to https, TCP mode termination, TLS to servers
// (verify required with SNI / verify none / a wrong CA / a wrong name, SNI from the request)
// and TLS health checks. Certificates are made with the openssl command for the run; clients
// are Node's tls module, curl and openssl s_client. Runs against HAProxy too (TURNPIKE_BIN).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { connect as netConnect, type AddressInfo } from 'node:net';
import {
  tempDir, writeConfig, freePort, startTurnpike, replyServer, echoServer, exchange, sleep, until, type RunningProxy,
} from './harness.ts';
import { makeTestCerts, type TestCerts } from '../unit/protocols/tls-certs.ts';

interface HttpsResult {
  /** Response head and body as received, or the error code when the exchange failed. */
  readonly text: string;
  readonly error: string | null;
  readonly protocol: string | null;
  /** CN of the certificate the server presented. */
  readonly cn: string | null;
  /** The last session ticket received, to resume with. */
  readonly session: Buffer | null;
}

interface HttpsOptions {
  readonly servername?: string;
  readonly path?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly session?: Buffer;
}

/** One HTTP/1.0 request over TLS; never throws (errors are in the result). */
function https(port: number, o: HttpsOptions = {}): Promise<HttpsResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let protocol: string | null = null;
    let cn: string | null = null;
    let error: string | null = null;
    let session: Buffer | null = null;
    const s: TLSSocket = tlsConnect({
      host: '127.0.0.1', port, rejectUnauthorized: false,
      ...(o.servername ? { servername: o.servername } : {}),
      ...(o.cert ? { cert: readFileSync(o.cert), key: readFileSync(o.key!) } : {}),
      ...(o.minVersion ? { minVersion: o.minVersion } : {}),
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      ...(o.session ? { session: o.session } : {}),
    });
    s.on('session', (t: Buffer) => { session = t; });
    const timer = setTimeout(() => { error ??= 'timeout'; s.destroy(); }, 5000);
    s.on('secureConnect', () => {
      protocol = s.getProtocol();
      cn = String(s.getPeerCertificate().subject?.CN ?? '') || null;
      s.write(`GET ${o.path ?? '/'} HTTP/1.0\r\nHost: ${o.servername ?? 'localhost'}\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code ?? e.message; });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), error: chunks.length > 0 ? null : error ?? 'closed', protocol, cn, session });
    });
  });
}

function body(r: HttpsResult): string {
  const i = r.text.indexOf('\r\n\r\n');
  return i < 0 ? '' : r.text.slice(i + 4);
}

function run(cmd: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(cmd, args, { timeout: 10_000, encoding: 'latin1' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    p.stdin?.end(input);
  });
}

describe('TLS', () => {
  let dir: { path: string; cleanup(): void };
  let certs: TestCerts;
  let tp: RunningProxy;
  let plainA: Awaited<ReturnType<typeof replyServer>>;
  let plainB: Awaited<ReturnType<typeof replyServer>>;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let tlsSrv: TlsServer;
  let tlsPort: number;
  /** What the TLS server saw: "<servername> <alpn> <request line>" per request. */
  const seen: string[] = [];
  let pHttps: number, pPlain: number, pMtls: number, pMtlsOpt: number, pTls13: number, pStrict: number, pTcp: number, pFront: number, pProxy: number;

  before(async () => {
    dir = tempDir();
    certs = makeTestCerts(dir.path);
    const reply = (name: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`;
    [plainA, plainB, echo] = await Promise.all([replyServer(() => reply('A')), replyServer(() => reply('B')), echoServer()]);
    tlsSrv = createTlsServer({ cert: readFileSync(certs.aCrt), key: readFileSync(certs.aKey), ALPNProtocols: ['http/1.1'] }, (c) => {
      let buf = '';
      c.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const line = buf.slice(0, buf.indexOf('\r\n'));
        buf = buf.slice(end + 4);
        const text = `${c.servername || '-'} ${c.alpnProtocol || '-'} ${line}`;
        seen.push(text);
        c.write(`HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
      });
      c.on('error', () => {});
    });
    await new Promise<void>((r) => tlsSrv.listen(0, '127.0.0.1', r));
    tlsPort = (tlsSrv.address() as AddressInfo).port;
    [pHttps, pPlain, pMtls, pMtlsOpt, pTls13, pStrict, pTcp, pFront, pProxy] = await Promise.all(Array.from({ length: 9 }, () => freePort()));
    const d = certs.certsDir;
    const cfg = `global
  log stderr format raw local0

defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  timeout check 1s
  retries 0

frontend https
  bind 127.0.0.1:${pHttps} ssl crt ${d}/
  option httplog
  http-request return status 200 content-type text/plain lf-string "proto=%[ssl_fc_protocol] sni=%[ssl_fc_sni] fc=%[ssl_fc] fsdn=%[ssl_f_s_dn] has_sni=%[ssl_fc_has_sni]" if { path /info }
  http-request return status 200 content-type text/plain lf-string "resumed=%[ssl_fc_is_resumed] sni=%[ssl_fc_sni] fsdn=%[ssl_f_s_dn]" if { path /resumed }
  use_backend be_b if { ssl_fc_sni b.test }
  default_backend be_a

backend be_a
  server a 127.0.0.1:${plainA.port}
backend be_b
  server b 127.0.0.1:${plainB.port}

frontend plain
  bind 127.0.0.1:${pPlain}
  redirect scheme https if !{ ssl_fc }

frontend mtls
  bind 127.0.0.1:${pMtls} ssl crt ${d}/a.pem ca-file ${certs.caCrt} verify required
  option httplog
  http-request return status 200 content-type text/plain lf-string "cn=%[ssl_c_s_dn(cn)] idn=%[ssl_c_i_dn] sdn=%[ssl_c_s_dn] verify=%[ssl_c_verify] used=%[ssl_c_used] crt=%[ssl_fc_has_crt]"

frontend mtls_opt
  bind 127.0.0.1:${pMtlsOpt} ssl crt ${d}/a.pem ca-file ${certs.caCrt} verify optional
  http-request return status 200 content-type text/plain lf-string "used=%[ssl_c_used] cn=%[ssl_c_s_dn(cn)]"

frontend tls13
  bind 127.0.0.1:${pTls13} ssl crt ${d}/a.pem ssl-min-ver TLSv1.3
  option httplog
  http-request return status 200 content-type text/plain lf-string "%[ssl_fc_protocol]"

frontend on_unix_socket
  bind unix@${dir.path}/tls.sock ssl crt ${d}/
  http-request return status 200 content-type text/plain lf-string "%[ssl_fc_sni] %[ssl_f_s_dn]"

frontend strict
  bind 127.0.0.1:${pStrict} ssl crt ${d}/ strict-sni
  http-request return status 200 content-type text/plain lf-string "%[ssl_fc_sni]"

listen with_proxy_header
  mode tcp
  bind 127.0.0.1:${pProxy} ssl crt ${d}/ accept-proxy
  timeout client 300
  option tcplog
  tcp-request content accept if { src 192.0.2.10 } { ssl_fc_sni b.test }
  tcp-request content reject
  server e 127.0.0.1:${echo.port}

frontend to_servers
  bind 127.0.0.1:${pFront}
  use_backend %[req.hdr(x-be)]
  http-response set-header x-ssl-bc "%[ssl_bc] %[ssl_bc_protocol]"

backend verified
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.caCrt} sni str(a.test) alpn http/1.1
backend noverify
  server s1 127.0.0.1:${tlsPort} ssl verify none
backend badca
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.rogueCrt}
backend wrongname
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.caCrt} sni str(b.test)
backend sni_from_host
  http-reuse always
  server s1 127.0.0.1:${tlsPort} ssl verify none sni req.hdr(host)
backend verifyhost
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.caCrt} verifyhost alt.a.test
backend verifyhost_bad
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.caCrt} verifyhost b.test

backend checked
  option httpchk GET /check
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.caCrt} check inter 1000 check-sni a.test
backend badcheck
  server s1 127.0.0.1:${tlsPort} ssl verify required ca-file ${certs.rogueCrt} check inter 1000 fall 1 rise 1

listen tcp_tls
  mode tcp
  bind 127.0.0.1:${pTcp} ssl crt ${d}/
  server e 127.0.0.1:${echo.port}
`;
    tp = await startTurnpike(writeConfig(dir.path, cfg), [pHttps, pPlain, pMtls, pMtlsOpt, pTls13, pStrict, pTcp, pFront, pProxy, `${dir.path}/tls.sock`]);
  });

  after(async () => {
    await tp?.stop();
    await Promise.all([plainA?.close(), plainB?.close(), echo?.close()]);
    await new Promise<void>((r) => (tlsSrv ? tlsSrv.close(() => r()) : r()));
    dir?.cleanup();
  });

  describe('termination', () => {
    test('the certificate follows the SNI: exact names, alt names, wildcards; the first file without SNI', async () => {
      assert.equal((await https(pHttps, { servername: 'a.test', path: '/info' })).cn, 'a.test');
      assert.equal((await https(pHttps, { servername: 'ALT.A.TEST', path: '/info' })).cn, 'a.test');
      assert.equal((await https(pHttps, { servername: 'b.test', path: '/info' })).cn, 'b.test');
      assert.equal((await https(pHttps, { servername: 'x.wild.test', path: '/info' })).cn, '*.wild.test');
      // No SNI, or an unknown name: the default certificate, a.pem (first in name order).
      assert.equal((await https(pHttps, { path: '/info' })).cn, 'a.test');
      assert.equal((await https(pHttps, { servername: 'deep.x.wild.test', path: '/info' })).cn, 'a.test');
    });

    test('openssl s_client and curl see the certificate picked by SNI', async () => {
      const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${pHttps}`, '-servername', 'b.test', '-CAfile', certs.caCrt], 'Q\n');
      assert.match(s.stdout, /subject=CN ?= ?b\.test/);
      assert.match(s.stdout, /Verify return code: 0 \(ok\)/);
      const c = await run('curl', ['-s', '--cacert', certs.caCrt, '--resolve', `x.wild.test:${pHttps}:127.0.0.1`, `https://x.wild.test:${pHttps}/info`]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /^proto=TLSv1\.3 sni=x\.wild\.test fc=1 fsdn=\/CN=\*\.wild\.test has_sni=1$/);
      // curl verifies the default certificate against the name it asked for: a.test's has it.
      const d = await run('curl', ['-s', '--cacert', certs.caCrt, '--resolve', `alt.a.test:${pHttps}:127.0.0.1`, `https://alt.a.test:${pHttps}/info`]);
      assert.equal(d.code, 0, d.stderr);
    });

    test('ssl_fc_sni routes (use_backend), ssl_fc_protocol in http-request return', async () => {
      assert.equal(body(await https(pHttps, { servername: 'b.test' })), 'B');
      assert.equal(body(await https(pHttps, { servername: 'a.test' })), 'A');
      const info = body(await https(pHttps, { servername: 'b.test', path: '/info', maxVersion: 'TLSv1.2' }));
      assert.equal(info, 'proto=TLSv1.2 sni=b.test fc=1 fsdn=/CN=b.test has_sni=1');
      assert.equal(body(await https(pHttps, { path: '/info' })), 'proto=TLSv1.3 sni= fc=1 fsdn=/CN=a.test has_sni=0');
    });

    test('resumed sessions (TLS 1.3 and 1.2) keep their SNI for the rules', async () => {
      for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
        const first = await https(pHttps, { servername: 'b.test', path: '/resumed', maxVersion });
        assert.equal(body(first), 'resumed=0 sni=b.test fsdn=/CN=b.test', maxVersion);
        assert.ok(first.session, maxVersion);
        const again = await https(pHttps, { servername: 'b.test', path: '/resumed', maxVersion, session: first.session });
        assert.equal(body(again), 'resumed=1 sni=b.test fsdn=/CN=b.test', maxVersion);
        assert.equal(body(await https(pHttps, { servername: 'b.test', maxVersion, session: first.session })), 'B', maxVersion);
      }
    });

    test('httplog marks TLS frontends with "~"', async () => {
      const from = tp.stderr().length;
      await https(pHttps, { servername: 'a.test' });
      await tp.waitFor(/ https~ be_a\/a /, 3000, from);
    });

    test('redirect scheme https if !{ ssl_fc } on a plain port', async () => {
      const r = await exchange(pPlain, 'GET /x?y=1 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n');
      assert.match(r, /^HTTP\/1\.1 302 Found\r\n/);
      assert.match(r, /\r\nlocation: https:\/\/example\.test\/x\?y=1\r\n/i);
    });

    test('strict-sni: only a matching name completes the handshake', async () => {
      assert.equal(body(await https(pStrict, { servername: 'b.test' })), 'b.test');
      assert.notEqual((await https(pStrict, {})).error, null);
      assert.notEqual((await https(pStrict, { servername: 'nomatch.test' })).error, null);
    });

    test('accept-proxy: the PROXY header comes in clear before the handshake', async () => {
      const got = await new Promise<string>((resolve, reject) => {
        const raw = netConnect({ host: '127.0.0.1', port: pProxy }, () => raw.write('PROXY TCP4 192.0.2.10 127.0.0.1 40000 443\r\n'));
        const s = tlsConnect({ socket: raw, servername: 'b.test', rejectUnauthorized: false }, () => s.end('proxied'));
        let out = '';
        s.on('data', (d: Buffer) => { out += d.toString('latin1'); });
        s.on('close', () => resolve(out));
        s.on('error', reject);
        setTimeout(() => s.destroy(), 5000);
      });
      // The rules saw the announced source and the SNI: the echo server answered.
      assert.equal(got, 'proxied');
    });

    test('UNIX socket: concurrent handshakes each keep their SNI', async () => {
      const one = (servername: string): Promise<string> => new Promise((resolve, reject) => {
        const s = tlsConnect({ path: `${dir.path}/tls.sock`, servername, rejectUnauthorized: false }, () => s.write(`GET / HTTP/1.0\r\n\r\n`));
        let out = '';
        s.on('data', (d: Buffer) => { out += d.toString('latin1'); });
        s.on('close', () => resolve(out.slice(out.indexOf('\r\n\r\n') + 4)));
        s.on('error', reject);
        setTimeout(() => s.destroy(), 5000);
      });
      const names = ['a.test', 'b.test', 'x.wild.test', 'b.test', 'a.test', 'y.wild.test'];
      const got = await Promise.all(names.map(one));
      assert.deepEqual(got, names.map((n) => `${n} /CN=${n.endsWith('wild.test') ? '*.wild.test' : n}`));
    });

    test('TCP mode: TLS terminated, the server gets the clear bytes', async () => {
      const got = await new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: pTcp, servername: 'b.test', rejectUnauthorized: false }, () => s.end('hello over tls'));
        let out = '';
        s.on('data', (d: Buffer) => { out += d.toString('latin1'); });
        s.on('close', () => resolve(out));
        s.on('error', reject);
        setTimeout(() => s.destroy(), 5000);
      });
      assert.equal(got, 'hello over tls');
    });
  });

  describe('client certificates and versions', () => {
    test('verify required: refused without a certificate or with one from another CA, accepted with one', async () => {
      const from = tp.stderr().length;
      assert.notEqual((await https(pMtls, { servername: 'a.test' })).error, null);
      assert.notEqual((await https(pMtls, { servername: 'a.test', cert: certs.rogueCrt, key: certs.rogueKey })).error, null);
      const ok = await https(pMtls, { servername: 'a.test', cert: certs.clientCrt, key: certs.clientKey });
      assert.equal(body(ok), 'cn=client one idn=/C=FR/O=Test CA/CN=Test Root sdn=/C=FR/ST=Paris/O=Acme/CN=client one verify=0 used=1 crt=1');
      // Failed handshakes are logged as HAProxy's connection errors.
      await tp.waitFor(/\d+\.\d+\.\d+\.\d+:\d+ \[[^\]]+\] mtls\/1: SSL handshake failure/, 3000, from);
      await tp.waitFor(/ mtls\/1: SSL client certificate not trusted/, 3000, from);
    });

    test('curl with and without a client certificate', async () => {
      const without = await run('curl', ['-s', '--cacert', certs.caCrt, '--resolve', `a.test:${pMtls}:127.0.0.1`, `https://a.test:${pMtls}/`]);
      assert.notEqual(without.code, 0);
      const withCert = await run('curl', ['-s', '--cacert', certs.caCrt, '--cert', certs.clientCrt, '--key', certs.clientKey,
        '--resolve', `a.test:${pMtls}:127.0.0.1`, `https://a.test:${pMtls}/`]);
      assert.equal(withCert.code, 0, withCert.stderr);
      assert.match(withCert.stdout, /^cn=client one /);
    });

    test('verify optional: no certificate is fine, a bad one is not', async () => {
      assert.equal(body(await https(pMtlsOpt, {})), 'used=0 cn=');
      assert.equal(body(await https(pMtlsOpt, { cert: certs.clientCrt, key: certs.clientKey })), 'used=1 cn=client one');
      assert.notEqual((await https(pMtlsOpt, { cert: certs.rogueCrt, key: certs.rogueKey })).error, null);
    });

    test('ssl-min-ver TLSv1.3 refuses TLSv1.2 (openssl s_client -tls1_2)', async () => {
      const from = tp.stderr().length;
      const old = await run('openssl', ['s_client', '-connect', `127.0.0.1:${pTls13}`, '-tls1_2'], 'Q\n');
      assert.notEqual(old.code, 0);
      assert.doesNotMatch(old.stdout, /^New, TLSv1\.2/m);
      const cur = await run('openssl', ['s_client', '-connect', `127.0.0.1:${pTls13}`, '-tls1_3'], 'Q\n');
      assert.match(cur.stdout, /^New, TLSv1\.3/m);
      assert.equal(body(await https(pTls13, {})), 'TLSv1.3');
      await tp.waitFor(/ tls13\/1: SSL handshake failure/, 3000, from);
    });

    test('a plain HTTP request on a TLS port is a handshake failure', async () => {
      const from = tp.stderr().length;
      await exchange(pTls13, 'GET / HTTP/1.0\r\n\r\n');
      await tp.waitFor(/ tls13\/1: SSL handshake failure/, 3000, from);
    });
  });

  describe('servers', () => {
    function viaFront(backend: string, host = 'localhost'): Promise<string> {
      return exchange(pFront, `GET /r HTTP/1.1\r\nHost: ${host}\r\nx-be: ${backend}\r\nConnection: close\r\n\r\n`);
    }

    test('verify required with ca-file and sni: verified, SNI and ALPN sent; ssl_bc in response rules', async () => {
      const r = await viaFront('verified');
      assert.match(r, /^HTTP\/1\.1 200 /);
      assert.match(r, /a\.test http\/1\.1 GET \/r HTTP\/1\.1$/);
      assert.match(r, /\r\nx-ssl-bc: 1 TLSv1\.3\r\n/i);
    });

    test('verify none: no SNI unless asked, any certificate', async () => {
      const r = await viaFront('noverify');
      assert.match(r, /^HTTP\/1\.1 200 /);
      assert.match(r, /- - GET \/r HTTP\/1\.1$/);
    });

    test('verify required against another CA, or a certificate without the SNI name: 503', async () => {
      assert.match(await viaFront('badca'), /^HTTP\/1\.1 503 /);
      assert.match(await viaFront('wrongname'), /^HTTP\/1\.1 503 /);
    });

    test('sni from the request; an idle connection is reused only for the same SNI', async () => {
      const r = await viaFront('sni_from_host', 'other.test');
      assert.match(r, /^HTTP\/1\.1 200 /);
      assert.match(r, /other\.test - GET \/r HTTP\/1\.1$/);
      assert.match(await viaFront('sni_from_host', 'second.test'), /second\.test - GET \/r HTTP\/1\.1$/);
      assert.match(await viaFront('sni_from_host', 'other.test'), /other\.test - GET \/r HTTP\/1\.1$/);
    });

    test('verifyhost names the certificate to expect when no SNI is sent', async () => {
      assert.match(await viaFront('verifyhost'), /^HTTP\/1\.1 200 /);
      assert.match(await viaFront('verifyhost_bad'), /^HTTP\/1\.1 503 /);
    });

    test('health checks over TLS: check-sni sent, a CA mismatch is a layer 6 failure', async () => {
      assert.ok(await until(() => seen.some((s) => s.startsWith('a.test - GET /check ')), 5000), seen.join('\n'));
      await tp.waitFor(/Server badcheck\/s1 is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure"/, 5000);
    });
  });

  test('handshakes abandoned or too slow are logged', async () => {
    const from = tp.stderr().length;
    assert.equal(await exchange(pHttps, ''), '');
    await tp.waitFor(/ https\/1: Connection closed during SSL handshake/, 3000, from);
    // "timeout client" bounds the handshake (and the PROXY header before it).
    const idle = netConnect({ host: '127.0.0.1', port: pProxy });
    idle.on('error', () => {});
    await tp.waitFor(/ with_proxy_header\/1: Timeout while waiting for PROXY protocol header/, 3000, from);
    idle.destroy();
    const quiet = netConnect({ host: '127.0.0.1', port: pProxy }, () => quiet.write('PROXY TCP4 192.0.2.10 127.0.0.1 40000 443\r\n'));
    quiet.on('error', () => {});
    await tp.waitFor(/ with_proxy_header\/1: Timeout during SSL handshake/, 3000, from);
    quiet.destroy();
    await sleep(10);
  });
});
