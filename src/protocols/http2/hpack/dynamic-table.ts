// The HPACK dynamic table (RFC 7541 2.3.2, 4): a FIFO of (name, value) entries in a ring buffer, newest
// first in index order, bounded by the sum of entry sizes (32 + name length + value length).

/** Per-entry overhead counted in the table size (RFC 7541 4.1). */
export const ENTRY_OVERHEAD = 32;

export class DynamicTable {
  /** Current sum of entry sizes. */
  size = 0;
  /** Current maximum size; entries are evicted to stay within it. */
  maxSize: number;
  count = 0;
  /** Entries ever added: the newest has sequence number inserted - 1, the oldest inserted - count. */
  inserted = 0;
  private names: string[];
  private values: string[];
  private mask: number;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
    this.names = new Array<string>(8).fill('');
    this.values = new Array<string>(8).fill('');
    this.mask = 7;
  }

  /** Name of the entry at dynamic index i (1 = newest; the caller checks 1 <= i <= count). */
  name(i: number): string {
    return this.names[(this.inserted - i) & this.mask]!;
  }

  value(i: number): string {
    return this.values[(this.inserted - i) & this.mask]!;
  }

  /** Adds an entry, evicting the oldest ones to make room; an entry larger than maxSize empties the table. */
  add(name: string, value: string): void {
    const entrySize = ENTRY_OVERHEAD + name.length + value.length;
    if (entrySize > this.maxSize) {
      while (this.count > 0) this.evictOldest();
      return;
    }
    while (this.size + entrySize > this.maxSize) this.evictOldest();
    if (this.count === this.names.length) this.grow();
    const slot = this.inserted & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
    this.inserted++;
    this.count++;
    this.size += entrySize;
  }

  setMaxSize(maxSize: number): void {
    this.maxSize = maxSize;
    while (this.size > maxSize) this.evictOldest();
  }

  /** Called for each evicted entry (seq: its sequence number); the encoder keeps its lookup maps with it. */
  protected evicted(_seq: number, _name: string, _value: string): void {}

  private evictOldest(): void {
    const seq = this.inserted - this.count;
    const slot = seq & this.mask;
    const name = this.names[slot]!;
    const value = this.values[slot]!;
    this.names[slot] = '';
    this.values[slot] = '';
    this.count--;
    this.size -= ENTRY_OVERHEAD + name.length + value.length;
    this.evicted(seq, name, value);
  }

  /** Doubles the ring (its length stays a power of two so that slots are seq & mask). */
  private grow(): void {
    const cap = this.names.length * 2;
    const names = new Array<string>(cap).fill('');
    const values = new Array<string>(cap).fill('');
    const mask = cap - 1;
    for (let seq = this.inserted - this.count; seq < this.inserted; seq++) {
      names[seq & mask] = this.names[seq & this.mask]!;
      values[seq & mask] = this.values[seq & this.mask]!;
    }
    this.names = names;
    this.values = values;
    this.mask = mask;
  }
}
