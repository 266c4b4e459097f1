// Builds a backend's load-balancing algorithm from its configuration ("balance", "hash-type").
import type { BalanceConfig, HashTypeConfig } from '../config/model.ts';
import type { LbAlgorithm } from './types.ts';
import { RoundRobinLb } from './roundrobin.ts';
import { StaticRoundRobinLb } from './static-rr.ts';
import { LeastConnLb } from './leastconn.ts';
import { FirstLb } from './first.ts';
import { RandomLb } from './random.ts';
import { SourceHashLb } from './source.ts';
import { KeyHashLb } from './key-hash.ts';
import { SharedSequenceLb, type SharedTicket } from './shared-rr.ts';

export type { LbAlgorithm, LbServer } from './types.ts';

/**
 * `balanceFactor` is "hash-balance-factor" (bounded loads on consistent hashing and random).
 * `shared` is given when several threads balance the same backend: round-robin orders then
 * follow one ticket counter, and leastconn reads connection counts other threads change.
 */
export function createLbAlgorithm(balance: BalanceConfig, hashType: HashTypeConfig, balanceFactor = 0, shared: SharedTicket | null = null): LbAlgorithm {
  switch (balance.algo) {
    case 'roundrobin': return shared ? new SharedSequenceLb(() => new RoundRobinLb(), shared) : new RoundRobinLb();
    case 'static-rr': return shared ? new SharedSequenceLb(() => new StaticRoundRobinLb(), shared) : new StaticRoundRobinLb();
    case 'leastconn': return new LeastConnLb(shared !== null);
    case 'first': return new FirstLb();
    case 'random': return new RandomLb(balance.draws, Math.random, balanceFactor);
    case 'source': return new SourceHashLb(hashType, balanceFactor);
    case 'uri':
    case 'url_param':
    case 'hdr':
    case 'rdp-cookie': return new KeyHashLb(hashType, balanceFactor);
    default: {
      const never: never = balance.algo;
      throw new Error(`unknown balance algorithm ${String(never)}`);
    }
  }
}
