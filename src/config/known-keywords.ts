// The catalogue of HAProxy 2.6 configuration keywords, so that the parser can tell a keyword
// HAProxy knows but Turnpike does not implement yet ("'compression' is a HAProxy keyword that
// Turnpike does not support yet") from a word HAProxy does not know either ("unknown keyword
// 'balanc' in 'backend' section; did you mean 'balance' maybe ?").
//
// Sources: HAProxy 2.6's doc/configuration.txt (sections 3, 4.1, 4.2, 5.1, 5.2, 5.3.2, 6.2.1, 10),
// checked keyword by keyword against the HAProxy 2.6.12 binary (`haproxy -c`), whose keyword
// tables (registration order included) also give the suggestion lists at the end of this file.
// This is data only: which keywords Turnpike implements lives in the registries (registry.ts).
import type { ProxySection } from './registry.ts';

/** Compile-time options of HAProxy that some keywords need. A build without the option (such as
 * Debian's 2.6 package) reports these keywords as unknown; they remain HAProxy 2.6 keywords. */
export type BuildOption =
  | 'USE_51DEGREES'
  | 'USE_DEVICEATLAS'
  | 'USE_WURFL'
  | 'USE_QUIC'
  | 'USE_ENGINE'
  | 'USE_ZLIB'
  | 'USE_MEMORY_PROFILING';

// Sections are written as masks of the letters d(efaults), f(rontend), b(ackend), l(isten).
const SECTION_LETTERS: readonly (readonly [string, ProxySection])[] = [
  ['d', 'defaults'],
  ['f', 'frontend'],
  ['b', 'backend'],
  ['l', 'listen'],
];
const sectionLists = new Map<string, readonly ProxySection[]>();
function sections(mask: string): readonly ProxySection[] {
  let list = sectionLists.get(mask);
  if (!list) {
    list = Object.freeze(SECTION_LETTERS.filter(([letter]) => mask.includes(letter)).map(([, s]) => s));
    sectionLists.set(mask, list);
  }
  return list;
}
function sectionMap(rows: readonly (readonly [string, string])[]): ReadonlyMap<string, readonly ProxySection[]> {
  return new Map(rows.map(([name, mask]) => [name, sections(mask)]));
}

// ---------------------------------------------------------------------------------------------
// Global section (configuration.txt section 3: process management, performance tuning, debugging)

/**
 * Every keyword of the `global` section of HAProxy 2.6, including the undocumented ones the 2.6
 * binary accepts (expose-experimental-directives, tune.vars.check-max-size, ...) and those only
 * some builds know (see GLOBAL_BUILD_OPTIONS). Keywords 2.6 only recognises to reject them
 * (nbproc, tune.chksize) are in REMOVED_KEYWORDS instead; section names are in SECTION_NAMES.
 */
export const GLOBAL_KEYWORDS: ReadonlySet<string> = new Set([
  'busy-polling', 'ca-base', 'chroot', 'close-spread-time', 'cluster-secret', 'cpu-map',
  'crt-base', 'daemon', 'default-path', 'description', 'expose-experimental-directives',
  'external-check', 'fd-hard-limit', 'gid', 'grace', 'group',
  'h1-accept-payload-with-any-method', 'h1-case-adjust', 'h1-case-adjust-file',
  'h2-workaround-bogus-websocket-clients', 'hard-stop-after', 'httpclient.resolvers.id',
  'httpclient.resolvers.prefer', 'httpclient.ssl.ca-file', 'httpclient.ssl.verify',
  'insecure-fork-wanted', 'insecure-setuid-wanted', 'issuers-chain-path', 'localpeer', 'log',
  'log-send-hostname', 'log-tag', 'lua-load', 'lua-load-per-thread', 'lua-prepend-path',
  'master-worker', 'max-spread-checks', 'maxcompcpuusage', 'maxcomprate', 'maxconn',
  'maxconnrate', 'maxpipes', 'maxsessrate', 'maxsslconn', 'maxsslrate', 'maxzlibmem',
  'mworker-max-reloads', 'nbthread', 'no-memory-trimming', 'node', 'noepoll', 'noevports',
  'nogetaddrinfo', 'nokqueue', 'nopoll', 'noreuseport', 'nosplice', 'numa-cpu-mapping',
  'pidfile', 'pp2-never-send-local', 'presetenv', 'profiling.tasks', 'quiet', 'resetenv',
  'server-state-base', 'server-state-file', 'set-dumpable', 'set-var', 'set-var-fmt', 'setenv',
  'spread-checks', 'ssl-default-bind-ciphers', 'ssl-default-bind-ciphersuites',
  'ssl-default-bind-curves', 'ssl-default-bind-options', 'ssl-default-server-ciphers',
  'ssl-default-server-ciphersuites', 'ssl-default-server-options', 'ssl-dh-param-file',
  'ssl-load-extra-del-ext', 'ssl-load-extra-files', 'ssl-mode-async', 'ssl-propquery',
  'ssl-provider', 'ssl-provider-path', 'ssl-server-verify', 'ssl-skip-self-issued-ca', 'stats',
  'strict-limits', 'thread-group', 'thread-groups', 'tune.buffers.limit',
  'tune.buffers.reserve', 'tune.bufsize', 'tune.comp.maxlevel', 'tune.fail-alloc',
  'tune.fd.edge-triggered', 'tune.h2.header-table-size', 'tune.h2.initial-window-size',
  'tune.h2.max-concurrent-streams', 'tune.h2.max-frame-size', 'tune.http.cookielen',
  'tune.http.logurilen', 'tune.http.maxhdr', 'tune.idle-pool.shared', 'tune.idletimer',
  'tune.listener.multi-queue', 'tune.lua.forced-yield', 'tune.lua.maxmem',
  'tune.lua.service-timeout', 'tune.lua.session-timeout', 'tune.lua.task-timeout',
  'tune.maxaccept', 'tune.maxpollevents', 'tune.maxrewrite', 'tune.pattern.cache-size',
  'tune.peers.max-updates-at-once', 'tune.pipesize', 'tune.pool-high-fd-ratio',
  'tune.pool-low-fd-ratio', 'tune.rcvbuf.client', 'tune.rcvbuf.server', 'tune.recv_enough',
  'tune.runqueue-depth', 'tune.sched.low-latency', 'tune.sndbuf.client', 'tune.sndbuf.server',
  'tune.ssl.cachesize', 'tune.ssl.capture-buffer-size', 'tune.ssl.capture-cipherlist-size',
  'tune.ssl.default-dh-param', 'tune.ssl.force-private-cache', 'tune.ssl.hard-maxrecord',
  'tune.ssl.keylog', 'tune.ssl.lifetime', 'tune.ssl.maxrecord', 'tune.ssl.ssl-ctx-cache-size',
  'tune.vars.check-max-size', 'tune.vars.global-max-size', 'tune.vars.proc-max-size',
  'tune.vars.reqres-max-size', 'tune.vars.sess-max-size', 'tune.vars.txn-max-size', 'uid',
  'ulimit-n', 'unix-bind', 'unsetenv', 'user', 'zero-warning',
  // only in builds with an optional feature: see GLOBAL_BUILD_OPTIONS
  '51degrees-cache-size', '51degrees-data-file', '51degrees-property-name-list',
  '51degrees-property-separator', 'deviceatlas-json-file', 'deviceatlas-log-level',
  'deviceatlas-properties-cookie', 'deviceatlas-separator', 'profiling.memory', 'ssl-engine',
  'tune.quic.frontend.conn-tx-buffers.limit', 'tune.quic.frontend.max-idle-timeout',
  'tune.quic.frontend.max-streams-bidi', 'tune.quic.retry-threshold', 'tune.zlib.memlevel',
  'tune.zlib.windowsize', 'wurfl-cache-size', 'wurfl-data-file', 'wurfl-information-list',
  'wurfl-information-list-separator', 'wurfl-patch-file',
]);

