// "balance roundrobin": HAProxy's fast weighted round-robin (lb_fwrr.c), rewritten.
//
// Each server owns a position on a virtual timeline. A server of weight w among servers of
// total weight W is due every W/w steps; the "current" tree holds servers by their next due
// position, so heavy and light servers interleave smoothly instead of being served in bursts.
// Servers that have never been picked in the current window wait in an "init" tree sorted by
// decreasing weight (heaviest start first), and servers whose next position falls beyond the
// window go to a "next" tree; when the window is exhausted the next tree becomes the init
// tree. Weight changes take effect progressively, by moving the server's next position, and
// servers going up or down enter or leave the trees without resetting the others.
import type { LbAlgorithm, LbServer } from './types.ts';
import { NodeHeap, type HeapNode } from './heap.ts';
import { BE_WEIGHT_SCALE, SRV_EWGHT_MAX, SRV_UWGHT_RANGE, isFull, scaledWeight } from './common.ts';

interface RrNode extends HeapNode {
  readonly srv: LbServer;
  /** Scaled weight committed to the trees (0 = not usable). */
  ew: number;
  /** In the eligible list at the last rebuild. */
  listed: boolean;
  /** Next position (0 = never picked in this window), last position, weight remainder. */
  npos: number;
  lpos: number;
  rweight: number;
  /** The tree the server is attached to (HAProxy's lb_tree), null when down. */
  tree: NodeHeap<RrNode> | null;
}

export class RoundRobinLb implements LbAlgorithm {
  readonly needsKey = false;
  private readonly nodes = new Map<LbServer, RrNode>();
  private readonly curr = new NodeHeap<RrNode>();
  private init = new NodeHeap<RrNode>();
  private next = new NodeHeap<RrNode>();
  private currPos = 0;
  private currWeight = 0;
  private nextWeight = 0;
  private usable = 0;
  private initialized = false;
  /** Servers taken out during a pick because full or avoided, to put back afterwards. */
  private readonly extracted: RrNode[] = [];

  rebuild(servers: readonly LbServer[]): void {
    for (const node of this.nodes.values()) node.listed = false;
    for (const s of servers) {
      let node = this.nodes.get(s);
      if (!node) {
        node = { srv: s, ew: 0, listed: false, npos: 0, lpos: 0, rweight: 0, tree: null, key: 0, seq: 0, heapIdx: -1 };
        this.nodes.set(s, node);
      }
      node.listed = true;
    }
    if (!this.initialized) {
      this.initialized = true;
      this.initGroups(servers);
      return;
    }
    // Servers leaving first, then arrivals and weight changes in id order.
    for (const node of this.nodes.values()) {
      if (!node.listed && node.ew > 0) this.setDown(node);
    }
    for (const s of servers) {
      const node = this.nodes.get(s)!;
      const w = scaledWeight(s.eweight);
      if (w === node.ew) continue;
      if (node.ew === 0) this.setUp(node, w);
      else if (w === 0) this.setDown(node);
      else this.updateWeight(node, w);
    }
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    if (this.usable === 0) return null;
    const extracted = this.extracted;
    let switched = false;
    let avoided: RrNode | null = null;
    let chosen: RrNode | null = null;
    let found = false;

    for (;;) {
      // An empty window picks up weights that may have changed meanwhile.
      if (this.currWeight === 0) this.currPos = this.currWeight = this.nextWeight;

      // The first server of the current tree; at the end of it, switch trees, only once.
      let srv = this.serverFromGroup();
      while (!srv) {
        if (switched) break;
        switched = true;
        this.switchTrees();
        srv = this.serverFromGroup();
      }
      if (!srv) {
        if (avoided) { chosen = avoided; found = true; }
        break;
      }

      // Its next position is computed and it leaves the tree even if it cannot be used now,
      // so that it is put back at a better place afterwards.
      this.updatePosition(srv);
      this.dequeue(srv);
      this.currPos++;
      if (!isFull(srv.srv)) {
        if (srv.srv !== avoid || avoided) { chosen = srv; found = true; break; }
        avoided = srv;
      }
      extracted.push(srv);
    }

    if (found) this.queue(chosen!);

    if (extracted.length > 0) {
      for (let i = 0; i < extracted.length; i++) {
        const n = extracted[i]!;
        if (n === chosen) continue;
        // After a switch their former place is meaningless: only their weight matters.
        if (switched) this.queueByWeight(this.init, n);
        else this.queue(n);
      }
      extracted.length = 0;
    }
    return found ? chosen!.srv : null;
  }

