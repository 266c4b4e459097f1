// -v / -vv output, in the shape of HAProxy's.
import { release, machine, version as osVersion } from 'node:os';
import { MAX_THREADS, defaultThreadCount } from '../runtime/threads/context.ts';
import { FEATURES, HAPROXY_COMPAT_VERSION, PRODUCT, RELEASE_DATE, VERSION } from '../version.ts';

export function versionText(verbose: boolean): string {
  const lines = [
    `${PRODUCT} version ${VERSION} ${RELEASE_DATE} - follows the configuration language of HAProxy ${HAPROXY_COMPAT_VERSION}`,
    `Running on: Linux ${release()} ${osVersion()} ${machine()}`,
  ];
  if (!verbose) return lines.join('\n') + '\n';
  const features = [...FEATURES.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, on]) => `${on ? '+' : '-'}${k}`).join(' ');
  lines.push(
    'Build options :',
    `  RUNTIME = Node.js ${process.version} (V8 ${process.versions.v8}, libuv ${process.versions.uv})`,
    `  OPENSSL = ${process.versions.openssl} (not used yet: no TLS support)`,
    '',
    `Feature list : ${features}`,
    '',
    'Default settings :',
    '  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200',
    '',
    `Built with multi-threading support (MAX_THREADS=${MAX_THREADS}, default=${defaultThreadCount()}).`,
    'Regular expressions : V8 with the linear-time engine (no backtracking on patterns it accepts)',
    '',
    'Available polling systems :',
    `      epoll : pref=300,  test result OK (via libuv ${process.versions.uv})`,
    'Total: 1 (1 usable), will use epoll.',
    '',
    'Available multiplexer protocols :',
    '(protocols marked as <default> cannot be specified using \'proto\' keyword)',
    '  <default> : mode=HTTP  side=FE|BE  mux=H1    flags=HTX',
    '         h1 : mode=HTTP  side=FE|BE  mux=H1    flags=HTX|NO_UPG',
    '  <default> : mode=TCP   side=FE|BE  mux=PASS  flags=',
    '       none : mode=TCP   side=FE|BE  mux=PASS  flags=NO_UPG',
    '',
    'Built with the Prometheus exporter as a service',
    '',
    'Available services : prometheus-exporter',
    '',
    'Available filters : none',
  );
  return lines.join('\n') + '\n';
}
