// The PROXY protocol (doc/proxy-protocol.txt): version 1 (one text line) and version 2
// (binary, with TLVs). The parser is incremental: call it again with more bytes until it
// says 'ok' or 'error'. The builders produce what HAProxy's make_proxy_line_v1/v2 emit.
import { isIPv4, isIPv6 } from 'node:net';
import { parseIPv6, formatIPv6 } from '../sample/ip.ts';
import { crc32c } from '../lb/hash.ts';

export type ProxyFamily = 'tcp4' | 'tcp6' | 'unix' | 'unknown';

export interface ProxyTlv {
  readonly type: number;
  readonly value: Buffer;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly command: 'PROXY' | 'LOCAL';
  readonly family: ProxyFamily;
  readonly src?: string;
  readonly srcPort?: number;
  readonly dst?: string;
  readonly dstPort?: number;
  readonly tlvs: ProxyTlv[];
}

export type ProxyParseResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'error'; readonly reason: string }
  | { readonly kind: 'ok'; readonly consumed: number; readonly header: ProxyHeader };

export interface ProxyParseOptions {
  /** Largest v2 header accepted (16 + length field); larger ones are errors. Default: no limit (65551). */
  readonly maxV2Length?: number;
}

/** TLV types registered in the specification (section 2.2). */
export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_AUTHORITY = 0x02;
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_UNIQUE_ID = 0x05;
export const PP2_TYPE_SSL = 0x20;
export const PP2_TYPE_NETNS = 0x30;

/** The 12-byte v2 signature. */
export const PP2_SIGNATURE: Buffer = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const PP2_HEADER_LEN = 16;
/** Longest v1 line including CRLF ("PROXY UNKNOWN" + two full IPv6 addresses and ports). */
export const PP1_MAX_LENGTH = 107;
/** Limits HAProxy enforces on received TLVs (PP2_AUTHORITY_MAX, UNIQUEID_LEN). */
const PP2_AUTHORITY_MAX = 255;
const PP2_UNIQUE_ID_MAX = 128;
const UNIX_ADDR_LEN = 108;

const INCOMPLETE: ProxyParseResult = { kind: 'incomplete' };
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

function fail(reason: string): ProxyParseResult {
  return { kind: 'error', reason };
}