/** Global keywords that only builds with a compile-time option know. */
export const GLOBAL_BUILD_OPTIONS: ReadonlyMap<string, BuildOption> = new Map<string, BuildOption>([
  ['51degrees-cache-size', 'USE_51DEGREES'],
  ['51degrees-data-file', 'USE_51DEGREES'],
  ['51degrees-property-name-list', 'USE_51DEGREES'],
  ['51degrees-property-separator', 'USE_51DEGREES'],
  ['deviceatlas-json-file', 'USE_DEVICEATLAS'],
  ['deviceatlas-log-level', 'USE_DEVICEATLAS'],
  ['deviceatlas-properties-cookie', 'USE_DEVICEATLAS'],
  ['deviceatlas-separator', 'USE_DEVICEATLAS'],
  ['profiling.memory', 'USE_MEMORY_PROFILING'],
  ['ssl-engine', 'USE_ENGINE'],
  ['tune.quic.frontend.conn-tx-buffers.limit', 'USE_QUIC'],
  ['tune.quic.frontend.max-idle-timeout', 'USE_QUIC'],
  ['tune.quic.frontend.max-streams-bidi', 'USE_QUIC'],
  ['tune.quic.retry-threshold', 'USE_QUIC'],
  ['tune.zlib.memlevel', 'USE_ZLIB'],
  ['tune.zlib.windowsize', 'USE_ZLIB'],
  ['wurfl-cache-size', 'USE_WURFL'],
  ['wurfl-data-file', 'USE_WURFL'],
  ['wurfl-information-list', 'USE_WURFL'],
  ['wurfl-information-list-separator', 'USE_WURFL'],
  ['wurfl-patch-file', 'USE_WURFL'],
]);

// ---------------------------------------------------------------------------------------------
// Proxy sections (configuration.txt 4.1 keyword matrix and 4.2)

/**
 * Every proxy keyword (the first word of a line in defaults/frontend/backend/listen) with the
 * sections where HAProxy 2.6 allows it, from the keyword matrix of section 4.1. In a section not
 * listed HAProxy either rejects the line or warns and ignores it (see the notes in the tests).
 * `bind-process` and the other keywords HAProxy only recognises to reject are in REMOVED_KEYWORDS.
 */
export const PROXY_KEYWORDS: ReadonlyMap<string, readonly ProxySection[]> = sectionMap([
  ['acl', 'dfbl'],
  ['backlog', 'dfl'],
  ['balance', 'dbl'],
  ['bind', 'fl'],
  ['capture', 'fl'],
  ['clitcpka-cnt', 'dfl'],
  ['clitcpka-idle', 'dfl'],
  ['clitcpka-intvl', 'dfl'],
  ['compression', 'dfbl'],
  ['cookie', 'dbl'],
  ['declare', 'fl'],
  ['default-server', 'dbl'],
  ['default_backend', 'dfl'],
  ['description', 'fbl'],
  ['disabled', 'dfbl'],
  ['dispatch', 'bl'],
  ['dynamic-cookie-key', 'dbl'],
  ['email-alert', 'dfbl'],
  ['enabled', 'dfbl'],
  ['error-log-format', 'dfl'],
  ['errorfile', 'dfbl'],
  ['errorfiles', 'dfbl'],
  ['errorloc', 'dfbl'],
  ['errorloc302', 'dfbl'],
  ['errorloc303', 'dfbl'],
  ['external-check', 'dbl'],
  ['filter', 'fbl'],
  ['force-persist', 'bl'],
  ['fullconn', 'dbl'],
  ['hash-balance-factor', 'dbl'],
  ['hash-type', 'dbl'],
  ['http-after-response', 'dfbl'],
  ['http-check', 'dbl'],
  ['http-error', 'dfbl'],
  ['http-request', 'dfbl'],
  ['http-response', 'dfbl'],
  ['http-reuse', 'dbl'],
  ['http-send-name-header', 'dbl'],
  ['id', 'fbl'],
  ['ignore-persist', 'bl'],
  ['load-server-state-from-file', 'dbl'],
  ['log', 'dfbl'],
  ['log-format', 'dfl'],
  ['log-format-sd', 'dfl'],
  ['log-tag', 'dfbl'],
  ['max-keep-alive-queue', 'dbl'],
  ['max-session-srv-conns', 'dfl'],
  ['maxconn', 'dfl'],
  ['mode', 'dfbl'],
  ['monitor', 'fl'],
  ['monitor-uri', 'dfl'],
  ['persist', 'dbl'],
  ['rate-limit', 'dfl'],
  ['redirect', 'fbl'],
  ['retries', 'dbl'],
  ['retry-on', 'dbl'],
  ['server', 'bl'],
  ['server-state-file-name', 'dbl'],
  ['server-template', 'bl'],
  ['source', 'dbl'],
  ['srvtcpka-cnt', 'dbl'],
  ['srvtcpka-idle', 'dbl'],
  ['srvtcpka-intvl', 'dbl'],
  ['stats', 'dfbl'],
  ['stick', 'bl'],
  ['stick-table', 'fbl'],
  ['tcp-check', 'dbl'],
  ['tcp-request', 'dfbl'],
  ['tcp-response', 'dbl'],
  ['transparent', 'dbl'],
  ['unique-id-format', 'dfl'],
  ['unique-id-header', 'dfl'],
  ['use-fcgi-app', 'bl'],
  ['use-server', 'bl'],
  ['use_backend', 'fl'],
  ['option', 'dfbl'],
  ['timeout', 'dfbl'],
]);

