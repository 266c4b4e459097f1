// ACLs and content switching: use_backend on src, tcp-request connection reject, named ACLs,
// pattern files, dynamic backend names, payload inspection, default_backend fallback.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  tempDir, writeConfig, freePort, startTurnpike, replyServer, recordingServer, exchange, openClient, sleep, until,
  DEFAULTS, FIXTURES, type RunningProxy,
} from './harness.ts';

type Reply = Awaited<ReturnType<typeof replyServer>>;
type Rec = Awaited<ReturnType<typeof recordingServer>>;

describe('ACLs and backend switching', () => {
  let dir: { path: string; cleanup(): void };
  let tp: RunningProxy;
  const srv: Record<string, Reply> = {};
  let guarded: Rec;
  let inspectA: Rec, inspectB: Rec;
  const port: Record<string, number> = {};

  /** A server answering its name on data (so that inspected payloads are seen). */
  function answering(name: string): Promise<Rec> {
    return recordingServer({ onData: (c) => c.sock.end(`${name} got ${c.data.toString('latin1')}`) });
  }

  before(async () => {
    dir = tempDir();
    for (const n of ['local', 'def', 'named', 'notnamed', 'listed', 'unlisted', 'dyn1', 'dyn2', 'dyndef']) srv[n] = await replyServer(() => `${n}\n`);
    guarded = await recordingServer({ greeting: 'should never be seen\n' });
    inspectA = await answering('GET-backend');
    inspectB = await answering('other-backend');
    for (const n of ['src', 'reject', 'named', 'named2', 'file', 'dyn1', 'dyn2', 'dyn3', 'inspect', 'inspectShort']) port[n] = await freePort();
    const cfg = `${DEFAULTS}
frontend fe_src
  bind 127.0.0.1:${port.src}
  use_backend bk_local if { src 127.0.0.1 }
  default_backend bk_def

frontend fe_reject
  bind 127.0.0.1:${port.reject}
  tcp-request connection reject if { src 127.0.0.0/8 }
  default_backend bk_guarded

frontend fe_named
  bind 127.0.0.1:${port.named}
  bind 127.0.0.1:${port.named2}
  # one ACL declared on several lines: any line may match
  acl from_four src 127.0.0.4
  acl from_four src 127.0.0.5
  acl first_port dst_port ${port.named}
  # both ACLs must match (AND), on the first port only
  use_backend bk_named if from_four first_port
  default_backend bk_notnamed

frontend fe_file
  bind 127.0.0.1:${port.file}
  acl trusted src -f ${join(FIXTURES, 'trusted-sources.lst')}
  use_backend bk_listed if trusted
  default_backend bk_unlisted

frontend fe_dyn
  bind 127.0.0.1:${port.dyn1}
  bind 127.0.0.1:${port.dyn2}
  bind 127.0.0.1:${port.dyn3}
  use_backend bk_%[dst_port]
  default_backend bk_dyndef

frontend fe_inspect
  bind 127.0.0.1:${port.inspect}
  tcp-request inspect-delay 3s
  tcp-request content accept if { req.len gt 0 }
  use_backend bk_get if { req.payload(0,3) -m str GET }
  default_backend bk_other

frontend fe_inspect_short
  bind 127.0.0.1:${port.inspectShort}
  tcp-request inspect-delay 400ms
  tcp-request content accept if { req.len gt 0 }
  use_backend bk_get if { req.payload(0,3) -m str GET }
  default_backend bk_other

backend bk_local
  server s 127.0.0.1:${srv.local!.port}
backend bk_def
  server s 127.0.0.1:${srv.def!.port}
backend bk_guarded
  server s 127.0.0.1:${guarded.port}
backend bk_named
  server s 127.0.0.1:${srv.named!.port}
backend bk_notnamed
  server s 127.0.0.1:${srv.notnamed!.port}
backend bk_listed
  server s 127.0.0.1:${srv.listed!.port}
backend bk_unlisted
  server s 127.0.0.1:${srv.unlisted!.port}
backend bk_${port.dyn1}
  server s 127.0.0.1:${srv.dyn1!.port}
backend bk_${port.dyn2}
  server s 127.0.0.1:${srv.dyn2!.port}
backend bk_dyndef
  server s 127.0.0.1:${srv.dyndef!.port}
backend bk_get
  server s 127.0.0.1:${inspectA.port}
backend bk_other
  server s 127.0.0.1:${inspectB.port}
`;
    tp = await startTurnpike(writeConfig(dir.path, cfg), Object.values(port));
  });

  after(async () => {
    await tp?.stop();
    await Promise.all([...Object.values(srv), guarded, inspectA, inspectB].map((s) => s?.close()));
    dir?.cleanup();
  });

  const from = (localAddress: string) => ({ localAddress });

  test('use_backend if { src 127.0.0.1 }, default_backend otherwise', async () => {
    assert.equal(await exchange(port.src!, 'x', from('127.0.0.1')), 'local\n');
    assert.equal(await exchange(port.src!, 'x', from('127.0.0.2')), 'def\n');
  });

  test('tcp-request connection reject: closed at once, nothing reaches the server', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await exchange(port.reject!, 'hello').catch((e: NodeJS.ErrnoException) => `error:${e.code}`);
      assert.ok(r === '' || r === 'error:ECONNRESET', `rejected client got ${JSON.stringify(r)}`);
    }
    await sleep(100);
    assert.equal(guarded.conns.length, 0, 'a rejected connection reached the server');
  });

  test('a named ACL declared on several lines, combined with another (AND)', async () => {
    assert.equal(await exchange(port.named!, 'x', from('127.0.0.4')), 'named\n');
    assert.equal(await exchange(port.named!, 'x', from('127.0.0.5')), 'named\n');
    assert.equal(await exchange(port.named!, 'x', from('127.0.0.6')), 'notnamed\n');
    assert.equal(await exchange(port.named2!, 'x', from('127.0.0.4')), 'notnamed\n', 'second ACL (dst_port) must also match');
  });

  test('acl -f <file>: CIDRs and single addresses, comments and blank lines ignored', async () => {
    const expected: Record<string, string> = {
      '127.0.0.6': 'listed', '127.0.0.7': 'listed', '127.0.0.8': 'unlisted', '127.0.0.9': 'listed', '127.0.0.1': 'unlisted',
    };
    for (const [addr, name] of Object.entries(expected)) {
      assert.equal(await exchange(port.file!, 'x', from(addr)), `${name}\n`, `client ${addr}`);
    }
  });

  test('use_backend with a dynamic name (bk_%[dst_port]); unknown name falls back to default_backend', async () => {
    assert.equal(await exchange(port.dyn1!, 'x'), 'dyn1\n');
    assert.equal(await exchange(port.dyn2!, 'x'), 'dyn2\n');
    assert.equal(await exchange(port.dyn3!, 'x'), 'dyndef\n');
  });

  test('inspect-delay: routing on req.payload(0,3) -m str GET', async () => {
    assert.equal(await exchange(port.inspect!, 'GET / HTTP/1.0\r\n\r\n'), 'GET-backend got GET / HTTP/1.0\r\n\r\n');
    assert.equal(await exchange(port.inspect!, 'POST / HTTP/1.0\r\n\r\n'), 'other-backend got POST / HTTP/1.0\r\n\r\n');
  });

  test('inspect-delay waits for data that comes late, and routes on it', async () => {
    const c = openClient(port.inspect!);
    try {
      await c.connected();
      const n = inspectA.conns.length + inspectB.conns.length;
      await sleep(500);
      assert.equal(inspectA.conns.length + inspectB.conns.length, n, 'no server connection before the content decides');
      c.sock.end('GET /late');
      await c.closed();
      assert.equal(c.text(), 'GET-backend got GET /late');
    } finally {
      c.destroy();
    }
  });

  test('inspect-delay expiry with no data: the rules run on an empty buffer (default backend)', async () => {
    const c = openClient(port.inspectShort!);
    try {
      await c.connected();
      const n = inspectB.conns.length;
      const t0 = Date.now();
      assert.ok(await until(() => inspectB.conns.length > n, 3000), 'the default backend never got the connection');
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 300, `connected to the server after ${elapsed} ms, before inspect-delay 400ms expired`);
      c.sock.end('late');
      await c.closed();
      assert.equal(c.text(), 'other-backend got late');
    } finally {
      c.destroy();
    }
  });
});
