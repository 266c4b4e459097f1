// The validated configuration model. The parser fills it from the text; the runtime is
// built from it and never reads configuration text again.
import type { Loc } from './diagnostics.ts';
import type { Condition, AclDef, SampleExpr } from '../sample/types.ts';
import type { ProxySection } from './registry.ts';
import type { HttpRule } from '../actions/http-rule-target.ts';
import type { ReplyTemplate } from '../actions/http/reply.ts';
import type { CaptureSlot } from '../actions/http/capture.ts';
import type { ErrorDirective, HttpErrorsSection } from '../protocols/http1/errors.ts';
import { GlobalLogSettings, ProxyLogSettings } from '../observe/log/settings.ts';
import { cloneServerTls, newGlobalTls, newServerTls, type BindTls, type GlobalTls, type ServerTls } from '../protocols/tls/settings.ts';
import { newH2GlobalSettings, type H2GlobalSettings } from '../protocols/http2/settings.ts';

export type Mode = 'tcp' | 'http';

/** A listening or connecting address, as HAProxy's str2sa_range() understands them. */
export type Address =
  | { readonly kind: 'ipv4' | 'ipv6'; readonly host: string; readonly port: number; readonly portOffset?: boolean }
  | { readonly kind: 'fqdn'; readonly host: string; readonly port: number; readonly portOffset?: boolean }
  | { readonly kind: 'unix'; readonly path: string; readonly abstract: boolean }
  | { readonly kind: 'fd'; readonly fd: number };

export interface BindConfig {
  readonly loc: Loc;
  /** The address text as written (for messages). */
  readonly text: string;
  readonly addr: Address;
  name: string | null;
  id: number | null;
  maxconn: number;
  backlog: number;
  v4v6: boolean;
  v6only: boolean;
  acceptProxy: boolean;
  /** UNIX socket permissions. */
  unixMode: number | null;
  unixUid: number | null;
  unixGid: number | null;
  /** TLS settings (ssl, crt, alpn, verify...); null when the line has none. */
  tls: BindTls | null;
  /** "proto": the multiplexer forced on the connections (h1, h2), null to pick it (ALPN, HTTP/2 preface). */
  proto: 'h1' | 'h2' | 'fcgi' | null;
}

export type InitAddr = 'last' | 'libc' | 'none' | { ip: string };

export interface CheckSettings {
  enabled: boolean;
  inter: number;
  fastinter: number | null;
  downinter: number | null;
  rise: number;
  fall: number;
  port: number | null;
  addr: string | null;
  sendProxy: boolean;
}

/** Agent checks (agent-check, agent-port, agent-inter, agent-addr, agent-send). */
export interface AgentSettings {
  enabled: boolean;
  /** 0: none (the agent check is then refused at load). */
  port: number;
  inter: number;
  addr: string | null;
  send: string | null;
}

export interface ServerConfig {
  loc: Loc;
  name: string;
  id: number | null;
  /** null for "default-server" templates */
  addr: Address | null;
  addrText: string;
  weight: number;
  backup: boolean;
  disabled: boolean;
  maxconn: number;
  minconn: number;
  maxqueue: number;
  slowstart: number;
  check: CheckSettings;
  agent: AgentSettings;
  /** "cookie <value>": the persistence cookie value of this server (null: none). */
  cookie: string | null;
  sendProxy: 0 | 1 | 2;
  /** "proto": the protocol spoken to the server (h1, h2); null: HTTP/1.1, or HTTP/2 when "alpn h2" alone. */
  proto: 'h1' | 'h2' | null;
  observe: 'layer4' | null;
  errorLimit: number;
  onError: 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';
  onMarkedDown: 'shutdown-sessions' | null;
  onMarkedUp: 'shutdown-backup-sessions' | null;
  initAddr: InitAddr[];
  source: SourceConfig | null;
  tcpka: boolean;
  /** pool-max-conn: idle connections kept for reuse (-1 unlimited, 0 none). */
  poolMaxConn: number;
  /** pool-purge-delay: idle connections unused for this long are closed. */
  poolPurgeDelay: number;
  /** max-reuse: requests per server connection (-1 unlimited). */
  maxReuse: number;
  /** ssl, verify, ca-file, sni, alpn, check-ssl... */
  tls: ServerTls;
}

