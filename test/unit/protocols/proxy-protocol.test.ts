import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildProxyV1, buildProxyV2, buildProxyV2Local, canonicalV6, parseProxyHeader, PP2_SIGNATURE,
  PP2_TYPE_CRC32C, PP2_TYPE_UNIQUE_ID, PP2_TYPE_AUTHORITY, type ProxyParseResult, type ProxyTlv,
} from '../../../src/protocols/proxy-protocol.ts';
import { crc32c } from '../../../src/lb/hash.ts';

const port = fc.integer({ min: 0, max: 65535 });
/** TLVs the parser accepts as they are (no CRC32C, bounded authority/unique-id). */
const tlv: fc.Arbitrary<ProxyTlv> = fc.record({
  type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== PP2_TYPE_CRC32C && t !== PP2_TYPE_AUTHORITY && t !== PP2_TYPE_UNIQUE_ID),
  value: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
});

function ok(r: ProxyParseResult): Extract<ProxyParseResult, { kind: 'ok' }> {
  assert.equal(r.kind, 'ok', r.kind === 'error' ? r.reason : 'incomplete');
  return r as Extract<ProxyParseResult, { kind: 'ok' }>;
}

function isError(r: ProxyParseResult): boolean {
  return r.kind === 'error';
}

/** Every strict prefix is 'incomplete', the whole header (with or without trailing data) parses the same. */
function assertIncremental(header: Buffer): void {
  for (let k = 0; k < header.length; k++) {
    const r = parseProxyHeader(header.subarray(0, k));
    assert.equal(r.kind, 'incomplete', `prefix of ${k}/${header.length} bytes: ${JSON.stringify(r)}`);
  }
  const whole = ok(parseProxyHeader(header));
  assert.equal(whole.consumed, header.length);
  const more = ok(parseProxyHeader(Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\n\r\n')])));
  assert.equal(more.consumed, header.length);
  assert.deepEqual(more.header, whole.header);
}

test('v1 TCP4 round trip', () => {
  fc.assert(fc.property(fc.ipV4(), fc.ipV4(), port, port, (src, dst, sp, dp) => {
    const b = buildProxyV1(src, sp, dst, dp, 'tcp4');
    assert.equal(b.toString('latin1'), `PROXY TCP4 ${src} ${dst} ${sp} ${dp}\r\n`);
    assert.ok(b.length <= 107);
    const r = ok(parseProxyHeader(b));
    assert.equal(r.consumed, b.length);
    assert.deepEqual(r.header, { version: 1, command: 'PROXY', family: 'tcp4', src, srcPort: sp, dst, dstPort: dp, tlvs: [] });
  }));
});

test('v1 TCP6 round trip (addresses in inet_ntop form)', () => {
  fc.assert(fc.property(fc.ipV6(), fc.ipV6(), port, port, (src, dst, sp, dp) => {
    const b = buildProxyV1(src, sp, dst, dp, 'tcp6');
    assert.ok(b.length <= 107);
    const r = ok(parseProxyHeader(b));
    assert.equal(r.consumed, b.length);
    assert.equal(r.header.family, 'tcp6');
    assert.equal(r.header.src, canonicalV6(src));
    assert.equal(r.header.dst, canonicalV6(dst));
    assert.equal(r.header.srcPort, sp);
    assert.equal(r.header.dstPort, dp);
  }));
});

test('v2 round trip over TCP4 and TCP6 with TLVs, with and without CRC32C', () => {
  fc.assert(fc.property(
    fc.oneof(fc.tuple(fc.ipV4(), fc.ipV4()), fc.tuple(fc.ipV6(), fc.ipV6())), port, port, fc.array(tlv, { maxLength: 4 }), fc.boolean(),
    ([src, dst], sp, dp, tlvs, crc) => {
      const v4 = !src.includes(':');
      const b = buildProxyV2(src, sp, dst, dp, v4 ? 'tcp4' : 'tcp6', { tlvs, crc32c: crc });
      assert.deepEqual(b.subarray(0, 12), PP2_SIGNATURE);
      assert.equal(b[12], 0x21);
      assert.equal(b[13], v4 ? 0x11 : 0x21);
      const r = ok(parseProxyHeader(b));
      assert.equal(r.consumed, b.length);
      const h = r.header;
      assert.equal(h.version, 2);
      assert.equal(h.command, 'PROXY');
      assert.equal(h.family, v4 ? 'tcp4' : 'tcp6');
      assert.equal(h.src, v4 ? src : canonicalV6(src));
      assert.equal(h.dst, v4 ? dst : canonicalV6(dst));
      assert.equal(h.srcPort, sp);
      assert.equal(h.dstPort, dp);
      const got = crc ? h.tlvs.slice(1) : h.tlvs;
      if (crc) assert.equal(h.tlvs[0]!.type, PP2_TYPE_CRC32C);
      assert.deepEqual(got.map((t) => [t.type, t.value.toString('hex')]), tlvs.map((t) => [t.type, t.value.toString('hex')]));
    },
  ));
});

test('every split point gives incomplete, then the same result (property)', () => {
  fc.assert(fc.property(
    fc.oneof(
      fc.tuple(fc.ipV4(), fc.ipV4(), port, port).map(([s, d, a, b]) => buildProxyV1(s, a, d, b, 'tcp4')),
      fc.tuple(fc.ipV6(), fc.ipV6(), port, port).map(([s, d, a, b]) => buildProxyV1(s, a, d, b, 'tcp6')),
      fc.tuple(fc.ipV4(), fc.ipV6(), port, port, fc.array(tlv, { maxLength: 3 })).map(([s, d, a, b, t]) => buildProxyV2(s, a, d, b, 'tcp6', { tlvs: t })),
      fc.tuple(fc.ipV4(), fc.ipV4(), port, port, fc.array(tlv, { maxLength: 3 })).map(([s, d, a, b, t]) => buildProxyV2(s, a, d, b, 'tcp4', { tlvs: t, crc32c: true })),
      fc.array(tlv, { maxLength: 3 }).map((t) => buildProxyV2Local(t)),
    ),
    (h) => assertIncremental(h),
  ), { numRuns: 60 });
});

test('split points of fixed headers', () => {
  assertIncremental(Buffer.from('PROXY UNKNOWN\r\n'));
  assertIncremental(Buffer.from('PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n'));
  assertIncremental(buildProxyV1('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 65535, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 65535, 'tcp6'));
  assertIncremental(buildProxyV2Local());
});

test('mixed IPv4/IPv6 addresses are sent as TCP6 with IPv4-mapped addresses, as HAProxy', () => {
  assert.equal(buildProxyV1('10.0.0.1', 1234, '2001:db8::1', 80, 'tcp6').toString(), 'PROXY TCP6 ::ffff:10.0.0.1 2001:db8::1 1234 80\r\n');
  const r = ok(parseProxyHeader(buildProxyV2('10.0.0.1', 1234, '2001:db8::1', 80, 'tcp6')));
  assert.equal(r.header.family, 'tcp6');
  assert.equal(r.header.src, '::ffff:10.0.0.1');
});

test('UNIX sockets and unknown addresses: "PROXY UNKNOWN" and v2 LOCAL/UNSPEC', () => {
  assert.equal(buildProxyV1('/tmp/a.sock', 0, '/tmp/b.sock', 0, 'unix').toString(), 'PROXY UNKNOWN\r\n');
  assert.equal(buildProxyV1('', 0, '', 0, 'unknown').toString(), 'PROXY UNKNOWN\r\n');
  assert.equal(buildProxyV1('not-an-ip', 1, '1.2.3.4', 2, 'tcp4').toString(), 'PROXY UNKNOWN\r\n');
  // Exactly what HAProxy 2.6 sends on a check with send-proxy-v2 (captured from /usr/sbin/haproxy).
  assert.equal(buildProxyV2Local().toString('hex'), '0d0a0d0a000d0a515549540a20000000');
  assert.equal(buildProxyV2('/a', 0, '/b', 0, 'unix').toString('hex'), '0d0a0d0a000d0a515549540a20000000');
  const u = ok(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')));
  assert.deepEqual(u.header, { version: 1, command: 'PROXY', family: 'unknown', tlvs: [] });
  // The receiver must ignore what follows UNKNOWN (doc/proxy-protocol.txt 2.1).
  assert.equal(ok(parseProxyHeader(Buffer.from('PROXY UNKNOWN ::1 ::2 1 2\r\n'))).header.family, 'unknown');
  const l = ok(parseProxyHeader(buildProxyV2Local([{ type: 0xe0, value: Buffer.from('x') }])));
  assert.equal(l.header.command, 'LOCAL');
  assert.equal(l.header.family, 'unknown');
  assert.equal(l.header.src, undefined);
  assert.deepEqual(l.header.tlvs.map((t) => [t.type, t.value.toString()]), [[0xe0, 'x']]);
});

test('v2 UNIX stream addresses, UNSPEC and datagram families', () => {
  const hdr = Buffer.alloc(16 + 216);
  PP2_SIGNATURE.copy(hdr);
  hdr[12] = 0x21;
  hdr[13] = 0x31;
  hdr.writeUInt16BE(216, 14);
  hdr.write('/run/a.sock', 16);
  hdr.write('/run/b.sock', 16 + 108);
  const r = ok(parseProxyHeader(hdr));
  assert.equal(r.header.family, 'unix');
  assert.equal(r.header.src, '/run/a.sock');
  assert.equal(r.header.dst, '/run/b.sock');
  const udp = Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x12, 0, 12]), Buffer.alloc(12)]);
  assert.equal(ok(parseProxyHeader(udp)).header.family, 'unknown');
  const unspec = Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x00, 0, 0])]);
  assert.equal(ok(parseProxyHeader(unspec)).header.family, 'unknown');
});

