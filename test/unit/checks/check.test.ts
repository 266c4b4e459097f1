import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { closedPort, noLeak, rulesOf, settings, startServer, until, wait } from './helpers.ts';
import { HealthCheck, checkProxySettings, startDelays, type HealthCheckOptions } from '../../../src/checks/check.ts';
import type { CheckOutcome, CheckStatus, TransitionEvent } from '../../../src/checks/health.ts';
import { parseProxyHeader } from '../../../src/protocols/proxy-protocol.ts';
import { defaultServerConfig } from '../../../src/config/model.ts';

interface Recorder {
  results: { status: CheckStatus; durationMs: number; outcome: CheckOutcome }[];
  transitions: TransitionEvent[];
  /** When each result arrived (performance.now()). */
  at: number[];
}

function checker(port: number, over: Partial<HealthCheckOptions> = {}): { hc: HealthCheck; rec: Recorder } {
  const rec: Recorder = { results: [], transitions: [], at: [] };
  const hc = new HealthCheck({
    proxyName: 'be',
    serverName: 's1',
    target: () => ({ host: '127.0.0.1', port }),
    settings: settings(),
    rules: null,
    sendProxy: false,
    onResult: (status, durationMs, outcome) => {
      rec.results.push({ status, durationMs, outcome });
      rec.at.push(performance.now());
    },
    onTransition: (ev) => rec.transitions.push(ev),
    ...over,
  });
  return { hc, rec };
}

test('plain check on a listening port: L4OK, no info, the server stays UP', () => noLeak(async () => {
  const srv = await startServer();
  const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000 }) });
  hc.start();
  await until(() => rec.results.length === 1);
  hc.stop();
  await srv.close();
  assert.equal(rec.results[0]!.status, 'L4OK');
  assert.equal(rec.results[0]!.outcome.info, '');
  assert.equal(rec.results[0]!.outcome.health, 4);
  assert.deepEqual(rec.transitions, []);
  assert.equal(hc.up, true);
  assert.equal(srv.accepted, 1);
}));

test('plain check on a closed port: L4CON "Connection refused", DOWN at the first failure', () => noLeak(async () => {
  const port = await closedPort();
  const { hc, rec } = checker(port, { settings: settings({ inter: 10_000 }) });
  hc.start();
  await until(() => rec.transitions.length === 1);
  hc.stop();
  assert.deepEqual(rec.transitions[0], {
    up: false, reason: 'Layer4 connection problem', info: 'Connection refused', checkDurationMs: rec.results[0]!.durationMs, status: 'L4CON',
  });
  assert.equal(hc.up, false);
  assert.equal(hc.failedChecks, 1);
  assert.equal(hc.downTransitions, 1);
}));

