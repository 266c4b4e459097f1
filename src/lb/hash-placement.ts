// Where the hash-based algorithms ("balance source", "uri", "url_param", "hdr()",
// "rdp-cookie") look a hash up: the weight map ("hash-type map-based", static) or the
// consistent-hashing ring ("hash-type consistent").
import type { LbServer } from './types.ts';
import type { HashTypeConfig } from '../config/model.ts';
import { ConsistentHashRing } from './chash.ts';
import { ServerMap } from './map.ts';

export class HashPlacement {
  private readonly map: ServerMap | null;
  private readonly ring: ConsistentHashRing | null;

  constructor(method: HashTypeConfig['method'], balanceFactor: number) {
    if (method === 'consistent') {
      this.ring = new ConsistentHashRing(balanceFactor);
      this.map = null;
    } else {
      this.map = new ServerMap();
      this.ring = null;
    }
  }

  rebuild(servers: readonly LbServer[]): void {
    if (this.ring) this.ring.rebuild(servers);
    else this.map!.rebuild(servers);
  }

  lookup(hash: number, avoid: LbServer | null): LbServer | null {
    return this.ring ? this.ring.lookup(hash, avoid) : this.map!.pickHash(hash);
  }

  /** For a request without a key: round-robin over the same map or ring, as HAProxy does. */
  roundRobin(avoid: LbServer | null): LbServer | null {
    return this.ring ? this.ring.next(avoid) : this.map!.pickRoundRobin(avoid);
  }
}
