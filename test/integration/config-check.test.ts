// `turnpike -c`: configuration checking, HAProxy's messages with file:line, command-line
// flags that do not start a proxy (-cc, -v, -vv, -dW), several files, environment variables.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  runTurnpike, tempDir, writeConfig, freePort, startTurnpike, replyServer, exchange,
  REFERENCE, HAPROXY, DEFAULTS,
} from './harness.ts';

const haveHaproxy = existsSync(HAPROXY);

/** Line number (1-based) of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `fixture has no line with ${needle}`);
  return i + 1;
}

/** Asserts that stderr has an ALERT line naming file:line and containing `phrase`. */
function assertAlert(stderr: string, file: string, line: number | null, phrase: string | RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.startsWith('[ALERT]'));
  const hit = lines.find((l) => (line === null || l.includes(`${file}:${line}]`)) && (typeof phrase === 'string' ? l.includes(phrase) : phrase.test(l)));
  assert.ok(hit, `no [ALERT] line with ${line === null ? '' : `[${file}:${line}] and `}${String(phrase)} in stderr:\n${stderr}`);
}

function assertFatalLast(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  assert.match(lines[lines.length - 1]!, /^\[ALERT\] +\(\d+\) : config : Fatal errors found in configuration\.$/, `last line of stderr:\n${stderr}`);
}

function check(cfg: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  return runTurnpike(['-c', '-f', cfg, ...extra], env);
}

/** Exit code of the real HAProxy on the same arguments, or null when it is not installed. */
function haproxyCode(args: string[], env: NodeJS.ProcessEnv = {}): number | null {
  if (!haveHaproxy) return null;
  return runTurnpike(args, env, HAPROXY).code;
}

const VALID = `global
  maxconn 1000

${DEFAULTS}
frontend fe
  bind 127.0.0.1:18000
  bind 127.0.0.1:18001,127.0.0.1:18002
  acl local src 127.0.0.0/8
  tcp-request connection reject if !local
  use_backend bk_b if { dst_port 18001 }
  default_backend bk_a

backend bk_a
  balance roundrobin
  server a1 127.0.0.1:19001 weight 10 check inter 2s rise 2 fall 3
  server a2 127.0.0.1:19002 weight 20 check
  server a3 127.0.0.1:19003 backup

backend bk_b
  balance leastconn
  retries 2
  option redispatch
  server b1 127.0.0.1:19011 maxconn 10

listen li
  bind 127.0.0.1:18100
  balance source
  server l1 127.0.0.1:19021
`;