test('connection never established: L4TOUT after inter (or min(inter, timeout connect) with timeout check)', async (t) => {
  // A listener that never accepts, its one-slot queue already taken: further SYNs go unanswered.
  const py = spawn('python3', ['-c', [
    'import socket,sys', 's=socket.socket()', "s.bind(('127.0.0.1',0))", 's.listen(0)',
    'print(s.getsockname()[1], flush=True)', 'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const port = await new Promise<number | null>((res) => {
    py.on('error', () => res(null));
    py.stdout.once('data', (d) => res(Number(String(d).trim())));
  });
  if (port === null) {
    t.skip('python3 is needed to hold a listener that never accepts');
    return;
  }
  const filler = net.connect(port, '127.0.0.1');
  filler.on('error', () => {});
  await new Promise((res) => filler.once('connect', res));
  try {
    await noLeak(async () => {
      const { hc, rec } = checker(port, { settings: settings({ inter: 150 }), timeoutCheck: 1000, timeoutConnect: 60 });
      hc.start();
      await until(() => rec.results.length === 1);
      hc.stop();
      assert.equal(rec.results[0]!.status, 'L4TOUT');
      assert.equal(rec.results[0]!.outcome.info, '');
      assert.ok(rec.results[0]!.durationMs >= 55 && rec.results[0]!.durationMs < 140, `duration ${rec.results[0]!.durationMs}`);
      assert.equal(rec.transitions[0]?.reason, 'Layer4 timeout');
      // option tcp-check: the step is named
      const tc = checker(port, { settings: settings({ inter: 60 }), rules: rulesOf([]) });
      tc.hc.start();
      await until(() => tc.rec.results.length === 1);
      tc.hc.stop();
      assert.equal(tc.rec.results[0]!.outcome.info, ' at initial connection step of tcp-check');
    });
  } finally {
    filler.destroy();
    py.kill();
  }
});

test('rise/fall transitions and inter/fastinter/downinter', () => noLeak(async () => {
  let answer = 'UP';
  const srv = await startServer((s) => { s.end(answer); });
  const { hc, rec } = checker(srv.port, {
    settings: settings({ inter: 200, fastinter: 10, downinter: 30, rise: 2, fall: 3 }),
    rules: rulesOf([['tcp-check', 'expect', 'string', 'UP']]),
  });
  // At start the server is UP with health = rise: "going down" pace until the first success.
  assert.equal(hc.currentInter(), 10);
  hc.start();
  await until(() => rec.results.length === 1);
  assert.equal(rec.results[0]!.status, 'L7OK');
  assert.equal(rec.results[0]!.outcome.info, '(tcp-check)');
  assert.equal(hc.currentInter(), 200);
  answer = 'DOWN';
  await until(() => rec.transitions.length === 1);
  const at = rec.at;
  // Exactly fall failures in a row from full health, the last two at fastinter.
  const failures = rec.results.slice(1);
  assert.equal(failures.length, 3);
  assert.ok(failures.every((r) => !r.outcome.passed));
  assert.equal(failures[0]!.outcome.info, "TCPCHK did not match content 'UP' at step 1");
  assert.ok(at[1]! - at[0]! >= 190, `first failure after inter (${at[1]! - at[0]!} ms)`);
  assert.ok(at[3]! - at[1]! < 150, `then fastinter (${at[3]! - at[1]!} ms for two checks)`);
  assert.equal(rec.transitions[0]!.up, false);
  assert.equal(rec.transitions[0]!.reason, 'Layer7 invalid response');
  assert.equal(rec.transitions[0]!.code, undefined); // L7RSP is below HAProxy's L57DATA: no code
  assert.equal(hc.currentInter(), 30);
  answer = 'UP';
  await until(() => rec.transitions.length === 2);
  assert.equal(rec.transitions[1]!.up, true);
  // rise successes in a row, at downinter then fastinter
  assert.deepEqual(rec.results.slice(4).map((r) => r.outcome.passed), [true, true]);
  assert.ok(at[5]! - at[3]! < 150, `downinter/fastinter pace (${at[5]! - at[3]!} ms for two checks)`);
  hc.stop();
  await srv.close();
}));

test('tcp-check send/expect string, and what the server receives', () => noLeak(async () => {
  const srv = await startServer((s) => s.on('data', (d) => { if (String(d).includes('PING\r\n')) s.write('+PONG\r\n'); }));
  const { hc, rec } = checker(srv.port, {
    settings: settings({ inter: 10_000 }),
    rules: rulesOf([['tcp-check', 'send', 'PING\r\n'], ['tcp-check', 'expect', 'string', '+PONG']]),
  });
  hc.start();
  await until(() => rec.results.length === 1);
  hc.stop();
  await srv.close();
  assert.equal(rec.results[0]!.status, 'L7OK');
  assert.equal(srv.received[0]!.toString(), 'PING\r\n');
}));

test('tcp-check rstring, send-binary/expect binary, negated expect', () => noLeak(async () => {
  const srv = await startServer((s, i) => {
    if (i === 0) s.write('220 smtp.example ESMTP\r\n');
    else if (i === 1) s.on('data', () => s.write(Buffer.from([0x00, 0x01, 0xbe, 0xef])));
    else if (i === 2) s.end('OK\r\n');
    else s.write('ERR busy\r\n');
  });
  const run = async (rules: string[][]): Promise<{ status: CheckStatus; info: string }> => {
    const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000 }), rules: rulesOf(rules), timeoutCheck: 300 });
    hc.start();
    await until(() => rec.results.length === 1);
    hc.stop();
    return { status: rec.results[0]!.status, info: rec.results[0]!.outcome.info };
  };
  assert.deepEqual(await run([['tcp-check', 'expect', 'rstring', '^2[0-9]{2} ']]), { status: 'L7OK', info: '(tcp-check)' });
  assert.deepEqual(await run([['tcp-check', 'send-binary', 'cafe'], ['tcp-check', 'expect', 'binary', 'beef']]), { status: 'L7OK', info: '(tcp-check)' });
  // negated: no "ERR" in a response that ended
  assert.deepEqual(await run([['tcp-check', 'expect', '!', 'string', 'ERR']]), { status: 'L7OK', info: '(tcp-check)' });
  assert.deepEqual(await run([['tcp-check', 'expect', '!', 'string', 'ERR', 'comment', 'no error please']]), {
    status: 'L7RSP', info: "TCPCHK matched unwanted content 'ERR' at step 1 comment: no error please",
  });
  await srv.close();
  assert.equal(srv.received[1]!.toString('hex'), 'cafe');
}));

