// The parts of an X.509 certificate that Turnpike reads itself, straight from its DER bytes:
// serial, issuer and subject names entry by entry (with the raw bytes of each value, as
// OpenSSL's X509_NAME_ENTRY data), validity times as written, and the DNS names of the
// subjectAltName extension. Node's X509Certificate prints names through OpenSSL's escaping
// and loses the order of entries; the ssl_c_* / ssl_f_* fetches need them as HAProxy sees them.

/** One attribute of a distinguished name. */
export interface NameEntry {
  /** Dotted object identifier, e.g. "2.5.4.3". */
  readonly oid: string;
  /** OpenSSL's short name ("CN", "O", "emailAddress"), or the dotted OID when it has none. */
  readonly name: string;
  /** The value's bytes as encoded (UTF8String, PrintableString, BMPString...). */
  readonly value: Buffer;
  /** ASN.1 tag of the value (12 UTF8String, 19 PrintableString, 30 BMPString...). */
  readonly tag: number;
  /** Index of the RelativeDistinguishedName (SET) holding it: entries of one SET share it. */
  readonly set: number;
}

export interface CertInfo {
  readonly der: Buffer;
  /** 1 for v1 ... 3 for v3. */
  readonly version: number;
  /** The serial's magnitude bytes, without the DER sign padding. */
  readonly serial: Buffer;
  readonly issuer: readonly NameEntry[];
  readonly subject: readonly NameEntry[];
  /** Validity as ASN.1 text: "YYMMDDhhmmssZ" (UTCTime) or "YYYYMMDDhhmmssZ" (GeneralizedTime). */
  readonly notBefore: string;
  readonly notAfter: string;
  readonly notBeforeTag: number;
  readonly notAfterTag: number;
  /** subjectAltName dNSName entries, in order. */
  readonly dnsNames: readonly string[];
  /** Every subjectAltName entry in order: the DNS names, null for the other kinds ("show ssl cert"). */
  readonly altNames: readonly (string | null)[];
}

/** OpenSSL's short names of the attribute types found in certificates (objects.txt). */
const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'], ['2.5.4.4', 'SN'], ['2.5.4.5', 'serialNumber'], ['2.5.4.6', 'C'], ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'], ['2.5.4.9', 'street'], ['2.5.4.10', 'O'], ['2.5.4.11', 'OU'], ['2.5.4.12', 'title'],
  ['2.5.4.13', 'description'], ['2.5.4.15', 'businessCategory'], ['2.5.4.17', 'postalCode'], ['2.5.4.41', 'name'],
  ['2.5.4.42', 'GN'], ['2.5.4.43', 'initials'], ['2.5.4.44', 'generationQualifier'], ['2.5.4.46', 'dnQualifier'],
  ['2.5.4.65', 'pseudonym'], ['2.5.4.97', 'organizationIdentifier'], ['1.2.840.113549.1.9.1', 'emailAddress'],
  ['0.9.2342.19200300.100.1.1', 'UID'], ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.3.6.1.4.1.311.60.2.1.1', 'jurisdictionL'], ['1.3.6.1.4.1.311.60.2.1.2', 'jurisdictionST'],
  ['1.3.6.1.4.1.311.60.2.1.3', 'jurisdictionC'],
]);

const SUBJECT_ALT_NAME = '2.5.29.17';

interface Tlv {
  readonly tag: number;
  /** Start and end of the contents. */
  readonly start: number;
  readonly end: number;
}

class DerError extends Error {}

function readTlv(buf: Buffer, off: number, limit: number): Tlv {
  if (off + 2 > limit) throw new DerError('truncated');
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('truncated');
  return { tag, start, end };
}

/** The children of a constructed value. */
function children(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = t.start; off < t.end;) {
    const c = readTlv(buf, off, t.end);
    out.push(c);
    off = c.end;
  }
  return out;
}

function oidText(buf: Buffer, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (parts.length === 0) {
      const first = v < 80 ? Math.floor(v / 40) : 2;
      parts.push(first, v - first * 40);
    } else {
      parts.push(v);
    }
    v = 0;
  }
  return parts.join('.');
}

function parseName(buf: Buffer, t: Tlv): NameEntry[] {
  const out: NameEntry[] = [];
  let set = 0;
  for (const rdn of children(buf, t)) {
    for (const atv of children(buf, rdn)) {
      const [type, value] = children(buf, atv);
      if (!type || !value) throw new DerError('bad attribute');
      const oid = oidText(buf, type);
      out.push({ oid, name: SHORT_NAMES.get(oid) ?? oid, value: buf.subarray(value.start, value.end), tag: value.tag, set });
    }
    set++;
  }
  return out;
}

function subjectAltNames(buf: Buffer, extensions: Tlv): (string | null)[] {
  // extensions is [3] { SEQUENCE OF Extension }
  const seq = children(buf, extensions)[0];
  if (!seq) return [];
  for (const ext of children(buf, seq)) {
    const parts = children(buf, ext);
    if (oidText(buf, parts[0]!) !== SUBJECT_ALT_NAME) continue;
    const octets = parts[parts.length - 1]!;
    const names = readTlv(buf, octets.start, octets.end);
    const out: (string | null)[] = [];
    for (const gn of children(buf, names)) {
      // dNSName is [2] IMPLICIT IA5String
      out.push(gn.tag === 0x82 ? buf.toString('latin1', gn.start, gn.end) : null);
    }
    return out;
  }
  return [];
}

