// HAProxy's command line (management.txt section 3), parsed into options.

export interface CliOptions {
  files: string[];
  check: boolean;
  /** -cc <condition> */
  checkCondition: string | null;
  daemon: boolean;
  /** -db: stay in the foreground even if the config says "daemon". */
  noBackground: boolean;
  debug: boolean;
  pidfile: string | null;
  /** -sf: soft-stop these pids once bound; -st: hard-stop them. */
  softStopPids: number[];
  hardStopPids: number[];
  quiet: boolean;
  verbose: boolean;
  version: 0 | 1 | 2;
  /** -n: global maxconn. */
  maxconn: number | null;
  /** -N: default maxconn of proxies that do not set one. */
  proxyMaxconn: number | null;
  memLimitMb: number | null;
  localPeer: string | null;
  chdir: string | null;
  zeroWarning: boolean;
  diagMode: boolean;
  /** Debug flags accepted for compatibility and what they mean here. */
  notes: string[];
  masterWorker: boolean;
  masterCli: string[];
  help: boolean;
}

export const USAGE = `Usage : turnpike [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]
        [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]
        -v displays version ; -vv shows known build options.
        -d enters debug mode ; -db only disables background mode.
        -dM[<byte>] poisons memory with <byte> (defaults to 0x50)
        -V enters verbose mode (disables quiet mode)
        -D goes daemon ; -C changes to <dir> before loading files.
        -W master-worker mode.
        -q quiet mode : don't display messages
        -c check mode : only check config files and exit
        -cc check condition : evaluate a condition and exit
        -n sets the maximum total # of connections (uses ulimit -n)
        -m limits the usable amount of memory (in MB)
        -N sets the default, per-proxy maximum # of connections (0)
        -L set local peer name (default to hostname)
        -p writes pids of all children to this file
        -dW fails if any warning is emitted
        -dD diagnostic mode : warn about suspicious configuration statements
        -sf/-st [pid ]* finishes/terminates old pids.
        -S <bind>[,<bind options>...] new master CLI
`;

/** Parses argv (without node and script); returns options or an error text. */
export function parseArgs(argv: readonly string[]): CliOptions | string {
  const o: CliOptions = {
    files: [], check: false, checkCondition: null, daemon: false, noBackground: false, debug: false,
    pidfile: null, softStopPids: [], hardStopPids: [], quiet: false, verbose: false, version: 0,
    maxconn: null, proxyMaxconn: null, memLimitMb: null, localPeer: null, chdir: null, zeroWarning: false, diagMode: false,
    notes: [], masterWorker: false, masterCli: [], help: false,
  };
  const need = (i: number, flag: string): string | null => (argv[i + 1] === undefined ? `'${flag}' option expects an argument.` : null);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.files.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      // HAProxy takes stray words as config files only after "--"; before, it is an error.
      return `unknown option '${a}'.`;
    }
    switch (a) {
      case '-f': { const e = need(i, a); if (e) return e; o.files.push(argv[++i]!); break; }
      case '-c': o.check = true; break;
      case '-cc': { const e = need(i, a); if (e) return e; o.checkCondition = argv[++i]!; break; }
      case '-D': o.daemon = true; break;
      case '-d': o.debug = true; o.noBackground = true; break;
      case '-db': o.noBackground = true; break;
      case '-q': o.quiet = true; break;
      case '-V': o.verbose = true; break;
      case '-v': o.version = Math.max(o.version, 1) as 1 | 2; break;
      case '-vv': o.version = 2; break;
      case '-h': case '--help': o.help = true; break;
      case '-p': { const e = need(i, a); if (e) return e; o.pidfile = argv[++i]!; break; }
      case '-n': case '-N': {
        const e = need(i, a); if (e) return e;
        const n = Number(argv[++i]);
        if (!Number.isInteger(n) || n < 0) return `'${a}' expects a positive integer, got '${argv[i]}'.`;
        if (a === '-n') o.maxconn = n;
        else o.proxyMaxconn = n;
        break;
      }
      case '-m': {
        const e = need(i, a); if (e) return e;
        const n = Number(argv[++i]);
        if (!Number.isInteger(n) || n <= 0) return `'-m' expects a positive integer (megabytes), got '${argv[i]}'.`;
        o.memLimitMb = n;
        break;
      }
      case '-L': { const e = need(i, a); if (e) return e; o.localPeer = argv[++i]!; break; }
      case '-C': { const e = need(i, a); if (e) return e; o.chdir = argv[++i]!; break; }
      case '-sf': case '-st': {
        const list = a === '-sf' ? o.softStopPids : o.hardStopPids;
        while (argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!)) list.push(Number(argv[++i]));
        break;
      }
      case '-dW': o.zeroWarning = true; break;
      case '-dD': o.diagMode = true; break;
      case '-dI': o.notes.push('-dI: no effect (Turnpike does not fork external programs)'); break;
      case '-W': o.masterWorker = true; break;
      case '-Ws':
        o.masterWorker = true;
        o.notes.push('-Ws: runs as -W; Turnpike does not notify systemd (use Type=forking with -D, or Type=simple)');
        break;
      case '-S': { const e = need(i, a); if (e) return e; o.masterCli.push(argv[++i]!); break; }
      default:
        if (a.startsWith('-dM')) {
          o.notes.push(`${a}: no effect (Turnpike has no memory pools to poison; the JavaScript heap is managed by V8)`);
          break;
        }
        if (a.startsWith('-f') && a.length > 2) { o.files.push(a.slice(2)); break; }
        return `unknown option '${a}'.`;
    }
  }
  return o;
}