/**
 * Proxy keywords made of two words in the matrix (`stats admin`, `capture cookie`,
 * `tcp-request connection`, ...), by first then second word, with their sections. `option` and
 * `timeout` have their own tables (PROXY_OPTIONS, TIMEOUT_NAMES). For `http-check`/`tcp-check`,
 * `set-var` and `set-var-fmt` are written `set-var(<name>)` on the line.
 */
export const PROXY_SUBKEYWORDS: ReadonlyMap<string, ReadonlyMap<string, readonly ProxySection[]>> = new Map(
  (
    [
      ['capture', [['cookie', 'fl'], ['request', 'fl'], ['response', 'fl']]],
      ['declare', [['capture', 'fl']]],
      ['email-alert', [['from', 'dfbl'], ['level', 'dfbl'], ['mailers', 'dfbl'], ['myhostname', 'dfbl'], ['to', 'dfbl']]],
      ['external-check', [['command', 'dbl'], ['path', 'dbl']]],
      ['http-check', [['comment', 'dbl'], ['connect', 'dbl'], ['disable-on-404', 'dbl'], ['expect', 'dbl'], ['send', 'dbl'], ['send-state', 'dbl'], ['set-var', 'dbl'], ['set-var-fmt', 'dbl'], ['unset-var', 'dbl']]],
      ['monitor', [['fail', 'fl']]],
      ['persist', [['rdp-cookie', 'dbl']]],
      ['rate-limit', [['sessions', 'dfl']]],
      ['stats', [['admin', 'fbl'], ['auth', 'dfbl'], ['enable', 'dfbl'], ['hide-version', 'dfbl'], ['http-request', 'fbl'], ['realm', 'dfbl'], ['refresh', 'dfbl'], ['scope', 'dfbl'], ['show-desc', 'dfbl'], ['show-legends', 'dfbl'], ['show-modules', 'dfbl'], ['show-node', 'dfbl'], ['uri', 'dfbl']]],
      ['stick', [['match', 'bl'], ['on', 'bl'], ['store-request', 'bl'], ['store-response', 'bl']]],
      ['tcp-check', [['comment', 'dbl'], ['connect', 'dbl'], ['expect', 'dbl'], ['send', 'dbl'], ['send-binary', 'dbl'], ['send-binary-lf', 'dbl'], ['send-lf', 'dbl'], ['set-var', 'dbl'], ['set-var-fmt', 'dbl'], ['unset-var', 'dbl']]],
      ['tcp-request', [['connection', 'dfl'], ['content', 'dfbl'], ['inspect-delay', 'dfbl'], ['session', 'dfl']]],
      ['tcp-response', [['content', 'dbl'], ['inspect-delay', 'dbl']]],
    ] as const
  ).map(([first, rows]) => [first, sectionMap(rows)]),
);

/**
 * Keywords marked "(!)" in the matrix: in a `defaults` section they are only accepted when the
 * section has a name. HAProxy 2.6 says e.g. "'http-request' not allowed in anonymous 'defaults'
 * section." (acl, http-request, http-response, http-after-response) or "tcp-request content is not
 * allowed in anonymous 'defaults' sections" (tcp-request *), "tcp-response content is only allowed
 * in 'backend' sections or 'defaults' section with a name" (tcp-response *).
 */
export const NAMED_DEFAULTS_ONLY: ReadonlySet<string> = new Set([
  'acl', 'http-after-response', 'http-request', 'http-response', 'tcp-request', 'tcp-response',
]);

export interface ProxyOptionInfo {
  readonly sections: readonly ProxySection[];
  /** Marked "(*)": may be written `no option <name>` (and `default option <name>`). For the
   * others HAProxy says "negation/default is not supported for option '<name>'." */
  readonly negatable: boolean;
}

/** Every `option <name>` of HAProxy 2.6 (matrix of 4.1) with its sections. The removed
 * `option forceclose`, `option http-tunnel` and `option http_proxy` are in REMOVED_KEYWORDS. */
