// HPACK header block encoding (RFC 7541). Static-table names and entries are always used; the dynamic
// table takes fields whose values tend to repeat on a connection (server, content-type, user-agent...),
// not those that rarely do (:path, content-length, etag...: literals without indexing, as nghttp2 does),
// and never sensitive ones (authorization, short cookies, set-cookie: never-indexed literals, RFC 7541 7.1.3).
import { BlockWriter } from './block-writer.ts';
import { ENTRY_OVERHEAD } from './dynamic-table.ts';
import { EncoderTable } from './encoder-table.ts';
import { STATIC_BY_NAME, STATIC_COUNT } from './static-table.ts';

export interface HpackEncoderOptions {
  /** Huffman-code string literals when that makes them shorter (default true). */
  huffman?: boolean;
}

const INDEXED = 0;
const NOT_INDEXED = 1;
const NEVER_INDEXED = 2;
/** Never indexed when shorter than COOKIE_SENSITIVE_LENGTH (guessable by probing the table), else indexed. */
const COOKIE = 3;
const COOKIE_SENSITIVE_LENGTH = 20;

/** How fields are represented by name; names not listed are indexed. All of these are static-table names. */
const FIELD_MODES: ReadonlyMap<string, number> = new Map([
  [':path', NOT_INDEXED],
  ['age', NOT_INDEXED],
  ['content-length', NOT_INDEXED],
  ['etag', NOT_INDEXED],
  ['if-modified-since', NOT_INDEXED],
  ['if-none-match', NOT_INDEXED],
  ['location', NOT_INDEXED],
  ['authorization', NEVER_INDEXED],
  ['proxy-authorization', NEVER_INDEXED],
  ['set-cookie', NEVER_INDEXED],
  ['cookie', COOKIE],
]);

/** A static-table name as the encoder sees it: one Map probe per field gives its index, entries and mode. */
interface KnownName {
  readonly index: number;
  /** Its entries by value, or null when its only entry has an empty value (most names: no second probe). */
  readonly values: ReadonlyMap<string, number> | null;
  readonly mode: number;
}

const KNOWN_NAMES: ReadonlyMap<string, KnownName> = new Map(
  [...STATIC_BY_NAME].map(([name, st]) => [
    name,
    { index: st.index, values: st.values.size === 1 && st.values.has('') ? null : st.values, mode: FIELD_MODES.get(name) ?? INDEXED },
  ]),
);

/** SETTINGS_HEADER_TABLE_SIZE's initial value: the peer's decoder starts with a table this large. */
const DEFAULT_TABLE_SIZE = 4096;

export class HpackEncoder {
  private readonly maxTableSize: number;
  private readonly table: EncoderTable;
  private readonly writer: BlockWriter;
  /** Smallest table size since the last block, when a size update must open the next block. */
  private pendingMin = Infinity;

  /** maxTableSize: the most table memory we are willing to use, whatever the peer allows. */
  constructor(maxTableSize = DEFAULT_TABLE_SIZE, options: HpackEncoderOptions = {}) {
    this.maxTableSize = maxTableSize;
    this.writer = new BlockWriter(options.huffman ?? true);
    this.table = new EncoderTable(Math.min(maxTableSize, DEFAULT_TABLE_SIZE));
    if (maxTableSize < DEFAULT_TABLE_SIZE) this.pendingMin = maxTableSize;
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE: a dynamic table size update goes out with the next block. */
  setPeerMaxTableSize(n: number): void {
    const size = Math.min(n, this.maxTableSize);
    if (size === this.table.maxSize && this.pendingMin === Infinity) return;
    // Evicting now is what the peer will do on the update(s) (RFC 7541 4.2: the smallest size, then the final one).
    this.table.setMaxSize(size);
    if (size < this.pendingMin) this.pendingMin = size;
  }

  /** Encodes a flat list [n0, v0, ...] (names lower case) into one header block. */
  encode(fields: readonly string[]): Buffer {
    const w = this.writer;
    const table = this.table;
    if (this.pendingMin !== Infinity) {
      w.reserve(12);
      if (this.pendingMin < table.maxSize) w.int(0x20, 5, this.pendingMin);
      w.int(0x20, 5, table.maxSize);
      this.pendingMin = Infinity;
    }
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!;
      const value = fields[i + 1]!;
      // First byte (up to 6 bytes of index) + two literals (length up to 6 bytes each).
      w.reserve(18 + name.length + value.length);
      const known = KNOWN_NAMES.get(name);
      let mode = INDEXED;
      if (known !== undefined) {
        const index = known.values === null ? (value === '' ? known.index : undefined) : known.values.get(value);
        if (index !== undefined) {
          w.int(0x80, 7, index);
          continue;
        }
        mode = known.mode;
      }
      if (mode === COOKIE) mode = value.length < COOKIE_SENSITIVE_LENGTH ? NEVER_INDEXED : INDEXED;
      if (mode === INDEXED) {
        const found = table.find(name, value);
        if (found !== 0) {
          w.int(0x80, 7, STATIC_COUNT + found);
          continue;
        }
        // As nghttp2: an entry over 3/4 of the table would flush it for little chance of reuse.
        if (4 * (ENTRY_OVERHEAD + name.length + value.length) > 3 * table.maxSize) mode = NOT_INDEXED;
      }
      let nameIndex = 0;
      if (known !== undefined) nameIndex = known.index;
      else {
        const dyn = table.findName(name);
        if (dyn !== 0) nameIndex = STATIC_COUNT + dyn;
      }
      if (mode === INDEXED) w.int(0x40, 6, nameIndex);
      else w.int(mode === NEVER_INDEXED ? 0x10 : 0x00, 4, nameIndex);
      if (nameIndex === 0) w.string(name);
      w.string(value);
      if (mode === INDEXED) table.addIndexed(name, value);
    }
    return w.take();
  }
}
