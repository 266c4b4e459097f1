// Logging end to end: tcplog lines over UDP read field by field, the same traffic through
// HAProxy 2.6 giving the same lines (timers, dates, ports and pids masked), event logs, halog
// reading the lines, and a real rsyslogd receiving them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  tempDir, freePort, replyServer, exchange, openClient, startTurnpike, writeConfig, sleep, until, canConnect,
  HAPROXY, REFERENCE, DEFAULTS, type RunningProxy,
} from './harness.ts';

const TAG = REFERENCE ? 'haproxy' : 'turnpike';
const HALOG = '/usr/bin/halog';
const RSYSLOGD = '/usr/sbin/rsyslogd';

interface Sink {
  readonly port: number;
  readonly lines: string[];
  waitLines(n: number, ms?: number): Promise<string[]>;
  close(): void;
}

async function udpSink(): Promise<Sink> {
  const sock: DgramSocket = createSocket('udp4');
  const lines: string[] = [];
  sock.on('message', (m) => lines.push(m.toString('latin1')));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return {
    port: sock.address().port,
    lines,
    async waitLines(n, ms = 5000) {
      await until(() => lines.length >= n, ms);
      return lines.slice(0, n);
    },
    close: () => sock.close(),
  };
}

/** HAProxy itself on the same configuration, for the side-by-side checks. */
async function startHaproxy(cfgPath: string, port: number): Promise<{ stop(): Promise<void> }> {
  const proc = spawn(HAPROXY, ['-db', '-f', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  if (!(await waitConnect(port))) {
    proc.kill('SIGKILL');
    throw new Error(`haproxy did not start:\n${err}`);
  }
  // Let the probe connection end, so that it is not counted in the first line's %ac.
  await sleep(300);
  return {
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitConnect(port: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await canConnect(port)) return true;
    await sleep(25);
  }
  return false;
}

/** Masks what differs between runs: syslog stamp, pid, dates, client ports, timer values (keeping -1). */
function normalize(line: string): string {
  return line
    .replace(/^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d \S+?\[\d+\]: /, '$1TS TAG[PID]: ')
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, '[DATE]')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:P')
    .replace(/ (-?\d+)\/(-?\d+)\/(-?\d+) /, (_m, a: string, b: string, c: string) =>
      ` ${[a, b, c].map((v) => (v === '-1' ? '-1' : 'N')).join('/')} `)
    .replace(/check duration: \d+ms/g, 'check duration: Nms')
    .replace(/ [0-9A-F]{8} /g, ' HEXTIME ')
    .replace(/\n$/, '');
}

describe('logging', () => {
  let dir: { path: string; cleanup(): void };
  let server: Awaited<ReturnType<typeof replyServer>>;
  before(async () => {
    dir = tempDir();
    server = await replyServer(() => 'hello, log\n');
  });
  after(async () => {
    await server.close();
    dir.cleanup();
  });

  test('option tcplog over UDP: header and every field of the line', async () => {
    const sink = await udpSink();
    const port = await freePort();
    const cfg = `global\n  log 127.0.0.1:${sink.port} local0\n${DEFAULTS}  log global\n  option tcplog\n` +
      `listen l1\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${server.port}\n`;
    let tp: RunningProxy | null = null;
    try {
      tp = await startTurnpike(writeConfig(dir.path, cfg, 'tcplog.cfg'), [port]);
      const c = openClient(port);
      await c.connected();
      const clientPort = c.sock.localPort!;
      c.sock.end('ping');
      await c.closed();
      const [line] = await sink.waitLines(1);
      const m = /^<134>(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\w+)\[(\d+)\]: (.*)\n$/.exec(line!);
      assert.ok(m, line);
      assert.equal(m[2], TAG);
      assert.equal(Number(m[3]), tp.pid);
      const f = m[4]!.split(' ');
      assert.equal(f.length, 9, m[4]);
      assert.equal(f[0], `127.0.0.1:${clientPort}`);
      assert.match(f[1]!, /^\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]$/);
      assert.equal(f[2], 'l1');
      assert.equal(f[3], 'l1/s1');
      const [tw, tc, tt] = f[4]!.split('/').map(Number);
      assert.ok(tw! >= 0 && tc! >= 0 && tt! >= tc!, f[4]);
      assert.equal(f[5], String('hello, log\n'.length), 'bytes read from the server');
      assert.equal(f[6], '--');
      assert.equal(f[7], '1/1/0/0/0');
      assert.equal(f[8], '0/0');
    } finally {
      await tp?.stop();
      sink.close();
    }
  });

  test('the same traffic through HAProxy 2.6 gives the same lines (timers, dates, ports, pids masked)', { skip: !existsSync(HAPROXY) && 'haproxy is not installed' }, async () => {
    const dead = await freePort();
    const run = async (start: (path: string, ports: number[]) => Promise<{ stop(): Promise<unknown> }>): Promise<string[]> => {
      const sink = await udpSink();
      const p = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => freePort()));
      const cfg = `global\n  log 127.0.0.1:${sink.port} local0\n  log-tag haproxy\n${DEFAULTS}  log global\n  option tcplog\n  retries 1\n` +
        `listen ok\n  bind 127.0.0.1:${p[0]}\n  server s1 127.0.0.1:${server.port}\n` +
        `listen reject\n  bind 127.0.0.1:${p[1]}\n  tcp-request inspect-delay 1s\n  tcp-request content reject if { req.len gt 0 }\n  server s1 127.0.0.1:${server.port}\n` +
        `listen noserver\n  bind 127.0.0.1:${p[2]}\n  server s1 127.0.0.1:${server.port} disabled\n` +
        `listen refused\n  bind 127.0.0.1:${p[3]}\n  option log-separate-errors\n  server s1 127.0.0.1:${dead}\n` +
        `listen quiet\n  bind 127.0.0.1:${p[4]}\n  option dontlognull\n  server s1 127.0.0.1:${server.port}\n` +
        `listen normal\n  bind 127.0.0.1:${p[5]}\n  option dontlog-normal\n  server s1 127.0.0.1:${server.port}\n` +
        `listen plain\n  bind 127.0.0.1:${p[6]}\n  log-format "%ci:%cp %f %{+Q}b %{+X}Ts %ID %U %B %ts"\n  server s1 127.0.0.1:${server.port}\n`;
      const out: string[] = [];
      let proc: { stop(): Promise<unknown> } | null = null;
      try {
        proc = await start(writeConfig(dir.path, cfg, `diff-${Math.random().toString(36).slice(2)}.cfg`), p);
        const step = async (port: number, data: string | null, lines: number): Promise<void> => {
          // A rejected connection may be reset: only the log line matters here.
          await exchange(port, data, { timeoutMs: 5000 }).catch(() => '');
          const got = await sink.waitLines(out.length + lines, 4000);
          await sleep(100);
          out.push(...got.slice(out.length).map(normalize));
        };
        await step(p[0]!, 'ping', 1);
        await step(p[1]!, 'ping', 1);
        await step(p[2]!, 'ping', 1);
        await step(p[3]!, 'ping', 1);
        await step(p[4]!, null, 0);
        await step(p[5]!, 'ping', 0);
        await step(p[6]!, 'ping', 1);
        out.push(...sink.lines.slice(out.length).map((l) => `unexpected: ${normalize(l)}`));
      } finally {
        await proc?.stop();
        sink.close();
      }
      return out;
    };
    const ours = await run((path, ports) => startTurnpike(path, ports));
    // Probed on the dontlognull proxy, so that the probe is not logged.
    const theirs = await run((path, ports) => startHaproxy(path, ports[4]!));
    assert.deepEqual(ours, theirs);
    assert.equal(ours.length, 5);
    assert.match(ours[3]!, /^<131>/, 'log-separate-errors sends errors at level err');
  });

  test('without a format: one "Connect from" line per connection', async () => {
    const sink = await udpSink();
    const port = await freePort();
    const cfg = `global\n  log 127.0.0.1:${sink.port} local0\n${DEFAULTS}listen l1\n  log global\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${server.port}\n`;
    let tp: RunningProxy | null = null;
    try {
      tp = await startTurnpike(writeConfig(dir.path, cfg, 'connect.cfg'), [port]);
      const c = openClient(port);
      await c.connected();
      const cp = c.sock.localPort!;
      c.sock.end('x');
      await c.closed();
      const [line] = await sink.waitLines(1);
      assert.match(line!, new RegExp(`^<134>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${TAG}\\[${tp.pid}\\]: Connect from 127\\.0\\.0\\.1:${cp} to 127\\.0\\.0\\.1:${port} \\(l1/TCP\\)\\n$`));
      await sleep(200);
      assert.equal(sink.lines.length, 1, 'nothing more at the end of the connection');
    } finally {
      await tp?.stop();
      sink.close();
    }
  });

  test('server DOWN/UP and "no server available" go to the proxy\'s log targets at HAProxy\'s levels', async () => {
    const sink = await udpSink();
    const port = await freePort();
    const dead = await freePort();
    const cfg = `global\n  log 127.0.0.1:${sink.port} local0\n${DEFAULTS}listen l1\n  log global\n  bind 127.0.0.1:${port}\n` +
      `  server s1 127.0.0.1:${dead} check inter 100 rise 1 fall 1\nlisten l2\n  bind 127.0.0.1:${await freePort()}\n` +
      `  server s1 127.0.0.1:${dead} check inter 100 rise 1 fall 1\n`;
    let tp: RunningProxy | null = null;
    try {
      tp = await startTurnpike(writeConfig(dir.path, cfg, 'events.cfg'), [port]);
      const lines = (await sink.waitLines(2)).map(normalize);
      assert.deepEqual(lines, [
        '<129>TS TAG[PID]: Server l1/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
        '<128>TS TAG[PID]: proxy l1 has no server available!',
      ]);
      await sleep(300);
      assert.equal(sink.lines.length, 2, 'l2 has no log target');
    } finally {
      await tp?.stop();
      sink.close();
    }
  });

  test('rsyslogd receives the lines, and halog reads them', { skip: !existsSync(RSYSLOGD) && 'rsyslogd is not installed (apt-get install rsyslog)' }, async (t) => {
    const udp = await freePort();
    const out = join(dir.path, 'rsyslog.out');
    const conf = writeConfig(dir.path,
      `global(workDirectory="${dir.path}")\nmodule(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="${udp}")\n` +
      `*.* action(type="omfile" file="${out}" template="RSYSLOG_TraditionalFileFormat")\n`, 'rsyslog.conf');
    const rs = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir.path, 'rsyslog.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let rsErr = '';
    rs.stderr!.setEncoding('utf8').on('data', (d: string) => { rsErr += d; });
    const rsExit = new Promise<void>((r) => rs.on('exit', () => r()));
    const port = await freePort();
    // One thread: with two, the next connection may be accepted while the previous one logs (actconn 2).
    const cfg = `global\n  nbthread 1\n  log 127.0.0.1:${udp} local0\n${DEFAULTS}  log global\n  option tcplog\n` +
      `listen l1\n  bind 127.0.0.1:${port}\n  server s1 127.0.0.1:${server.port}\n  server s2 127.0.0.1:${server.port}\n`;
    let tp: RunningProxy | null = null;
    try {
      // imudp binds asynchronously: wait until rsyslogd has the port.
      assert.ok(await until(() => udpBound(udp), 5000), `rsyslogd did not bind ${udp}:\n${rsErr}`);
      tp = await startTurnpike(writeConfig(dir.path, cfg, 'rsyslog-tp.cfg'), [port]);
      for (let i = 0; i < 4; i++) await exchange(port, 'ping', { timeoutMs: 5000 });
      const read = (): string[] => (existsSync(out) ? readFileSync(out, 'latin1').split('\n').filter((l) => l.includes(`${TAG}[${tp!.pid}]:`)) : []);
      assert.ok(await until(() => read().length >= 4, 5000), `rsyslog output:\n${existsSync(out) ? readFileSync(out, 'latin1') : '(none)'}\n${rsErr}`);
      const lines = read();
      for (const l of lines) assert.match(l, new RegExp(`^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ ${TAG}\\[${tp.pid}\\]: 127\\.0\\.0\\.1:\\d+ \\[[^\\]]+\\] l1 l1/s[12] \\d+/\\d+/\\d+ 11 -- 1/1/0/0/0 0/0$`));
      if (!existsSync(HALOG)) {
        t.diagnostic('halog is not installed: the lines were not read with it');
        return;
      }
      const file = join(dir.path, 'halog.in');
      writeFileSync(file, lines.join('\n') + '\n');
      const srv = spawnSync('sh', ['-c', `${HALOG} -srv < ${file}`], { encoding: 'utf8' });
      assert.match(srv.stdout, /^l1\/s1 /m, srv.stdout + srv.stderr);
      assert.match(srv.stdout, /^l1\/s2 /m, srv.stdout + srv.stderr);
      const count = spawnSync('sh', ['-c', `${HALOG} -c < ${file}`], { encoding: 'utf8' });
      assert.equal(count.stdout.trim().split('\n')[0], '4', count.stdout + count.stderr);
    } finally {
      await tp?.stop();
      rs.kill('SIGTERM');
      await rsExit;
    }
  });
});

/** Whether some process has UDP port `port` bound on 127.0.0.1 (from /proc/net/udp). */
function udpBound(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/udp', 'utf8').includes(`:${hex} `);
}
