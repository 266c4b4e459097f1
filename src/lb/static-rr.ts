// "balance static-rr": round-robin over a static weight map (HAProxy's lb_map.c). Weights are
// the servers' configured weights and never change at runtime; servers going down or up make
// the map be rebuilt (rebuild() is still called for that). No limit on the number of servers.
import type { LbAlgorithm, LbServer } from './types.ts';
import { ServerMap } from './map.ts';

export class StaticRoundRobinLb implements LbAlgorithm {
  readonly needsKey = false;
  private readonly map = new ServerMap();

  rebuild(servers: readonly LbServer[]): void {
    this.map.rebuild(servers);
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    return this.map.pickRoundRobin(avoid);
  }
}
