// The HPACK static table (RFC 7541 Appendix A). Index 0 is unused: indices are 1-based on the wire.

export const STATIC_NAMES: readonly string[] = [
  '',
  ':authority',
  ':method',
  ':method',
  ':path',
  ':path',
  ':scheme',
  ':scheme',
  ':status',
  ':status',
  ':status',
  ':status',
  ':status',
  ':status',
  ':status',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'accept',
  'access-control-allow-origin',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-range',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'link',
  'location',
  'max-forwards',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'refresh',
  'retry-after',
  'server',
  'set-cookie',
  'strict-transport-security',
  'transfer-encoding',
  'user-agent',
  'vary',
  'via',
  'www-authenticate',
];

/** Values of entries 1 to 16; the later entries all have empty values. */
const LEADING_VALUES: readonly string[] = [
  '',
  '',
  'GET',
  'POST',
  '/',
  '/index.html',
  'http',
  'https',
  '200',
  '204',
  '206',
  '304',
  '400',
  '404',
  '500',
  '',
  'gzip, deflate',
];

/** Number of entries; dynamic table indices start after it. */
export const STATIC_COUNT = 61;

export const STATIC_VALUES: readonly string[] = Array.from({ length: STATIC_COUNT + 1 }, (_, i) => LEADING_VALUES[i] ?? '');

/** A name of the static table: its first index, and the index of each of its (name, value) entries. */
export interface StaticName {
  readonly index: number;
  readonly values: ReadonlyMap<string, number>;
}

/** The encoder's lookup: one Map probe per field finds both the name and the exact entry. */
export const STATIC_BY_NAME: ReadonlyMap<string, StaticName> = buildLookup();

function buildLookup(): Map<string, StaticName> {
  const byName = new Map<string, { index: number; values: Map<string, number> }>();
  for (let i = 1; i <= STATIC_COUNT; i++) {
    const name = STATIC_NAMES[i]!;
    let entry = byName.get(name);
    if (entry === undefined) {
      entry = { index: i, values: new Map() };
      byName.set(name, entry);
    }
    entry.values.set(STATIC_VALUES[i]!, i);
  }
  return byName;
}