test('CRC32C is the Castagnoli checksum and is verified', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const b = buildProxyV2('1.2.3.4', 1, '5.6.7.8', 2, 'tcp4', { crc32c: true });
  ok(parseProxyHeader(b));
  const bad = Buffer.from(b);
  bad[16] ^= 1; // change the source address, keep the checksum
  assert.match((parseProxyHeader(bad) as { reason: string }).reason, /CRC32C/);
});

test('malformed headers are errors', () => {
  const v1 = (s: string): ProxyParseResult => parseProxyHeader(Buffer.from(s, 'latin1'));
  const cases: [string, ProxyParseResult][] = [
    ['not a header', v1('GET / HTTP/1.1\r\n\r\n')],
    ['bad first byte', parseProxyHeader(Buffer.from([0x00, 0x01]))],
    ['bad v1 prefix', v1('PROXX TCP4')],
    ['lower case', v1('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n')],
    ['unknown protocol', v1('PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n')],
    ['unknown protocol, early', v1('PROXY UDP4 ')],
    ['LF only', v1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n')],
    ['CR without LF', v1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx')],
    ['two spaces', v1('PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n')],
    ['missing port', v1('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n')],
    ['extra field', v1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n')],
    ['bad IPv4', v1('PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n')],
    ['IPv4 heading zero', v1('PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n')],
    ['port heading zero', v1('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n')],
    ['port too large', v1('PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n')],
    ['IPv6 in TCP4', v1('PROXY TCP4 ::1 ::2 1 2\r\n')],
    ['IPv4 in TCP6', v1('PROXY TCP6 1.2.3.4 ::2 1 2\r\n')],
    ['zone index', v1('PROXY TCP6 fe80::1%eth0 ::2 1 2\r\n')],
    ['junk in addresses, early', v1('PROXY TCP4 1.2.x')],
    ['too long', v1(`PROXY UNKNOWN ${'a'.repeat(120)}`)],
    ['too long without CRLF at 107', v1(`PROXY TCP6 ${'1'.repeat(96)}`)],
    ['bad v2 signature', parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x55]))],
    ['v2 version 1', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x11, 0x11, 0, 12]), Buffer.alloc(12)]))],
    ['v2 command 2', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x22, 0x11, 0, 12]), Buffer.alloc(12)]))],
    ['v2 bad family', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x41, 0, 0])]))],
    ['v2 bad transport', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x13, 0, 12]), Buffer.alloc(12)]))],
    ['v2 length too short for TCP4', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x11, 0, 8]), Buffer.alloc(8)]))],
    ['v2 length too short for TCP6', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x21, 0, 12]), Buffer.alloc(12)]))],
    ['v2 length too short for UNIX', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x31, 0, 36]), Buffer.alloc(36)]))],
    ['v2 truncated TLV header', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x11, 0, 14]), Buffer.alloc(12), Buffer.from([0xe0, 0])]))],
    ['v2 TLV beyond the header', parseProxyHeader(Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21, 0x11, 0, 16]), Buffer.alloc(12), Buffer.from([0xe0, 0, 5, 1])]))],
    ['v2 unique-id too long', parseProxyHeader(buildProxyV2('1.2.3.4', 1, '5.6.7.8', 2, 'tcp4', { tlvs: [{ type: PP2_TYPE_UNIQUE_ID, value: Buffer.alloc(129) }] }))],
    ['v2 CRC32C of 3 bytes', parseProxyHeader(buildProxyV2('1.2.3.4', 1, '5.6.7.8', 2, 'tcp4', { tlvs: [{ type: PP2_TYPE_CRC32C, value: Buffer.alloc(3) }] }))],
    ['v2 over the length limit', parseProxyHeader(buildProxyV2('1.2.3.4', 1, '5.6.7.8', 2, 'tcp4', { tlvs: [{ type: 0xe0, value: Buffer.alloc(100) }] }), { maxV2Length: 64 })],
  ];
  for (const [name, r] of cases) assert.ok(isError(r), `${name}: ${JSON.stringify(r)}`);
  // A unique-id of exactly 128 bytes is fine.
  ok(parseProxyHeader(buildProxyV2('1.2.3.4', 1, '5.6.7.8', 2, 'tcp4', { tlvs: [{ type: PP2_TYPE_UNIQUE_ID, value: Buffer.alloc(128) }] })));
});

test('builders reject invalid ports', () => {
  assert.throws(() => buildProxyV1('1.2.3.4', 70000, '1.2.3.4', 1, 'tcp4'), RangeError);
  assert.throws(() => buildProxyV2('1.2.3.4', 1, '1.2.3.4', -1, 'tcp4'), RangeError);
});

test('never throws on random bytes, and junk is never accepted silently', () => {
  const prefixes = [Buffer.alloc(0), Buffer.from('PROXY '), Buffer.from('PROXY TCP4 '), Buffer.from('PROXY TCP6 '), PP2_SIGNATURE, Buffer.concat([PP2_SIGNATURE, Buffer.from([0x21])])];
  fc.assert(fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 300 }), (p, bytes) => {
    const buf = Buffer.concat([p, Buffer.from(bytes)]);
    const r = parseProxyHeader(buf);
    assert.ok(r.kind === 'incomplete' || r.kind === 'error' || r.kind === 'ok');
    if (r.kind === 'ok') {
      assert.ok(r.consumed > 0 && r.consumed <= buf.length);
      // Whatever was accepted parses the same when given exactly.
      assert.deepEqual(parseProxyHeader(buf.subarray(0, r.consumed)), r);
    }
  }), { numRuns: 2000 });
});