describe('config check (-c)', () => {
  let dir: { path: string; cleanup(): void };
  before(() => { dir = tempDir(); });
  after(() => dir.cleanup());

  test('a valid configuration: exit 0 and "Configuration file is valid"', () => {
    const cfg = writeConfig(dir.path, VALID, 'valid.cfg');
    const r = check(cfg);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Configuration file is valid$/m);
    assert.doesNotMatch(r.stderr, /\[ALERT\]/);
    const h = haproxyCode(['-c', '-f', cfg]);
    if (h !== null) assert.equal(h, 0, 'haproxy -c also accepts it');
  });

  test('several parse errors are all listed with file:line, then "Fatal errors found in configuration."', () => {
    const text = `global
  maxconn 100

defaults
  mode tcp
  timeout connect 5s
  timeout client 10x
  timeout server 5s

frontend fe
  bind 127.0.0.1:70000
  server s9 127.0.0.1:9
  use_backend bk if is_foo
  default_backend bk

backend bk
  balanc roundrobin
  server s1 127.0.0.1:8080 wieght 10
  reqadd X-Foo:\\ bar
  server s2 127.0.0.1:8081
${REFERENCE ? '' : '  compression algo gzip\n'}
backend bk
  server s3 127.0.0.1:8082
`;
    const cfg = writeConfig(dir.path, text, 'broken.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /Configuration file is valid/);
    assertAlert(r.stderr, cfg, lineOf(text, 'timeout client 10x'), "unexpected character 'x' in 'timeout client'");
    assertAlert(r.stderr, cfg, lineOf(text, ':70000'), "'bind' : invalid port '70000'");
    assertAlert(r.stderr, cfg, lineOf(text, 'server s9'), "'server' not allowed because frontend 'fe' has no backend capability");
    assertAlert(r.stderr, cfg, lineOf(text, 'is_foo'), "no such ACL : 'is_foo'");
    assertAlert(r.stderr, cfg, lineOf(text, 'balanc '), "unknown keyword 'balanc' in 'backend' section; did you mean 'balance' maybe ?");
    assertAlert(r.stderr, cfg, lineOf(text, 'wieght'), "'server bk/s1' : unknown keyword 'wieght'; did you mean 'weight' maybe ?");
    assertAlert(r.stderr, cfg, lineOf(text, 'reqadd'), "The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead.");
    const first = text.split('\n').indexOf('backend bk') + 1;
    const dup = text.split('\n').indexOf('backend bk', first) + 1;
    assertAlert(r.stderr, cfg, dup, `backend 'bk' has the same name as backend 'bk' declared at ${cfg}:${first}`);
    if (!REFERENCE) {
      // HAProxy keyword that Turnpike does not implement: an error naming it, never ignored.
      assertAlert(r.stderr, cfg, lineOf(text, 'compression'), 'compression');
    }
    assertFatalLast(r.stderr);
    const h = haproxyCode(['-c', '-f', cfg]);
    if (h !== null) assert.equal(h, 1);
  });

  test('a keyword in the wrong section (balance in global)', () => {
    const text = `global\n  balance roundrobin\n${DEFAULTS}listen l\n  bind 127.0.0.1:18000\n  server s 127.0.0.1:18001\n`;
    const cfg = writeConfig(dir.path, text, 'wrong-section.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    assertAlert(r.stderr, cfg, 2, "unknown keyword 'balance' in 'global' section");
    assertFatalLast(r.stderr);
    assert.equal(haproxyCode(['-c', '-f', cfg]) ?? 1, 1);
  });

  test('"no" before a global keyword that has no negation is an error, as HAProxy; "no strict-limits" is not', () => {
    const text = `global\n  no daemon\n  no maxconn 5\n  no strict-limits\n${DEFAULTS}listen l\n  bind 127.0.0.1:18000\n  server s 127.0.0.1:18001\n`;
    const cfg = writeConfig(dir.path, text, 'global-no.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    const msg = 'negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.';
    assertAlert(r.stderr, cfg, 2, msg);
    assertAlert(r.stderr, cfg, 3, msg);
    assert.ok(!r.stderr.includes(`${cfg}:4]`), r.stderr);
    assertFatalLast(r.stderr);
    assert.equal(haproxyCode(['-c', '-f', cfg]) ?? 1, 1);
  });

  test('missing default_backend target', () => {
    const text = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:18000\n  default_backend nope\nbackend bk\n  server s1 127.0.0.1:8080\n`;
    const cfg = writeConfig(dir.path, text, 'nodefault.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    assertAlert(r.stderr, cfg, null, "Proxy 'fe': unable to find required default_backend: 'nope'.");
    assertFatalLast(r.stderr);
    assert.equal(haproxyCode(['-c', '-f', cfg]) ?? 1, 1);
  });

  test('missing use_backend target', () => {
    const text = `${DEFAULTS}frontend fe\n  bind 127.0.0.1:18000\n  use_backend nope if { src 127.0.0.1 }\n  default_backend bk\nbackend bk\n  server s1 127.0.0.1:8080\n`;
    const cfg = writeConfig(dir.path, text, 'nousebackend.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    assertAlert(r.stderr, cfg, null, /unable to find required use_backend: 'nope'/);
    assert.equal(haproxyCode(['-c', '-f', cfg]) ?? 1, 1);
  });

  test("unterminated .if block", () => {
    const text = `.if defined(TURNPIKE_TEST_UNSET_VAR)\n${DEFAULTS}`;
    const cfg = writeConfig(dir.path, text, 'unterminated.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    // HAProxy reports it at the last line of the file.
    assertAlert(r.stderr, cfg, text.split('\n').length - 1, "non-terminated '.if' block.");
    assert.equal(haproxyCode(['-c', '-f', cfg]) ?? 1, 1);
  });

  test('.if/.else select lines; .alert in a taken branch fails', () => {
    const text = `${DEFAULTS}.if streq("\${TP_MODE}",strict)
.alert "strict mode requested"
.else
.notice "relaxed mode"
.endif
listen l
  bind 127.0.0.1:18000
  server s 127.0.0.1:18001
`;
    const cfg = writeConfig(dir.path, text, 'ifelse.cfg');
    const ok = check(cfg, [], { TP_MODE: 'relaxed' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /\[NOTICE\].*relaxed mode/);
    const bad = check(cfg, [], { TP_MODE: 'strict' });
    assert.equal(bad.code, 1, bad.stderr);
    assertAlert(bad.stderr, cfg, lineOf(text, '.alert'), 'strict mode requested');
    assert.equal(haproxyCode(['-c', '-f', cfg], { TP_MODE: 'strict' }) ?? 1, 1);
    assert.equal(haproxyCode(['-c', '-f', cfg], { TP_MODE: 'relaxed' }) ?? 0, 0);
  });

  test('an HTTP frontend cannot use a TCP backend', () => {
    const text = `${DEFAULTS}frontend fe\n  mode http\n  bind 127.0.0.1:18000\n  default_backend bk\nbackend bk\n  mode tcp\n  server s 127.0.0.1:18001\n`;
    const cfg = writeConfig(dir.path, text, 'http.cfg');
    const r = check(cfg);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /http frontend 'fe' \(.*http\.cfg:\d+\) tries to use incompatible tcp backend 'bk' \(.*http\.cfg:\d+\) as its default backend \(see 'mode'\)\./);
  });

  test('-dW: a warning makes the check fail; without it the config is valid', () => {
    const text = `${DEFAULTS}backend bk\n  bind 127.0.0.1:18001\n  server s1 127.0.0.1:8080\nfrontend fe\n  bind 127.0.0.1:18000\n  default_backend bk\n`;
    const cfg = writeConfig(dir.path, text, 'warning.cfg');
    const plain = check(cfg);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /\[WARNING\].*warning\.cfg:7\].*'bind' ignored because backend 'bk' has no frontend capability/);
    assert.match(plain.stdout, /Configuration file is valid/);
    const strict = check(cfg, ['-dW']);
    assert.equal(strict.code, 1, strict.stderr);
    assert.match(strict.stderr, /\[ALERT\].*Some warnings were found and 'zero-warning' is set\. Aborting\./);
    assert.doesNotMatch(strict.stdout, /Configuration file is valid/);
    assert.equal(haproxyCode(['-dW', '-c', '-f', cfg]) ?? 1, 1);
    // zero-warning in the global section does the same
    const g = writeConfig(dir.path, `global\n  zero-warning\n${text}`, 'warning-global.cfg');
    assert.equal(check(g).code, 1);
  });

  test('several -f files: cross-file references, errors name their own file', () => {
    const d = join(dir.path, 'multi');
    mkdirSync(d, { recursive: true });
    const a = writeConfig(d, `${DEFAULTS}backend bk\n  server s1 127.0.0.1:8080\n`, 'a.cfg');
    const b = writeConfig(d, `frontend fe\n  bind 127.0.0.1:18000\n  default_backend bk\n`, 'b.cfg');
    const ok = runTurnpike(['-c', '-f', a, '-f', b]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Configuration file is valid/);

    const a2 = writeConfig(d, `${DEFAULTS}backend bk\n  server s1 127.0.0.1:8080 bogus_opt\n`, 'a2.cfg');
    const b2 = writeConfig(d, `frontend fe\n  bind 127.0.0.1:18000\n  timeout client 3q\n  default_backend bk\n`, 'b2.cfg');
    const bad = runTurnpike(['-c', '-f', a2, '-f', b2]);
    assert.equal(bad.code, 1, bad.stderr);
    assertAlert(bad.stderr, a2, 7, "unknown keyword 'bogus_opt'");
    assertAlert(bad.stderr, b2, 3, "unexpected character 'q' in 'timeout client'");
    assertFatalLast(bad.stderr);
  });

  test('a directory: its .cfg files in lexical order, other files ignored', () => {
    const d = join(dir.path, 'conf.d');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, '20-frontend.cfg'), `frontend fe\n  bind 127.0.0.1:18000\n  default_backend bk\n`);
    writeFileSync(join(d, '10-defaults.cfg'), `${DEFAULTS}backend bk\n  server s1 127.0.0.1:8080\n`);
    writeFileSync(join(d, 'README.txt'), 'this is not a configuration\n');
    writeFileSync(join(d, '.hidden.cfg'), 'this is not a configuration either\n');
    const ok = runTurnpike(['-c', '-f', d]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Configuration file is valid/);
    assert.equal(haproxyCode(['-c', '-f', d]) ?? 0, 0);

    writeFileSync(join(d, '30-broken.cfg'), `backend bk2\n  server s1 127.0.0.1:8080\n  balance nosuchalgo\n`);
    const bad = runTurnpike(['-c', '-f', d]);
    assert.equal(bad.code, 1, bad.stderr);
    assertAlert(bad.stderr, join(d, '30-broken.cfg'), 3, /balance only supports 'roundrobin'/);
    assert.equal(haproxyCode(['-c', '-f', d]) ?? 1, 1);
  });

  test('environment variables in double quotes, with ${VAR-default}', () => {
    const text = `${DEFAULTS}backend bk\n  server s1 127.0.0.1:8080\nfrontend fe\n  bind "127.0.0.1:\${FE_PORT}"\n  timeout client "\${TO-7s}"\n  default_backend bk\n`;
    const cfg = writeConfig(dir.path, text, 'env.cfg');
    const ok = check(cfg, [], { FE_PORT: '18000' });
    assert.equal(ok.code, 0, ok.stderr);
    const ok2 = check(cfg, [], { FE_PORT: '18000', TO: '3s' });
    assert.equal(ok2.code, 0, ok2.stderr);
    const badTo = check(cfg, [], { FE_PORT: '18000', TO: '5x' });
    assert.equal(badTo.code, 1, badTo.stderr);
    assertAlert(badTo.stderr, cfg, lineOf(text, 'timeout client "'), "unexpected character 'x' in 'timeout client'");
    const noPort = runTurnpike(['-c', '-f', cfg], { FE_PORT: undefined });
    assert.equal(noPort.code, 1, noPort.stderr);
    assertAlert(noPort.stderr, cfg, lineOf(text, 'bind "'), /missing port/);
    assert.equal(haproxyCode(['-c', '-f', cfg], { FE_PORT: '18000', TO: '5x' }) ?? 1, 1);
    assert.equal(haproxyCode(['-c', '-f', cfg], { FE_PORT: '18000' }) ?? 0, 0);
  });

  test('environment variables reach the running proxy (bind port from $FE_PORT)', async () => {
    const srv = await replyServer(() => 'from-env-backend\n');
    const port = await freePort();
    const text = `${DEFAULTS}listen l\n  bind "127.0.0.1:\${FE_PORT}"\n  server s1 "127.0.0.1:\${SRV_PORT-1}"\n`;
    const cfg = writeConfig(dir.path, text, 'env-run.cfg');
    const tp = await startTurnpike(cfg, [port], [], { FE_PORT: String(port), SRV_PORT: String(srv.port) });
    try {
      assert.equal(await exchange(port, 'x'), 'from-env-backend\n');
    } finally {
      await tp.stop();
      await srv.close();
    }
  });
});

describe('command-line flags that do not run a proxy', () => {
  test('-cc evaluates a condition: exit 0 when true, 1 when false', () => {
    assert.equal(runTurnpike(['-cc', 'version_atleast(2.4)']).code, 0);
    assert.equal(runTurnpike(['-cc', 'version_atleast(99.0)']).code, 1);
    assert.equal(runTurnpike(['-cc', 'defined(TP_CC_VAR)'], { TP_CC_VAR: '1' }).code, 0);
    assert.equal(runTurnpike(['-cc', 'defined(TP_CC_VAR)'], { TP_CC_VAR: undefined }).code, 1);
    assert.equal(runTurnpike(['-cc', 'streq(abc,abc)']).code, 0);
    assert.equal(runTurnpike(['-cc', 'strneq(abc,abc)']).code, 1);
    const bad = runTurnpike(['-cc', 'bogus_predicate(1)']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /\[ALERT\].*bogus_predicate/);
  });

  test('-v prints the version line; -vv adds build options', () => {
    const v = runTurnpike(['-v']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, REFERENCE ? /^HAProxy version \S+/ : /^Turnpike version \d+\.\d+\.\d+/);
    assert.match(v.stdout, /^Running on: Linux /m);
    const vv = runTurnpike(['-vv']);
    assert.equal(vv.code, 0, vv.stderr);
    assert.match(vv.stdout, /version/);
    assert.match(vv.stdout, /Build options :/);
    assert.match(vv.stdout, /Feature list : /);
    assert.ok(vv.stdout.length > v.stdout.length);
  });

  test('no configuration file: usage and exit 1', () => {
    const r = runTurnpike([]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Usage :/);
  });

  test('a missing configuration file is an error', () => {
    const r = runTurnpike(['-c', '-f', '/nonexistent/turnpike/none.cfg']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ALERT\].*\/nonexistent\/turnpike\/none\.cfg/);
  });
});
