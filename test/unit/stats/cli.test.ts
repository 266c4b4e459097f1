import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextCommand, runCommandLine, splitArgs } from '../../../src/observe/cli/server.ts';
import { Level, usageMessage, type CliSession } from '../../../src/observe/cli/registry.ts';
import { runtime, DEFAULTS } from './helpers.ts';

const CFG = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:9999\n  default_backend be\nbackend be\n  server s1 127.0.0.1:1\n  server s2 127.0.0.1:2 weight 3\n`
  + 'backend st\n  balance static-rr\n  server a 127.0.0.1:3 weight 2\n';

function session(level: Level = Level.Admin): CliSession {
  const { rt } = runtime(CFG);
  return { rt, level, prompt: false, timeout: 10_000, quit: false, noLf: false };
}

async function run(s: CliSession, line: string): Promise<string> {
  const out = await runCommandLine(line, s);
  return typeof out === 'string' ? out : out.text;
}

test('commands are cut at line feeds and unescaped semicolons; words split on blanks with backslash escapes', () => {
  assert.deepEqual(nextCommand('show info;show stat\n'), { line: 'show info', rest: 'show stat\n' });
  assert.deepEqual(nextCommand('show version\r\nx'), { line: 'show version', rest: 'x' });
  assert.equal(nextCommand('show version'), null);
  assert.deepEqual(nextCommand('a\\;b\n'), { line: 'a\\;b', rest: '' });
  assert.deepEqual(splitArgs('  set  weight\tbe/s1 3 '), ['set', 'weight', 'be/s1', '3']);
  assert.deepEqual(splitArgs('show\\ version a\\\\b'), ['show version', 'a\\b']);
});

test('usage messages: help, unknown commands and fuzzy matches as HAProxy 2.6', () => {
  const help = usageMessage(['help']);
  assert.ok(help.startsWith('The following commands are valid at this level:\n'));
  assert.ok(help.includes('\n  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n'));
  assert.ok(help.endsWith('  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n'));
  const lines = help.split('\n').slice(1, -4);
  assert.deepEqual(lines, [...lines].sort(), 'sorted by usage text');
  assert.ok(usageMessage([]).startsWith('Unknown command. Please enter one of the following commands only:\n'));
  assert.equal(usageMessage(['set', 'maxconn', 'foo']), 'Unknown command, but maybe one of the following ones is a better match:\n'
    + "  set maxconn frontend <frontend> <value> : change a frontend's maxconn setting\n"
    + "  set maxconn global <value>              : change the per-process maxconn setting\n"
    + "  set maxconn server <bk>/<srv>           : change a server's maxconn setting\n"
    + '  help [<command>]                        : list matching or all commands\n'
    + '  prompt                                  : toggle interactive mode with prompt\n'
    + '  quit                                    : disconnect\n');
  assert.equal(usageMessage(['show version']).split('\n')[1], '  show version                            : show version of the current process');
  assert.equal(usageMessage(['show version']).split('\n').length, 6);
});

test('server commands change the runtime state, with HAProxy messages and errors', async () => {
  const s = session();
  const be = s.rt.proxies[1]!.backend!;
  const [s1, s2] = be.servers as [typeof be.servers[0], typeof be.servers[0]];
  assert.equal(await run(s, 'disable server be/s1'), '');
  assert.equal(s1.maint, true);
  assert.equal(s1.eligible, false);
  assert.equal(await run(s, 'enable server be/s1'), '');
  assert.equal(s1.eligible, true);
  assert.equal(await run(s, 'set server be/s2 state drain'), '');
  assert.equal(s2.drain, true);
  assert.equal(await run(s, 'set server be/s2 state ready'), '');
  assert.equal(s2.drain, false);
  assert.equal(await run(s, 'set server be/s1 health stopping'), '');
  assert.equal(s1.stopping, true);
  assert.equal(s1.eligible, false);
  assert.equal(await run(s, 'set server be/s1 health up'), '');
  assert.equal(s1.eligible, true);
  assert.equal(await run(s, 'set weight be/s2 50%'), '');
  assert.equal(await run(s, 'get weight be/s2'), '1 (initial 3)\n');
  assert.equal(await run(s, 'set server be/s2 weight abc'), 'Empty weight string empty or preceded by garbage');
  assert.equal(await run(s, 'set weight be/s2 3x'), 'Trailing garbage in weight string');
  assert.equal(await run(s, 'set weight be/s2 -1%'), 'Relative weight must be positive.\n');
  assert.equal(await run(s, 'set weight st/a 1'), "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n");
  assert.equal(await run(s, 'set weight st/a 0'), '');
  assert.equal(await run(s, 'set server be/s1 state foo'), "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
  assert.equal(await run(s, 'set server be/s1 addr 127.0.0.2 port 7000'), "IP changed from '127.0.0.1' to '127.0.0.2', port changed from '9001' to '7000' by 'stats socket command'\n");
  assert.deepEqual(s1.target, { host: '127.0.0.2', port: 7000, offset: false });
  assert.equal(await run(s, 'set maxconn server be/s1 5'), '');
  assert.equal(s1.maxconn, 5);
  assert.equal(await run(s, 'enable health be/s1'), 'Health check was not configured on this server, cannot enable.\n');
  assert.equal(await run(s, 'get weight be'), "Require 'backend/server'.\n");
  assert.equal(await run(s, 'get weight fe/s1'), 'No such backend.\n');
  assert.equal(await run(s, 'get weight #2/#2'), '1 (initial 3)\n');
});

test('frontend and global limits, levels', async () => {
  const s = session();
  const fe = s.rt.proxies[0]!;
  assert.equal(await run(s, 'set maxconn frontend fe 7'), '');
  assert.equal(fe.maxconn, 7);
  assert.equal(await run(s, 'set maxconn frontend fe -1'), 'Value out of range.\n');
  assert.equal(await run(s, 'set maxconn frontend be 1'), 'No such frontend.\n');
  assert.equal(await run(s, 'set maxconn global 99999999'), 'Value out of range.\n');
  assert.equal(await run(s, 'set maxconn global 10'), '');
  assert.equal(s.rt.maxconn, 10);
  assert.equal(await run(s, 'set maxconn global 0'), '');
  assert.equal(s.rt.maxconn, s.rt.hardMaxconn);
  assert.equal(await run(s, 'shutdown frontend fe'), '');
  assert.equal(fe.stopped, true);
  assert.equal(await run(s, 'enable frontend fe'), 'Frontend was previously shut down, cannot enable.\n');
  assert.equal(await run(s, 'set timeout cli 3'), '');
  assert.equal(s.timeout, 3000);
  assert.equal(await run(s, 'set timeout cli x'), 'Invalid timeout value.\n');
  assert.equal(await run(s, 'set timeout foo 3'), "'set timeout' only supports 'cli'.\n");

  const u = session(Level.User);
  for (const cmd of ['disable server be/s1', 'set weight be/s1 2', 'show sess', 'show env', 'clear counters', 'operator', 'shutdown frontend fe']) {
    assert.equal(await run(u, cmd), 'Permission denied\n', cmd);
  }
  assert.equal(await run(u, 'show cli level'), 'user\n');
  const o = session(Level.Operator);
  assert.equal(await run(o, 'clear counters'), '');
  assert.equal(await run(o, 'clear counters all'), 'Permission denied\n');
  assert.equal(await run(o, 'user'), '');
  assert.equal(o.level, Level.User);
});