export const PROXY_OPTIONS: ReadonlyMap<string, ProxyOptionInfo> = new Map(
  (
    [
      ['abortonclose', 'dbl', true],
      ['accept-invalid-http-request', 'dfl', true],
      ['accept-invalid-http-response', 'dbl', true],
      ['allbackups', 'dbl', true],
      ['checkcache', 'dbl', true],
      ['clitcpka', 'dfl', true],
      ['contstats', 'dfl', true],
      ['disable-h2-upgrade', 'dfl', true],
      ['dontlog-normal', 'dfl', true],
      ['dontlognull', 'dfl', true],
      ['external-check', 'dbl', false],
      ['forwardfor', 'dfbl', false],
      ['h1-case-adjust-bogus-client', 'dfl', true],
      ['h1-case-adjust-bogus-server', 'dbl', true],
      ['http-buffer-request', 'dfbl', true],
      ['http-ignore-probes', 'dfl', true],
      ['http-keep-alive', 'dfbl', true],
      ['http-no-delay', 'dfbl', true],
      ['http-pretend-keepalive', 'dbl', true],
      ['http-restrict-req-hdr-names', 'dfbl', false],
      ['http-server-close', 'dfbl', true],
      ['http-use-proxy-header', 'dfl', true],
      ['httpchk', 'dbl', false],
      ['httpclose', 'dfbl', true],
      ['httplog', 'dfl', false],
      ['httpslog', 'dfl', false],
      ['idle-close-on-response', 'dfl', true],
      ['independent-streams', 'dfbl', true],
      ['ldap-check', 'dbl', false],
      ['log-health-checks', 'dbl', true],
      ['log-separate-errors', 'dfl', true],
      ['logasap', 'dfl', true],
      ['mysql-check', 'dbl', false],
      ['nolinger', 'dfbl', true],
      ['originalto', 'dfbl', false],
      ['persist', 'dbl', true],
      ['pgsql-check', 'dbl', false],
      ['prefer-last-server', 'dbl', true],
      ['redis-check', 'dbl', false],
      ['redispatch', 'dbl', true],
      ['smtpchk', 'dbl', false],
      ['socket-stats', 'dfl', true],
      ['splice-auto', 'dfbl', true],
      ['splice-request', 'dfbl', true],
      ['splice-response', 'dfbl', true],
      ['spop-check', 'dbl', false],
      ['srvtcpka', 'dbl', true],
      ['ssl-hello-chk', 'dbl', false],
      ['tcp-check', 'dbl', false],
      ['tcp-smart-accept', 'dfl', true],
      ['tcp-smart-connect', 'dbl', true],
      ['tcpka', 'dfbl', false],
      ['tcplog', 'dfbl', false],
      ['transparent', 'dbl', true],
    ] as const
  ).map(([name, mask, negatable]): [string, ProxyOptionInfo] => [name, { sections: sections(mask), negatable }]),
);

/**
 * The names accepted after `timeout` in proxies, with their sections. Elsewhere HAProxy warns
 * "'timeout server' will be ignored because frontend 'f' has no backend capability". An unknown
 * name gets "'timeout' supports 'client', 'server', 'connect', 'check', 'queue',
 * 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got 'x')"
 * (that order), except the 1.x names `timeout clitimeout|contimeout|srvtimeout`, which are in
 * REMOVED_KEYWORDS.
 */
export const TIMEOUT_NAMES: ReadonlyMap<string, readonly ProxySection[]> = sectionMap([
  ['check', 'dbl'],
  ['client', 'dfl'],
  ['client-fin', 'dfl'],
  ['connect', 'dbl'],
  ['http-keep-alive', 'dfbl'],
  ['http-request', 'dfbl'],
  ['queue', 'dbl'],
  ['server', 'dbl'],
  ['server-fin', 'dbl'],
  ['tarpit', 'dfbl'],
  ['tunnel', 'dbl'],
]);

// ---------------------------------------------------------------------------------------------
// bind and server lines (configuration.txt 5.1 and 5.2)

export interface BindOptionInfo {
  /** Whether the setting takes a value (the next word on the line). */
  readonly takesArg: boolean;
  /** Set when only builds with this compile-time option know the setting. */
  readonly build?: BuildOption;
}

/** The settings of `bind` lines (5.1), in HAProxy 2.6's registration order. */
export const BIND_OPTIONS: ReadonlyMap<string, BindOptionInfo> = new Map<string, BindOptionInfo>([
  ...(
    [
      ['allow-0rtt', false],
      ['alpn', true],
      ['ca-file', true],
      ['ca-verify-file', true],
      ['ca-ignore-err', true],
      ['ca-sign-file', true],
      ['ca-sign-pass', true],
      ['ciphers', true],
      ['ciphersuites', true],
      ['crl-file', true],
      ['crt', true],
      ['crt-ignore-err', true],
      ['crt-list', true],
      ['curves', true],
      ['ecdhe', true],
      ['force-sslv3', false],
      ['force-tlsv10', false],
      ['force-tlsv11', false],
      ['force-tlsv12', false],
      ['force-tlsv13', false],
      ['generate-certificates', false],
      ['no-ca-names', false],
      ['no-sslv3', false],
      ['no-tlsv10', false],
      ['no-tlsv11', false],
      ['no-tlsv12', false],
      ['no-tlsv13', false],
      ['no-tls-tickets', false],
      ['ssl', false],
      ['ssl-min-ver', true],
      ['ssl-max-ver', true],
      ['strict-sni', false],
      ['tls-ticket-keys', true],
      ['verify', true],
      ['npn', true],
      ['prefer-client-ciphers', false],
      ['level', true],
      ['expose-fd', true],
      ['severity-output', true],
      ['accept-netscaler-cip', true],
      ['accept-proxy', false],
      ['backlog', true],
      ['id', true],
      ['maxconn', true],
      ['name', true],
      ['nice', true],
      ['process', true],
      ['proto', true],
      ['shards', true],
      ['thread', true],
      ['defer-accept', false],
      ['interface', true],
      ['mss', true],
      ['tcp-ut', true],
      ['tfo', false],
      ['transparent', false],
      ['v4v6', false],
      ['v6only', false],
      ['namespace', true],
      ['gid', true],
      ['group', true],
      ['mode', true],
      ['uid', true],
      ['user', true],
    ] as const
  ).map(([name, takesArg]): [string, BindOptionInfo] => [name, { takesArg }]),
  ['quic-cc-algo', { takesArg: true, build: 'USE_QUIC' }],
  ['quic-force-retry', { takesArg: false, build: 'USE_QUIC' }],
]);

export interface ServerOptionInfo {
  /** Whether the setting takes a value. `source` takes one or more (`source <addr> [usesrc ...]`);
   * `usesrc` takes none of its own as it is only valid after `source`. */
  readonly takesArg: boolean;
  /** False for the settings `default-server` refuses (`id`, `no-sslv3`, `no-tlsv1x`). */
  readonly defaultServer: boolean;
}

/** The settings of `server`/`default-server` lines (5.2), in HAProxy 2.6's registration order.
 * The 2.6 manual also documents `no-verifyhost`, which the 2.6 binary does not know. */
