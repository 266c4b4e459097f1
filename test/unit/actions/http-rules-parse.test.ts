// Parsing of http-request/http-response/http-after-response/redirect rules, error pages and
// captures, line by line against the messages of haproxy 2.6.12 (`haproxy -c`), recorded in
// test/fixtures/actions/http-rules-haproxy.json with the same configuration around each line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../../src/config/parser.ts';
import { Diagnostics } from '../../../src/config/diagnostics.ts';

interface Recorded {
  readonly line: string;
  readonly messages: readonly { level: string; text: string }[];
}

const recorded = JSON.parse(readFileSync(new URL('../../fixtures/actions/http-rules-haproxy.json', import.meta.url), 'utf8')) as Recorded[];

/** The files the recorded lines name ($D/...), as they were when recording. */
function makeFiles(dir: string): void {
  const files: Record<string, string | Buffer> = {
    'ok.http': 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbusy',
    'badlen.http': 'HTTP/1.1 503 X\r\nContent-Length: 5\r\n\r\nbusy',
    'garbage.http': 'garbage',
    'nobody.http': 'HTTP/1.1 204 X\r\n\r\nbody',
    'noclen.http': 'HTTP/1.1 503 X\r\n\r\nbody',
    'chunked.http': 'HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    's101.http': 'HTTP/1.1 101 X\r\n\r\n',
    'big.http': Buffer.alloc(20000),
    'body.txt': 'hello',
    'lf.txt': 'ip=%[src]',
    'empty.txt': '',
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

function configFor(line: string): string {
  return `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend f\n  bind 127.0.0.1:8999\n  default_backend b\n  \n  ${line}\nbackend b\n  server s 127.0.0.1:1\n`;
}

// The regex engine's own wording differs from PCRE's; those lines are left out of the recording.
test('rule, error page and capture lines give haproxy 2.6 messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-http-rules-'));
  try {
    makeFiles(dir);
    const failures: string[] = [];
    for (const r of recorded) {
      const diag = new Diagnostics();
      const config = parseConfigText('one.cfg', configFor(r.line.replaceAll('$D', dir)), diag, {});
      const got = diag.messages
        .filter((m) => !m.text.includes('Error(s) found'))
        .map((m) => ({ level: m.level, text: m.text.replace(/^config : /, '').replaceAll(dir, '$D') }));
      try {
        assert.deepEqual(got, r.messages);
      } catch {
        failures.push(`${r.line}\n  want ${JSON.stringify(r.messages)}\n  got  ${JSON.stringify(got)}`);
      }
    }
    assert.equal(failures.join('\n'), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
