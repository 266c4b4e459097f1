// Hash-based algorithms whose key is a byte string taken from the request: "balance uri",
// "url_param", "hdr()" and "rdp-cookie" (get_server_uh/ph/hh/rch() in HAProxy's backend.c).
// The stream extracts the key (http-keys.ts); here it is hashed with the configured function
// and modifier ("hash-type"), then looked up in the weight map (map-based, static) or on the
// consistent-hashing ring. Without a key (parameter or header absent) the pick falls back to
// round-robin over the same map or ring, as HAProxy does.
import type { LbAlgorithm, LbServer } from './types.ts';
import type { HashTypeConfig } from '../config/model.ts';
import { HashPlacement } from './hash-placement.ts';
import { hashFunction, hashKey, type ByteHasher } from './hash.ts';

export class KeyHashLb implements LbAlgorithm {
  readonly needsKey = true;
  private readonly placement: HashPlacement;
  private readonly fn: ByteHasher;
  private readonly avalanche: boolean;

  constructor(hashType: HashTypeConfig, balanceFactor = 0) {
    this.placement = new HashPlacement(hashType.method, balanceFactor);
    this.fn = hashFunction(hashType.fn);
    this.avalanche = hashType.avalanche;
  }

  rebuild(servers: readonly LbServer[]): void {
    this.placement.rebuild(servers);
  }

  pick(key: Buffer | string | null, avoid: LbServer | null): LbServer | null {
    if (key === null) return this.placement.roundRobin(avoid);
    return this.placement.lookup(hashKey(this.fn, this.avalanche, key), avoid);
  }
}
