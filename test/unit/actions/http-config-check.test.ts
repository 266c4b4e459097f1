// Checks over whole configurations: http-errors sections, references to them, rules in TCP
// proxies, final rules followed by others, defaults sections with rules. Expected messages
// are haproxy 2.6.12's for the same files (`haproxy -c`), in its order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../../src/config/parser.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';

function check(text: string): string[] {
  const diag = new Diagnostics();
  const config = parseConfigText('c.cfg', text, diag, {});
  return diag.messages.filter((m) => !m.text.includes('Error(s) found')).map((m) => `${m.level} ${m.text}`);
}

const TIMEOUTS = '  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n';

test('http-errors sections and the references to them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-errors-'));
  try {
    writeFileSync(join(dir, 'ok.http'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy');
    assert.deepEqual(check(`http-errors e1\n  errorfile 503 ${dir}/ok.http\n  foo bar\nhttp-errors e1\nhttp-errors e/2\n`), [
      "ALERT config : parsing [c.cfg:3] : unknown keyword 'foo' in 'http-errors' section",
      "ALERT config : parsing [c.cfg:4]: http-errors section 'e1' already exists (declared at c.cfg:1).",
      "ALERT config : parsing [c.cfg:5] : character '/' is not permitted in 'http-errors' name 'e/2'.",
    ]);
    assert.deepEqual(check([
      'defaults d', '  mode http', TIMEOUTS + '  http-request set-header X-D 1',
      'http-errors e1', `  errorfile 503 ${dir}/ok.http`,
      'frontend f from d', '  bind 127.0.0.1:8999', '  errorfiles e3', '  errorfiles e1 503 404',
      '  http-request deny errorfiles e1 if { src 1.2.3.4 }',
      '  http-request deny status 404 errorfiles e1 if { src 1.2.3.4 }',
      '  http-request deny errorfiles e4 if { src 1.2.3.4 }', '',
    ].join('\n')), [
      "WARNING config : Proxy 'f': status '403' referenced by an http reply not declared in http-errors section 'e1'.",
      "WARNING config : Proxy 'f': status '404' referenced by an http reply not declared in http-errors section 'e1'.",
      "ALERT config : Proxy 'f': unknown http-errors section 'e4' referenced by an http reply .",
      "ALERT config : proxy 'f': unknown http-errors section 'e3' (at c.cfg:11).",
      "WARNING config : config: proxy 'f' : status '404' not declared in http-errors section 'e1' (at c.cfg:12).",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rules in a TCP proxy are ignored with a warning; a final rule without condition makes the next ones NOOP', () => {
  assert.deepEqual(check(`defaults\n${TIMEOUTS}listen l\n  bind 127.0.0.1:8999\n  http-request deny if { src 1.2.3.4 }\n  http-response set-header A b\n  redirect location /x if { src 1.2.3.4 }\n  server s 127.0.0.1:1\n`), [
    "WARNING config : 'http-request' rules ignored for proxy 'l' as they require HTTP mode.",
    "WARNING config : 'http-response' rules ignored for proxy 'l' as they require HTTP mode.",
    "WARNING config : 'redirect' rules ignored for proxy 'l' as they require HTTP mode.",
  ]);
  assert.deepEqual(check(`defaults\n  mode http\n${TIMEOUTS}frontend f\n  bind 127.0.0.1:8999\n  http-request deny\n  http-request allow\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`), [
    "WARNING config : parsing [c.cfg:9]: previous 'http-request' action is final and has no condition attached, further entries are NOOP.",
  ]);
});

test('defaults sections with rules: named only, not for both frontends and backends, not for other defaults', () => {
  assert.deepEqual(check('defaults\n  mode http\n  http-request deny if { path /x }\n'), [
    "ALERT config : parsing [c.cfg:3] : 'http-request' not allowed in anonymous 'defaults' section.",
  ]);
  const d = `defaults d\n  mode http\n${TIMEOUTS}  http-request set-header X-D 1\n`;
  assert.deepEqual(check(`${d}frontend f from d\n  bind 127.0.0.1:8999\n  default_backend b\nbackend b from d\n  server s 127.0.0.1:1\n`), [
    'ALERT config : parsing [c.cfg:10]: frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at c.cfg:1).',
  ]);
  assert.deepEqual(check(`${d}defaults d2 from d\n`), [
    'ALERT config : parsing [c.cfg:7]: a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at c.cfg:1).',
  ]);
});

test("a defaults section's rules run before the proxy's own", () => {
  const diag = new Diagnostics();
  const config = parseConfigText('c.cfg', `defaults d\n  mode http\n${TIMEOUTS}  http-request set-header X-A d\nfrontend f from d\n  bind 127.0.0.1:8999\n  http-request set-header X-A f\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n`, diag, {});
  const f = config.proxies.find((p) => p.name === 'f')!;
  assert.equal(f.httpRequestRules.length, 2);
  assert.equal(config.defaults[0]!.httpRequestRules[0], f.httpRequestRules[0]);
});
