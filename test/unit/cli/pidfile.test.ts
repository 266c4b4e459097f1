import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePidfile } from '../../../src/cli/lifecycle.ts';

test('the pid file is replaced whole (no temporary file left), and a path that cannot be written is HAProxy\'s error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tp-pid-'));
  try {
    const path = join(dir, 'haproxy.pid');
    assert.equal(writePidfile(path, 1234), null);
    assert.equal(writePidfile(path, 42), null);
    assert.equal(readFileSync(path, 'latin1'), '42\n');
    assert.deepEqual(readdirSync(dir), ['haproxy.pid']);
    const bad = join(dir, 'missing', 'x.pid');
    assert.equal(writePidfile(bad, 1), `[haproxy.main()] Cannot create pidfile ${bad}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
