// Constants and helpers shared by the load-balancing algorithms (HAProxy's backend.h/server.h).
import type { LbServer } from './types.ts';

/** Effective weights are user weights times this scale, so slowstart can ramp in small steps. */
export const BE_WEIGHT_SCALE = 16;
/** Largest user weight HAProxy accepts. */
export const SRV_UWGHT_MAX = 256;
/** Range of user weights, used to build round-robin sorting keys. */
export const SRV_UWGHT_RANGE = 256;
/** Largest effective (scaled) weight, also the spacing of a server's consistent-hash points. */
export const SRV_EWGHT_MAX = SRV_UWGHT_MAX * BE_WEIGHT_SCALE;
export const SRV_EWGHT_RANGE = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;

/**
 * Converts the backend's effective weight (user units, possibly fractional during slowstart)
 * into HAProxy's integer scaled weight (1/16 of a user weight unit), at least 1 when positive
 * and at most SRV_EWGHT_MAX.
 */
export function scaledWeight(eweight: number): number {
  if (!(eweight > 0)) return 0;
  const w = Math.ceil(eweight * BE_WEIGHT_SCALE - 1e-9);
  return w < 1 ? 1 : w > SRV_EWGHT_MAX ? SRV_EWGHT_MAX : w;
}

/** A server is full when it has a connection limit and reached it. */
export function isFull(s: LbServer): boolean {
  return s.effMaxconn > 0 && s.curConns >= s.effMaxconn;
}

/**
 * Consistent hashing with bounded loads (hash-balance-factor, chash_server_is_eligible()): a
 * server may take a new connection only while it serves fewer than its weighted share of all
 * connections (plus this one) times the factor (in percent). `served` is the connection count
 * of all servers, `weight` and `cumulative` the server's scaled weight and the sum of the
 * weights before it, `total` the sum of all weights.
 */
export function underBoundedLoad(curConns: number, served: number, factor: number, weight: number, cumulative: number, total: number): boolean {
  const totSlots = Math.floor(((served + 1) * factor + 99) / 100);
  const perWeight = Math.floor(totSlots / total);
  const remainder = totSlots % total;
  let slots = weight * perWeight;
  slots += Math.floor(((cumulative + weight) * remainder) / total) - Math.floor((cumulative * remainder) / total);
  if (slots === 0) slots = 1;
  return curConns < slots;
}
