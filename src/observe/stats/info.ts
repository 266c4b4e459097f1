// "show info": process-wide figures in HAProxy 2.6's order and with its types and tags, as
// plain "Name: value" lines, typed lines or JSON (management.txt 9.3 "show info").
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Runtime } from '../../runtime/runtime.ts';
import { PRODUCT, RELEASE_DATE, VERSION } from '../../version.ts';
import { threads } from '../../runtime/threads/context.ts';
import { processCounters } from '../counters.ts';
import { jsonTagsAndValue, str, u32, u64, type Field } from './fields.ts';

/** [name, description] of each "show info" field, by position. */
export const INFO_FIELDS: readonly (readonly [string, string])[] = [
  ["Name", "Product name"],
  ["Version", "Product version"],
  ["Release_date", "Date of latest source code update"],
  ["Nbthread", "Number of started threads (global.nbthread)"],
  ["Nbproc", "Number of started worker processes (historical, always 1)"],
  ["Process_num", "Relative worker process number (1)"],
  ["Pid", "This worker process identifier for the system"],
  ["Uptime", "How long ago this worker process was started (days+hours+minutes+seconds)"],
  ["Uptime_sec", "How long ago this worker process was started (seconds)"],
  ["Memmax_MB", "Worker process's hard limit on memory usage in MB (-m on command line)"],
  ["PoolAlloc_MB", "Amount of memory allocated in pools (in MB)"],
  ["PoolUsed_MB", "Amount of pool memory currently used (in MB)"],
  ["PoolFailed", "Number of failed pool allocations since this worker was started"],
  ["Ulimit-n", "Hard limit on the number of per-process file descriptors"],
  ["Maxsock", "Hard limit on the number of per-process sockets"],
  ["Maxconn", "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"],
  ["Hard_maxconn", "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"],
  ["CurrConns", "Current number of connections on this worker process"],
  ["CumConns", "Total number of connections on this worker process since started"],
  ["CumReq", "Total number of requests on this worker process since started"],
  ["MaxSslConns", "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"],
  ["CurrSslConns", "Current number of SSL endpoints on this worker process (front+back)"],
  ["CumSslConns", "Total number of SSL endpoints on this worker process since started (front+back)"],
  ["Maxpipes", "Hard limit on the number of pipes for splicing, 0=unlimited"],
  ["PipesUsed", "Current number of pipes in use in this worker process"],
  ["PipesFree", "Current number of allocated and available pipes in this worker process"],
  ["ConnRate", "Number of front connections created on this worker process over the last second"],
  ["ConnRateLimit", "Hard limit for ConnRate (global.maxconnrate)"],
  ["MaxConnRate", "Highest ConnRate reached on this worker process since started (in connections per second)"],
  ["SessRate", "Number of sessions created on this worker process over the last second"],
  ["SessRateLimit", "Hard limit for SessRate (global.maxsessrate)"],
  ["MaxSessRate", "Highest SessRate reached on this worker process since started (in sessions per second)"],
  ["SslRate", "Number of SSL connections created on this worker process over the last second"],
  ["SslRateLimit", "Hard limit for SslRate (global.maxsslrate)"],
  ["MaxSslRate", "Highest SslRate reached on this worker process since started (in connections per second)"],
  ["SslFrontendKeyRate", "Number of SSL keys created on frontends in this worker process over the last second"],
  ["SslFrontendMaxKeyRate", "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"],
  ["SslFrontendSessionReuse_pct", "Percent of frontend SSL connections which did not require a new key"],
  ["SslBackendKeyRate", "Number of SSL keys created on backends in this worker process over the last second"],
  ["SslBackendMaxKeyRate", "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"],
  ["SslCacheLookups", "Total number of SSL session ID lookups in the SSL session cache on this worker since started"],
  ["SslCacheMisses", "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"],
  ["CompressBpsIn", "Number of bytes submitted to the HTTP compressor in this worker process over the last second"],
  ["CompressBpsOut", "Number of bytes emitted by the HTTP compressor in this worker process over the last second"],
  ["CompressBpsRateLim", "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"],
  ["ZlibMemUsage", "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"],
  ["MaxZlibMemUsage", "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"],
  ["Tasks", "Total number of tasks in the current worker process (active + sleeping)"],
  ["Run_queue", "Total number of active tasks+tasklets in the current worker process"],
  ["Idle_pct", "Percentage of last second spent waiting in the current worker thread"],
  ["node", "Node name (global.node)"],
  ["description", "Node description (global.description)"],
  ["Stopping", "1 if the worker process is currently stopping, otherwise zero"],
  ["Jobs", "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"],
  ["Unstoppable Jobs", "Current number of unstoppable jobs on the current worker process (master connections)"],
  ["Listeners", "Current number of active listeners on the current worker process"],
  ["ActivePeers", "Current number of verified active peers connections on the current worker process"],
  ["ConnectedPeers", "Current number of peers having passed the connection step on the current worker process"],
  ["DroppedLogs", "Total number of dropped logs for current worker process since started"],
  ["BusyPolling", "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"],
  ["FailedResolutions", "Total number of failed DNS resolutions in current worker process since started"],
  ["TotalBytesOut", "Total number of bytes emitted by current worker process since started"],
  ["TotalSplicdedBytesOut", "Total number of bytes emitted by current worker process through a kernel pipe since started"],
  ["BytesOutRate", "Number of bytes emitted by current worker process over the last second"],
  ["DebugCommandsIssued", "Number of debug commands issued on this process (anything > 0 is unsafe)"],
  ["CumRecvLogs", "Total number of log messages received by log-forwarding listeners on this worker process since started"],
  ["Build info", "Build info"],
  ["Memmax_bytes", "Worker process's hard limit on memory usage in byes (-m on command line)"],
  ["PoolAlloc_bytes", "Amount of memory allocated in pools (in bytes)"],
  ["PoolUsed_bytes", "Amount of pool memory currently used (in bytes)"],
  ["Start_time_sec", "Start time in seconds"],
  ["Tainted", "Experimental features used"],
];