export interface SourceConfig {
  readonly host: string;
  readonly port: number;
}

/** tcp-request actions implemented so far; expect-proxy only in connection rules. */
export type TcpAction = 'accept' | 'reject' | 'expect-proxy';

export interface TcpRule {
  readonly loc: Loc;
  readonly action: TcpAction;
  readonly cond: Condition | null;
}

export interface UseBackendRule {
  readonly loc: Loc;
  /** A fixed name, or a sample-expression string resolved per stream ("%[...]"). */
  readonly name: string;
  readonly dynamic: LogFormatLike | null;
  readonly cond: Condition | null;
}

/** A compiled log-format string (the HTTP/log issues extend it); only sample parts for now. */
export interface LogFormatLike {
  readonly text: string;
  readonly parts: readonly (string | SampleExpr)[];
}

/** option forwardfor / option originalto. */
export interface AddrHeaderConfig {
  readonly header: string;
  /** Source network for which no header is added ("except <net>"), as 128-bit (IPv4-mapped) values. */
  readonly except: { readonly net: bigint; readonly mask: bigint } | null;
  readonly ifNone: boolean;
}

/** How HTTP connections behave (option http-keep-alive / http-server-close / httpclose). */
export type HttpConnMode = 'keep-alive' | 'server-close' | 'close';
export type HttpReuse = 'never' | 'safe' | 'aggressive' | 'always';

/** The "cookie" keyword of a backend (cookie-based persistence). */
export interface CookieConfig {
  readonly name: string;
  readonly rewrite: boolean;
  readonly insert: boolean;
  readonly prefix: boolean;
  readonly indirect: boolean;
  readonly nocache: boolean;
  readonly postonly: boolean;
  readonly preserve: boolean;
  readonly httponly: boolean;
  readonly secure: boolean;
  /** The domains as HAProxy joins them ("a.com; domain=b.org"), null when none. */
  readonly domain: string | null;
  /** maxidle and maxlife, seconds (0: none). */
  readonly maxidle: number;
  readonly maxlife: number;
  /** Server cookies derived from dynamic-cookie-key, address and port. */
  readonly dynamic: boolean;
  /** The "attr" values joined with "; ", null when none. */
  readonly attrs: string | null;
}

/** force-persist / ignore-persist. */
export interface PersistRule {
  readonly loc: Loc;
  readonly kind: 'force' | 'ignore';
  readonly cond: Condition;
}

export type BalanceAlgo = 'roundrobin' | 'static-rr' | 'leastconn' | 'first' | 'source' | 'random' | 'uri' | 'url_param' | 'hdr' | 'rdp-cookie';

export interface BalanceConfig {
  algo: BalanceAlgo;
  /** random(<draws>) */
  draws: number;
  /** url_param: the parameter; hdr(): the header name (lower case); rdp-cookie: the cookie name. */
  arg?: string;
  /** uri: "whole" (keep the query string), "path-only" (skip scheme and authority). */
  whole?: boolean;
  pathOnly?: boolean;
  /** uri: "len" and "depth" limits (0: none). */
  len?: number;
  depth?: number;
  /** hdr(): "use_domain_only". */
  domainOnly?: boolean;
}

export interface HashTypeConfig {
  method: 'map-based' | 'consistent';
  fn: 'sdbm' | 'djb2' | 'wt6' | 'crc32' | 'none';
  avalanche: boolean;
}

export interface Timeouts {
  connect: number | null;
  client: number | null;
  server: number | null;
  queue: number | null;
  tunnel: number | null;
  clientFin: number | null;
  serverFin: number | null;
  check: number | null;
  tarpit: number | null;
  httpRequest: number | null;
  httpKeepAlive: number | null;
}

/** Proxy options set by "option <name>"; `true`/`false` when set explicitly, absent when default. */
export type OptionFlags = Map<string, boolean>;