test('expect failures: empty response, timeout (L7TOUT), error-status, tout-status, rbinary', () => noLeak(async () => {
  const srv = await startServer((s, i) => {
    if (i === 0) s.end();
    else if (i === 2) s.end('NOPE');
    else if (i === 4) s.end(Buffer.from([0x15, 0x03]));
    else if (i === 5) s.write('x'.repeat(100));
    // others: silent
  });
  const run = async (rules: string[][], over: Partial<HealthCheckOptions> = {}): Promise<{ status: CheckStatus; info: string; ms: number }> => {
    const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000 }), rules: rulesOf(rules), timeoutCheck: 80, timeoutConnect: 1000, ...over });
    hc.start();
    await until(() => rec.results.length === 1);
    hc.stop();
    const r = rec.results[0]!;
    return { status: r.status, info: r.outcome.info, ms: r.durationMs };
  };
  const pingPong = [['tcp-check', 'send', 'PING\r\n'], ['tcp-check', 'expect', 'string', 'PONG']];
  const empty = await run(pingPong);
  assert.deepEqual([empty.status, empty.info], ['L7RSP', 'TCPCHK got an empty response at step 2']);
  const tout = await run(pingPong);
  assert.deepEqual([tout.status, tout.info], ['L7TOUT', " at step 2 of tcp-check (expect string 'PONG')"]);
  assert.ok(tout.ms >= 75, `timeout after ${tout.ms} ms`);
  const sts = await run([['tcp-check', 'expect', 'string', 'PONG', 'error-status', 'L7STS']]);
  assert.deepEqual([sts.status, sts.info], ['L7STS', "TCPCHK did not match content 'PONG' at step 1"]);
  const t6 = await run([['tcp-check', 'comment', 'hello'], ['tcp-check', 'expect', 'string', 'PONG', 'tout-status', 'L6TOUT']], { timeoutCheck: null, settings: settings({ inter: 80 }) });
  assert.deepEqual([t6.status, t6.info], ['L6TOUT', " at step 2 of tcp-check (expect string 'PONG') comment: 'hello'"]);
  const rb = await run([['tcp-check', 'expect', 'rbinary', '^1[56]03', 'ok-status', 'L6OK', 'min-recv', '2']]);
  assert.deepEqual([rb.status, rb.info], ['L6OK', '(tcp-check)']);
  // A full input buffer (tune.bufsize) is conclusive: no waiting for the timeout.
  const full = await run([['tcp-check', 'expect', 'string', 'y']], { bufsize: 16, timeoutCheck: 5000 });
  assert.deepEqual([full.status, full.info], ['L7RSP', "TCPCHK did not match content 'y' at step 1"]);
  await srv.close();
}));

test('tcp-check connect port: refused and successful second connection', () => noLeak(async () => {
  const srv = await startServer((s) => s.end('hi'));
  const dead = await closedPort();
  const run = async (rules: string[][]): Promise<{ status: CheckStatus; info: string }> => {
    const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000 }), rules: rulesOf(rules) });
    hc.start();
    await until(() => rec.results.length === 1);
    hc.stop();
    return { status: rec.results[0]!.status, info: rec.results[0]!.outcome.info };
  };
  assert.deepEqual(await run([['tcp-check', 'connect', 'port', String(dead)]]), { status: 'L4CON', info: `Connection refused at step 1 of tcp-check (connect port ${dead})` });
  assert.deepEqual(await run([['tcp-check', 'connect'], ['tcp-check', 'expect', 'string', 'hi'], ['tcp-check', 'connect', 'port', String(srv.port)]]), { status: 'L4OK', info: '(tcp-check)' });
  await srv.close();
  assert.equal(srv.accepted, 2);
}));

