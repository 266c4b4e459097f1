// Keywords of the "global" section (configuration.txt section 3) that Turnpike implements.
import { execFileSync } from 'node:child_process';
import { registerGlobalKeywords, expectArgs, type GlobalKeyword, type ParseContext } from './registry.ts';
import type { GlobalConfig } from './model.ts';
import { parseTime, parseUint, parseSize } from './units.ts';
import { MAX_THREADS } from '../runtime/threads/context.ts';

/** HAProxy warns ("already specified. Continuing.") when a unique global keyword repeats. */
function once(g: GlobalConfig, ctx: ParseContext, name: string): string | undefined {
  if (g.seen.has(name)) return `'${name}' already specified. Continuing.`;
  g.seen.add(name);
  return undefined;
}

function flag(name: string, set: (g: GlobalConfig) => void): GlobalKeyword {
  return {
    name,
    parse(g, args) {
      const e = expectArgs(args, 0, 'no argument');
      if (e) return e;
      set(g);
    },
  };
}

function uintKw(name: string, set: (g: GlobalConfig, n: number) => void): GlobalKeyword {
  return {
    name,
    parse(g, args, ctx) {
      const dup = once(g, ctx, name);
      if (dup) return dup;
      if (args.length !== 2) return `'${name}' expects an integer argument.`;
      const n = parseUint(args[1]!, `'${name}'`);
      if (typeof n === 'string') return n;
      set(g, n);
    },
  };
}

/** nbthread and thread-groups: an integer from 1 to `max`, worded as HAProxy's parse_nbthread(). */
function threadCountKw(name: string, max: number, set: (g: GlobalConfig, n: number) => void): GlobalKeyword {
  return {
    name,
    parse(g, args) {
      const text = args[1] ?? '';
      if (!/^\d+$/.test(text)) return `'${name}' passed a missing or unparsable integer value in '${text}'`;
      if (args.length > 2) return `'${name}' cannot handle unexpected argument '${args[2]}'.`;
      const n = Number(text);
      if (n < 1 || n > max) return `'${name}' value must be between 1 and ${max} (was ${n})`;
      set(g, n);
    },
  };
}

function lookupId(db: 'passwd' | 'group', name: string): number | null {
  // Node has no getpwnam(); getent reads the same NSS databases the libc would.
  try {
    const line = execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const id = Number(line.split(':')[2]);
    return Number.isInteger(id) ? id : null;
  } catch {
    return null;
  }
}

function timeKw(name: string, set: (g: GlobalConfig, ms: number) => void): GlobalKeyword {
  return {
    name,
    parse(g, args) {
      if (args.length !== 2) return `'${name}' expects <time> as argument.`;
      const t = parseTime(args[1]!);
      if (typeof t === 'string') return `unexpected character in '${name}' : ${t}`;
      set(g, t);
    },
  };
}

function envKw(name: 'setenv' | 'presetenv' | 'unsetenv' | 'resetenv'): GlobalKeyword {
  return {
    name,
    parse(_g, args, ctx) {
      const env = ctx.env;
      if (name === 'setenv' || name === 'presetenv') {
        if (args.length !== 3) return `'${name}' expects exactly 2 arguments.`;
        if (name === 'presetenv' && env[args[1]!] !== undefined) return;
        env[args[1]!] = args[2]!;
        return;
      }
      if (name === 'unsetenv') {
        if (args.length < 2) return `'${name}' expects at least 1 argument.`;
        for (const v of args.slice(1)) delete env[v];
        return;
      }
      // resetenv: keep only the listed variables.
      const keep = new Set(args.slice(1));
      for (const k of Object.keys(env)) if (!keep.has(k)) delete env[k];
    },
  };
}