/** Parses a PROXY protocol header at the start of `buf`. Never throws. */
export function parseProxyHeader(buf: Buffer, opts: ProxyParseOptions = {}): ProxyParseResult {
  try {
    if (buf.length === 0) return INCOMPLETE;
    if (buf[0] === V1_PREFIX[0]) return parseV1(buf);
    if (buf[0] === PP2_SIGNATURE[0]) return parseV2(buf, opts);
    return fail('not a PROXY protocol header');
  } catch (e) {
    // Defensive: the parsers do not throw, but a bug must not take a connection handler down.
    return fail(`invalid PROXY protocol header (${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------
// Version 1

function parseV1(buf: Buffer): ProxyParseResult {
  const n = Math.min(buf.length, V1_PREFIX.length);
  if (buf.compare(V1_PREFIX, 0, n, 0, n) !== 0) return fail('not a PROXY protocol header');
  // Find the CRLF within the first 107 bytes; a lone CR or LF is an error.
  const limit = Math.min(buf.length, PP1_MAX_LENGTH);
  let end = -1;
  for (let i = 0; i < limit; i++) {
    const c = buf[i]!;
    if (c === 0x0a) return fail('PROXY v1 header line must end with CRLF (LF without CR)');
    if (c === 0x0d) {
      if (i + 1 >= buf.length) {
        if (i + 1 >= PP1_MAX_LENGTH) return fail(`PROXY v1 header longer than ${PP1_MAX_LENGTH} bytes`);
        return earlyV1Check(buf, i) ?? INCOMPLETE;
      }
      if (buf[i + 1] !== 0x0a) return fail('PROXY v1 header line must end with CRLF (CR without LF)');
      end = i;
      break;
    }
  }
  if (end < 0) {
    if (buf.length >= PP1_MAX_LENGTH) return fail(`PROXY v1 header longer than ${PP1_MAX_LENGTH} bytes`);
    return earlyV1Check(buf, buf.length) ?? INCOMPLETE;
  }
  const line = buf.toString('latin1', V1_PREFIX.length, end);
  const consumed = end + 2;
  if (line === 'UNKNOWN' || line.startsWith('UNKNOWN ')) {
    // "For UNKNOWN, the rest of the line before the CRLF may be omitted by the sender, and
    // the receiver must ignore anything presented before the CRLF is found."
    return { kind: 'ok', consumed, header: { version: 1, command: 'PROXY', family: 'unknown', tlvs: [] } };
  }
  const parts = line.split(' ');
  const proto = parts[0];
  if (proto !== 'TCP4' && proto !== 'TCP6') return fail(`unsupported protocol '${proto}' in PROXY v1 header`);
  if (parts.length !== 5) return fail('malformed PROXY v1 header (expects exactly one space between 5 fields)');
  const [, s, d, sp, dp] = parts as [string, string, string, string, string];
  let src: string | null;
  let dst: string | null;
  if (proto === 'TCP4') {
    src = isIPv4(s) ? s : null;
    dst = isIPv4(d) ? d : null;
  } else {
    src = canonicalV6(s);
    dst = canonicalV6(d);
  }
  if (src === null) return fail(`invalid source address '${s}' in PROXY v1 header`);
  if (dst === null) return fail(`invalid destination address '${d}' in PROXY v1 header`);
  const srcPort = parsePort(sp);
  const dstPort = parsePort(dp);
  if (srcPort === null) return fail(`invalid source port '${sp}' in PROXY v1 header`);
  if (dstPort === null) return fail(`invalid destination port '${dp}' in PROXY v1 header`);
  return {
    kind: 'ok',
    consumed,
    header: { version: 1, command: 'PROXY', family: proto === 'TCP4' ? 'tcp4' : 'tcp6', src, srcPort, dst, dstPort, tlvs: [] },
  };
}

/** Rejects a partial line early when it can no longer become a valid header. */
function earlyV1Check(buf: Buffer, upto: number): ProxyParseResult | null {
  if (upto <= V1_PREFIX.length) return null;
  const tail = buf.toString('latin1', V1_PREFIX.length, upto);
  for (const p of ['TCP4 ', 'TCP6 ', 'UNKNOWN']) {
    if (p.startsWith(tail) || tail.startsWith(p)) {
      if (p === 'UNKNOWN' || tail.length <= p.length) return null;
      // Addresses and ports: only these characters may appear.
      const allowed = p === 'TCP4 ' ? /^[0-9. ]*$/ : /^[0-9A-Fa-f:. ]*$/;
      return allowed.test(tail.slice(p.length)) ? null : fail('malformed PROXY v1 header');
    }
  }
  return fail(`unsupported protocol in PROXY v1 header`);
}

function parsePort(text: string): number | null {
  // Decimal, 0..65535, no heading zeroes (doc/proxy-protocol.txt section 2.1).
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

// ---------------------------------------------------------------------------------------
// Version 2

/** Address block length for each valid family/transport byte. */
const V2_ADDR_LEN: ReadonlyMap<number, number> = new Map([
  [0x00, 0], [0x11, 12], [0x12, 12], [0x21, 36], [0x22, 36], [0x31, 216], [0x32, 216],
]);

function parseV2(buf: Buffer, opts: ProxyParseOptions): ProxyParseResult {
  const n = Math.min(buf.length, PP2_SIGNATURE.length);
  if (buf.compare(PP2_SIGNATURE, 0, n, 0, n) !== 0) return fail('not a PROXY protocol header (bad v2 signature)');
  if (buf.length > 12 && buf[12]! >> 4 !== 2) return fail(`unsupported PROXY protocol version ${buf[12]! >> 4}`);
  if (buf.length > 12 && (buf[12]! & 0x0f) > 1) return fail(`unsupported PROXY v2 command 0x${(buf[12]! & 0x0f).toString(16)}`);
  const cmd = buf.length > 12 ? buf[12]! & 0x0f : -1;
  if (cmd === 1 && buf.length > 13 && !V2_ADDR_LEN.has(buf[13]!)) {
    return fail(`invalid PROXY v2 address family/protocol 0x${buf[13]!.toString(16).padStart(2, '0')}`);
  }
  if (buf.length < PP2_HEADER_LEN) return INCOMPLETE;
  const fam = buf[13]!;
  const len = buf.readUInt16BE(14);
  const total = PP2_HEADER_LEN + len;
  if (opts.maxV2Length !== undefined && total > opts.maxV2Length) return fail(`PROXY v2 header too long (${total} bytes)`);
  const addrLen = V2_ADDR_LEN.get(fam);
  if (cmd === 1 && len < addrLen!) return fail(`PROXY v2 length ${len} too short for the address family (needs ${addrLen})`);
  if (buf.length < total) return INCOMPLETE;
  const hdr = buf.subarray(0, total);

  if (cmd === 0) {
    // LOCAL: the receiver uses the real endpoints and ignores the address block. TLVs after
    // the announced block are reported when they are well formed.
    const tlvs = addrLen !== undefined && addrLen <= len ? parseTlvs(hdr, PP2_HEADER_LEN + addrLen, false) : null;
    return { kind: 'ok', consumed: total, header: { version: 2, command: 'LOCAL', family: 'unknown', tlvs: typeof tlvs === 'string' || !tlvs ? [] : tlvs } };
  }

  const a = PP2_HEADER_LEN;
  let header: ProxyHeader;
  if (fam === 0x11) {
    const tlvs = parseTlvs(hdr, a + 12, true);
    if (typeof tlvs === 'string') return fail(tlvs);
    header = {
      version: 2, command: 'PROXY', family: 'tcp4',
      src: v4Text(hdr, a), dst: v4Text(hdr, a + 4), srcPort: hdr.readUInt16BE(a + 8), dstPort: hdr.readUInt16BE(a + 10), tlvs,
    };
  } else if (fam === 0x21) {
    const tlvs = parseTlvs(hdr, a + 36, true);
    if (typeof tlvs === 'string') return fail(tlvs);
    header = {
      version: 2, command: 'PROXY', family: 'tcp6',
      src: formatV6(hdr.subarray(a, a + 16)), dst: formatV6(hdr.subarray(a + 16, a + 32)),
      srcPort: hdr.readUInt16BE(a + 32), dstPort: hdr.readUInt16BE(a + 34), tlvs,
    };
  } else if (fam === 0x31) {
    const tlvs = parseTlvs(hdr, a + 2 * UNIX_ADDR_LEN, true);
    if (typeof tlvs === 'string') return fail(tlvs);
    header = {
      version: 2, command: 'PROXY', family: 'unix',
      src: unixPath(hdr.subarray(a, a + UNIX_ADDR_LEN)), dst: unixPath(hdr.subarray(a + UNIX_ADDR_LEN, a + 2 * UNIX_ADDR_LEN)), tlvs,
    };
  } else {
    // UNSPEC or datagram transports: valid, but the addresses are not used (HAProxy keeps the
    // connection's own addresses) and the block is not decoded.
    header = { version: 2, command: 'PROXY', family: 'unknown', tlvs: [] };
  }
  return { kind: 'ok', consumed: total, header };
}

/** Decodes the TLVs from `offset` to the end of `hdr`; returns an error text when malformed. */
function parseTlvs(hdr: Buffer, offset: number, strict: boolean): ProxyTlv[] | string {
  const tlvs: ProxyTlv[] = [];
  let off = offset;
  while (off < hdr.length) {
    if (off + 3 > hdr.length) return 'truncated TLV in PROXY v2 header';
    const type = hdr[off]!;
    const vlen = hdr.readUInt16BE(off + 1);
    const start = off + 3;
    if (start + vlen > hdr.length) return 'TLV exceeds the PROXY v2 header length';
    const value = Buffer.from(hdr.subarray(start, start + vlen));
    if (strict) {
      if (type === PP2_TYPE_CRC32C) {
        if (vlen !== 4) return 'invalid CRC32C TLV length in PROXY v2 header';
        const copy = Buffer.from(hdr);
        copy.fill(0, start, start + 4);
        if (crc32c(copy) !== value.readUInt32BE(0)) return 'CRC32C mismatch in PROXY v2 header';
      } else if (type === PP2_TYPE_AUTHORITY && vlen > PP2_AUTHORITY_MAX) {
        return 'authority TLV too long in PROXY v2 header';
      } else if (type === PP2_TYPE_UNIQUE_ID && vlen > PP2_UNIQUE_ID_MAX) {
        return 'unique-id TLV too long in PROXY v2 header';
      }
    }
    tlvs.push({ type, value });
    off = start + vlen;
  }
  return tlvs;
}

function v4Text(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function unixPath(b: Buffer): string {
  // NUL-terminated; an abstract address starts with a NUL byte.
  const from = b[0] === 0 ? 1 : 0;
  let end = b.indexOf(0, from);
  if (end < 0) end = b.length;
  return (from ? '\0' : '') + b.toString('utf8', from, end);
}

// ---------------------------------------------------------------------------------------
// Builders

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`invalid ${what} port ${p} for a PROXY header`);
}

/** The two addresses as HAProxy sends them: TCP4 when both are IPv4, else TCP6 (IPv4 mapped). */
function inetPair(src: string, dst: string, family: ProxyFamily): { v4: boolean; src: string; dst: string } | null {
  if (family === 'unix' || family === 'unknown') return null;
  const s4 = isIPv4(src);
  const d4 = isIPv4(dst);
  if ((!s4 && !isIPv6(src)) || (!d4 && !isIPv6(dst))) return null;
  if (s4 && d4) return { v4: true, src, dst };
  const s = s4 ? `::ffff:${src}` : src;
  const d = d4 ? `::ffff:${dst}` : dst;
  const cs = canonicalV6(s);
  const cd = canonicalV6(d);
  if (cs === null || cd === null) return null;
  return { v4: false, src: cs, dst: cd };
}

/**
 * A version 1 line, as make_proxy_line_v1(): "PROXY TCP4|TCP6 src dst sport dport\r\n",
 * or "PROXY UNKNOWN\r\n" for UNIX sockets and anything that is not IPv4/IPv6.
 */
export function buildProxyV1(src: string, srcPort: number, dst: string, dstPort: number, family: ProxyFamily): Buffer {
  const pair = inetPair(src, dst, family);
  if (!pair) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  checkPort(srcPort, 'source');
  checkPort(dstPort, 'destination');
  return Buffer.from(`PROXY ${pair.v4 ? 'TCP4' : 'TCP6'} ${pair.src} ${pair.dst} ${srcPort} ${dstPort}\r\n`, 'latin1');
}

export interface ProxyV2Options {
  /** TLVs appended after the addresses, in order. */
  readonly tlvs?: readonly ProxyTlv[];
  /** Send the LOCAL command (no addresses), as HAProxy does for connections it initiates itself. */
  readonly local?: boolean;
  /** Add a CRC32C TLV first and fill it (send-proxy-v2-crc32c). */
  readonly crc32c?: boolean;
}

/**
 * A version 2 header, as make_proxy_line_v2(): PROXY with TCP over IPv4 (both IPv4) or IPv6
 * (IPv4 mapped), or LOCAL with an UNSPEC family for UNIX sockets, unknown addresses and
 * `opts.local`.
 */
export function buildProxyV2(src: string, srcPort: number, dst: string, dstPort: number, family: ProxyFamily, opts: ProxyV2Options = {}): Buffer {
  const pair = opts.local ? null : inetPair(src, dst, family);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(PP2_HEADER_LEN);
  PP2_SIGNATURE.copy(head, 0);
  parts.push(head);
  if (!pair) {
    head[12] = 0x20;
    head[13] = 0x00;
  } else {
    checkPort(srcPort, 'source');
    checkPort(dstPort, 'destination');
    head[12] = 0x21;
    if (pair.v4) {
      head[13] = 0x11;
      const a = Buffer.alloc(12);
      v4Bytes(pair.src).copy(a, 0);
      v4Bytes(pair.dst).copy(a, 4);
      a.writeUInt16BE(srcPort, 8);
      a.writeUInt16BE(dstPort, 10);
      parts.push(a);
    } else {
      head[13] = 0x21;
      const a = Buffer.alloc(36);
      v6Bytes(pair.src)!.copy(a, 0);
      v6Bytes(pair.dst)!.copy(a, 16);
      a.writeUInt16BE(srcPort, 32);
      a.writeUInt16BE(dstPort, 34);
      parts.push(a);
    }
  }
  let crcAt = -1;
  if (opts.crc32c) {
    crcAt = parts.reduce((n, p) => n + p.length, 0) + 3;
    parts.push(tlvBytes(PP2_TYPE_CRC32C, Buffer.alloc(4)));
  }
  for (const t of opts.tlvs ?? []) parts.push(tlvBytes(t.type, t.value));
  const out = Buffer.concat(parts);
  if (out.length - PP2_HEADER_LEN > 0xffff) throw new RangeError('PROXY v2 header too long');
  out.writeUInt16BE(out.length - PP2_HEADER_LEN, 14);
  if (crcAt >= 0) out.writeUInt32BE(crc32c(out), crcAt);
  return out;
}

/** The header HAProxy sends on health checks with send-proxy-v2: LOCAL, UNSPEC, no address. */
export function buildProxyV2Local(tlvs: readonly ProxyTlv[] = []): Buffer {
  return buildProxyV2('', 0, '', 0, 'unknown', { local: true, tlvs });
}

function tlvBytes(type: number, value: Buffer): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`invalid TLV type ${type}`);
  if (value.length > 0xffff) throw new RangeError('TLV value too long');
  const b = Buffer.alloc(3 + value.length);
  b[0] = type;
  b.writeUInt16BE(value.length, 1);
  value.copy(b, 3);
  return b;
}

// ---------------------------------------------------------------------------------------
// Addresses

function v4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/** RFC 4291 text to 16 bytes, or null (no zone index). */
export function v6Bytes(text: string): Buffer | null {
  const v = parseIPv6(text);
  if (v === null) return null;
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(v >> 64n, 0);
  b.writeBigUInt64BE(v & 0xffffffffffffffffn, 8);
  return b;
}

/** Formats 16 bytes as inet_ntop() does. */
export function formatV6(b: Buffer): string {
  return formatIPv6((b.readBigUInt64BE(0) << 64n) | b.readBigUInt64BE(8));
}

/** Canonical text of an IPv6 address, or null when invalid. */
export function canonicalV6(text: string): string | null {
  const b = v6Bytes(text);
  return b ? formatV6(b) : null;
}