test('check-send-proxy sends a v1 line with the connection addresses; send-proxy-v2 a v2 LOCAL header, as HAProxy 2.6', () => noLeak(async () => {
  const srv = await startServer((s) => s.on('data', () => s.write('PONG\r\n')));
  const run = async (sendProxy: 0 | 1 | 2, rules: string[][] | null): Promise<void> => {
    const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000 }), rules: rules && rulesOf(rules), sendProxy });
    hc.start();
    await until(() => rec.results.length === 1);
    hc.stop();
    assert.ok(rec.results[0]!.outcome.passed, rec.results[0]!.outcome.info);
  };
  await run(1, null);
  await run(2, null);
  await run(2, [['tcp-check', 'send', 'PING\r\n'], ['tcp-check', 'expect', 'string', 'PONG']]);
  await until(() => srv.received.length === 3 && srv.received[2]!.length >= 22);
  await srv.close();
  const v1 = parseProxyHeader(srv.received[0]!);
  assert.ok(v1.kind === 'ok');
  assert.deepEqual([v1.header.version, v1.header.family, v1.header.src, v1.header.dst, v1.header.dstPort], [1, 'tcp4', '127.0.0.1', '127.0.0.1', srv.port]);
  assert.equal(v1.consumed, srv.received[0]!.length);
  assert.equal(srv.received[1]!.toString('hex'), '0d0a0d0a000d0a515549540a20000000');
  const v2 = parseProxyHeader(srv.received[2]!);
  assert.ok(v2.kind === 'ok' && v2.header.command === 'LOCAL');
  assert.equal(srv.received[2]!.subarray(v2.consumed).toString(), 'PING\r\n');
}));

test('which checks send a PROXY header (init_srv_check())', () => {
  const s = defaultServerConfig({ file: 't', line: 1 });
  assert.deepEqual(checkProxySettings(s), { sendProxy: 0, proxyVersion: 1 });
  s.check.sendProxy = true;
  assert.deepEqual(checkProxySettings(s), { sendProxy: 1, proxyVersion: 1 });
  s.check.sendProxy = false;
  s.sendProxy = 2;
  assert.deepEqual(checkProxySettings(s), { sendProxy: 2, proxyVersion: 2 });
  s.check.port = 8080; // a check port stops the inheritance of send-proxy
  assert.deepEqual(checkProxySettings(s), { sendProxy: 0, proxyVersion: 2 });
});

test('observe layer4: error-limit errors in a row apply on-error', () => noLeak(async () => {
  const srv = await startServer();
  const make = (onError: HealthCheckOptions['onError'], fall = 3) => checker(srv.port, {
    settings: settings({ inter: 10_000, fall }), observe: 'layer4', errorLimit: 3, onError,
  });
  // mark-down: DOWN at once
  {
    const { hc, rec } = make('mark-down');
    hc.start();
    await until(() => rec.results.length === 1);
    hc.reportTrafficError();
    hc.reportTrafficError();
    hc.reportTrafficSuccess(); // resets the count
    hc.reportTrafficError();
    hc.reportTrafficError();
    assert.deepEqual(rec.transitions, []);
    hc.reportTrafficError();
    assert.deepEqual(rec.transitions, [{
      up: false, reason: 'Health analyze', info: 'Detected 3 consecutive errors, last one was: L4 unsuccessful connection', checkDurationMs: -1, status: 'HANA',
    }]);
    assert.equal(hc.failedHana, 1);
    hc.stop();
  }
  // fail-check: one failed check (health 4 -> 3, still up); sudden-death: to the brink (rise), one more failure is fatal
  {
    const fc = make('fail-check');
    fc.hc.start();
    await until(() => fc.rec.results.length === 1);
    for (let i = 0; i < 3; i++) fc.hc.reportTrafficError();
    assert.equal(fc.hc.health.health, 3);
    assert.equal(fc.hc.up, true);
    fc.hc.stop();
    const sd = make('sudden-death');
    sd.hc.start();
    await until(() => sd.rec.results.length === 1);
    for (let i = 0; i < 3; i++) sd.hc.reportTrafficError();
    assert.equal(sd.hc.health.health, 2);
    assert.equal(sd.hc.up, true);
    for (let i = 0; i < 3; i++) sd.hc.reportTrafficError();
    assert.equal(sd.hc.up, false);
    sd.hc.stop();
  }
  // fastinter: nothing but an earlier next check
  {
    const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000, fastinter: 20 }), observe: 'layer4', errorLimit: 2, onError: 'fastinter' });
    hc.start();
    await until(() => rec.results.length === 1);
    hc.reportTrafficError();
    hc.reportTrafficError();
    assert.equal(hc.up, true);
    await until(() => rec.results.length === 2, 500, 'a check at fastinter');
    hc.stop();
  }
  // without observe, traffic errors are ignored
  {
    const { hc, rec } = checker(srv.port, { settings: settings({ inter: 10_000 }), errorLimit: 1, onError: 'mark-down' });
    hc.start();
    await until(() => rec.results.length === 1);
    hc.reportTrafficError();
    hc.stop();
    assert.deepEqual(rec.transitions, []);
  }
  await srv.close();
}));

