// The sample fetch registry (HAProxy's sample_fetch_kw_list). Each module registers the
// fetches it provides; expressions resolve them by name at load time, with arguments parsed
// and validated once. This file holds the internal-state, layer-4 and layer-6 fetches; the
// HTTP fetches register themselves from the HTTP module.
import type { Phase, Sample, SampleProxy, SampleServer, SampleStream, SampleType } from './types.ts';
import { PhaseBit } from './types.ts';
import type { Arg, ArgSpec } from './arg.ts';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';
import { parseHex } from './pattern.ts';
import { toByteString } from './casts.ts';

/** A fetch that could not produce a sample yet, but may once more data arrives (SMP_F_MAY_CHANGE). */
export const PENDING: unique symbol = Symbol('pending');
export type Pending = typeof PENDING;
export type FetchResult = Sample | null | Pending;

/** Where a fetch takes its data from (HAProxy's SMP_SRC_*), naming it in error messages. */
export type SampleSource =
  | 'internal' | 'listener' | 'frontend' | 'l4cli' | 'l5cli' | 'track' | 'l6req'
  | 'hrqhv' | 'hrqhp' | 'hrqbo' | 'backend' | 'server' | 'l4srv' | 'l5srv' | 'l6res'
  | 'hrshv' | 'hrshp' | 'hrsbo' | 'rqfin' | 'rsfin' | 'txfin' | 'ssfin'
  /** Either message's headers, by direction (hdr(), cookie()): HAProxy names both sources. */
  | 'hrqhv,hrshv';

/** fetch_src_names[] */
export const SOURCE_NAMES: Readonly<Record<SampleSource, string>> = {
  internal: 'internal state', listener: 'listener', frontend: 'frontend', l4cli: 'client address',
  l5cli: 'client-side connection', track: 'track counters', l6req: 'request buffer',
  hrqhv: 'HTTP request headers', hrqhp: 'HTTP request', hrqbo: 'HTTP request body', backend: 'backend',
  server: 'server', l4srv: 'server address', l5srv: 'server-side connection', l6res: 'response buffer',
  hrshv: 'HTTP response headers', hrshp: 'HTTP response', hrsbo: 'HTTP response body',
  rqfin: 'request buffer statistics', rsfin: 'response buffer statistics', txfin: 'transaction statistics',
  ssfin: 'session statistics',
  'hrqhv,hrshv': 'HTTP request headers,HTTP response headers',
};

const P = PhaseBit;
const EVERYWHERE = P.L4Conn | P.L5Sess | P.L6ReqFe | P.L6ReqBe | P.L6Res | P.L7ReqFe | P.L7ReqBe | P.L7Res | P.Log | P.UseBackend | P.UseServer;
const REQ = P.L6ReqFe | P.L6ReqBe | P.L7ReqFe | P.L7ReqBe | P.UseBackend | P.UseServer;
const RES = P.L6Res | P.L7Res;

/** fetch_cap[]: the phases where data from each source exists. */
export const SOURCE_PHASES: Readonly<Record<SampleSource, Phase>> = {
  internal: EVERYWHERE, listener: EVERYWHERE, frontend: EVERYWHERE, l4cli: EVERYWHERE, track: EVERYWHERE,
  l5cli: EVERYWHERE & ~P.L4Conn,
  l6req: REQ,
  hrqhv: REQ,
  hrqhp: REQ | RES | P.Log,
  hrqbo: P.UseBackend | P.L6ReqBe | P.L7ReqBe | P.UseServer,
  backend: P.L6ReqBe | P.L7ReqBe | P.UseServer | RES | P.Log,
  server: RES | P.Log,
  l4srv: RES | P.Log,
  l5srv: RES | P.Log,
  l6res: RES,
  hrshv: RES,
  hrshp: RES | P.Log,
  hrsbo: P.L7Res,
  rqfin: P.Log, rsfin: P.Log, txfin: P.Log, ssfin: P.Log,
  'hrqhv,hrshv': REQ | RES,
};

