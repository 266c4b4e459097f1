// The runtime API on the stats socket against the real process: one-shot commands through
// socat, interactive mode, "show stat"/"show info" counters after real traffic, server
// maintenance and weights steering traffic, levels; and the tools that read the socket
// (Debian's prometheus-haproxy-exporter and hatop) when they are installed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, freePort, replyServer, exchange, withProxy, sleep, until, DEFAULTS, socat, parseStatCsv } from './harness.ts';

type Reply = Awaited<ReturnType<typeof replyServer>>;

const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,';

describe('runtime API (stats socket)', () => {
  let dir: { path: string; cleanup(): void };
  let s1: Reply;
  let s2: Reply;
  let port: number;
  let admin: string;
  let user: string;
  let cfg: string;

  before(async () => {
    dir = tempDir();
    s1 = await replyServer(() => 's1\n');
    s2 = await replyServer(() => 's2\n');
    port = await freePort();
    admin = join(dir.path, 'admin.sock');
    user = join(dir.path, 'user.sock');
    cfg = `global\n  stats socket ${admin} level admin\n  stats socket ${user} level user\n  stats timeout 5s\n${DEFAULTS}`
      + `frontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\n`
      + `backend be\n  server s1 127.0.0.1:${s1.port}\n  server s2 127.0.0.1:${s2.port}\n  server s3 127.0.0.1:${s2.port} backup disabled\n`;
  });
  after(async () => {
    await s1.close();
    await s2.close();
    dir.cleanup();
  });

  async function traffic(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await exchange(port, 'hello')).trim());
    return out;
  }

  test('show stat and show info report the traffic, in HAProxy 2.6 columns', { timeout: 30_000 }, async () => {
    await withProxy(dir.path, cfg, [port, admin, user], async () => {
      const replies = await traffic(6);
      assert.deepEqual([...replies].sort(), ['s1', 's1', 's1', 's2', 's2', 's2']);
      const csv = await socat(admin, 'show stat\n');
      assert.ok(csv.endsWith(',\n\n'), 'each line ends with a comma, then the empty line');
      assert.equal(csv.split('\n')[0], HEADER);
      const rows = parseStatCsv(csv);
      assert.deepEqual(rows.map((r) => `${r.pxname}/${r.svname}`), ['fe/FRONTEND', 'be/s1', 'be/s2', 'be/s3', 'be/BACKEND']);
      const [fe, r1, r2, r3, be] = rows as [Record<string, string>, Record<string, string>, Record<string, string>, Record<string, string>, Record<string, string>];
      assert.equal(fe.stot, '6');
      assert.equal(fe.bin, String(6 * 'hello'.length));
      assert.equal(fe.bout, String(6 * 3));
      assert.equal(fe.status, 'OPEN');
      assert.equal(fe.type, '0');
      assert.equal(fe.mode, 'tcp');
      assert.equal(fe.iid, '2', 'the CLI frontend takes id 1');
      assert.equal(fe.qcur, '', 'frontends have no queue column');
      assert.equal(r1.stot, '3');
      assert.equal(r2.stot, '3');
      assert.equal(r1.status, 'no check');
      assert.equal(r1.addr, `127.0.0.1:${s1.port}`);
      assert.equal(r1.type, '2');
      assert.equal(r1.lbtot, '3');
      assert.equal(r1.chkfail, '', 'no check columns without checks');
      assert.equal(r3.status, 'MAINT');
      assert.equal(r3.bck, '1');
      assert.equal(be.status, 'UP');
      assert.equal(be.stot, '6');
      assert.equal(be.weight, '2');
      assert.equal(be.act, '2');
      assert.equal(be.algo, 'roundrobin');
      assert.equal(be.type, '1');
      const info = await socat(admin, 'show info\n');
      assert.match(info, /^Name: Turnpike\nVersion: /);
      assert.match(info, /\nCumConns: (\d+)\n/);
      assert.ok(Number(/\nCumConns: (\d+)\n/.exec(info)![1]) >= 6);
      assert.match(info, /\nCurrConns: 0\n/);
      // HAProxy's maxsock: a reserve of 10, two per connection, three per thread, the listener, the CLI's 10 + 2 sockets.
      const field = (n: string): number => Number(new RegExp(`\\n${n}: (\\d+)\\n`).exec(info)![1]);
      assert.equal(field('Maxsock'), 10 + 2 * field('Maxconn') + 3 * field('Nbthread') + 1 + 10 + 2);
      assert.ok(info.endsWith('\n\n'));
      // typed: one value per line, empty fields left out.
      const typed = await socat(admin, 'show stat typed\n');
      assert.match(typed, /^F\.2\.0\.0\.pxname\.1:KNS:str:fe\n/);
      assert.match(typed, /\nS\.3\.1\.7\.stot\.1:MCP:u64:3\n/);
      assert.doesNotMatch(typed, /^F\.2\.0\.2\.qcur/m);
      const json = JSON.parse(await socat(admin, 'show stat json\n')) as { field: { name: string }; value: { value: unknown } }[][];
      assert.equal(json.length, 5);
      assert.equal(json[0]!.find((f) => f.field.name === 'stot')!.value.value, 6);
    });
  });

  test('disable/enable server and weights steer traffic; levels are enforced', { timeout: 30_000 }, async () => {
    await withProxy(dir.path, cfg, [port, admin, user], async (tp) => {
      assert.equal(await socat(admin, 'disable server be/s1\n'), '\n');
      await tp.waitFor('Server be/s1 is going DOWN for maintenance. 1 active and 0 backup servers left.');
      assert.deepEqual(await traffic(4), ['s2', 's2', 's2', 's2']);
      const rows = parseStatCsv(await socat(admin, 'show stat -1 4 -1\n'));
      assert.equal(rows.find((r) => r.svname === 's1')!.status, 'MAINT');
      assert.equal(await socat(admin, 'enable server be/s1\n'), '\n');
      await tp.waitFor('Server be/s1 is UP/READY (leaving forced maintenance).');
      assert.deepEqual([...await traffic(4)].sort(), ['s1', 's1', 's2', 's2']);

      assert.equal(await socat(admin, 'set weight be/s2 0\n'), '\n');
      assert.equal(await socat(admin, 'get weight be/s2\n'), '0 (initial 1)\n\n');
      assert.deepEqual(await traffic(3), ['s1', 's1', 's1']);
      assert.equal(await socat(admin, 'set server be/s2 weight 100%;set server be/s1 state drain\n'), '\n\n');
      assert.deepEqual(await traffic(3), ['s2', 's2', 's2']);
      assert.equal(parseStatCsv(await socat(admin, 'show stat\n')).find((r) => r.svname === 's1')!.status, 'DRAIN');
      assert.equal(await socat(admin, 'set server be/s1 state ready\n'), '\n');

      // Errors are HAProxy's, and a "level user" socket cannot change anything.
      assert.equal(await socat(admin, 'disable server be/nope\n'), 'No such server.\n\n');
      assert.equal(await socat(admin, 'disable server nope/s1\n'), 'No such backend.\n\n');
      assert.equal(await socat(admin, 'set weight be/s1 300\n'), 'Absolute weight can only be between 0 and 256 inclusive.\n\n');
      assert.equal(await socat(user, 'disable server be/s1\n'), 'Permission denied\n\n');
      assert.equal(await socat(user, 'show cli level\n'), 'user\n\n');
      assert.equal(await socat(user, 'get weight be/s1\n'), '1 (initial 1)\n\n');
      const csv = parseStatCsv(await socat(user, 'show stat\n'));
      assert.equal(csv.find((r) => r.svname === 's1')!.addr, '', 'addresses are hidden from the user level');
      assert.equal(csv.find((r) => r.svname === 's1')!.status, 'no check');
      const unknown = await socat(admin, 'show foo\n');
      assert.match(unknown, /^Unknown command, but maybe one of the following ones is a better match:\n/);
      assert.ok(unknown.endsWith('  quit                                    : disconnect\n\n'));
    });
  });

  test('interactive mode: prompt, commands, quit', { timeout: 20_000 }, async () => {
    await withProxy(dir.path, cfg, [port, admin], async () => {
      const sock = connect({ path: admin });
      let got = '';
      let closed = false;
      sock.setEncoding('latin1');
      sock.on('data', (d: string) => { got += d; });
      sock.on('close', () => { closed = true; });
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write('prompt\n');
      assert.ok(await until(() => got === '\n> '), `got ${JSON.stringify(got)}`);
      sock.write('show cli level\n');
      assert.ok(await until(() => got === '\n> admin\n\n> '), `got ${JSON.stringify(got)}`);
      sock.write('show version\n');
      assert.ok(await until(() => got.endsWith('\n\n> ') && got.length > '\n> admin\n\n> '.length));
      assert.equal(closed, false, 'interactive sessions stay open between commands');
      sock.write('quit\n');
      assert.ok(await until(() => closed));
    });
  });

  test('prometheus-haproxy-exporter and hatop read the socket', { timeout: 30_000 }, async (t) => {
    const exporter = '/usr/bin/prometheus-haproxy-exporter';
    if (!existsSync(exporter)) return t.skip('prometheus-haproxy-exporter is not installed');
    await withProxy(dir.path, cfg, [port, admin], async () => {
      await traffic(2);
      const mport = await freePort();
      const child = spawn(exporter, [`--haproxy.scrape-uri=unix:${admin}`, `--web.listen-address=127.0.0.1:${mport}`], { stdio: 'ignore' });
      try {
        let metrics = '';
        for (let i = 0; i < 50 && !metrics.includes('haproxy_up'); i++) {
          metrics = await fetch(`http://127.0.0.1:${mport}/metrics`).then((r) => r.text()).catch(() => '');
          if (!metrics.includes('haproxy_up')) await sleep(100);
        }
        assert.match(metrics, /\nhaproxy_up 1\n/);
        assert.match(metrics, /\nhaproxy_exporter_csv_parse_failures_total 0\n/);
        assert.match(metrics, /\nhaproxy_server_up\{backend="be",server="s1"\} 1\n/);
        assert.match(metrics, /\nhaproxy_server_up\{backend="be",server="s3"\} 0\n/);
        assert.match(metrics, /\nhaproxy_frontend_connections_total\{frontend="fe"\} 2\n/);
      } finally {
        child.kill();
      }
      if (!existsSync('/usr/bin/hatop') || !existsSync('/usr/bin/tmux')) return;
      const session = `tp-hatop-${process.pid}`;
      spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '40', `hatop -s ${admin}`]);
      try {
        let screen = '';
        for (let i = 0; i < 40 && !screen.includes('BACKEND'); i++) {
          await sleep(100);
          screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
        }
        assert.match(screen, /Turnpike Version: /);
        assert.match(screen, />>> be/);
        assert.match(screen, /\ns1 +1 UP|\ns1 +1 -/);
      } finally {
        spawnSync('tmux', ['kill-session', '-t', session]);
      }
    });
  });
});

