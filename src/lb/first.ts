// "balance first": HAProxy's first-available-server algorithm (lb_fas.c). The server with the
// lowest id that still has a free connection slot gets the connection; weights only matter in
// that a zero weight excludes the server. Without maxconn, the first server takes everything.
import type { LbAlgorithm, LbServer } from './types.ts';
import { isFull } from './common.ts';

export class FirstLb implements LbAlgorithm {
  readonly needsKey = false;
  private servers: LbServer[] = [];

  rebuild(servers: readonly LbServer[]): void {
    this.servers = servers.filter((s) => s.eweight > 0).sort((a, b) => a.id - b.id);
  }

  pick(_key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    const list = this.servers;
    let avoided: LbServer | null = null;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (isFull(s)) continue;
      if (s !== avoid) return s;
      avoided = s;
    }
    return avoided;
  }

  /** Connection counts are read at pick time; nothing to re-sort. */
  connChanged(_server: LbServer): void {}
}
