// The encoder's dynamic table: the decoder's ring plus maps to find entries by (name, value) and by name,
// kept in step with evictions so that they never hold more than the table does.
import { DynamicTable } from './dynamic-table.ts';

export class EncoderTable extends DynamicTable {
  /** name -> value -> sequence number of the newest entry with that name and value. */
  private readonly exact = new Map<string, Map<string, number>>();
  /** name -> sequence number of the newest entry with that name. */
  private readonly byName = new Map<string, number>();

  /** Dynamic index (1 = newest) of the entry (name, value), or 0. */
  find(name: string, value: string): number {
    const seq = this.exact.get(name)?.get(value);
    return seq === undefined ? 0 : this.inserted - seq;
  }

  /** Dynamic index of the newest entry named `name`, or 0. */
  findName(name: string): number {
    const seq = this.byName.get(name);
    return seq === undefined ? 0 : this.inserted - seq;
  }

  addIndexed(name: string, value: string): void {
    const seq = this.inserted;
    this.add(name, value);
    if (this.inserted === seq) return; // larger than the table: not added
    let values = this.exact.get(name);
    if (values === undefined) {
      values = new Map();
      this.exact.set(name, values);
    }
    values.set(value, seq);
    this.byName.set(name, seq);
  }

  protected override evicted(seq: number, name: string, value: string): void {
    // The maps point at the newest entry of each key: an older duplicate being evicted leaves them alone.
    const values = this.exact.get(name);
    if (values !== undefined && values.get(value) === seq) {
      values.delete(value);
      if (values.size === 0) this.exact.delete(name);
    }
    if (this.byName.get(name) === seq) this.byName.delete(name);
  }
}