/** "stats http-request" rule of the stats page. */
export interface StatsHttpRule {
  readonly action: 'allow' | 'deny' | 'auth';
  /** Realm of an "auth" rule; null uses the page's realm. */
  readonly realm: string | null;
  readonly cond: Condition | null;
}

/** The HTTP statistics page of a proxy ("stats enable", "stats uri"...). */
export interface StatsConfig {
  uri: string;
  realm: string | null;
  /** "stats auth" credentials as written ("user:password"), compared with Basic authorization. */
  auths: string[];
  /** Seconds between page refreshes (0: none). */
  refresh: number;
  /** "stats admin if|unless <cond>": admin actions allowed when one of them matches. */
  admin: Condition[];
  hideVersion: boolean;
  /** "stats show-node [name]": the name, or '' for the global node name; null when off. */
  showNode: string | null;
  /** "stats show-desc [text]": the text, or '' for the global description; null when off. */
  showDesc: string | null;
  showLegends: boolean;
  showModules: boolean;
  /** Proxy names shown ("." is the proxy serving the page); empty shows all. */
  scopes: string[];
  httpRules: StatsHttpRule[];
}

export function cloneStatsConfig(s: StatsConfig): StatsConfig {
  return { ...s, auths: [...s.auths], admin: [...s.admin], scopes: [...s.scopes], httpRules: [...s.httpRules] };
}

export class ProxyConfig {
  readonly name: string;
  readonly kind: ProxySection;
  readonly loc: Loc;
  id: number | null = null;
  /** Name of the defaults section this proxy was created from (for messages). */
  defaultsName: string | null = null;
  mode: Mode = 'tcp';
  disabled = false;
  description: string | null = null;
  maxconn = 0;
  backlog = 0;
  fullconn = 0;
  retries = 3;
  /** option redispatch [<interval>]: redispatch every Pth retry (P > 0) or on the Nth retry before the last (N < 0); 0 = off. */
  redispatch = 0;
  timeouts: Timeouts = {
    connect: null, client: null, server: null, queue: null, tunnel: null, clientFin: null,
    serverFin: null, check: null, tarpit: null, httpRequest: null, httpKeepAlive: null,
  };
  options: OptionFlags = new Map();
  balance: BalanceConfig = { algo: 'roundrobin', draws: 2 };
  hashType: HashTypeConfig = { method: 'map-based', fn: 'sdbm', avalanche: false };
  /** hash-balance-factor: bounded loads for consistent hashing, in percent (0: off). */
  hashBalanceFactor = 0;
  /** http-check disable-on-404 / http-check send-state. */
  httpCheckDisable404 = false;
  httpCheckSendState = false;
  cookie: CookieConfig | null = null;
  dynamicCookieKey: string | null = null;
  source: SourceConfig | null = null;
  defaultServer: ServerConfig;
  inspectDelay: number | null = null;
  /** log, log-tag, log-format, option tcplog/httplog... (targets copied from defaults). */
  log = new ProxyLogSettings();
  /** The statistics page served by this proxy, when any stats keyword is set. */
  stats: StatsConfig | null = null;
  httpConnMode: HttpConnMode = 'keep-alive';
  httpReuse: HttpReuse = 'safe';
  /** retry-on: RetryOn bits (runtime/http-keywords.ts); conn-failure by default. */
  retryOn = 1;
  forwardFor: AddrHeaderConfig | null = null;
  originalTo: AddrHeaderConfig | null = null;
  // Not inherited from defaults:
  binds: BindConfig[] = [];
  servers: ServerConfig[] = [];
  acls = new Map<string, AclDef>();
  tcpRequestConnection: TcpRule[] = [];
  tcpRequestSession: TcpRule[] = [];
  tcpRequestContent: TcpRule[] = [];
  useBackends: UseBackendRule[] = [];
  persistRules: PersistRule[] = [];
  defaultBackend: { name: string; loc: Loc } | null = null;
  // HTTP rules, error pages and captures (actions/http-rules.ts, protocols/http1/errors.ts).
  // A proxy created from a named defaults section starts with that section's rules, which
  // HAProxy evaluates before the proxy's own, and its error directives.
  httpRequestRules: HttpRule[] = [];
  httpResponseRules: HttpRule[] = [];
  httpAfterResponseRules: HttpRule[] = [];
  /** "redirect" rules, evaluated after the http-request rules of the same proxy. */
  redirectRules: HttpRule[] = [];
  /** errorfile/errorfiles/errorloc/http-error in order; applied into errorReplies after parsing. */
  errorDirectives: ErrorDirective[] = [];
  errorReplies = new Map<number, ReplyTemplate>();
  /** Capture slots (capture request/response header, declare capture, http-request capture ... len). */
  reqCaptures: CaptureSlot[] = [];
  resCaptures: CaptureSlot[] = [];
  /** The defaults section this proxy was created from. */
  defaults: ProxyConfig | null = null;

