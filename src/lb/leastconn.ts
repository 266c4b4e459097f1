// "balance leastconn": HAProxy's fast weighted least-connections (lb_fwlc.c), rewritten.
//
// Servers are ordered by (connections + 1) / weight, so that among loaded servers the one with
// the least load relative to its weight comes first, while idle servers all rank first (key 0)
// whatever their weight. A server that takes or releases a connection is re-queued behind the
// servers of equal rank (connChanged()), which makes servers of equal load take turns.
// With several threads, other threads change the connection counts: each pick first re-ranks
// the servers whose count changed since they were ranked (a scan of the servers).
import type { LbAlgorithm, LbServer } from './types.ts';
import { NodeHeap, type HeapNode } from './heap.ts';
import { SRV_EWGHT_MAX, isFull, scaledWeight } from './common.ts';

interface LcNode extends HeapNode {
  readonly srv: LbServer;
  /** Scaled weight (0 = not usable, not queued). */
  ew: number;
  listed: boolean;
  /** The connection count the node was ranked with. */
  ranked: number;
}

export class LeastConnLb implements LbAlgorithm {
  readonly needsKey = false;
  private readonly nodes = new Map<LbServer, LcNode>();
  private readonly tree = new NodeHeap<LcNode>();
  /** Servers popped while looking past full or avoided ones, put back afterwards. */
  private readonly skipped: LcNode[] = [];
  private readonly shared: boolean;

  constructor(shared = false) {
    this.shared = shared;
  }

  rebuild(servers: readonly LbServer[]): void {
    for (const node of this.nodes.values()) node.listed = false;
    for (const s of servers) {
      let node = this.nodes.get(s);
      if (!node) {
        node = { srv: s, ew: 0, listed: false, ranked: 0, key: 0, seq: 0, heapIdx: -1 };
        this.nodes.set(s, node);
      }
      node.listed = true;
    }
    for (const node of this.nodes.values()) {
      if (!node.listed && node.ew > 0) {
        this.tree.remove(node);
        node.ew = 0;
      }
    }
    for (const s of servers) {
      const node = this.nodes.get(s)!;
      const w = scaledWeight(s.eweight);
      if (w === node.ew) continue;
      this.tree.remove(node);
      node.ew = w;
      if (w > 0) this.queue(node);
    }
  }

  connChanged(server: LbServer): void {
    const node = this.nodes.get(server);
    if (!node || node.ew === 0) return;
    this.tree.remove(node);
    this.queue(node);
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    if (this.shared) this.rerank();
    const tree = this.tree;
    const first = tree.peek();
    if (!first) return null;
    if (!isFull(first.srv) && first.srv !== avoid) return first.srv;

    // Walk the servers in order past the full ones and the avoided one.
    const skipped = this.skipped;
    let found: LbServer | null = null;
    let avoided: LbServer | null = null;
    for (let node = tree.pop(); node; node = tree.pop()) {
      skipped.push(node);
      if (isFull(node.srv)) continue;
      if (node.srv !== avoid) {
        found = node.srv;
        break;
      }
      avoided = node.srv;
    }
    for (let i = 0; i < skipped.length; i++) tree.reinsert(skipped[i]!);
    skipped.length = 0;
    return found ?? avoided;
  }

  private rerank(): void {
    for (const node of this.nodes.values()) {
      if (node.ew === 0 || node.ranked === node.srv.curConns) continue;
      this.tree.remove(node);
      this.queue(node);
    }
  }

  private queue(node: LcNode): void {
    const inflight = node.srv.curConns;
    node.ranked = inflight;
    node.key = inflight > 0 ? Math.floor(((inflight + 1) * SRV_EWGHT_MAX) / node.ew) : 0;
    this.tree.push(node);
  }
}