  private initGroups(servers: readonly LbServer[]): void {
    let total = 0;
    for (const s of servers) {
      const node = this.nodes.get(s)!;
      node.ew = scaledWeight(s.eweight);
      total += node.ew;
    }
    this.currPos = this.currWeight = this.nextWeight = total;
    for (const s of servers) {
      const node = this.nodes.get(s)!;
      if (node.ew > 0) {
        this.usable++;
        this.queueByWeight(this.init, node);
      }
    }
  }

  private setDown(node: RrNode): void {
    this.nextWeight -= node.ew;
    this.usable--;
    this.dequeue(node);
    node.tree = null;
    node.ew = 0;
  }

  private setUp(node: RrNode, w: number): void {
    this.nextWeight += w;
    this.usable++;
    this.getSrv(node);
    node.ew = w;
    node.npos = this.currPos + Math.trunc((this.nextWeight + this.currWeight - this.currPos) / w);
    this.queue(node);
  }

  private updateWeight(node: RrNode, w: number): void {
    this.nextWeight += w - node.ew;
    if (node.tree === this.init) {
      this.dequeue(node);
      node.ew = w;
      this.queueByWeight(this.init, node);
      return;
    }
    // In the current or next tree: if it has not consumed all its places in the current
    // window, bring its next position closer to (or further from) its last one.
    this.getSrv(node);
    const prevNext = node.npos;
    const step = Math.trunc(this.nextWeight / w);
    node.npos = node.lpos + step;
    node.rweight = 0;
    if (node.npos > prevNext) node.npos = prevNext;
    if (node.npos < this.currPos + 2) node.npos = this.currPos + step;
    this.dequeue(node);
    node.ew = w;
    this.queue(node);
  }

  /** Puts a server in the current tree at its next position, or in the next tree. */
  private queue(node: RrNode): void {
    if (node.npos >= 2 * this.currWeight || node.npos >= this.currWeight + this.nextWeight) {
      node.npos -= this.currWeight;
      this.queueByWeight(this.next, node);
      return;
    }
    // Among servers due at the same position, the heavier (and the one with the smaller
    // remainder) goes first.
    node.key = SRV_UWGHT_RANGE * node.npos + Math.floor((SRV_EWGHT_MAX + node.rweight - node.ew) / BE_WEIGHT_SCALE);
    this.curr.push(node);
    node.tree = this.curr;
  }

  /** Queues a server in a weight-ordered tree, heaviest first. */
  private queueByWeight(tree: NodeHeap<RrNode>, node: RrNode): void {
    node.key = SRV_EWGHT_MAX - node.ew;
    tree.push(node);
    node.tree = tree;
  }

  private dequeue(node: RrNode): void {
    if (this.curr.has(node)) this.curr.remove(node);
    else if (this.init.has(node)) this.init.remove(node);
    else if (this.next.has(node)) this.next.remove(node);
  }

  /** Prepares a server's position when it leaves the tree it is attached to. */
  private getSrv(node: RrNode): void {
    if (node.tree === this.init) {
      node.npos = 0;
      node.rweight = 0;
    } else if (node.tree === this.next) {
      node.npos += this.currWeight;
    } else if (node.tree === null) {
      node.npos = this.currPos;
    }
  }

  private switchTrees(): void {
    const swap = this.init;
    this.init = this.next;
    this.next = swap;
    this.currWeight = this.nextWeight;
    this.currPos = this.currWeight;
  }

  /** The server due now in the current tree, else the heaviest fresh one, else any. */
  private serverFromGroup(): RrNode | null {
    const s1 = this.curr.peek();
    if (s1 && s1.ew > 0 && s1.npos <= this.currPos) return s1;
    const s2 = this.init.peek();
    if (s2 && s2.ew > 0) {
      s2.npos = 0;
      s2.rweight = 0;
      return s2;
    }
    return s1;
  }

  private updatePosition(node: RrNode): void {
    const ew = node.ew;
    if (ew === 0) return;
    if (node.npos === 0) node.npos = this.currPos; // first time in this window
    node.lpos = node.npos;
    node.npos += Math.trunc(this.nextWeight / ew);
    node.rweight += this.nextWeight % ew;
    if (node.rweight >= ew) {
      node.rweight -= ew;
      node.npos++;
    }
  }
}
