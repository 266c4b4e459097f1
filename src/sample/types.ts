// The contract between the sample engine (fetches, converters, matchers, ACLs) and the
// runtime that feeds it. Fetches read a SampleStream; the runtime implements it.
import type { Loc, Diagnostics } from '../config/diagnostics.ts';
import type { HttpRequest, HttpResponse } from '../protocols/http1/message.ts';
import type { TlsInfo } from '../protocols/tls/info.ts';

/** HAProxy's sample types (SMP_T_*). */
export type SampleType = 'bool' | 'sint' | 'ipv4' | 'ipv6' | 'str' | 'bin' | 'meth' | 'any';

export interface Sample {
  type: SampleType;
  /**
   * bool: boolean; sint: number; ipv4/ipv6/str/meth: string; bin: Buffer.
   * str values are byte strings (one char per byte, latin1), so that lengths and comparisons
   * are on bytes as in HAProxy; Buffer.from(value, 'latin1') gives the bytes back.
   */
  value: boolean | number | string | Buffer;
  /** The value may change if more data arrives (incomplete buffer): "cannot tell yet". */
  mayChange?: boolean;
}

/**
 * Where a rule or expression is evaluated. Each fetch declares the phases where its data
 * exists, so using one elsewhere is an error at load time (HAProxy's SMP_USE_* / SMP_VAL_*).
 */
export const PhaseBit = {
  /** tcp-request connection: only the connection (addresses, frontend). */
  L4Conn: 1 << 0,
  /** tcp-request session */
  L5Sess: 1 << 1,
  /** tcp-request content in a frontend: request payload available. */
  L6ReqFe: 1 << 2,
  /** tcp-request content in a backend / use-server / balance: backend known. */
  L6ReqBe: 1 << 3,
  /** tcp-response content */
  L6Res: 1 << 4,
  /** http-request rules, use_backend in HTTP mode */
  L7ReqFe: 1 << 5,
  L7ReqBe: 1 << 6,
  /** http-response / http-after-response */
  L7Res: 1 << 7,
  /** log-format at log time */
  Log: 1 << 8,
  /** use_backend rules (HAProxy's SMP_VAL_FE_SET_BCK): after content inspection, before the backend. */
  UseBackend: 1 << 9,
  /** use-server, balance or stick-match rules in a backend (SMP_VAL_BE_SET_SRV). */
  UseServer: 1 << 10,
} as const;
export type Phase = number;
/** Names for error messages ("... which is not available in 'frontend tcp-request connection rule'"). */
export const PHASE_NAMES: Readonly<Record<number, string>> = {
  [PhaseBit.L4Conn]: 'frontend tcp-request connection rule',
  [PhaseBit.L5Sess]: 'frontend tcp-request session rule',
  [PhaseBit.L6ReqFe]: 'frontend tcp-request content rule',
  [PhaseBit.L6ReqBe]: 'backend tcp-request content rule',
  [PhaseBit.L6Res]: 'backend tcp-response content rule',
  [PhaseBit.L7ReqFe]: 'frontend http-request header rule',
  [PhaseBit.L7ReqBe]: 'backend http-request header rule',
  [PhaseBit.L7Res]: 'backend http-response header rule',
  [PhaseBit.Log]: 'logs',
  [PhaseBit.UseBackend]: 'frontend use-backend rule',
  [PhaseBit.UseServer]: 'backend use-server, balance or stick-match rule',
};
/** Every phase bit. */
export const ALL_PHASES: Phase = (1 << 11) - 1;

/** Runtime view of a server, as fetches see it. */
export interface SampleServer {
  readonly name: string;
  readonly id: number;
  /** Up and not in maintenance. */
  readonly isUp: boolean;
  readonly curConns: number;
  /** Current queue length. */
  readonly queued: number;
  /** Effective maxconn, 0 when unlimited. */
  readonly maxconn: number;
  readonly maxqueue: number;
  /** A backup server (nbsrv counts backups only when no active server is usable). */
  readonly backup?: boolean;
}

/** Runtime view of a proxy (frontend, backend or listen), as fetches see it. */
export interface SampleProxy {
  readonly name: string;
  readonly id: number;
  readonly mode: 'tcp' | 'http';
  /** Current connections on the frontend side. */
  readonly feConn: number;
  /** Current connections on the backend side. */
  readonly beConn: number;
  /** Queued connections in the backend queue. */
  readonly queued: number;
  readonly servers: readonly SampleServer[];
  server(name: string): SampleServer | undefined;
}

export interface SampleWorld {
  proxy(name: string): SampleProxy | undefined;
  env(name: string): string | undefined;
  /** tune.bufsize (req.payload never matches beyond it); 16384 when absent. */
  readonly bufsize?: number;
  /** The userlist section named <name> (http_auth fetches); absent when the runtime has none. */
  userlist?(name: string): SampleUserlist | undefined;
}

