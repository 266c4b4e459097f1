// jwt_verify, jwt_header_query, jwt_payload_query. The expected results are those haproxy
// 2.6.12 gave for tokens made the same way (HS/RS/ES/PS with node:crypto, tampered and
// malformed ones), compared by hand through a set-var/return probe.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSampleExpr, sampleToString } from '../../../src/sample/index.ts';
import { base64urlDecode, JwtStatus, jwtPart, jwtVerify, loadPublicKey } from '../../../src/sample/jwt-converters.ts';
import { fakeStream } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'turnpike-jwt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (b: string | Buffer): string => Buffer.from(b).toString('base64url');

function pem(key: KeyObject, name: string): string {
  const p = join(dir, name);
  writeFileSync(p, key.export({ type: 'spki', format: 'pem' }));
  return p;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const RSA_PUB = pem(rsa.publicKey, 'rsa.pub');
const EC256_PUB = pem(ec256.publicKey, 'ec256.pub');
const EC384_PUB = pem(ec384.publicKey, 'ec384.pub');
// a certificate-like file without a PUBLIC KEY block: HAProxy 2.6 does not read certificates
const NOT_A_KEY = join(dir, 'cert.pem');
writeFileSync(NOT_A_KEY, '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n');
for (const p of [RSA_PUB, EC256_PUB, EC384_PUB, NOT_A_KEY, join(dir, 'missing.pub')]) loadPublicKey(p);

function jwt(alg: string, payload: object, key?: string | KeyObject): string {
  const input = `${b64(JSON.stringify({ alg, typ: 'JWT' }))}.${b64(JSON.stringify(payload))}`;
  const bits = alg.slice(2);
  let sig = Buffer.alloc(0);
  if (alg.startsWith('HS')) sig = createHmac(`sha${bits}`, key as string).update(input).digest();
  else if (alg.startsWith('RS')) sig = sign(`sha${bits}`, Buffer.from(input), key as KeyObject);
  else if (alg.startsWith('PS')) sig = sign(`sha${bits}`, Buffer.from(input), { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING });
  else if (alg.startsWith('ES')) sig = sign(`sha${bits}`, Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(sig)}`;
}

const hs256 = jwt('HS256', { sub: 'a', n: 5 }, 'secret');
const [h, , s] = hs256.split('.') as [string, string, string];
const tampered = `${h}.${b64(JSON.stringify({ sub: 'b', n: 5 }))}.${s}`;

test('HMAC: 1 for the right secret and algorithm, 0 otherwise', () => {
  assert.equal(jwtVerify(hs256, 'HS256', 'secret'), JwtStatus.Ok);
  assert.equal(jwtVerify(tampered, 'HS256', 'secret'), JwtStatus.Ko);
  assert.equal(jwtVerify(hs256, 'HS256', 'wrong'), JwtStatus.Ko);
  assert.equal(jwtVerify(hs256, 'HS384', 'secret'), JwtStatus.Ko);
  assert.equal(jwtVerify(jwt('HS384', { a: 1 }, 'secret'), 'HS384', 'secret'), JwtStatus.Ok);
  assert.equal(jwtVerify(jwt('HS512', { a: 1 }, 'secret'), 'HS512', 'secret'), JwtStatus.Ok);
  // a padded signature decodes to another length (HAProxy reads '=' as a digit)
  assert.equal(jwtVerify(`${hs256}=`, 'HS256', 'secret'), JwtStatus.Ko);
});

test('RSA and ECDSA with public keys loaded beforehand', () => {
  assert.equal(jwtVerify(jwt('RS256', { a: 1 }, rsa.privateKey), 'RS256', RSA_PUB), JwtStatus.Ok);
  assert.equal(jwtVerify(jwt('RS512', { a: 1 }, rsa.privateKey), 'RS512', RSA_PUB), JwtStatus.Ok);
  assert.equal(jwtVerify(jwt('RS512', { a: 1 }, rsa.privateKey), 'RS256', RSA_PUB), JwtStatus.Ko);
  assert.equal(jwtVerify(jwt('ES256', { a: 1 }, ec256.privateKey), 'ES256', EC256_PUB), JwtStatus.Ok);
  assert.equal(jwtVerify(jwt('ES384', { a: 1 }, ec384.privateKey), 'ES384', EC384_PUB), JwtStatus.Ok);
  assert.equal(jwtVerify(jwt('ES256', { a: 1 }, ec256.privateKey), 'ES256', RSA_PUB), JwtStatus.Ko);
  assert.equal(jwtVerify(hs256, 'ES256', EC256_PUB), JwtStatus.Ko);
  // an odd-length signature cannot be split into R and S
  assert.equal(jwtVerify(`${hs256.slice(0, -1)}A=`, 'ES256', EC256_PUB), JwtStatus.InvalidToken);
  assert.equal(jwtVerify(hs256, 'RS256', EC256_PUB), JwtStatus.Ko);
  // keys never loaded, files without a key, secrets taken as paths
  assert.equal(jwtVerify(hs256, 'RS256', join(dir, 'missing.pub')), JwtStatus.UnknownCert);
  assert.equal(jwtVerify(hs256, 'RS256', NOT_A_KEY), JwtStatus.UnknownCert);
  assert.equal(jwtVerify(hs256, 'RS256', 'secret'), JwtStatus.UnknownCert);
});

test('ECDSA R and S are read as integers: zero bytes in front change nothing (BN_bin2bn)', () => {
  const t = jwt('ES256', { a: 1 }, ec256.privateKey);
  const dot = t.lastIndexOf('.');
  const sig = base64urlDecode(t, dot + 1, t.length)!;
  const padded = Buffer.concat([Buffer.from([0]), sig.subarray(0, 32), Buffer.from([0]), sig.subarray(32)]);
  assert.equal(jwtVerify(`${t.slice(0, dot)}.${b64(padded)}`, 'ES256', EC256_PUB), JwtStatus.Ok);
  const shifted = Buffer.concat([Buffer.from([0]), sig.subarray(0, 33), sig.subarray(33)]);
  assert.equal(jwtVerify(`${t.slice(0, dot)}.${b64(Buffer.concat([shifted, Buffer.from([0])]))}`, 'ES256', EC256_PUB), JwtStatus.Ko);
});

test('"none", PS*, unknown algorithms and malformed tokens', () => {
  const [nh, np] = jwt('none', { a: 1 }).split('.') as [string, string];
  assert.equal(jwtVerify(`${nh}.${np}.`, 'none', ''), JwtStatus.Ok);
  assert.equal(jwtVerify(`${nh}.${np}`, 'none', ''), JwtStatus.Ok);
  assert.equal(jwtVerify('..', 'none', ''), JwtStatus.Ok);
  assert.equal(jwtVerify(hs256, 'none', ''), JwtStatus.Ko);
  assert.equal(jwtVerify(`${nh}.${np}`, 'HS256', 'secret'), JwtStatus.InvalidToken);
  assert.equal(jwtVerify(`${nh}.${np}.`, 'HS256', 'secret'), JwtStatus.InvalidToken);
  assert.equal(jwtVerify(jwt('PS256', { a: 1 }, rsa.privateKey), 'PS256', RSA_PUB), JwtStatus.UnmanagedAlg);
  assert.equal(jwtVerify(hs256, 'XX256', 'secret'), JwtStatus.UnknownAlg);
  assert.equal(jwtVerify(hs256, 'hs256', 'secret'), JwtStatus.UnknownAlg);
  assert.equal(jwtVerify('a.b.c.d', 'HS256', 'secret'), JwtStatus.InvalidToken);
  assert.equal(jwtVerify('abc', 'HS256', 'secret'), JwtStatus.InvalidToken);
  assert.equal(jwtVerify('..', 'HS256', 'secret'), JwtStatus.InvalidToken);
  assert.equal(jwtVerify(`${hs256.slice(0, -1)}*`, 'HS256', 'secret'), JwtStatus.InvalidToken);
  assert.equal(jwtVerify(`${h}..${s}`, 'HS256', 'secret'), JwtStatus.Ko);
});

test("base64url as HAProxy decodes it: no 4n+1 length, '=' read as '_'", () => {
  const dec = (t: string): string | null => base64urlDecode(t, 0, t.length)?.toString('hex').toUpperCase() ?? null;
  const cases: [string, string | null][] = [
    ['QQ', '41'], ['QUI', '4142'], ['QUJD', '414243'], ['Q', null], ['QQ==', '410FFF'], ['QUI=', '41423F'], ['QUJD=', null],
    ['QQ=', '410F'], ['Q===', '43FFFF'], ['_-8', 'FFEF'], ['+/8', null], ['QU=D', '414FC3'], ['QUJDRA', '41424344'],
    ['=QUJ', 'FD0509'], ['QUJD====', '414243FFFFFF'], ['QUJ*', null], ['', ''],
  ];
  for (const [t, want] of cases) assert.equal(dec(t), want, t);
});

test('token parts as the query converters read them', () => {
  assert.equal(jwtPart(hs256, 0), '{"alg":"HS256","typ":"JWT"}');
  assert.equal(jwtPart(hs256, 1), '{"sub":"a","n":5}');
  assert.equal(jwtPart('eyJhIjoxfQ', 0), '{"a":1}');
  assert.equal(jwtPart('eyJhIjoxfQ', 1), null);
  assert.equal(jwtPart('e30.eyJuIjoyfQ.x.y', 1), '{"n":2}');
  assert.equal(jwtPart('e30.e*', 1), null);
});

function ev(expr: string, token: string, vars: Record<string, string> = {}): string | null {
  const e = parseSampleExpr(expr);
  if (typeof e === 'string') throw new Error(`${expr}: ${e}`);
  const st = fakeStream();
  st.vars('txn').set('tok', { type: 'str', value: token });
  for (const [k, v] of Object.entries(vars)) st.vars('txn').set(k, { type: 'str', value: v });
  const r = e.eval(st);
  return r === null ? null : sampleToString(r);
}

test('the converters in expressions', () => {
  assert.equal(ev("var(txn.tok),jwt_verify('HS256','secret')", hs256), '1');
  assert.equal(ev("var(txn.tok),jwt_verify('HS256','secret')", tampered), '0');
  assert.equal(ev(`var(txn.tok),jwt_verify('RS256','${RSA_PUB}')`, jwt('RS256', {}, rsa.privateKey)), '1');
  // variables for the algorithm (the doc's example) and the secret; an unset one gives nothing
  assert.equal(ev('var(txn.tok),jwt_verify(txn.alg,txn.key)', hs256, { alg: 'HS256', key: 'secret' }), '1');
  assert.equal(ev('var(txn.tok),jwt_verify(txn.alg,txn.key)', hs256, { alg: 'PS256', key: 'secret' }), '-2');
  assert.equal(ev("var(txn.tok),jwt_verify(txn.alg,'secret')", hs256), null);
  assert.equal(ev("var(txn.tok),jwt_header_query('$.alg')", hs256), 'HS256');
  assert.equal(ev("var(txn.tok),jwt_payload_query('$.n','int'),add(1)", hs256), '6');
  assert.equal(ev("var(txn.tok),jwt_payload_query('$.sub')", tampered), 'b');
  // without a path, haproxy 2.6.12 returns no sample
  assert.equal(ev('var(txn.tok),jwt_header_query', hs256), null);
  assert.equal(ev("var(txn.tok),jwt_payload_query('','int')", hs256), null);
});

test('load-time checks, worded as HAProxy', () => {
  const err = (e: string): string | object => parseSampleExpr(e);
  assert.equal(err("req.body,jwt_verify('XX256','secret')"), "invalid args in converter 'jwt_verify' : unknown JWT algorithm: XX256");
  assert.equal(err("req.body,jwt_verify('','secret')"), "invalid args in converter 'jwt_verify' : unknown JWT algorithm: ");
  assert.equal(err("req.body,jwt_verify(txn.a-b,'secret')"), "invalid args in converter 'jwt_verify' : unknown JWT algorithm: txn.a-b");
  assert.equal(err("req.body,jwt_verify('PS256','/x.pem')"), "invalid args in converter 'jwt_verify' : RSASSA-PSS JWS signing not managed yet");
  assert.equal(err("req.body,jwt_verify('HS256')"), "invalid arg 2 in converter 'jwt_verify' : missing arguments (got 1/2), type 'string' expected");
  assert.equal(err("req.body,jwt_header_query('$.a','x')"), 'invalid args in converter \'jwt_header_query\' : output_type only supports "int" as argument');
  for (const ok of ["req.body,jwt_verify('none','x')", 'req.body,jwt_verify(txn.a,txn.k)', "req.body,jwt_header_query('')", 'req.body,jwt_payload_query', "int(1),jwt_verify('HS256','x')"]) {
    assert.equal(typeof err(ok), 'object', ok);
  }
});

test('property: jwt_verify and the queries never throw', () => {
  const part = fc.string({ unit: fc.constantFrom(...'eyJhbGciOiJIUzI1NiJ9._-=+/*'.split('')), maxLength: 40 });
  const alg = fc.constantFrom('HS256', 'RS256', 'ES256', 'ES384', 'PS256', 'none', 'x');
  fc.assert(fc.property(part, alg, fc.constantFrom('secret', RSA_PUB, EC256_PUB), (token, a, key) => {
    const r = jwtVerify(token, a, key);
    assert.ok([1, 0, -1, -2, -3, -5].includes(r));
    jwtPart(token, 0);
    jwtPart(token, 1);
  }), { numRuns: 3000 });
});