/** HAProxy's "%dd %dh%02dm%02ds". */
export function formatUptime(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

/** Share of the last second the event loop spent waiting, as HAProxy's Idle_pct. */
let eluMark = performance.eventLoopUtilization();
let eluAt = Date.now();
let idlePct = 100;
function idlePercent(now: number): number {
  if (now - eluAt >= 1000) {
    const cur = performance.eventLoopUtilization();
    idlePct = Math.round((1 - performance.eventLoopUtilization(cur, eluMark).utilization) * 100);
    eluMark = cur;
    eluAt = now;
  }
  return idlePct;
}

export interface InfoExtras {
  /** CLI listeners and connections, counted in Listeners and Jobs as HAProxy counts its own. */
  readonly cliListeners: number;
  readonly cliConns: number;
}

/** The values, by position; null where HAProxy prints nothing. */
export function infoFields(rt: Runtime, extras: InfoExtras, now = Date.now()): (Field | null)[] {
  const g = rt.config.global;
  const up = Math.floor((now - rt.startedAt) / 1000);
  const mem = process.memoryUsage();
  let listening = 0;
  for (const l of rt.listeners) if (l.listening) listening++;
  let bytesOut = 0;
  for (const p of rt.proxies) {
    const c = p.counters.aggregate();
    if (p.cfg.isFrontend) bytesOut += c.bytesOut;
    if (p.backend) bytesOut += c.bytesIn;
  }
  // Every thread's figures.
  const pc = processCounters.aggregate();
  const v: (Field | null)[] = new Array(INFO_FIELDS.length).fill(null);
  v[0] = str('POS', PRODUCT);
  v[1] = str('POS', VERSION);
  v[2] = str('POS', RELEASE_DATE);
  v[3] = u32('CGS', threads.count);
  v[4] = u32('CGS', 1);
  v[5] = u32('KGP', 1);
  v[6] = u32('SGP', process.pid);
  v[7] = str('MDP', formatUptime(up));
  v[8] = u32('MDP', up);
  v[9] = u32('CLP', 0);
  v[10] = u32('MGP', mem.heapTotal / 1048576);
  v[11] = u32('MGP', mem.heapUsed / 1048576);
  v[12] = u32('MCP', 0);
  v[13] = u32('CLP', rt.fdLimit);
  v[14] = u32('CLP', rt.maxsock);
  v[15] = u32('CLP', rt.maxconn);
  v[16] = u32('CLP', rt.hardMaxconn);
  v[17] = u32('MGP', pc.curConns);
  v[18] = u32('MCP', pc.cumConns);
  v[19] = u32('MCP', pc.cumReq);
  for (const i of [20, 21, 22, 23, 24, 25]) v[i] = u32(i === 20 ? 'MMP' : i === 22 ? 'MCP' : i === 23 ? 'CLP' : 'MGP', 0);
  v[26] = u32('MRP', pc.connRate.rate(now));
  v[27] = u32('CLP', 0);
  v[28] = u32('MMP', pc.connRate.max);
  v[29] = u32('MRP', pc.connRate.rate(now));
  v[30] = u32('CLP', 0);
  v[31] = u32('MRP', pc.connRate.max);
  // No TLS and no compression in Turnpike: these rates and limits are truly zero.
  const zeros: readonly [number, string][] = [
    [32, 'MRP'], [33, 'CLP'], [34, 'MMP'], [35, 'MGP'], [36, 'MMP'], [37, 'MGP'], [38, 'MRP'], [39, 'MMP'], [40, 'MCP'], [41, 'MCP'],
    [42, 'MRP'], [43, 'MRP'], [44, 'CLP'],
  ];
  for (const [i, t] of zeros) v[i] = u32(t, 0);
  v[47] = u32('MGP', rt.streams.size + rt.listeners.length);
  v[48] = u32('MGP', 0);
  v[49] = u32('MaP', idlePercent(now));
  v[50] = str('COS', g.node ?? hostname());
  if (g.description) v[51] = str('COS', g.description);
  v[52] = u32('MGP', rt.stopping ? 1 : 0);
  v[53] = u32('MGP', listening + extras.cliListeners + pc.curConns + extras.cliConns);
  v[54] = u32('MGP', 0);
  v[55] = u32('MGP', listening + extras.cliListeners);
  for (const i of [56, 57, 59, 60]) v[i] = u32('MGP', 0);
  v[58] = u32('MGP', pc.droppedLogs);
  v[61] = u64('MGP', bytesOut);
  v[62] = u64('MGP', 0);
  v[63] = u64('MRP', 0);
  v[64] = u32('MGP', 0);
  v[65] = u32('MCP', 0);
  v[66] = str('POS', VERSION);
  v[67] = u32('CLP', 0);
  v[68] = u64('MGP', mem.heapTotal);
  v[69] = u64('MGP', mem.heapUsed);
  v[70] = u32('MDP', Math.floor(rt.startedAt / 1000));
  v[71] = str('SGP', '0');
  return v;
}

export function renderInfoPlain(v: readonly (Field | null)[], withDesc = false): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const f = v[i];
    if (!f) continue;
    out += `${INFO_FIELDS[i]![0]}: ${f.value}${withDesc ? `:"${INFO_FIELDS[i]![1]}"` : ''}\n`;
  }
  return out;
}

export function renderInfoTyped(v: readonly (Field | null)[], withDesc = false): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const f = v[i];
    if (!f) continue;
    out += `${i}.${INFO_FIELDS[i]![0]}.1:${f.tags}:${f.type}:${f.value}${withDesc ? `:"${INFO_FIELDS[i]![1]}"` : ''}\n`;
  }
  return out;
}

export function renderInfoJson(v: readonly (Field | null)[]): string {
  const objs: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const f = v[i];
    if (f) objs.push(`{"field":{"pos":${i},"name":"${INFO_FIELDS[i]![0]}"},"processNum":1,${jsonTagsAndValue(f)}}`);
  }
  return `[${objs.join(',')}]\n`;
}
