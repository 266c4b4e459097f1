// Logging keywords through the config parser; messages recorded with haproxy 2.6.12 -c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../../src/config/diagnostics.ts';
import { parseConfigText } from '../../../src/config/parser.ts';
import type { Config } from '../../../src/config/model.ts';
import { TCP_LOG_FORMAT } from '../../../src/observe/log/formats.ts';

const HEAD = 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';

function load(text: string): { config: Config; messages: string[] } {
  const diag = new Diagnostics();
  const config = parseConfigText('t.cfg', text, diag, {});
  return { config, messages: diag.messages.map((m) => `[${m.level}] ${m.text}`) };
}

function listen(...lines: string[]): string {
  return `${HEAD}listen l1\n  bind 127.0.0.1:7001\n${lines.map((l) => `  ${l}\n`).join('')}  server s1 127.0.0.1:7101\n`;
}

test('log global copies the global targets once; no log clears; defaults hand theirs down', () => {
  const { config } = load(`global\n  log 127.0.0.1:5514 local0\n  log 127.0.0.1:5515 len 2000 local1 notice\n${HEAD}  log global\n` +
    'listen a\n  bind :7001\n  log global\n  log 127.0.0.1:9 local2\n  server s 127.0.0.1:1\n' +
    'listen b\n  bind :7002\n  no log\n  server s 127.0.0.1:1\n');
  const [a, b] = config.proxies;
  assert.deepEqual(a!.log.targets.map((t) => t.text), ['127.0.0.1:5514', '127.0.0.1:5515', '127.0.0.1:9']);
  assert.equal(b!.log.targets.length, 0);
  assert.equal(a!.log.maxLen, 2000, 'the longest len sizes every line');
  assert.equal(a!.log.effectiveTag, 'turnpike');
});

test('log-tag and log-send-hostname', () => {
  const { config } = load(`global\n  log 127.0.0.1 local0\n  log-tag haproxy\n  log-send-hostname lb1\n${HEAD}` +
    'listen a\n  bind :7001\n  log global\n  server s 127.0.0.1:1\nlisten b\n  bind :7002\n  log global\n  log-tag other\n  server s 127.0.0.1:1\n');
  assert.equal(config.proxies[0]!.log.effectiveTag, 'haproxy');
  assert.equal(config.proxies[0]!.log.hostname, 'lb1');
  assert.equal(config.proxies[1]!.log.effectiveTag, 'other');
});

test('option tcplog selects the predefined format; the last format line wins', () => {
  const a = load(listen('log 127.0.0.1 local0', 'log-format "%ci"', 'option tcplog')).config.proxies[0]!;
  assert.equal(a.log.compiled!.text, TCP_LOG_FORMAT);
  const b = load(listen('log 127.0.0.1 local0', 'option tcplog', 'log-format "%ci"')).config.proxies[0]!;
  assert.equal(b.log.compiled!.text, '%ci');
});

test('messages of haproxy -c', () => {
  const cases: [string[], string][] = [
    [['log'], "[ALERT] config : parsing [t.cfg:8] : log : expects <address> and <facility> or global as arguments"],
    [['no log x'], "[ALERT] config : parsing [t.cfg:8] : log : 'no log' does not expect arguments"],
    [['log-tag'], "[ALERT] config : parsing [t.cfg:8] : 'log-tag' expects a tag for use in syslog."],
    [['log-format'], '[ALERT] config : parsing [t.cfg:8] : log-format expects an argument.'],
    [['log-format a b'], "[ALERT] config : parsing [t.cfg:8] : log-format expects only one argument, don't forget to escape spaces!"],
    [['log-format-sd'], '[ALERT] config : parsing [t.cfg:8] : log-format-sd expects an argument.'],
    [['option httplog x'], "[ALERT] config : parsing [t.cfg:8] : keyword 'httplog' only supports option 'clf'."],
    [['option httplog clf x'], "[ALERT] config : parsing [t.cfg:8] : 'option httplog' cannot handle unexpected argument 'x'."],
    [['option tcplog x'], "[ALERT] config : parsing [t.cfg:8] : 'option tcplog' cannot handle unexpected argument 'x'."],
    [['option dontlognull x'], "[ALERT] config : parsing [t.cfg:8] : 'option dontlognull' cannot handle unexpected argument 'x'."],
    [['log 127.0.0.1 local0', 'log-format "%ci %foo"'],
      "[ALERT] config : Parsing [t.cfg:9]: failed to parse log-format : no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you need to use '%%'."],
    [['log 127.0.0.1 local0', 'log-format "%ci %Ti"'], "[ALERT] config : Parsing [t.cfg:9]: failed to parse log-format : format variable 'Ti' is reserved for HTTP mode."],
    [['log 127.0.0.1 local0', 'error-log-format "%foo"'],
      "[ALERT] config : Parsing [t.cfg:9]: failed to parse error-log-format : no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you need to use '%%'."],
    [['option tcplog'], "[WARNING] config : log format ignored for proxy 'l1' since it has no log address."],
    [['log 127.0.0.1 local0', 'option httplog'],
      "[WARNING] config : parsing [t.cfg:9] : 'option httplog' not usable with proxy 'l1' (needs 'mode http'). Falling back to 'option tcplog'."],
  ];
  for (const [lines, msg] of cases) assert.ok(load(listen(...lines)).messages.includes(msg), `${lines.join(' / ')}\n${load(listen(...lines)).messages.join('\n')}`);
  const g = load(`global\n  log global\n${HEAD}`).messages;
  assert.ok(g.includes("[ALERT] config : parsing [t.cfg:2] : log : 'global' is not supported for a global syslog server"), g.join('\n'));
  const tag = load('global\n  log-tag a b\n').messages;
  assert.ok(tag.includes("[ALERT] config : parsing [t.cfg:2] : 'log-tag' cannot handle unexpected argument 'b'."), tag.join('\n'));
});

test('format keywords in a backend are ignored with HAProxy\'s warnings', () => {
  const { messages } = load(`${HEAD}backend b\n  option tcplog\n  log-format "%ci"\n  option httplog\n  option dontlognull\n  server s1 127.0.0.1:7101\n`);
  for (const m of [
    "[WARNING] config : parsing [t.cfg:7] : backend 'b' : 'option tcplog' directive is ignored in backends.",
    "[WARNING] config : parsing [t.cfg:8] : backend 'b' : 'log-format' directive is ignored in backends.",
    "[WARNING] config : parsing [t.cfg:9] : backend 'b' : 'option httplog' directive is ignored in backends.",
    "[WARNING] config : parsing [t.cfg:9] : 'option httplog' not usable with backend 'b' (needs 'mode http'). Falling back to 'option tcplog'.",
    "[WARNING] config : parsing [t.cfg:10] : 'dontlognull' ignored because backend 'b' has no frontend capability.",
  ]) assert.ok(messages.includes(m), `${m}\n${messages.join('\n')}`);
});