export interface FetchDef {
  readonly name: string;
  readonly args?: ArgSpec;
  /** val_args: checks (and may normalise) parsed arguments; returns an error text. */
  readonly validate?: (args: Arg[]) => string | null;
  /** Declared output type (what ACLs and converters see at load time). */
  readonly out: SampleType;
  readonly use: SampleSource;
  /** Phases where the fetch may be used; derived from <use> when absent. */
  readonly usable?: Phase;
  readonly fn: (s: SampleStream, args: readonly Arg[]) => FetchResult;
  /**
   * Multi-valued fetches (e.g. every occurrence of a header): ACLs try each value in turn,
   * as HAProxy does with SMP_OPT_ITERATE. <fn> then returns the value used elsewhere.
   */
  readonly iterate?: (s: SampleStream, args: readonly Arg[]) => Iterable<FetchResult>;
}

export interface ResolvedFetchDef extends FetchDef {
  readonly usable: Phase;
}

const fetches = new Map<string, ResolvedFetchDef>();

export function registerFetches(...defs: FetchDef[]): void {
  for (const d of defs) {
    if (fetches.has(d.name)) throw new Error(`duplicate sample fetch registration: ${d.name}`);
    fetches.set(d.name, { ...d, usable: d.usable ?? SOURCE_PHASES[d.use] });
  }
}

export function findFetch(name: string): ResolvedFetchDef | undefined {
  return fetches.get(name);
}

export function fetchNames(): Iterable<string> {
  return fetches.keys();
}

// ---- helpers for fetch implementations -------------------------------------------------

export function sint(value: number, mayChange = false): Sample {
  return mayChange ? { type: 'sint', value, mayChange } : { type: 'sint', value };
}
export function bool(value: boolean): Sample {
  return { type: 'bool', value };
}
export function str(value: string): Sample {
  return { type: 'str', value };
}

/** The proxy a fetch without a proxy argument looks at: the stream's backend, or the frontend before one is chosen. */
export function currentBackend(s: SampleStream): SampleProxy {
  return s.backend ?? s.frontend;
}

function proxyArg(s: SampleStream, args: readonly Arg[], dflt: (s: SampleStream) => SampleProxy): SampleProxy | null {
  const a = args[0];
  if (!a || a.str === '') return dflt(s);
  return s.world.proxy(a.str) ?? null;
}

/** Resolves a "[<backend>/]<server>" argument at run time. */
function serverArg(s: SampleStream, a: Arg): SampleServer | null {
  const slash = a.str.indexOf('/');
  let px: SampleProxy | undefined;
  if (slash >= 0) px = s.world.proxy(a.str.slice(0, slash));
  else px = a.proxy ? s.world.proxy(a.proxy) : currentBackend(s);
  if (!px) return null;
  return px.server(slash < 0 ? a.str : a.str.slice(slash + 1)) ?? null;
}

function addrSample(family: 'ipv4' | 'ipv6' | 'unix', addr: string): Sample | null {
  if (family === 'ipv4') {
    const v = parseIPv4(addr);
    return v === null ? null : { type: 'ipv4', value: formatIPv4(v) };
  }
  if (family === 'ipv6') {
    const v = parseIPv6(addr);
    return v === null ? null : { type: 'ipv6', value: formatIPv6(v) };
  }
  return null;
}

/** Usable servers of a backend (be_usable_srv): active ones, else backups. */
export function usableServers(px: SampleProxy): number {
  let act = 0;
  let bck = 0;
  for (const srv of px.servers) {
    if (!srv.isUp) continue;
    if (srv.backup) bck++;
    else act++;
  }
  return act > 0 ? act : bck;
}

function bufsize(s: SampleStream): number {
  return s.world.bufsize ?? 16384;
}

// ---- internal states (7.3.2) -------------------------------------------------------------

const BE_ARG: ArgSpec = { types: ['be'], min: 0 };

