// The master CLI's pure parts and the master-worker global keywords. Expected texts were
// recorded from haproxy 2.6.12 (-W -S <sock>, `echo '<cmd>' | socat <sock> -`, and -c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import {
  formatUptime, masterUsage, parseMasterCliArg, resolvePrefix, runMasterCommand, showProc, type MasterView, type WorkerInfo,
} from '../../../src/cli/master-cli.ts';
import { Level } from '../../../src/observe/cli/registry.ts';
import { VERSION } from '../../../src/version.ts';

const TAIL = [
  '  help [<command>]                        : list matching or all commands',
  '  prompt                                  : toggle interactive mode with prompt',
  '  quit                                    : disconnect',
];
const MAYBE = 'Unknown command, but maybe one of the following ones is a better match:';
const U = {
  pid: '  @!<pid>                                 : send a command to the <pid> process',
  rel: '  @<relative pid>                         : send a command to the <relative pid> process',
  master: '  @master                                 : send a command to the master process',
  operator: '  operator                                : lower the level of the current CLI session to operator',
  reload: '  reload                                  : reload haproxy',
  level: '  show cli level                          : display the level of the current CLI session',
  sockets: '  show cli sockets                        : dump list of cli sockets',
  proc: '  show proc                               : show processes status',
  version: '  show version                            : show version of the current process',
  user: '  user                                    : lower the level of the current CLI session to user',
};

function lines(...l: string[]): string {
  return [...l, ...TAIL].join('\n') + '\n';
}

test('help and unknown commands list what haproxy 2.6 lists on its master CLI', () => {
  const all = [U.pid, U.rel, U.master, U.operator, U.reload, U.level, U.sockets, U.proc, U.version, U.user];
  const cases: [string, string][] = [
    ['help', lines('The following commands are valid at this level:', ...all)],
    ['', lines('Unknown command. Please enter one of the following commands only:', ...all)],
    ['foo', lines(MAYBE, U.pid, U.master, U.operator, U.reload, U.user)],
    ['relaod', lines(MAYBE, U.reload)],
    ['shw proc', lines(MAYBE, U.proc)],
    ['show foo', lines(MAYBE, U.level, U.sockets, U.proc, U.version)],
    ['show proc2', lines(MAYBE, U.proc)],
    ['help foo', lines('The following commands are valid at this level:', U.pid, U.master, U.operator, U.reload, U.user)],
    ['help show cli', lines('The following commands are valid at this level:', U.level, U.sockets)],
    ['master', lines(MAYBE, U.master)],
    ['version', lines(MAYBE, U.version, U.user)],
    ['show cli foo', lines(MAYBE, U.level, U.sockets)],
    ['pid', lines(MAYBE, U.pid)],
    ['relative', lines(MAYBE, U.rel, U.master, U.operator, U.reload, U.user)],
    ['q', lines(MAYBE, U.pid, U.master, U.operator, U.reload, U.proc)],
  ];
  for (const [cmd, want] of cases) assert.equal(masterUsage(cmd ? cmd.split(' ') : []), want, cmd);
});

function view(workers: WorkerInfo[], over: Partial<MasterView> = {}): MasterView {
  return { pid: 9585, startedAt: 1_000_000, reloads: 2, failedReloads: 1, workers: () => workers, reload() {}, ...over };
}

const W = (pid: number, current: boolean, reloads: number, startedAt: number): WorkerInfo => ({ pid, current, reloads, startedAt, cliPath: `/x/${pid}.sock` });

test('show proc: haproxy 2.6 columns, current then old workers, programs heading', () => {
  const v = VERSION.padEnd(15);
  assert.equal(showProc(view([W(9588, false, 2, 1_000_500), W(9674, true, 0, 1_004_000)]), 1_010_400),
    '#<PID>          <type>          <reloads>       <uptime>        <version>      \n'
    + `9585            master          2 [failed: 1]   0d00h00m10s     ${v}\n`
    + '# workers\n'
    + `9674            worker          0               0d00h00m06s     ${v}\n`
    + '# old workers\n'
    + `9588            worker          2               0d00h00m10s     ${v}\n`
    + '# programs\n');
  assert.equal(showProc(view([]), 1_000_000).split('\n').slice(2).join('\n'), '# workers\n# programs\n');
});

test('uptime format', () => {
  assert.equal(formatUptime(0), '0d00h00m00s');
  assert.equal(formatUptime(127), '0d00h02m07s');
  assert.equal(formatUptime(86_400 * 3 + 3600 * 5 + 61), '3d05h01m01s');
});

