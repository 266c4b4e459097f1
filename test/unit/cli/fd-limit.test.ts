// maxsock and the start-up FD-limit messages, against what HAProxy 2.6.12 printed for the same
// configurations (under `ulimit -n 1024`, see the figures in each case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import { checkFdLimit, maxsock } from '../../../src/cli/fd-limit.ts';

function config(global: string, rest = 'frontend fe\n  bind 127.0.0.1:18081\n  default_backend be\nbackend be\n  server s1 127.0.0.1:18082\n') {
  const diag = new Diagnostics();
  const cfg = parseConfigText('t.cfg', `global\n${global}\ndefaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\n${rest}`, diag, {});
  assert.equal(diag.alerts, 0, diag.messages.map((m) => m.text).join('\n'));
  return cfg;
}

test('maxsock counts as HAProxy 2.6: reserve, listeners, checks, agents, CLI, two per connection, three per thread', () => {
  assert.equal(maxsock(config('  maxconn 1000'), 1000, 1), 2014);
  assert.equal(maxsock(config('  maxconn 1000'), 1000, 2), 2017);
  assert.equal(maxsock(config('  maxconn 1000\n  stats socket /tmp/x.sock'), 1000, 1), 2025);
  assert.equal(maxsock(config('  maxconn 1000\n  stats socket /tmp/x.sock\n  stats maxconn 3'), 1000, 1), 2018);
  const twoBinds = 'frontend fe\n  bind 127.0.0.1:18081\n  bind 127.0.0.1:18083\n  default_backend be\nbackend be\n  server s1 127.0.0.1:18082 check\n  server s2 127.0.0.1:18084 agent-check agent-port 9999\n';
  assert.equal(maxsock(config('  maxconn 1000', twoBinds), 1000, 1), 2015 + 1 + 2);
});

test('strict-limits (the default): a maxconn needing more descriptors than the limit is fatal', () => {
  const r = checkFdLimit(config('  maxconn 10000'), 1024, 1);
  assert.deepEqual(r, { warnings: [], alerts: ['[haproxy.main()] Cannot raise FD limit to 20014, limit is 1024.'], fatal: true });
});

test('no strict-limits: the same configuration warns, alerts and runs', () => {
  const r = checkFdLimit(config('  maxconn 10000\n  no strict-limits'), 1024, 1);
  assert.equal(r.fatal, false);
  assert.deepEqual(r.warnings, ['[haproxy.main()] Cannot raise FD limit to 20014, limit is 1024.']);
  assert.deepEqual(r.alerts, ["[haproxy.main()] FD limit (1024) too low for maxconn=10000/maxsock=20014. Please raise 'ulimit-n' to 20014 or more to avoid any trouble."]);
});

test('ulimit-n: above the limit it cannot be had; below it changes nothing; maxconn unset needs nothing', () => {
  assert.deepEqual(checkFdLimit(config('  ulimit-n 30000'), 20000, 1).alerts, ['[haproxy.main()] Cannot raise FD limit to 30000, limit is 20000.']);
  assert.deepEqual(checkFdLimit(config('  maxconn 1000\n  ulimit-n 500'), 20000, 1), { warnings: [], alerts: [], fatal: false });
  const low = checkFdLimit(config('  maxconn 1000\n  ulimit-n 500'), 800, 1);
  assert.equal(low.fatal, true);
  assert.match(low.alerts[0]!, /FD limit \(800\) too low for maxconn=1000\/maxsock=2014/);
  assert.deepEqual(checkFdLimit(config(''), 64, 1), { warnings: [], alerts: [], fatal: false });
});

test('"strict-limits" takes no argument; "no strict-limits" clears it', () => {
  assert.equal(config('  no strict-limits').global.strictLimits, false);
  assert.equal(config('  strict-limits').global.strictLimits, true);
  const diag = new Diagnostics();
  parseConfigText('t.cfg', 'global\n  strict-limits x\n', diag, {});
  assert.match(diag.messages[0]!.text, /'strict-limits' cannot handle unexpected argument 'x'\./);
});