registerFetches(
  { name: 'always_true', out: 'bool', use: 'internal', fn: () => bool(true) },
  { name: 'always_false', out: 'bool', use: 'internal', fn: () => bool(false) },
  {
    name: 'env', args: { types: ['str'], min: 1 }, out: 'str', use: 'internal',
    fn: (s, a) => {
      const v = s.world.env(a[0]!.str);
      return v === undefined ? null : str(toByteString(v));
    },
  },
  { name: 'int', args: { types: ['sint'], min: 1 }, out: 'sint', use: 'internal', fn: (_s, a) => sint(a[0]!.int) },
  { name: 'str', args: { types: ['str'], min: 1 }, out: 'str', use: 'internal', fn: (_s, a) => str(a[0]!.str) },
  {
    name: 'bool', args: { types: ['str'], min: 1 }, out: 'bool', use: 'internal',
    validate: (a) => {
      const v = a[0]!.str;
      if (v === 'true' || v === '1') a[0]!.int = 1;
      else if (v === 'false' || v === '0') a[0]!.int = 0;
      else return "Expects 'true', 'false', '0' or '1'";
      return null;
    },
    fn: (_s, a) => bool(a[0]!.int === 1),
  },
  { name: 'ipv4', args: { types: ['ipv4'], min: 1 }, out: 'ipv4', use: 'internal', fn: (_s, a) => ({ type: 'ipv4', value: formatIPv4(a[0]!.int) }) },
  { name: 'ipv6', args: { types: ['ipv6'], min: 1 }, out: 'ipv6', use: 'internal', fn: (_s, a) => ({ type: 'ipv6', value: formatIPv6(a[0]!.ip6) }) },
  {
    name: 'bin', args: { types: ['str'], min: 1 }, out: 'bin', use: 'internal',
    validate: (a) => {
      const b = parseHex(a[0]!.str);
      return typeof b === 'string' ? b : null;
    },
    fn: (_s, a) => ({ type: 'bin', value: Buffer.from(a[0]!.str, 'hex') }),
  },
  {
    name: 'nbsrv', args: BE_ARG, out: 'sint', use: 'internal',
    fn: (s, a) => {
      const px = proxyArg(s, a, currentBackend);
      return px ? sint(usableServers(px)) : null;
    },
  },
  {
    name: 'be_conn', args: BE_ARG, out: 'sint', use: 'internal',
    fn: (s, a) => {
      const px = proxyArg(s, a, currentBackend);
      return px ? sint(px.beConn) : null;
    },
  },
  {
    name: 'fe_conn', args: { types: ['fe'], min: 0 }, out: 'sint', use: 'internal',
    fn: (s, a) => {
      const px = proxyArg(s, a, (st) => st.frontend);
      return px ? sint(px.feConn) : null;
    },
  },
  {
    name: 'queue', args: BE_ARG, out: 'sint', use: 'internal',
    fn: (s, a) => {
      const px = proxyArg(s, a, currentBackend);
      return px ? sint(px.queued + px.servers.reduce((n, srv) => n + srv.queued, 0)) : null;
    },
  },
  {
    name: 'connslots', args: BE_ARG, out: 'sint', use: 'internal',
    fn: (s, a) => {
      const px = proxyArg(s, a, currentBackend);
      if (!px) return null;
      let n = 0;
      for (const srv of px.servers) {
        if (!srv.isUp) continue;
        // unlimited maxconn or maxqueue: the count makes no sense (HAProxy returns -1)
        if (srv.maxconn === 0 || srv.maxqueue === 0) return sint(-1);
        n += srv.maxconn - srv.curConns + (srv.maxqueue - srv.queued);
      }
      return sint(n);
    },
  },
  {
    name: 'srv_is_up', args: { types: ['srv'], min: 1 }, out: 'bool', use: 'internal',
    fn: (s, a) => {
      const srv = serverArg(s, a[0]!);
      return srv ? bool(srv.isUp) : null;
    },
  },
);

// ---- layer 4 (7.3.3) ---------------------------------------------------------------------

registerFetches(
  { name: 'src', out: 'ipv4', use: 'l4cli', fn: (s) => addrSample(s.family, s.srcAddr) },
  { name: 'src_port', out: 'sint', use: 'l4cli', fn: (s) => (s.family === 'unix' ? null : sint(s.srcPort)) },
  { name: 'dst', out: 'ipv4', use: 'l4cli', fn: (s) => addrSample(s.family, s.dstAddr) },
  { name: 'dst_port', out: 'sint', use: 'l4cli', fn: (s) => (s.family === 'unix' ? null : sint(s.dstPort)) },
  { name: 'fc_rcvd_proxy', out: 'bool', use: 'l4cli', fn: (s) => bool(s.rcvdProxy) },
  { name: 'fe_name', out: 'str', use: 'frontend', fn: (s) => str(s.frontend.name) },
  { name: 'fe_id', out: 'sint', use: 'frontend', fn: (s) => sint(s.frontend.id) },
  { name: 'be_name', out: 'str', use: 'backend', fn: (s) => str(currentBackend(s).name) },
  { name: 'be_id', out: 'sint', use: 'backend', fn: (s) => sint(currentBackend(s).id) },
  { name: 'srv_name', out: 'str', use: 'server', fn: (s) => (s.server ? str(s.server.name) : null) },
  { name: 'srv_id', out: 'sint', use: 'server', fn: (s) => (s.server ? sint(s.server.id) : null) },
);