test('master commands and "@" prefixes', () => {
  const v = view([W(9588, false, 1, 0), W(9674, true, 0, 0)]);
  const s = { level: Level.Operator, prompt: false, target: 0 };
  assert.equal(runMasterCommand(['show', 'cli', 'level'], s, v), 'operator\n');
  assert.equal(runMasterCommand(['show', 'cli', 'sockets'], s, v), '');
  assert.equal(runMasterCommand(['show', 'version'], s, v), `${VERSION}\n`);
  for (const p of ['@', '@master', '@0']) assert.equal(resolvePrefix(p, v), 0, p);
  assert.equal(resolvePrefix('@1', v), 9674);
  assert.equal(resolvePrefix('@!9588', v), 9588);
  assert.equal(resolvePrefix('@!9674', v), 9674);
  for (const p of ['@2', '@!1', '@!9585', '@abc', '@!abc', '@!', '@1x']) assert.equal(resolvePrefix(p, v), null, p);
  assert.equal(resolvePrefix('@1', view([W(9588, false, 1, 0)])), null, 'no current worker');
});

test('-S arguments: address, options, haproxy\'s errors', () => {
  const unix = parseMasterCliArg('/run/m.sock,mode,600,level,user');
  assert.ok(!Array.isArray(unix));
  assert.deepEqual([unix.addr, unix.unixMode, unix.level], [{ kind: 'unix', path: '/run/m.sock', abstract: false }, 0o600, 'user']);
  const tcp = parseMasterCliArg('ipv4@127.0.0.1:1234');
  assert.ok(!Array.isArray(tcp));
  assert.deepEqual([tcp.addr, tcp.level], [{ kind: 'ipv4', host: '127.0.0.1', port: 1234 }, 'admin']);
  assert.deepEqual(parseMasterCliArg('/tmp/x.sock,bogus,1'), ["config : '/tmp/x.sock bogus' : unknown keyword 'bogus'.", "config : Can't create the master's CLI."]);
  assert.deepEqual(parseMasterCliArg('/tmp/x.sock,level,foo'), [
    "config : '/tmp/x.sock level' : ''level' only supports 'user', 'operator', and 'admin' (got 'foo')'", "config : Can't create the master's CLI.",
  ]);
  assert.deepEqual(parseMasterCliArg('/tmp/x.sock,mode,abc'), [
    "config : '/tmp/x.sock mode' : ''mode' : missing or invalid mode 'abc' (octal integer expected)'", "config : Can't create the master's CLI.",
  ]);
  const noPort = parseMasterCliArg('127.0.0.1');
  assert.ok(Array.isArray(noPort));
  assert.equal(noPort[0], 'config : Cannot create the listener of the master CLI');
  assert.match(noPort[1]!, /port/);
  assert.match((parseMasterCliArg('/tmp/x.sock,accept-proxy') as string[])[0]!, /'accept-proxy' is a bind option that Turnpike does not support on the master CLI/);
});

function globalMessages(lines: string): { messages: string[]; mw: boolean; noExit: boolean; max: number } {
  const diag = new Diagnostics();
  const c = parseConfigText('c.cfg', `global\n${lines}`, diag, {});
  return { messages: diag.messages.map((m) => `[${m.level}] ${m.text}`), mw: c.global.masterWorker, noExit: c.global.mworkerNoExitOnFailure, max: c.global.mworkerMaxReloads };
}

test('master-worker and mworker-max-reloads keywords, with haproxy -c messages', () => {
  assert.deepEqual(globalMessages('  master-worker\n'), { messages: [], mw: true, noExit: false, max: -1 });
  assert.deepEqual(globalMessages('  master-worker no-exit-on-failure\n  mworker-max-reloads 3\n'), { messages: [], mw: true, noExit: true, max: 3 });
  const errors = '[ALERT] config : Error(s) found in configuration file : c.cfg';
  assert.deepEqual(globalMessages('  master-worker foo\n').messages, ["[ALERT] config : parsing [c.cfg:2] : 'master-worker' only supports 'no-exit-on-failure' option.", errors]);
  assert.deepEqual(globalMessages('  master-worker no-exit-on-failure x\n').messages, ["[ALERT] config : parsing [c.cfg:2] : 'master-worker' cannot handle unexpected argument 'x'.", errors]);
  // HAProxy only warns here (its text also carries a stray "(null)" prefix).
  assert.deepEqual(globalMessages('  mworker-max-reloads\n').messages, ["[WARNING] config : parsing [c.cfg:2] : 'mworker-max-reloads' expects an integer argument."]);
  assert.deepEqual(globalMessages('  mworker-max-reloads -1\n').messages, ["[WARNING] config : parsing [c.cfg:2] : 'mworker-max-reloads' : invalid value -1, must be >= 0"]);
  // atol(): no digits reads as 0.
  assert.deepEqual(globalMessages('  mworker-max-reloads abc\n'), { messages: [], mw: false, noExit: false, max: 0 });
});
