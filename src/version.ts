// Version and feature facts, used by -v/-vv, the .if feature()/version_*() predicates and
// HAPROXY_* environment variables.

export const PRODUCT = 'Turnpike';
export const VERSION = '0.1.0';
export const RELEASE_DATE = '2026/11/24';
/** HAProxy version whose configuration language and interfaces Turnpike follows. */
export const HAPROXY_COMPAT_VERSION = '2.6';

/** Build features in HAProxy's "Feature list" form, queried by `.if feature(NAME)`. */
export const FEATURES: ReadonlyMap<string, boolean> = new Map([
  ['EPOLL', true],
  ['TPROXY', false],
  ['LINUX_TPROXY', false],
  ['LINUX_SPLICE', false],
  ['LIBCRYPT', false],
  ['CRYPT_H', false],
  ['GETADDRINFO', true],
  ['OPENSSL', false],
  ['LUA', false],
  ['ACCEPT4', true],
  ['CLOSEFROM', false],
  ['ZLIB', false],
  ['SLZ', false],
  ['CPU_AFFINITY', false],
  ['TFO', false],
  ['NS', false],
  ['DL', false],
  ['RT', false],
  ['DEVICEATLAS', false],
  ['51DEGREES', false],
  ['WURFL', false],
  ['SYSTEMD', false],
  ['OBSOLETE_LINKER', false],
  ['PRCTL', false],
  ['PROCCTL', false],
  ['THREAD_DUMP', false],
  ['EVPORTS', false],
  ['OT', false],
  ['QUIC', false],
  ['PROMEX', true],
  ['MEMORY_PROFILING', false],
  ['PCRE', false],
  ['PCRE2', false],
  ['PCRE_JIT', false],
  ['PCRE2_JIT', false],
  ['STATIC_PCRE', false],
  ['STATIC_PCRE2', false],
  ['POLL', true],
  ['THREAD', false],
  ['BACKTRACE', false],
  ['REGPARM', false],
]);

/** "1.2.3-dev4" -> comparable numeric parts, as HAProxy's compare_current_version(). */
export function parseVersion(text: string): number[] | null {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-dev(\d+))?/.exec(text);
  if (!m) return null;
  // A -devN is before the release it leads to: 2.6-dev3 < 2.6.0.
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4] === undefined ? Infinity : Number(m[4])];
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}
