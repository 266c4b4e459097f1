// option httplog: the same traffic through Debian's HAProxy and through Turnpike gives the same
// log lines over UDP syslog, once what must differ is masked (tag and pid, dates, client ports,
// timers, and the byte counts of sent responses: HAProxy counts its internal HTX message size,
// a few bytes off the wire size that Turnpike counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tempDir, writeConfig, startTurnpike, freePort, sleep, until, listeningOn, HAPROXY, REFERENCE } from './harness.ts';

/** Debian's HAProxy on the same configuration (started without probing its ports: a probe would be logged). */
async function startHaproxy(cfgPath: string, ports: number[]): Promise<{ stop(): Promise<void> }> {
  const proc = spawn(HAPROXY, ['-db', '-f', cfgPath], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const up = await until(() => { const l = listeningOn(proc.pid!); return ports.every((p) => l.ports.has(p)); }, 10_000);
  if (!up) proc.kill('SIGKILL');
  assert.ok(up, 'haproxy listens');
  return { async stop() { proc.kill('SIGTERM'); await exited; } };
}

function exchange(port: number, data: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('data', () => {});
    s.on('close', () => { clearTimeout(t); resolve(); });
    s.on('error', () => {});
    if (data) s.write(data);
    else setTimeout(() => s.end(), 200);
  });
}

function normalize(line: string): string {
  return line
    .replace(/^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d \w+\[\d+\]: /, '<$1>TAG: ')
    .replace(/127\.0\.0\.1:\d+ \[[^\]]+\]/, '127.0.0.1:PORT [DATE]')
    .replace(/ (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(\d+) /, (_m, ...t: string[]) => ` ${t.slice(0, 5).map((v) => (v === '-1' ? '-1' : 'T')).join('/')} `)
    .replace(/ (200|503) \d+ /, ' $1 BYTES ');
}

test('httplog lines match HAProxy 2.6 field by field', { skip: (REFERENCE || !existsSync(HAPROXY)) && 'needs Turnpike and haproxy' }, async () => {
  const dir = tempDir();
  const sink = createSocket('udp4');
  const lines: string[] = [];
  sink.on('message', (m) => lines.push(m.toString('latin1').trimEnd()));
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const logPort = (sink.address() as AddressInfo).port;
  const backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('hello\n'));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const bport = (backend.address() as AddressInfo).port;
  const runs: string[][] = [];
  let raw: string[] = [];
  try {
    for (const bin of [HAPROXY, 'turnpike']) {
      const fe = await freePort();
      const none = await freePort();
      // One thread each: with two, a connection accepted on the other thread while this one logs changes actconn/feconn.
      const cfg = `global\n  nbthread 1\n  log 127.0.0.1:${logPort} local0\ndefaults\n  mode http\n  log global\n  option httplog\n  timeout connect 2s\n  timeout client 1s\n  timeout server 2s\n`
        + `frontend fe\n  bind 127.0.0.1:${fe}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${bport}\n`
        + `listen none\n  bind 127.0.0.1:${none}\n  server s 127.0.0.1:1 disabled\n`;
      const path = writeConfig(dir.path, cfg, `log-${runs.length}.cfg`);
      const tp = bin === HAPROXY ? await startHaproxy(path, [fe, none]) : await startTurnpike(path, [fe, none]);
      lines.length = 0;
      try {
        await exchange(fe, 'GET /a?b=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
        await exchange(none, 'POST /none HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\nxyz');
        await exchange(fe, 'GET /x y HTTP/1.1\r\n\r\n');
        await exchange(fe, '');
        await until(() => lines.length >= 4, 4000);
        await sleep(200);
      } finally {
        await tp.stop();
      }
      runs.push(lines.map(normalize));
      raw = [...lines];
    }
  } finally {
    sink.close();
    backend.close();
    dir.cleanup();
  }
  assert.equal(runs[1]!.length, 4, runs[1]!.join('\n'));
  assert.deepEqual(runs[1], runs[0]);
  // halog reads Turnpike's lines as it reads HAProxy's (as rsyslog would write them to a file).
  if (existsSync('/usr/bin/halog')) {
    const file = raw.map((l) => l.replace(/^<\d+>/, '').replace(/ turnpike\[/, ' localhost haproxy[')).join('\n') + '\n';
    const srv = spawnSync('/usr/bin/halog', ['-srv'], { input: file, encoding: 'utf8' });
    assert.match(srv.stdout, /^be\/s1 0 1 0 0 0 0 1 1 100\.0 /m, srv.stdout);
    const st = spawnSync('/usr/bin/halog', ['-st'], { input: file, encoding: 'utf8' });
    assert.match(st.stdout, /^200 1$/m);
    assert.match(st.stdout, /^503 1$/m);
    assert.match(st.stderr, /4 lines in, .* 0 parsing errors/);
  }
});
