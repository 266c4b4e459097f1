// An indexed binary min-heap ordered by (key, insertion sequence). It stands in for HAProxy's
// eb32 trees: the smallest key comes first and equal keys come out in insertion order (ebtree
// keeps duplicates in that order), which is what makes servers of equal rank take turns.
// Nodes carry their own position so removal is O(log n); nothing is allocated per operation.

export interface HeapNode {
  key: number;
  /** Insertion order among equal keys; assigned by push(), kept by reinsert(). */
  seq: number;
  /** Position in the heap holding the node, -1 when in none. */
  heapIdx: number;
}

let sequence = 0;

export class NodeHeap<T extends HeapNode> {
  private readonly items: T[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  peek(): T | null {
    return this.count > 0 ? this.items[0]! : null;
  }

  /** Inserts a node after every node already present with the same key. */
  push(node: T): void {
    node.seq = ++sequence;
    this.reinsert(node);
  }

  /** Inserts a node keeping its previous sequence (it regains its former rank among equals). */
  reinsert(node: T): void {
    const i = this.count++;
    if (i < this.items.length) this.items[i] = node;
    else this.items.push(node);
    node.heapIdx = i;
    this.up(i);
  }

  pop(): T | null {
    if (this.count === 0) return null;
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }

  /** Removes a node if it is in this heap. */
  remove(node: T): void {
    const i = node.heapIdx;
    if (i < 0 || i >= this.count || this.items[i] !== node) return;
    this.removeAt(i);
  }

  has(node: T): boolean {
    const i = node.heapIdx;
    return i >= 0 && i < this.count && this.items[i] === node;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.items[i]!.heapIdx = -1;
    this.items.length = 0;
    this.count = 0;
  }

  private removeAt(i: number): void {
    const node = this.items[i]!;
    node.heapIdx = -1;
    const last = --this.count;
    if (i !== last) {
      const moved = this.items[last]!;
      this.items[i] = moved;
      moved.heapIdx = i;
      this.items[last] = undefined as unknown as T;
      if (i > 0 && less(moved, this.items[(i - 1) >> 1]!)) this.up(i);
      else this.down(i);
    } else {
      this.items[last] = undefined as unknown as T;
    }
  }

  private up(i: number): void {
    const items = this.items;
    const node = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!less(node, parent)) break;
      items[i] = parent;
      parent.heapIdx = i;
      i = p;
    }
    items[i] = node;
    node.heapIdx = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = this.count;
    const node = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!less(child, node)) break;
      items[i] = child;
      child.heapIdx = i;
      i = c;
    }
    items[i] = node;
    node.heapIdx = i;
  }
}

function less(a: HeapNode, b: HeapNode): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}