// ---- layer 6: request buffer contents (7.3.5) -------------------------------------------

function reqLen(s: SampleStream): FetchResult {
  return sint(s.reqData?.length ?? 0, !s.reqDataFinal);
}

function payload(s: SampleStream, a: readonly Arg[]): FetchResult {
  const off = a[0]!.int;
  const len = a[1]!.int;
  const max = bufsize(s);
  // negative values are huge unsigned ones in HAProxy: never matches
  if (off < 0 || len < 0 || len > max || off + len > max) return null;
  const data = s.reqData ?? Buffer.alloc(0);
  const tooShort = (): FetchResult => (s.reqDataFinal ? null : PENDING);
  if (off + len > data.length) return tooShort();
  if (len === 0) {
    const v: Sample = { type: 'bin', value: data.subarray(off) };
    return s.reqDataFinal ? v : { ...v, mayChange: true };
  }
  return { type: 'bin', value: data.subarray(off, off + len) };
}

function validatePayloadLv(a: Arg[]): string | null {
  if (a[1]!.int === 0) return 'payload length must be > 0';
  const off2 = a[2];
  if (off2 && off2.str !== '') {
    const t = off2.str;
    const rel = t[0] === '+' || t[0] === '-';
    const digits = rel ? t.slice(1) : t;
    if (!/^\d+$/.test(digits)) return 'payload offset2 is not a number';
    off2.type = 'sint';
    off2.int = Number(digits) * (t[0] === '-' ? -1 : 1);
    off2.ip6 = rel ? 1n : 0n; // relative marker
  }
  return null;
}

function payloadLv(s: SampleStream, a: readonly Arg[]): FetchResult {
  const lenOff = a[0]!.int;
  const lenSize = a[1]!.int;
  const data = s.reqData ?? Buffer.alloc(0);
  const tooShort = (): FetchResult => (s.reqDataFinal ? null : PENDING);
  if (lenOff < 0 || lenSize < 0) return null;
  if (lenOff + lenSize > data.length) return tooShort();
  let size = 0;
  for (let i = lenOff; i < lenOff + lenSize; i++) size = size * 256 + data[i]!;
  let off = lenOff + lenSize;
  const off2 = a[2];
  if (off2 && off2.type === 'sint') off = off2.ip6 === 1n ? off + off2.int : off2.int;
  const max = bufsize(s);
  if (size === 0 || size > max || off < 0 || off + size > max) return null;
  if (off + size > data.length) return tooShort();
  return { type: 'bin', value: data.subarray(off, off + size) };
}

const PAYLOAD_ARGS: ArgSpec = { types: ['sint', 'sint'], min: 2 };
const PAYLOAD_LV_ARGS: ArgSpec = { types: ['sint', 'sint', 'str'], min: 2 };

registerFetches(
  { name: 'req.len', out: 'sint', use: 'l6req', fn: reqLen },
  { name: 'req_len', out: 'sint', use: 'l6req', fn: reqLen },
  { name: 'req.payload', args: PAYLOAD_ARGS, out: 'bin', use: 'l6req', fn: payload },
  { name: 'payload', args: PAYLOAD_ARGS, out: 'bin', use: 'l6req', fn: payload },
  { name: 'req.payload_lv', args: PAYLOAD_LV_ARGS, validate: validatePayloadLv, out: 'bin', use: 'l6req', fn: payloadLv },
  { name: 'payload_lv', args: PAYLOAD_LV_ARGS, validate: validatePayloadLv, out: 'bin', use: 'l6req', fn: payloadLv },
  {
    // true once the inspection window is over, otherwise "cannot tell yet"
    name: 'wait_end', out: 'bool', use: 'internal',
    fn: (s) => (s.reqDataFinal ? bool(true) : PENDING),
  },
);