/** Parses a DER certificate; null when it is not one. */
export function parseCertificate(der: Buffer): CertInfo | null {
  try {
    const cert = readTlv(der, 0, der.length);
    const tbs = children(der, cert)[0]!;
    const f = children(der, tbs);
    let i = 0;
    let version = 1;
    if (f[0]!.tag === 0xa0) {
      const v = children(der, f[0]!)[0]!;
      version = der[v.end - 1]! + 1;
      i = 1;
    }
    const serialTlv = f[i]!;
    let serial = der.subarray(serialTlv.start, serialTlv.end);
    if (serial.length > 1 && serial[0] === 0 && (serial[1]! & 0x80) !== 0) serial = serial.subarray(1);
    const issuer = parseName(der, f[i + 2]!);
    const [nb, na] = children(der, f[i + 3]!);
    const subject = parseName(der, f[i + 4]!);
    let altNames: (string | null)[] = [];
    for (let j = i + 6; j < f.length; j++) if (f[j]!.tag === 0xa3) altNames = subjectAltNames(der, f[j]!);
    const dnsNames = altNames.filter((n): n is string => n !== null);
    return {
      der, version, serial, issuer, subject, dnsNames, altNames,
      notBefore: der.toString('latin1', nb!.start, nb!.end), notBeforeTag: nb!.tag,
      notAfter: der.toString('latin1', na!.start, na!.end), notAfterTag: na!.tag,
    };
  } catch (e) {
    if (e instanceof DerError || e instanceof TypeError) return null;
    throw e;
  }
}

// ---- HAProxy's renderings (ssl_utils.c) --------------------------------------------------

/** "/C=FR/O=Acme/CN=name": every entry in order, values as raw bytes (ssl_sock_get_dn_oneline). */
export function dnOneline(entries: readonly NameEntry[]): string {
  let s = '';
  for (const e of entries) s += '/' + e.name + '=' + e.value.toString('latin1');
  return s;
}

/**
 * The value of the <pos>th entry named <name> (case-insensitive), counting from the end when
 * <pos> is negative (ssl_sock_get_dn_entry); null when there is none.
 */
export function dnEntry(entries: readonly NameEntry[], name: string, pos: number): string | null {
  const n = entries.length;
  const want = name.toLowerCase();
  let cur = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[pos < 0 ? n - 1 - i : i]!;
    if (e.name.toLowerCase() !== want) continue;
    cur += pos < 0 ? -1 : 1;
    if (cur === pos) return e.value.toString('latin1');
  }
  return null;
}

const HEX = '0123456789ABCDEF';

/** The value as UTF-8 bytes, as OpenSSL's ASN1_STRFLGS_UTF8_CONVERT gives them (byte string). */
function utf8Bytes(e: NameEntry): Buffer {
  switch (e.tag) {
    case 30: { // BMPString: UCS-2 big endian
      const b = Buffer.from(e.value);
      return Buffer.from(b.swap16().toString('utf16le'), 'utf8');
    }
    case 28: { // UniversalString: UCS-4 big endian
      let s = '';
      for (let i = 0; i + 3 < e.value.length; i += 4) s += String.fromCodePoint(e.value.readUInt32BE(i));
      return Buffer.from(s, 'utf8');
    }
    case 12: return e.value; // UTF8String
    default: return Buffer.from(e.value.toString('latin1'), 'utf8'); // one byte per character
  }
}

/** One value with RFC 2253 escaping (ASN1_STRFLGS_RFC2253: ESC_2253, ESC_CTRL, ESC_MSB). */
function rfc2253Value(bytes: Buffer): string {
  let s = '';
  const last = bytes.length - 1;
  for (let i = 0; i <= last; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    if (b < 0x20 || b >= 0x7f) s += '\\' + HEX[b >> 4] + HEX[b & 15];
    else if (',+"\\<>;'.includes(c) || (i === 0 && (c === '#' || c === ' ')) || (i === last && c === ' ')) s += '\\' + c;
    else s += c;
  }
  return s;
}

/** The name as X509_NAME_print_ex(XN_FLAG_RFC2253) prints it: last RDN first, "," between RDNs, "+" within one. */
export function dnRfc2253(entries: readonly NameEntry[]): string {
  let s = '';
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (i < entries.length - 1) s += entries[i + 1]!.set === e.set ? '+' : ',';
    // Types without a short name are dumped as "#" + the hex of the DER value (ASN1_STRFLGS_DUMP_UNKNOWN).
    s += e.name === e.oid
      ? e.oid + '=#' + derOf(e).toString('hex').toUpperCase()
      : e.name + '=' + rfc2253Value(utf8Bytes(e));
  }
  return s;
}

function derOf(e: NameEntry): Buffer {
  const len = e.value.length;
  const head = len < 128 ? Buffer.from([e.tag, len]) : len < 256 ? Buffer.from([e.tag, 0x81, len]) : Buffer.from([e.tag, 0x82, len >> 8, len & 255]);
  return Buffer.concat([head, e.value]);
}

/** notBefore/notAfter as HAProxy returns them: UTCTime as is, GeneralizedTime of the 20xx years without the century. */
export function asn1TimeText(text: string, tag: number): string | null {
  if (tag === 0x18) {
    if (text.length < 12 || !text.startsWith('20')) return null;
    return text.slice(2);
  }
  if (tag === 0x17) {
    if (text.length < 10 || text.charCodeAt(0) >= 0x35) return null;
    return text;
  }
  return null;
}