export const SERVER_OPTIONS: ReadonlyMap<string, ServerOptionInfo> = new Map(
  (
    [
      ['allow-0rtt', false],
      ['alpn', true],
      ['ca-file', true],
      ['check-alpn', true],
      ['check-sni', true],
      ['check-ssl', false],
      ['ciphers', true],
      ['ciphersuites', true],
      ['crl-file', true],
      ['crt', true],
      ['force-sslv3', false],
      ['force-tlsv10', false],
      ['force-tlsv11', false],
      ['force-tlsv12', false],
      ['force-tlsv13', false],
      ['no-check-ssl', false],
      ['no-send-proxy-v2-ssl', false],
      ['no-send-proxy-v2-ssl-cn', false],
      ['no-ssl', false],
      ['no-ssl-reuse', false],
      ['no-sslv3', false, false],
      ['no-tlsv10', false, false],
      ['no-tlsv11', false, false],
      ['no-tlsv12', false, false],
      ['no-tlsv13', false, false],
      ['no-tls-tickets', false],
      ['npn', true],
      ['send-proxy-v2-ssl', false],
      ['send-proxy-v2-ssl-cn', false],
      ['sni', true],
      ['ssl', false],
      ['ssl-min-ver', true],
      ['ssl-max-ver', true],
      ['ssl-reuse', false],
      ['tls-tickets', false],
      ['verify', true],
      ['verifyhost', true],
      ['backup', false],
      ['cookie', true],
      ['disabled', false],
      ['enabled', false],
      ['error-limit', true],
      ['ws', true],
      ['id', true, false],
      ['init-addr', true],
      ['log-proto', true],
      ['maxconn', true],
      ['maxqueue', true],
      ['max-reuse', true],
      ['minconn', true],
      ['namespace', true],
      ['no-backup', false],
      ['no-send-proxy', false],
      ['no-send-proxy-v2', false],
      ['no-tfo', false],
      ['non-stick', false],
      ['observe', true],
      ['on-error', true],
      ['on-marked-down', true],
      ['on-marked-up', true],
      ['pool-low-conn', true],
      ['pool-max-conn', true],
      ['pool-purge-delay', true],
      ['proto', true],
      ['proxy-v2-options', true],
      ['redir', true],
      ['resolve-net', true],
      ['resolve-opts', true],
      ['resolve-prefer', true],
      ['resolvers', true],
      ['send-proxy', false],
      ['send-proxy-v2', false],
      ['slowstart', true],
      ['source', true],
      ['stick', false],
      ['tfo', false],
      ['track', true],
      ['socks4', true],
      ['usesrc', false],
      ['weight', true],
      ['addr', true],
      ['agent-addr', true],
      ['agent-check', false],
      ['agent-inter', true],
      ['agent-port', true],
      ['agent-send', true],
      ['check', false],
      ['check-proto', true],
      ['check-send-proxy', false],
      ['check-via-socks4', false],
      ['no-agent-check', false],
      ['no-check', false],
      ['no-check-send-proxy', false],
      ['rise', true],
      ['fall', true],
      ['inter', true],
      ['fastinter', true],
      ['downinter', true],
      ['port', true],
      ['tcp-ut', true],
    ] as const
  ).map(([name, takesArg, defaultServer = true]): [string, ServerOptionInfo] => [name, { takesArg, defaultServer }]),
);

// ---------------------------------------------------------------------------------------------
// Sections

/** Every section keyword HAProxy 2.6 knows (a line starting with one of them opens a section). */
export const SECTION_NAMES: ReadonlySet<string> = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers',
  'mailers', 'program', 'http-errors', 'ring', 'cache', 'log-forward', 'fcgi-app', 'namespace_list',
]);

/**
 * The keywords of the sections other than global and the proxies (3.4 to 3.10, 5.3.2, 6.2.1,
 * 10.1.1). HAProxy never suggests a keyword in these sections, and its messages vary: "unknown
 * keyword 'x' in 'users' section" (userlist), "unknown statement 'x'." (ring), "unknown keyword
 * 'x' in log-forward section." (log-forward), "unknown keyword 'x' in '<section>' section"
 * (the others).
 */
export const SECTION_KEYWORDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  (
    [
      ['userlist', ['group', 'user']],
      ['peers', ['bind', 'default-bind', 'default-server', 'disabled', 'enabled', 'log', 'peer', 'server', 'table']],
      ['resolvers', ['accepted_payload_size', 'hold', 'nameserver', 'parse-resolv-conf', 'resolve_retries', 'timeout']],
      ['mailers', ['mailer', 'timeout']],
      ['program', ['command', 'group', 'option', 'user']],
      ['http-errors', ['errorfile']],
      ['ring', ['backing-file', 'description', 'format', 'maxlen', 'server', 'size', 'timeout']],
      ['cache', ['max-age', 'max-object-size', 'max-secondary-entries', 'process-vary', 'total-max-size']],
      ['log-forward', ['backlog', 'bind', 'dgram-bind', 'log', 'maxconn', 'timeout']],
      ['fcgi-app', ['acl', 'docroot', 'index', 'log-stderr', 'option', 'pass-header', 'path-info', 'set-param']],
      ['namespace_list', ['namespace']],
    ] as const
  ).map(([section, words]): [string, ReadonlySet<string>] => [section, new Set<string>(words)]),
);

// ---------------------------------------------------------------------------------------------
// Keywords HAProxy 2.6 recognises only to reject them

export interface RemovedKeyword {
  /** Where HAProxy 2.6 recognises the line ('proxy' is any of defaults/frontend/backend/listen). */
  readonly section: 'global' | 'proxy' | 'resolvers';
  /** ALERT lines make the configuration invalid; the WARNING ones (bind-process) are ignored. */
  readonly level: 'ALERT' | 'WARNING';
  /** HAProxy writes "parsing [file:line]: text" (no space before the colon) instead of the usual
   * "parsing [file:line] : text". */
  readonly tight: boolean;
  /** The text after "parsing [file:line] : ", given the words of the line (keyword first). */
  message(words: readonly string[]): string;
}

function removed(
  section: RemovedKeyword['section'],
  text: string | ((words: readonly string[]) => string),
  opts: { readonly level?: RemovedKeyword['level']; readonly tight?: boolean } = {},
): RemovedKeyword {
  return {
    section,
    level: opts.level ?? 'ALERT',
    tight: opts.tight ?? false,
    message: typeof text === 'string' ? () => text : text,
  };
}