describe('stats page admin form', () => {
  test('a POST whose body arrives after its head is read whole before the action runs', async () => {
    const dir = tempDir();
    const port = await freePort();
    const srv = await replyServer(() => 'x');
    const cfg = `${DEFAULTS.replace('mode tcp', 'mode http')}listen st\n  bind 127.0.0.1:${port}\n  stats enable\n  stats uri /stats\n  stats admin if TRUE\n`
      + `backend app\n  server s1 127.0.0.1:${srv.port}\n`;
    try {
      await withProxy(dir.path, cfg, [port], async () => {
        const body = 's=s1&action=maint&b=app';
        const reply = await new Promise<string>((resolve) => {
          const c = connect(port, '127.0.0.1');
          let t = '';
          c.on('data', (d: Buffer) => { t += d.toString('latin1'); });
          c.on('close', () => resolve(t));
          c.on('error', () => resolve(t));
          c.write(`POST /stats HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
          setTimeout(() => c.write(body), 150);
        });
        assert.match(reply, /^HTTP\/1\.1 303 /);
        assert.match(reply, /\r\nlocation: \/stats;st=DONE\r\n/i);
        const csv = await exchange(port, 'GET /stats;csv HTTP/1.0\r\n\r\n');
        assert.match(csv, /^app,s1,(?:[^,]*,){15}MAINT,/m);
      });
    } finally {
      await srv.close();
      dir.cleanup();
    }
  });
});
