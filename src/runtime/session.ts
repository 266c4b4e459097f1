// What every client connection does alike, in TCP and HTTP mode: find its two ends, run the
// rules that cannot wait for data (tcp-request connection/session), take the addresses of a
// PROXY header, and decide when a retry redispatches.
import type { Conn } from '../protocols/tcp/conn.ts';
import type { TcpRule } from '../config/model.ts';
import type { SampleStream } from '../sample/types.ts';
import type { ProxyHeader } from '../protocols/proxy-protocol.ts';
import type { Listener } from './listener.ts';
import type { Proxy } from './proxy.ts';
import type { Server } from './server.ts';
import type { StreamLog } from '../observe/log/loggable.ts';

/** The client's and our addresses, as fetches (src, dst) and logs see them. */
export interface ClientEnds {
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  family: 'ipv4' | 'ipv6' | 'unix';
}

/** IPv4 clients of an IPv6 socket appear as ::ffff:a.b.c.d; HAProxy shows a.b.c.d. */
function stripMapped(a: string): string {
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}

/** The addresses behind a stream's ClientEnds accessors (see lazyClientEnds). */
export class ClientAddresses implements ClientEnds {
  srcAddr = '';
  srcPort = 0;
  dstAddr = '';
  dstPort = 0;
  family: 'ipv4' | 'ipv6' | 'unix' = 'ipv4';
}

/** A stream whose ClientEnds fields are accessors (lazyClientEnds) over `ends`. */
export interface LazyEnds {
  /** The client socket until its addresses are read, then null. */
  endsSock: Conn | null;
  readonly ends: ClientAddresses;
  readonly listener: Listener;
}

/** Reads the client's addresses now (they cannot be read once the socket is closed). */
export function readClientEnds(s: LazyEnds): void {
  const sock = s.endsSock;
  if (sock === null) return;
  s.endsSock = null;
  initClientEnds(s.ends, sock, s.listener);
}

/**
 * Gives `proto` the ClientEnds fields as accessors that read the client's addresses the first
 * time one is asked for: getpeername() and getsockname() are two system calls per connection
 * that a proxy without logs or address-based rules never needs. A stream whose log line will
 * want them reads them at once (readClientEnds), while the socket is open.
 */
export function lazyClientEnds(proto: object): void {
  for (const k of ['srcAddr', 'srcPort', 'dstAddr', 'dstPort', 'family'] as const) {
    Object.defineProperty(proto, k, {
      get(this: LazyEnds) {
        readClientEnds(this);
        return this.ends[k];
      },
      set(this: LazyEnds, v: never) {
        readClientEnds(this);
        this.ends[k] = v;
      },
    });
  }
}

/** A server connection's two ends, as a log line shows them (%si %sp, %bi %bp). */
export interface ServerEnds {
  readonly remoteAddress: string | null;
  readonly remotePort: number;
  readonly localAddress: string | null;
  readonly localPort: number;
}

/** `remoteFallback`: the address shown when the socket has none (a UNIX socket). */
export function socketEnds(s: Conn, remoteFallback: string | null = null): ServerEnds {
  return { remoteAddress: s.remoteAddress ?? remoteFallback, remotePort: s.remotePort ?? 0, localAddress: s.localAddress ?? null, localPort: s.localPort ?? 0 };
}

/** Whether the frontend sends log lines: only then are the connections' addresses read for them. */
export function logsTraffic(fe: Proxy): boolean {
  return fe.cfg.log.targets.length > 0;
}

/** A server connection's ends into the log record (for a frontend that logs: reading them costs two system calls). */
export function logServerEnds(L: StreamLog, e: ServerEnds): void {
  L.srvAddr = e.remoteAddress;
  L.srvPort = e.remotePort;
  L.connAddr = e.localAddress;
  L.connPort = e.localPort;
}

/** Starts a stream's lazy ClientEnds on `client`; a frontend that logs reads them at once, for the log line at close. */
export function watchClientEnds(s: LazyEnds, client: Conn, frontend: Proxy): void {
  s.endsSock = client;
  if (logsTraffic(frontend)) readClientEnds(s);
}

export function initClientEnds(e: ClientEnds, client: Conn, listener: Listener): void {
  const unix = listener.isUnix;
  e.family = unix ? 'unix' : client.remoteFamily === 'IPv6' ? 'ipv6' : 'ipv4';
  e.srcAddr = unix ? '' : stripMapped(client.remoteAddress ?? '');
  e.srcPort = unix ? 0 : client.remotePort ?? 0;
  e.dstAddr = unix ? listener.path : stripMapped(client.localAddress ?? '');
  e.dstPort = unix ? 0 : client.localPort ?? 0;
  if (e.family === 'ipv6' && e.srcAddr.indexOf(':') < 0) e.family = 'ipv4';
}

/** A PROXY header's addresses replace the connection's (LOCAL and UNKNOWN keep them). */
export function applyProxyHeader(e: ClientEnds, h: ProxyHeader): void {
  if (h.command !== 'PROXY' || (h.family !== 'tcp4' && h.family !== 'tcp6')) return;
  e.srcAddr = h.src!;
  e.srcPort = h.srcPort!;
  e.dstAddr = h.dst!;
  e.dstPort = h.dstPort!;
  e.family = h.family === 'tcp4' ? 'ipv4' : 'ipv6';
}

/** The log's listener number (%cp/%fp of UNIX clients): its id, else its rank in the frontend. */
export function listenerLogId(l: Listener): number {
  return l.bind.id ?? l.proxy.listeners.indexOf(l) + 1;
}

/** tcp-request connection / session rules, which decide at once: the first matching action wins; expect-proxy does not stop. */
export function evalConnectionRules(rules: readonly TcpRule[], s: SampleStream): 'accept' | 'reject' | 'expect-proxy' | 'none' {
  let expectProxy = false;
  for (const r of rules) {
    if (r.cond && r.cond.eval(s) !== true) continue;
    if (r.action === 'expect-proxy') {
      expectProxy = true;
      continue;
    }
    return r.action;
  }
  return expectProxy ? 'expect-proxy' : 'none';
}

/** option redispatch <interval>: every Pth retry (P > 0), or only the Nth before the last (N < 0). */
export function redispatchOnRetry(attempt: number, retries: number, interval: number): boolean {
  if (interval === 0) return false;
  if (interval > 0) return attempt % interval === 0;
  return attempt === retries + 1 + interval;
}

/**
 * After a failed connection attempt to `server` (the `attempt`th retry so far): counts it and
 * tells what comes next. A server that just went down (observe layer4) is left at once when
 * redispatch is on; the last usable server is never left.
 */
export function afterConnectFailure(server: Server, px: Proxy, attempt: number): 'give-up' | 'redispatch' | 'retry' {
  server.counters.connErrors++;
  px.counters.connErrors++;
  server.check?.trafficError();
  if (attempt >= px.cfg.retries) return 'give-up';
  server.counters.retries++;
  px.counters.retries++;
  const interval = px.cfg.redispatch;
  const redispatch = interval !== 0 && (!server.eligible || redispatchOnRetry(attempt + 1, px.cfg.retries, interval));
  if (!redispatch || px.backend!.usableCount <= (server.eligible ? 1 : 0)) return 'retry';
  server.counters.redispatches++;
  px.counters.redispatches++;
  return 'redispatch';
}