  constructor(name: string, kind: ProxySection, loc: Loc, defaultServer: ServerConfig) {
    this.name = name;
    this.kind = kind;
    this.loc = loc;
    this.defaultServer = defaultServer;
  }

  get isFrontend(): boolean {
    return this.kind === 'frontend' || this.kind === 'listen';
  }
  get isBackend(): boolean {
    return this.kind === 'backend' || this.kind === 'listen';
  }

  /** Whether "option <name>" is on, given HAProxy's default for it. */
  option(name: string, dflt = false): boolean {
    return this.options.get(name) ?? dflt;
  }

  /** Copies what a defaults section hands down to a proxy created from it. */
  inheritFrom(d: ProxyConfig): void {
    this.defaultsName = d.name;
    this.mode = d.mode;
    this.maxconn = d.maxconn;
    this.backlog = d.backlog;
    this.fullconn = d.fullconn;
    this.retries = d.retries;
    this.redispatch = d.redispatch;
    this.timeouts = { ...d.timeouts };
    this.options = new Map(d.options);
    this.balance = { ...d.balance };
    this.hashType = { ...d.hashType };
    this.hashBalanceFactor = d.hashBalanceFactor;
    this.httpCheckDisable404 = d.httpCheckDisable404;
    this.httpCheckSendState = d.httpCheckSendState;
    this.cookie = d.cookie;
    this.dynamicCookieKey = d.dynamicCookieKey;
    this.source = d.source;
    this.inspectDelay = d.inspectDelay;
    this.log = d.log.inherit();
    this.stats = d.stats ? cloneStatsConfig(d.stats) : null;
    this.httpConnMode = d.httpConnMode;
    this.httpReuse = d.httpReuse;
    this.retryOn = d.retryOn;
    this.forwardFor = d.forwardFor;
    this.originalTo = d.originalTo;
    this.defaultServer = cloneServer(d.defaultServer);
    if (d.defaultBackend && this.isFrontend) this.defaultBackend = d.defaultBackend;
    this.defaults = d;
    this.httpRequestRules = [...d.httpRequestRules];
    this.httpResponseRules = [...d.httpResponseRules];
    this.httpAfterResponseRules = [...d.httpAfterResponseRules];
    this.errorDirectives = [...d.errorDirectives];
    this.reqCaptures = [...d.reqCaptures];
    this.resCaptures = [...d.resCaptures];
  }
}

export function cloneServer(s: ServerConfig): ServerConfig {
  return { ...s, check: { ...s.check }, agent: { ...s.agent }, initAddr: [...s.initAddr], tls: cloneServerTls(s.tls) };
}

export interface UserlistUser {
  readonly name: string;
  readonly password: string;
  readonly insecure: boolean;
  readonly groups: string[];
}

export interface Userlist {
  readonly name: string;
  readonly loc: Loc;
  readonly users: Map<string, UserlistUser>;
  readonly groups: Map<string, string[]>;
}

/** A "stats socket" line of the global section: a CLI listener. */
export interface StatsSocketConfig {
  readonly loc: Loc;
  readonly text: string;
  readonly addr: Address;
  level: 'user' | 'operator' | 'admin';
  unixMode: number | null;
  unixUid: number | null;
  unixGid: number | null;
  exposeFd: boolean;
  severityOutput: 'none' | 'number' | 'string';
}