const since21 = (kw: string, advice: string): string =>
  `The '${kw}' directive is not supported anymore since HAProxy 2.1.${advice}`;
const removedOption = (name: string, text: string): [string, RemovedKeyword] => [
  `option ${name}`,
  removed('proxy', `option '${name}' is not supported any more since HAProxy ${text}`, { tight: true }),
];
const removedTimeout = (old: string, now: string): RemovedKeyword =>
  removed('proxy', `the '${old}' directive is not supported anymore since HAProxy 2.1. Use 'timeout ${now}'.`);

/**
 * HAProxy 1.x keywords removed in 2.x (and a few other words HAProxy 2.6 only recognises to
 * reject), keyed by the keyword, or by its first two words for `option x`, `timeout x` and
 * `mode health`, with the exact message of HAProxy 2.6.12 (the texts, typos included, were
 * checked against the binary). Use removedKeyword() to look a line up.
 */
export const REMOVED_KEYWORDS: ReadonlyMap<string, RemovedKeyword> = new Map<string, RemovedKeyword>([
  ['reqrep', removed('proxy', since21('reqrep', " Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead."))],
  ['cliexp', removed('proxy', since21('cliexp', " Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead."))],
  ['reqirep', removed('proxy', since21('reqirep', " Use 'http-request replace-header' instead."))],
  ['reqdel', removed('proxy', since21('reqdel', " Use 'http-request del-header' instead."))],
  ['reqidel', removed('proxy', since21('reqidel', " Use 'http-request del-header' instead."))],
  ['reqdeny', removed('proxy', "The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.")],
  ['reqideny', removed('proxy', since21('reqideny', " Use 'http-request deny' instead."))],
  ['reqpass', removed('proxy', "The 'reqpass' not supported anymore since HAProxy 2.1.")],
  ['reqipass', removed('proxy', since21('reqipass', ''))],
  ['reqallow', removed('proxy', since21('reqallow', " Use 'http-request allow' instead."))],
  ['reqiallow', removed('proxy', since21('reqiallow', " Use 'http-request allow' instead."))],
  ['reqtarpit', removed('proxy', since21('reqtarpit', " Use 'http-request tarpit' instead."))],
  ['reqitarpit', removed('proxy', since21('reqitarpit', " Use 'http-request tarpit' instead."))],
  ['reqadd', removed('proxy', since21('reqadd', " Use 'http-request add-header' instead."))],
  ['rsprep', removed('proxy', since21('rsprep', " Use 'http-response replace-header' instead."))],
  ['srvexp', removed('proxy', since21('srvexp', " Use 'http-response replace-header' instead."))],
  ['rspirep', removed('proxy', since21('rspirep', " Use 'http-response replace-header' instead."))],
  ['rspdel', removed('proxy', since21('rspdel', " Use 'http-response del-header' ."))],
  ['rspidel', removed('proxy', since21('rspidel', " Use 'http-response del-header' instead."))],
  ['rspdeny', removed('proxy', since21('rspdeny', " Use 'http-response deny' instead."))],
  ['rspideny', removed('proxy', since21('rspideny', " Use 'http-response deny' instead."))],
  ['rspadd', removed('proxy', since21('rspadd', " Use 'http-response add-header' instead."))],
  ['block', removed('proxy', since21('block', " Use 'http-request deny' which uses the exact same syntax."))],
  ['redisp', removed('proxy', "keyword 'redisp' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.")],
  ['redispatch', removed('proxy', "keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.")],
  ['contimeout', removedTimeout('contimeout', 'connect')],
  ['clitimeout', removedTimeout('clitimeout', 'client')],
  ['srvtimeout', removedTimeout('srvtimeout', 'server')],
  ['timeout contimeout', removedTimeout('contimeout', 'connect')],
  ['timeout clitimeout', removedTimeout('clitimeout', 'client')],
  ['timeout srvtimeout', removedTimeout('srvtimeout', 'server')],
  [
    'monitor-net',
    removed('proxy', (words) =>
      `'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src ${words[1] ?? ''} }' instead.`),
  ],
  ['appsession', removed('proxy', "'appsession' is not supported anymore since HAProxy 1.6.")],
  ['grace', removed('proxy', "the 'grace' keyword is not supported any more since HAProxy version 2.5.", { tight: true })],
  ['mode health', removed('proxy', "'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.")],
  ['usesrc', removed('proxy', "'usesrc' only allowed after a 'source' statement.")],
  [
    'bind-process',
    removed('proxy', "'bind-process' has no effect, is deprecated, and will be removed in version 2.7.", {
      level: 'WARNING',
      tight: true,
    }),
  ],
  removedOption('forceclose', "2.0, please just remove it, or use 'option httpclose' if absolutely needed."),
  removedOption('http-tunnel', "2.1, please just remove it, it shouldn't be needed."),
  removedOption(
    'http_proxy',
    "2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired.",
  ),
  ['nbproc', removed('global', 'nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.')],
  ['tune.chksize', removed('global', "option 'tune.chksize' is not supported any more (tune.bufsize is used instead).", { tight: true })],
  ['resolution_pool_size', removed('resolvers', "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).")],
]);

/** The REMOVED_KEYWORDS entry matching a line of `section`, trying its first two words, then its
 * first word (so `timeout clitimeout 5s` and `grace 10s` are found, but not `grace` in global). */
export function removedKeyword(
  section: RemovedKeyword['section'],
  words: readonly string[],
): RemovedKeyword | undefined {
  const candidates = words.length > 1 ? [`${words[0]} ${words[1]}`, words[0]] : [words[0]];
  for (const key of candidates) {
    const entry = key === undefined ? undefined : REMOVED_KEYWORDS.get(key);
    if (entry && entry.section === section) return entry;
  }
  return undefined;
}

/** The error for a HAProxy keyword Turnpike does not implement (yet). */
export function notSupportedYet(keyword: string): string {
  return `'${keyword}' is a HAProxy keyword that Turnpike does not support yet`;
}

// ---------------------------------------------------------------------------------------------
// "did you mean" candidates

