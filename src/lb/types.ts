// The contract between a backend and its load-balancing algorithm.

/** A server as the algorithm sees it. Fields are read at pick time; the backend owns them. */
export interface LbServer {
  /** Server id in its backend (puid), unique, starting at 1 in declaration order. */
  readonly id: number;
  readonly name: string;
  /** Effective weight now (user weight scaled by slowstart); 0 means never picked. */
  readonly eweight: number;
  /** Connections currently served by this server. */
  readonly curConns: number;
  /** Effective maxconn (0 = unlimited): a server at this count is full. */
  readonly effMaxconn: number;
}

export interface LbAlgorithm {
  /**
   * Called whenever the set of eligible servers or a weight changes. `servers` is the list
   * the algorithm must choose from right now (the backend already applied health, maintenance,
   * drain and the active/backup rule), in id order.
   */
  rebuild(servers: readonly LbServer[]): void;
  /**
   * Picks a server. `key` is the hashing input for hash-based algorithms (source address bytes,
   * URI...), ignored by the others. `avoid` is a server to skip if another is available (used by
   * redispatch after a failed connection). Returns null when nothing is eligible or all are full
   * (the caller then queues in the backend).
   */
  pick(key: Buffer | string | null, avoid: LbServer | null): LbServer | null;
  /** leastconn/first re-sort when a server's connection count changes; others ignore it. */
  connChanged?(server: LbServer): void;
  /** Hash-based algorithms need the key from the stream; non-hash ones do not. */
  readonly needsKey: boolean;
}