export interface GlobalConfig {
  maxconn: number;
  daemon: boolean;
  masterWorker: boolean;
  /** "master-worker no-exit-on-failure": a failing worker does not stop the others. */
  mworkerNoExitOnFailure: boolean;
  /** "mworker-max-reloads": old workers past this many reloads are terminated; -1 = no limit. */
  mworkerMaxReloads: number;
  pidfile: string | null;
  nbthread: number | null;
  uid: number | null;
  gid: number | null;
  chroot: string | null;
  ulimitN: number | null;
  /** "strict-limits" (HAProxy 2.6's default): start-up fails when the FD limit is below what maxconn needs; "no strict-limits" only warns. */
  strictLimits: boolean;
  hardStopAfter: number | null;
  grace: number;
  node: string | null;
  description: string | null;
  localPeer: string | null;
  zeroWarning: boolean;
  spreadChecks: number;
  maxCheckConns: number;
  bufsize: number;
  /** h1-case-adjust / h1-case-adjust-file: lower-case header name -> name as written to bogus peers. */
  caseAdjust: Map<string, string>;
  quiet: boolean;
  /** Global log targets, log-tag, log-send-hostname. */
  log: GlobalLogSettings;
  statsSockets: StatsSocketConfig[];
  /** "stats timeout": CLI idle timeout, ms. */
  statsTimeout: number;
  /** "stats maxconn": concurrent CLI connections. */
  statsMaxconn: number;
  /** A "stats" global keyword created HAProxy's CLI frontend (it takes proxy id 1). */
  cliFrontend: boolean;
  /** Keywords seen, for "unique in global" warnings. */
  readonly seen: Set<string>;
  /** ssl-default-bind-*, ssl-default-server-*, ca-base, crt-base, ssl-server-verify... */
  tls: GlobalTls;
  /** tune.h2.* */
  h2: H2GlobalSettings;
  /** "expose-experimental-directives": experimental keywords (normalize-uri) are accepted after it. */
  exposeExperimental: boolean;
}

export interface Config {
  global: GlobalConfig;
  /** Named and anonymous defaults sections, in order. */
  defaults: ProxyConfig[];
  /** Frontends, backends and listens, in order; names unique per capability. */
  proxies: ProxyConfig[];
  userlists: Userlist[];
  /** "http-errors" sections (absent until the first one). */
  httpErrors?: HttpErrorsSection[];
  /** Config files that were read, in order (HAPROXY_CFGFILES). */
  files: string[];
}

export function defaultGlobal(): GlobalConfig {
  return {
    maxconn: 0, daemon: false, masterWorker: false, mworkerNoExitOnFailure: false, mworkerMaxReloads: -1, pidfile: null, nbthread: null, uid: null, gid: null,
    chroot: null, ulimitN: null, strictLimits: true, hardStopAfter: null, grace: 0, node: null, description: null,
    localPeer: null, zeroWarning: false, spreadChecks: 0, maxCheckConns: 0, bufsize: 16384, caseAdjust: new Map(), quiet: false,
    log: new GlobalLogSettings(),
    statsSockets: [], statsTimeout: 10000, statsMaxconn: 10, cliFrontend: false,
    seen: new Set(),
    tls: newGlobalTls(),
    h2: newH2GlobalSettings(),
    exposeExperimental: false,
  };
}

export function defaultServerConfig(loc: Loc): ServerConfig {
  return {
    loc, name: '', id: null, addr: null, addrText: '', weight: 1, backup: false, disabled: false,
    maxconn: 0, minconn: 0, maxqueue: 0, slowstart: 0,
    check: { enabled: false, inter: 2000, fastinter: null, downinter: null, rise: 2, fall: 3, port: null, addr: null, sendProxy: false },
    agent: { enabled: false, port: 0, inter: 2000, addr: null, send: null },
    cookie: null,
    sendProxy: 0, proto: null, observe: null, errorLimit: 10, onError: 'fail-check', onMarkedDown: null, onMarkedUp: null,
    initAddr: ['last', 'libc'], source: null, tcpka: false, poolMaxConn: -1, poolPurgeDelay: 5000, maxReuse: -1,
    tls: newServerTls(),
  };
}