/**
 * The words HAProxy 2.6 compares a mistyped word with, in its own order (first best match wins
 * ties, and ties are frequent since all digits look alike), as read from the tables of the
 * 2.6.12 binary. Pass them to suggest() (suggest.ts) to get HAProxy's suggestion:
 *
 * - global: registered global keywords, then the ones cfg_parse_global() parses itself. Not in
 *   it: expose-experimental-directives, fd-hard-limit, h2-workaround-bogus-websocket-clients,
 *   tune.chksize. Message: "unknown keyword 'x' in 'global' section; did you mean 'y' maybe ?",
 *   or without suggestion "unknown keyword 'x' in 'global' section".
 * - proxy: the same for defaults/frontend/backend/listen (whatever the section, so 'bind' may be
 *   suggested in a backend); it includes removed words ('block', 'monitor-net', 'appsession').
 *   Message: "unknown keyword 'x' in 'backend' section; did you mean 'y' maybe ?".
 * - option: after `option`; it has 'original-to' (not an option: HAProxy's typo for
 *   'originalto'), so `option original-to` gets "did you mean 'original-to' maybe ?".
 *   Message: "unknown option 'x'; did you mean 'y' maybe ?", or "unknown option 'x'.".
 * - bind: message "'bind :8443' in section 'frontend': unknown keyword 'x'; did you mean 'y'
 *   maybe ?", or "... unknown keyword 'x'.".
 * - server: with a few argument values (ipv4, sudden-death, ...). Message (note: no "parsing"
 *   before the location) "[file:line] : 'server b/s1' : unknown keyword 'x'; did you mean 'y'
 *   maybe ?", or "... unknown keyword 'x'.".
 *
 * Other sections never suggest anything; a word out of any section gets
 * "parsing [file:line]: unknown keyword 'x' out of section." without suggestion.
 */