/** What a fetch may read. Implemented by the runtime's stream. */
export interface SampleStream {
  readonly world: SampleWorld;
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly dstPort: number;
  /** 'ipv4' | 'ipv6' for TCP, 'unix' for UNIX sockets (src/dst then are the path / ""). */
  readonly family: 'ipv4' | 'ipv6' | 'unix';
  readonly frontend: SampleProxy;
  /** Null until the backend is chosen. */
  readonly backend: SampleProxy | null;
  /** The server chosen, once known. */
  readonly server: SampleServer | null;
  /** A PROXY protocol header was received on this connection. */
  readonly rcvdProxy: boolean;
  /** Request bytes received so far during content inspection (tcp-request content). */
  readonly reqData: Buffer | null;
  /** True once no more request data can arrive in the inspection window (delay expired or input closed). */
  readonly reqDataFinal: boolean;
  /** The HTTP transaction; null in TCP mode and before a request head is parsed. */
  readonly txn: SampleHttpTxn | null;
  /** The variables of a scope (created on first use; "proc" is shared by the whole process). */
  vars(scope: VarScope): Map<string, Sample>;
  /** The client connection's TLS layer (ssl_fc*, ssl_c_*, ssl_f_*); null or absent when it is not TLS. */
  readonly tls?: TlsInfo | null;
  /** The server connection's TLS layer (ssl_bc*, ssl_s_*), once connected; null or absent when it is not TLS. */
  readonly srvTls?: TlsInfo | null;
  /** unique-id-format's value for this request (HTTP) or connection (TCP); null without a format. */
  uniqueId?(): string | null;
}

/** A userlist as HTTP authentication reads it (config's Userlist fits). */
export interface SampleUserlist {
  readonly name: string;
  readonly users: ReadonlyMap<string, { readonly password: string; readonly insecure: boolean; readonly groups: readonly string[] }>;
  /** Group name to member user names ("group <g> users a,b"). */
  readonly groups: ReadonlyMap<string, readonly string[]>;
}

/** Variable scopes (var(txn.foo)): process, session (connection), transaction, request, response. */
export type VarScope = 'proc' | 'sess' | 'txn' | 'req' | 'res';

/** The HTTP transaction being processed (HAProxy's txn): what HTTP fetches read. */
export interface SampleHttpTxn {
  /** The request head as rewritten by the rules so far. */
  readonly req: HttpRequest;
  /** The response head, once received (response rules, logs). */
  readonly res: HttpResponse | null;
  /** Request body bytes buffered so far (option http-buffer-request / wait-for-body); null when not waited for. */
  readonly reqBody: Buffer | null;
  /** True when reqBody holds the whole body (or as much as the buffer allows). */
  readonly reqBodyFinal: boolean;
  /**
   * Response body bytes buffered so far by "http-response wait-for-body" (res.body*); null or
   * absent when not waited for.
   */
  readonly resBody?: Buffer | null;
  /** True when resBody holds the whole response body (or as much as the buffer allows). */
  readonly resBodyFinal?: boolean;
  /** Values captured by "capture request header" / "http-request capture", by slot. */
  readonly reqCaptures: (string | null)[];
  readonly resCaptures: (string | null)[];
  /**
   * The request line as received, before any rewrite (HAProxy's txn->uri, read by
   * capture.req.method/uri); when absent, these fetches read the current request.
   */
  readonly reqLine?: string | null;
  /** This is the first request of the connection (http_first_req); when absent, the fetch has no value. */
  readonly firstReq?: boolean;
}

/** A compiled fetch+converters chain, e.g. "src,ipmask(24)". */
export interface SampleExpr {
  readonly text: string;
  /** Phases where every fetch of the expression is usable. */
  readonly usable: Phase;
  eval(s: SampleStream): Sample | null;
}

/** A compiled condition of a rule: "if a !b || { src 10.0.0.0/8 }". */
export interface Condition {
  readonly text: string;
  readonly usable: Phase;
  /** true / false, or null when it cannot be told yet (more data may change the answer). */
  eval(s: SampleStream): boolean | null;
}

/** What ACL and condition parsing needs from the config parser. */
export interface AclParseContext {
  readonly loc: Loc;
  readonly diag: Diagnostics;
  /** Named ACLs declared so far in the proxy (all lines with the same name are ORed). */
  readonly acls: ReadonlyMap<string, AclDef>;
  /** Resolves relative pattern file names (-f). HAProxy opens them from its working directory. */
  readonly baseDir: string;
  /**
   * Name of the proxy being parsed: fetch arguments naming a server without its backend
   * ("srv_is_up(s1)") refer to this proxy, as in HAProxy. When absent, the stream's current
   * backend is used at run time.
   */
  readonly proxyName?: string;
}

/** A named ACL: each declaration line is one term; lines with the same name are ORed. */
export interface AclDef {
  readonly name: string;
  readonly terms: AclTerm[];
}

export interface AclTerm {
  readonly loc: Loc;
  readonly text: string;
  readonly usable: Phase;
  eval(s: SampleStream): boolean | null;
}