registerGlobalKeywords(
  flag('daemon', (g) => { g.daemon = true; }),
  flag('quiet', (g) => { g.quiet = true; }),
  flag('zero-warning', (g) => { g.zeroWarning = true; }),
  uintKw('maxconn', (g, n) => { g.maxconn = n; }),
  uintKw('ulimit-n', (g, n) => { g.ulimitN = n; }),
  {
    // As HAProxy: "no strict-limits" clears it; the plain keyword changes nothing (it is the default).
    name: 'strict-limits',
    parse(g, args, ctx) {
      const e = expectArgs(args, 0, 'no argument');
      if (e) return e;
      if (ctx.negated) g.strictLimits = false;
    },
  },
  threadCountKw('nbthread', MAX_THREADS, (g, n) => { g.nbthread = n; }),
  // One group holds every thread: what HAProxy 2.6 itself allows.
  threadCountKw('thread-groups', 1, () => {}),
  {
    name: 'cpu-map',
    parse(_g, args) {
      if (args.length < 3) return "cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 or a range),  followed by a list of CPU ranges with numbers from 0 to 63.";
      // Node.js exposes neither sched_setaffinity() nor the system ids of its worker threads.
      return "'cpu-map' cannot be honoured: Turnpike cannot bind its threads to CPUs (Node.js has no CPU affinity API); start the whole process under 'taskset' instead.";
    },
  },
  {
    name: 'nbproc',
    parse() {
      return 'nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.';
    },
  },
  {
    name: 'pidfile',
    parse(g, args, ctx) {
      const dup = once(g, ctx, 'pidfile');
      if (dup) return dup;
      if (args.length !== 2) return `'pidfile' expects a file name as an argument.`;
      g.pidfile = args[1]!;
    },
  },
  {
    name: 'uid',
    parse(g, args) {
      if (args.length !== 2) return `'uid' expects an integer argument.`;
      const n = parseUint(args[1]!, `'uid'`);
      if (typeof n === 'string') return n;
      g.uid = n;
    },
  },
  {
    name: 'gid',
    parse(g, args) {
      if (args.length !== 2) return `'gid' expects an integer argument.`;
      const n = parseUint(args[1]!, `'gid'`);
      if (typeof n === 'string') return n;
      g.gid = n;
    },
  },
  {
    name: 'user',
    parse(g, args) {
      if (args.length !== 2) return `'user' expects a user name as an argument.`;
      if (g.uid !== null) return `'user' : user/uid already specified. Continuing.`;
      const id = lookupId('passwd', args[1]!);
      if (id === null) return `'user' : cannot find user id for '${args[1]}' (0:Success)`;
      g.uid = id;
    },
  },
  {
    name: 'group',
    parse(g, args) {
      if (args.length !== 2) return `'group' expects a group name as an argument.`;
      if (g.gid !== null) return `'group' : group/gid already specified. Continuing.`;
      const id = lookupId('group', args[1]!);
      if (id === null) return `'group' : cannot find group id for '${args[1]}' (0:Success)`;
      g.gid = id;
    },
  },
  {
    name: 'chroot',
    parse() {
      // chroot(2) is not reachable from Node.js without a native addon; refusing beats pretending.
      return `'chroot' is not supported by Turnpike: Node.js cannot call chroot(2). Use a container or systemd's RootDirectory= instead, and keep 'user'/'group' to drop privileges.`;
    },
  },
  {
    // The master process itself lives in src/cli/master.ts.
    name: 'master-worker',
    parse(g, args) {
      if (args.length > 2) return `'master-worker' cannot handle unexpected argument '${args[2]}'.`;
      if (args[1] !== undefined) {
        if (args[1] !== 'no-exit-on-failure') return `'master-worker' only supports 'no-exit-on-failure' option.`;
        g.mworkerNoExitOnFailure = true;
      }
      g.masterWorker = true;
    },
  },
  {
    name: 'mworker-max-reloads',
    parse(g, args, ctx) {
      if (args.length > 2) return `'mworker-max-reloads' cannot handle unexpected argument '${args[2]}'.`;
      // HAProxy only warns about a missing or negative value; it reads the number with atol().
      if (!args[1]) {
        ctx.diag.warning(ctx.loc, `'mworker-max-reloads' expects an integer argument.`);
        return;
      }
      const n = parseInt(args[1], 10) || 0;
      if (n < 0) {
        ctx.diag.warning(ctx.loc, `'mworker-max-reloads' : invalid value ${n}, must be >= 0`);
        return;
      }
      g.mworkerMaxReloads = n;
    },
  },
  {
    // HAProxy ignores any argument; the keyword only counts for the lines after it
    name: 'expose-experimental-directives',
    parse(g) {
      g.exposeExperimental = true;
    },
  },
  timeKw('hard-stop-after', (g, ms) => { g.hardStopAfter = ms; }),
  {
    name: 'grace',
    parse(g, args) {
      if (args.length !== 2) return `'grace' expects <time> as argument.`;
      const t = parseTime(args[1]!);
      if (typeof t === 'string') return `unexpected character in 'grace' : ${t}`;
      g.grace = t;
    },
  },
  {
    name: 'node',
    parse(g, args) {
      if (args.length !== 2) return `'node' expects one argument.`;
      g.node = args[1]!;
    },
  },
  {
    name: 'description',
    parse(g, args) {
      if (args.length < 2) return `'description' expects a string argument.`;
      g.description = args.slice(1).join(' ');
    },
  },
  {
    name: 'localpeer',
    parse(g, args) {
      if (args.length !== 2) return `'localpeer' expects a name as an argument.`;
      g.localPeer = args[1]!;
    },
  },
  {
    name: 'spread-checks',
    parse(g, args) {
      if (args.length !== 2) return `'spread-checks' expects an integer argument (0..50).`;
      const n = parseUint(args[1]!, `'spread-checks'`);
      if (typeof n === 'string') return n;
      if (n > 50) return `'spread-checks' needs a positive value between 0 and 50 (${n}).`;
      g.spreadChecks = n;
    },
  },
  {
    name: 'tune.bufsize',
    parse(g, args) {
      if (args.length !== 2) return `'tune.bufsize' expects an integer argument.`;
      const n = parseSize(args[1]!);
      if (typeof n === 'string' || n < 1024) return `'tune.bufsize' expects a positive integer argument (at least 1024).`;
      g.bufsize = n;
    },
  },
  envKw('setenv'),
  envKw('presetenv'),
  envKw('unsetenv'),
  envKw('resetenv'),
);
