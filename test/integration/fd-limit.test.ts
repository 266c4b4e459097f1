// Turnpike started under a small open-file limit (ulimit -n 64) with a maxconn it cannot have
// ("no strict-limits"): it prints HAProxy's start-up warning and alert, stays up while accepts
// fail with EMFILE, keeps answering a connection established before, does not spin on the
// failing accepts, and serves new connections once descriptors are free again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { TURNPIKE, freePort, openClient, sleep, tempDir, waitListening, writeConfig } from './harness.ts';

const LIMIT = 64;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

test('under ulimit -n 64: start-up warning, no crash or spin on EMFILE, established connections still served', { timeout: 20_000 }, async () => {
  const dir = tempDir();
  // A keep-alive backend answering every request.
  const backend = createServer((s) => {
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n'));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;
  const port = await freePort();
  const cfg = writeConfig(dir.path, `global
  maxconn 1000
  nbthread 1
  no strict-limits
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  http-request return status 200 content-type text/plain string local if { path /local }
  default_backend be
backend be
  server s1 127.0.0.1:${backendPort}
`);
  const proc = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, TURNPIKE, '-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  proc.stdout!.resume();
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const flood: Socket[] = [];
  try {
    assert.ok(await waitListening(proc.pid!, [port]), `not listening; stderr:\n${stderr}`);
    // maxsock = 10 + 1 listener + 2 x 1000 + 3 for the thread.
    assert.match(stderr, /\[WARNING\] +\(\d+\) : \[\S*haproxy\.main\(\)\] Cannot raise FD limit to 2014, limit is 64\./);
    assert.match(stderr, /\[ALERT\] +\(\d+\) : \[\S*haproxy\.main\(\)\] FD limit \(64\) too low for maxconn=1000\/maxsock=2014\. Please raise 'ulimit-n' to 2014 or more to avoid any trouble\./);

    const ka = openClient(port);
    await ka.connected();
    ka.sock.write('GET / HTTP/1.1\r\nhost: t\r\n\r\n');
    await ka.waitData('ok\n');

    // Twice the limit in idle connections: the descriptor table fills up and accepts fail.
    for (let i = 0; i < 2 * LIMIT; i++) {
      const s = connect({ port, host: '127.0.0.1' });
      s.on('error', () => {});
      flood.push(s);
    }
    await sleep(500);
    assert.ok(openFds(proc.pid!) >= LIMIT - 2, `descriptor table not full: ${openFds(proc.pid!)} open`);

    // Accepts keep failing while new connections arrive; the process must not busy-loop on them.
    const t0 = cpuTicks(proc.pid!);
    const w0 = Date.now();
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) {
        const s = connect({ port, host: '127.0.0.1' });
        s.on('error', () => {});
        flood.push(s);
      }
      await sleep(100);
    }
    const cpuPct = ((cpuTicks(proc.pid!) - t0) / 100) / ((Date.now() - w0) / 1000) * 100;
    assert.ok(cpuPct < 50, `proxy used ${cpuPct.toFixed(0)}% of a core while accepts failed`);

    // The established connection is still answered (by the proxy itself: no descriptor is free for a server).
    const before = ka.received().length;
    ka.sock.write('GET /local HTTP/1.1\r\nhost: t\r\n\r\n');
    await ka.waitData((b) => b.subarray(before).toString('latin1').includes('local'), 3000);
    assert.equal(proc.exitCode, null, `proxy exited; stderr:\n${stderr}`);

    // Descriptors freed: new connections are served through the backend again.
    for (const s of flood.splice(0)) s.destroy();
    await sleep(300);
    const fresh = openClient(port);
    await fresh.connected();
    fresh.sock.write('GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n');
    await fresh.waitData('ok\n', 5000);
    assert.match(fresh.text(), /^HTTP\/1\.1 200/);
    ka.destroy();
    fresh.destroy();
  } finally {
    for (const s of flood) s.destroy();
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    await new Promise<void>((r) => backend.close(() => r()));
    dir.cleanup();
  }
});

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
