// Test certificates made with the openssl command in a temporary directory (no private key is
// ever committed): a CA, server certificates for a.test (with alt.a.test) and b.test, a
// wildcard *.wild.test, a client certificate signed by the CA and a self-signed "rogue" one.
// P-256 keys keep the generation fast.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  readonly dir: string;
  /** Directory holding a.pem, b.pem and wild.pem (certificate + key each). */
  readonly certsDir: string;
  readonly caCrt: string;
  readonly clientCrt: string;
  readonly clientKey: string;
  /** The client certificate and its key in one file (a server's "crt"). */
  readonly clientPem: string;
  readonly rogueCrt: string;
  readonly rogueKey: string;
  /** a.test certificate and key, separately (for Node servers). */
  readonly aCrt: string;
  readonly aKey: string;
}

export function openssl(args: readonly string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A key and a certificate signed by the test CA; `san` as for subjectAltName ("DNS:a,DNS:b"), empty for none. */
export function signedCert(dir: string, name: string, subj: string, san: string, extraReq: readonly string[] = []): void {
  openssl(['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj, ...extraReq], dir);
  const ext = san ? ['-extfile', `${name}.ext`] : [];
  if (san) writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...ext], dir);
}

export function makeTestCerts(dir: string): TestCerts {
  openssl(['req', '-x509', ...KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/C=FR/O=Test CA/CN=Test Root'], dir);
  signedCert(dir, 'a', '/CN=a.test', 'DNS:a.test,DNS:alt.a.test');
  signedCert(dir, 'b', '/CN=b.test', 'DNS:b.test');
  signedCert(dir, 'wild', '/CN=*.wild.test', 'DNS:*.wild.test');
  signedCert(dir, 'client', '/C=FR/ST=Paris/O=Acme/CN=client one', '');
  openssl(['req', '-x509', ...KEY, '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue'], dir);
  const certsDir = join(dir, 'certs');
  mkdirSync(certsDir);
  writeFileSync(join(dir, 'client.pem'), readFileSync(join(dir, 'client.crt'), 'latin1') + readFileSync(join(dir, 'client.key'), 'latin1'));
  for (const n of ['a', 'b', 'wild']) {
    writeFileSync(join(certsDir, `${n}.pem`), readFileSync(join(dir, `${n}.crt`), 'latin1') + readFileSync(join(dir, `${n}.key`), 'latin1'));
  }
  return {
    dir, certsDir, caCrt: join(dir, 'ca.crt'), clientCrt: join(dir, 'client.crt'), clientKey: join(dir, 'client.key'), clientPem: join(dir, 'client.pem'),
    rogueCrt: join(dir, 'rogue.crt'), rogueKey: join(dir, 'rogue.key'), aCrt: join(dir, 'a.crt'), aKey: join(dir, 'a.key'),
  };
}
