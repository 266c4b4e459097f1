// HPACK header block decoding (RFC 7541 3, 6). One decoder per connection direction: its dynamic table
// carries over from block to block, so blocks must be decoded in the order they were received.
import { BlockReader } from './block-reader.ts';
import { DynamicTable, ENTRY_OVERHEAD } from './dynamic-table.ts';
import { HpackError, HpackListTooLargeError } from './error.ts';
import { STATIC_COUNT, STATIC_NAMES, STATIC_VALUES } from './static-table.ts';

/** SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 9113 6.5.2). */
const INITIAL_TABLE_SIZE = 4096;

export class HpackDecoder {
  private readonly table: DynamicTable;
  private readonly maxTableSize: number;
  private readonly maxListSize: number;
  private readonly reader = new BlockReader();

  /**
   * maxTableSize: the SETTINGS_HEADER_TABLE_SIZE we advertise: the peer's size updates may not exceed it.
   * The table starts at min(maxTableSize, 4096): the peer's encoder starts at 4096 (the setting's initial
   * value) and only uses more after a size update. (Advertising less than 4096 would also need blocks sent
   * before our SETTINGS are acknowledged to be decoded at 4096: Turnpike, as HAProxy, never does.)
   * maxListSize: bound on the decoded list, counting name + value + 32 per field as
   * SETTINGS_MAX_HEADER_LIST_SIZE does.
   */
  constructor(maxTableSize: number, maxListSize: number) {
    this.maxTableSize = maxTableSize;
    this.maxListSize = maxListSize;
    this.table = new DynamicTable(Math.min(maxTableSize, INITIAL_TABLE_SIZE));
  }

  /**
   * Decodes one complete header block, appending name, value pairs to `out` (flat: [n0, v0, n1, v1, ...]).
   * Names come out as received (HTTP/2 requires lower case; the caller checks). Throws HpackError; on
   * HpackListTooLargeError the block was fully decoded (table in sync) and `out` is back to its length.
   */
  decode(block: Buffer, out: string[]): void {
    const r = this.reader;
    const table = this.table;
    const outStart = out.length;
    let listSize = 0;
    // Dynamic table size updates may only open a block (RFC 7541 4.2).
    let fieldSeen = false;
    r.reset(block);
    try {
      while (r.pos < block.length) {
        const b = block[r.pos]!;
        let name: string;
        let value: string;
        if (b >= 0x80) {
          // Indexed field (6.1).
          const index = r.readInt(7);
          if (index === 0) throw new HpackError('index 0');
          if (index <= STATIC_COUNT) {
            name = STATIC_NAMES[index]!;
            value = STATIC_VALUES[index]!;
          } else {
            if (index - STATIC_COUNT > table.count) throw new HpackError(`index ${index} out of the table`);
            name = table.name(index - STATIC_COUNT);
            value = table.value(index - STATIC_COUNT);
          }
        } else if (b >= 0x40) {
          // Literal with incremental indexing (6.2.1).
          name = this.literalName(r.readInt(6));
          value = r.readString();
          table.add(name, value);
        } else if (b >= 0x20) {
          // Dynamic table size update (6.3).
          if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
          const size = r.readInt(5);
          if (size > this.maxTableSize) throw new HpackError(`dynamic table size update to ${size} over ${this.maxTableSize}`);
          table.setMaxSize(size);
          continue;
        } else {
          // Literal without indexing (6.2.2, 0000) or never indexed (6.2.3, 0001).
          name = this.literalName(r.readInt(4));
          value = r.readString();
        }
        fieldSeen = true;
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        if (listSize <= this.maxListSize) out.push(name, value);
      }
    } catch (err) {
      out.length = outStart;
      throw err;
    }
    if (listSize > this.maxListSize) {
      out.length = outStart;
      throw new HpackListTooLargeError(`header list of ${listSize} bytes over ${this.maxListSize}`);
    }
  }

  /** The name of a literal field: index 0 means a literal name follows, else an indexed one. */
  private literalName(index: number): string {
    if (index === 0) return this.reader.readString();
    if (index <= STATIC_COUNT) return STATIC_NAMES[index]!;
    if (index - STATIC_COUNT > this.table.count) throw new HpackError(`name index ${index} out of the table`);
    return this.table.name(index - STATIC_COUNT);
  }
}
