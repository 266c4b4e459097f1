// "show servers conn": each server's connections, in use and idle, with the idle ones counted
// per thread. Every thread keeps its own idle connections (HTTP/1 pools, HTTP/2 connections
// without streams); the CLI runs on the main thread, which asks the others for their counts.
import type { Runtime } from '../../runtime/runtime.ts';
import type { Proxy } from '../../runtime/proxy.ts';
import { upstreamIdleCount } from '../../runtime/h2-upstream.ts';
import { threads } from '../../runtime/threads/context.ts';
import type { IdleConnRow } from '../../runtime/threads/messages.ts';

/**
 * This thread's idle server connections. As HAProxy, an idle connection is "safe" once it has
 * carried more than one request (proven reusable), "unsafe" before.
 */
export function idleConnRows(rt: Runtime): IdleConnRow[] {
  const rows: IdleConnRow[] = [];
  for (const px of rt.proxies) {
    for (const sv of px.backend?.servers ?? []) {
      const pool = sv.pool;
      const safe = pool ? pool.safeCount : 0;
      const unsafe = upstreamIdleCount(sv) + (pool ? pool.idleCount - pool.safeCount : 0);
      if (pool || unsafe > 0) rows.push({ proxy: px.name, server: sv.name, safe, unsafe, maxUsed: pool?.maxUsed ?? 0, estNeed: pool?.estNeed ?? 0 });
    }
  }
  return rows;
}

const HEADER = '# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr';

/**
 * The dump of `pxs`' servers from every thread's idle counts (`perThread[i]`: thread i's rows).
 * Connections in use are the streams on the server, process-wide; used_max and need_est are the
 * HTTP/1 pools' figures (peak use since the last purge, estimated need), summed over threads.
 */
export function showServersConn(pxs: readonly Proxy[], perThread: readonly (readonly IdleConnRow[])[]): string {
  let out = `${HEADER}[${threads.count}]\n`;
  for (const px of pxs) {
    for (const sv of px.backend!.servers) {
      const t = sv.target;
      const addr = t && 'host' in t ? `${t.host} ${t.port}` : '- 0';
      let safe = 0;
      let unsafe = 0;
      let pools = 0;
      let maxUsed = 0;
      let estNeed = 0;
      const mine = perThread.map((rows) => {
        const r = rows.find((x) => x.proxy === px.name && x.server === sv.name);
        if (!r) return 0;
        safe += r.safe;
        unsafe += r.unsafe;
        pools++;
        maxUsed += r.maxUsed;
        estNeed += r.estNeed;
        return r.safe + r.unsafe;
      });
      // Without an HTTP/1 pool (TCP mode, HTTP/2 servers): the most connections it had at once.
      if (pools === 0) maxUsed = estNeed = sv.counters.max;
      out += `${px.name}/${sv.name} ${px.id}/${sv.id} ${addr} - ${sv.cfg.poolPurgeDelay} ${sv.curConns} ${maxUsed} ${estNeed} ${unsafe} ${safe} ${sv.cfg.poolMaxConn} ${safe + unsafe}`;
      // HAProxy has no per-thread idle lists for a server that keeps no idle connection.
      if (sv.cfg.poolMaxConn !== 0) out += ` ${mine.join(' ')}`;
      out += '\n';
    }
  }
  return out;
}