export const SUGGESTION_LISTS: {
  readonly global: readonly string[];
  readonly proxy: readonly string[];
  readonly option: readonly string[];
  readonly bind: readonly string[];
  readonly server: readonly string[];
} = {
  global: [
    'ca-base', 'crt-base', 'issuers-chain-path', 'maxsslconn', 'ssl-default-bind-options',
    'ssl-default-server-options', 'ssl-dh-param-file', 'ssl-mode-async', 'ssl-propquery',
    'ssl-provider', 'ssl-provider-path', 'ssl-skip-self-issued-ca', 'tune.ssl.cachesize',
    'tune.ssl.default-dh-param', 'tune.ssl.force-private-cache', 'tune.ssl.lifetime',
    'tune.ssl.maxrecord', 'tune.ssl.hard-maxrecord', 'tune.ssl.ssl-ctx-cache-size',
    'tune.ssl.capture-cipherlist-size', 'tune.ssl.capture-buffer-size', 'tune.ssl.keylog',
    'ssl-default-bind-ciphers', 'ssl-default-server-ciphers', 'ssl-default-bind-curves',
    'ssl-default-bind-ciphersuites', 'ssl-default-server-ciphersuites', 'ssl-load-extra-files',
    'ssl-load-extra-del-ext', 'lua-prepend-path', 'lua-load', 'lua-load-per-thread',
    'tune.lua.session-timeout', 'tune.lua.task-timeout', 'tune.lua.service-timeout',
    'tune.lua.forced-yield', 'tune.lua.maxmem', 'tune.h2.header-table-size',
    'tune.h2.initial-window-size', 'tune.h2.max-concurrent-streams', 'tune.h2.max-frame-size',
    'h1-accept-payload-with-any-method', 'h1-case-adjust', 'h1-case-adjust-file',
    'tune.idle-pool.shared', 'tune.pool-high-fd-ratio', 'tune.pool-low-fd-ratio', 'default-path',
    'tune.peers.max-updates-at-once', 'stats', 'pp2-never-send-local', 'grace',
    'hard-stop-after', 'close-spread-time', 'httpclient.resolvers.id',
    'httpclient.resolvers.prefer', 'httpclient.ssl.verify', 'httpclient.ssl.ca-file',
    'tune.listener.multi-queue', 'set-var', 'set-var-fmt', 'tune.vars.global-max-size',
    'tune.vars.proc-max-size', 'tune.vars.sess-max-size', 'tune.vars.txn-max-size',
    'tune.vars.reqres-max-size', 'tune.vars.check-max-size', 'tune.sched.low-latency',
    'tune.fail-alloc', 'no-memory-trimming', 'mworker-max-reloads', 'tune.fd.edge-triggered',
    'profiling.tasks', 'nbthread', 'thread-group', 'thread-groups', 'global', 'daemon',
    'master-worker', 'noepoll', 'nokqueue', 'noevports', 'nopoll', 'busy-polling',
    'set-dumpable', 'insecure-fork-wanted', 'insecure-setuid-wanted', 'nosplice',
    'nogetaddrinfo', 'noreuseport', 'quiet', 'zero-warning', 'tune.runqueue-depth',
    'tune.maxpollevents', 'tune.maxaccept', 'tune.recv_enough', 'tune.buffers.limit',
    'tune.buffers.reserve', 'tune.bufsize', 'tune.maxrewrite', 'tune.idletimer',
    'tune.rcvbuf.client', 'tune.rcvbuf.server', 'tune.sndbuf.client', 'tune.sndbuf.server',
    'tune.pipesize', 'tune.http.cookielen', 'tune.http.logurilen', 'tune.http.maxhdr',
    'tune.comp.maxlevel', 'tune.pattern.cache-size', 'uid', 'gid', 'external-check', 'user',
    'group', 'nbproc', 'maxconn', 'ssl-server-verify', 'maxconnrate', 'maxsessrate',
    'maxsslrate', 'maxcomprate', 'maxpipes', 'maxzlibmem', 'maxcompcpuusage', 'ulimit-n',
    'chroot', 'description', 'node', 'pidfile', 'unix-bind', 'log', 'log-send-hostname',
    'server-state-base', 'server-state-file', 'log-tag', 'spread-checks', 'max-spread-checks',
    'cpu-map', 'setenv', 'presetenv', 'unsetenv', 'resetenv', 'strict-limits', 'localpeer',
    'numa-cpu-mapping', 'defaults', 'listen', 'frontend', 'backend', 'peers', 'resolvers',
    'cluster-secret',
  ],
  proxy: [
    'http-check', 'tcp-check', 'timeout', 'clitimeout', 'contimeout', 'srvtimeout', 'rate-limit',
    'max-keep-alive-queue', 'declare', 'retry-on', 'clitcpka-cnt', 'srvtcpka-cnt',
    'clitcpka-idle', 'srvtcpka-idle', 'clitcpka-intvl', 'srvtcpka-intvl', 'errorloc',
    'errorloc302', 'errorloc303', 'errorfile', 'errorfiles', 'http-error', 'tcp-request',
    'tcp-response', 'filter', 'use-fcgi-app', 'compression', 'external-check', 'listen',
    'frontend', 'backend', 'defaults', 'server', 'default-server', 'server-template', 'bind',
    'monitor-net', 'monitor-uri', 'mode', 'id', 'description', 'disabled', 'enabled',
    'bind-process', 'acl', 'dynamic-cookie-key', 'cookie', 'email-alert', 'persist',
    'appsession', 'load-server-state-from-file', 'server-state-file-name',
    'max-session-srv-conns', 'capture', 'retries', 'http-request', 'http-response',
    'http-after-response', 'http-send-name-header', 'block', 'redirect', 'use_backend',
    'use-server', 'force-persist', 'ignore-persist', 'stick-table', 'stick', 'stats', 'option',
    'default_backend', 'http-reuse', 'monitor', 'transparent', 'maxconn', 'backlog', 'fullconn',
    'dispatch', 'balance', 'hash-type', 'hash-balance-factor', 'unique-id-format',
    'unique-id-header', 'log-format', 'log-format-sd', 'log-tag', 'log', 'source', 'usesrc',
    'error-log-format',
  ],
  option: [
    'abortonclose', 'allbackups', 'checkcache', 'clitcpka', 'contstats', 'dontlognull',
    'http-buffer-request', 'http-ignore-probes', 'idle-close-on-response', 'prefer-last-server',
    'logasap', 'nolinger', 'persist', 'srvtcpka', 'transparent', 'splice-request',
    'splice-response', 'splice-auto', 'accept-invalid-http-request',
    'accept-invalid-http-response', 'dontlog-normal', 'log-separate-errors', 'log-health-checks',
    'socket-stats', 'tcp-smart-accept', 'tcp-smart-connect', 'independent-streams',
    'http-use-proxy-header', 'http-pretend-keepalive', 'http-no-delay',
    'h1-case-adjust-bogus-client', 'h1-case-adjust-bogus-server', 'disable-h2-upgrade',
    'httpclose', 'http-server-close', 'http-keep-alive', 'redispatch', 'httplog', 'tcplog',
    'tcpka', 'httpchk', 'ssl-hello-chk', 'smtpchk', 'pgsql-check', 'redis-check', 'mysql-check',
    'ldap-check', 'spop-check', 'tcp-check', 'external-check', 'forwardfor', 'original-to',
  ],
  bind: [
    'allow-0rtt', 'alpn', 'ca-file', 'ca-verify-file', 'ca-ignore-err', 'ca-sign-file',
    'ca-sign-pass', 'ciphers', 'ciphersuites', 'crl-file', 'crt', 'crt-ignore-err', 'crt-list',
    'curves', 'ecdhe', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12',
    'force-tlsv13', 'generate-certificates', 'no-ca-names', 'no-sslv3', 'no-tlsv10', 'no-tlsv11',
    'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'ssl', 'ssl-min-ver', 'ssl-max-ver',
    'strict-sni', 'tls-ticket-keys', 'verify', 'npn', 'prefer-client-ciphers', 'level',
    'expose-fd', 'severity-output', 'accept-netscaler-cip', 'accept-proxy', 'backlog', 'id',
    'maxconn', 'name', 'nice', 'process', 'proto', 'shards', 'thread', 'defer-accept',
    'interface', 'mss', 'tcp-ut', 'tfo', 'transparent', 'v4v6', 'v6only', 'namespace', 'gid',
    'group', 'mode', 'uid', 'user',
  ],
  server: [
    'allow-0rtt', 'alpn', 'ca-file', 'check-alpn', 'check-sni', 'check-ssl', 'ciphers',
    'ciphersuites', 'crl-file', 'crt', 'force-sslv3', 'force-tlsv10', 'force-tlsv11',
    'force-tlsv12', 'force-tlsv13', 'no-check-ssl', 'no-send-proxy-v2-ssl',
    'no-send-proxy-v2-ssl-cn', 'no-ssl', 'no-ssl-reuse', 'no-sslv3', 'no-tlsv10', 'no-tlsv11',
    'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'npn', 'send-proxy-v2-ssl',
    'send-proxy-v2-ssl-cn', 'sni', 'ssl', 'ssl-min-ver', 'ssl-max-ver', 'ssl-reuse',
    'tls-tickets', 'verify', 'verifyhost', 'backup', 'cookie', 'disabled', 'enabled',
    'error-limit', 'ws', 'id', 'init-addr', 'log-proto', 'maxconn', 'maxqueue', 'max-reuse',
    'minconn', 'namespace', 'no-backup', 'no-send-proxy', 'no-send-proxy-v2', 'no-tfo',
    'non-stick', 'observe', 'on-error', 'on-marked-down', 'on-marked-up', 'pool-low-conn',
    'pool-max-conn', 'pool-purge-delay', 'proto', 'proxy-v2-options', 'redir', 'resolve-net',
    'resolve-opts', 'resolve-prefer', 'resolvers', 'send-proxy', 'send-proxy-v2', 'slowstart',
    'source', 'stick', 'tfo', 'track', 'socks4', 'usesrc', 'weight', 'addr', 'agent-addr',
    'agent-check', 'agent-inter', 'agent-port', 'agent-send', 'check', 'check-proto',
    'check-send-proxy', 'check-via-socks4', 'no-agent-check', 'no-check', 'no-check-send-proxy',
    'rise', 'fall', 'inter', 'fastinter', 'downinter', 'port', 'tcp-ut', 'ipv4', 'ipv6',
    'legacy', 'octet-count', 'fail-check', 'sudden-death', 'mark-down',
  ],
};