test('stop() during a check releases the socket and timers; no result afterwards', () => noLeak(async () => {
  const srv = await startServer();
  const { hc, rec } = checker(srv.port, { rules: rulesOf([['tcp-check', 'expect', 'string', 'never']]), settings: settings({ inter: 5000 }) });
  hc.start();
  await until(() => srv.accepted === 1);
  assert.equal(hc.running, true);
  hc.stop();
  assert.equal(hc.running, false);
  await wait(20);
  assert.deepEqual(rec.results, []);
  await srv.close();
}));

test('disabled checks and maintenance run no checks; leaving maintenance checks at once', () => noLeak(async () => {
  const srv = await startServer();
  const { hc, rec } = checker(srv.port, { settings: settings({ inter: 20 }), maintenance: true });
  hc.start();
  await wait(70);
  assert.equal(rec.results.length, 0);
  assert.equal(hc.up, false);
  hc.setMaintenance(false);
  assert.equal(hc.up, true);
  await until(() => rec.results.length >= 1, 100);
  hc.setEnabled(false);
  const n = rec.results.length;
  await wait(70);
  assert.equal(rec.results.length, n);
  hc.setEnabled(true);
  await until(() => rec.results.length > n, 200);
  hc.stop();
  await srv.close();
}));

test('spread-checks jitter and start-up spread (start_checks())', () => {
  assert.deepEqual(startDelays([2000, 2000, 2000, 2000]), [0, 500, 1000, 1500]);
  // checks under 1 s do not dictate the spread, a slower one uses its own interval
  assert.deepEqual(startDelays([100, 2000, 5000]), [0, 666, 3333]);
  assert.deepEqual(startDelays([2000, 2000], 50, 0, () => 0), [0, 1500]);
  assert.deepEqual(startDelays([2000, 2000], 0, 1000), [0, 500]);
});

test('spread-checks on the next check interval', () => noLeak(async () => {
  const srv = await startServer();
  const times: number[] = [];
  const { hc } = checker(srv.port, {
    settings: settings({ inter: 40 }), spreadChecks: 50, random: () => 1,
    onResult: () => times.push(performance.now()),
  });
  hc.start();
  await until(() => times.length === 3);
  hc.stop();
  await srv.close();
  // inter 40 with spread 50% and random 1: 40 + 20 - 40 = 20 ms between checks
  assert.ok(times[2]! - times[1]! < 38, `interval ${times[2]! - times[1]!}`);
}));

test('UNIX socket targets', () => noLeak(async () => {
  const path = `/tmp/turnpike-check-${process.pid}.sock`;
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.resume();
    s.end('READY');
  });
  await new Promise<void>((res) => srv.listen(path, res));
  const rec: CheckStatus[] = [];
  const hc = new HealthCheck({
    proxyName: 'be', serverName: 'u', target: () => ({ path }), settings: settings({ inter: 10_000 }),
    rules: rulesOf([['tcp-check', 'expect', 'string', 'READY']]), sendProxy: 1, onResult: (s) => rec.push(s),
  });
  hc.start();
  await until(() => rec.length === 1);
  hc.stop();
  await new Promise<void>((res) => srv.close(() => res()));
  assert.deepEqual(rec, ['L7OK']);
}));
