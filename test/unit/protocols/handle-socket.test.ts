// HandleSocket against real loopback peers: the net.Socket behaviour the streams rely on.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { HandleSocket, acceptHandles } from '../../../src/protocols/tcp/handle-socket.ts';

async function listen(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function collect(s: HandleSocket): { data: () => string; ended: Promise<unknown> } {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  return { data: () => Buffer.concat(chunks).toString('latin1'), ended: once(s, 'end') };
}

describe('HandleSocket', () => {
  const servers: Server[] = [];
  after(() => { for (const s of servers) s.close(); });

  test('connects, writes before and after the connection is up, reads, and half-closes both ways', async () => {
    const { server, port } = await listen((c) => {
      let got = '';
      c.on('data', (d) => { got += d.toString('latin1'); });
      c.on('end', () => c.end(`echo:${got}`));
    });
    servers.push(server);
    const s = HandleSocket.connect({ host: '127.0.0.1', port, noDelay: true });
    assert.equal(s.write('queued '), true);
    const rx = collect(s);
    const closed = once(s, 'close');
    await once(s, 'connect');
    assert.equal(s.remoteAddress, '127.0.0.1');
    assert.equal(s.remotePort, port);
    assert.equal(s.remoteFamily, 'IPv4');
    assert.equal(s.localAddress, '127.0.0.1');
    s.write(Buffer.from('then sent'));
    s.end();
    await rx.ended;
    assert.equal(rx.data(), 'echo:queued then sent');
    assert.equal(s.bytesWritten, 'queued then sent'.length);
    assert.equal(s.bytesRead, 'echo:queued then sent'.length);
    // Both directions shut: the socket closes by itself.
    const [hadError] = await closed;
    assert.equal(hadError, false);
    assert.equal(s.destroyed, true);
  });

  test('reads of two connections through the shared read buffer stay apart; large reads switch to own buffers and back', async () => {
    // Each server writes its own byte pattern: small pieces, then a large burst, then small again.
    const pattern = (seed: number, n: number): Buffer => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
      return b;
    };
    const total = 3 * 1024 * 1024;
    const { server, port } = await listen((c) => {
      c.once('data', (d) => {
        const p = pattern(d[0]!, total);
        let off = 0;
        const small = (): void => {
          for (let i = 0; i < 20 && off < 4096; i++) { c.write(p.subarray(off, off + 100)); off += 100; }
        };
        small();
        setTimeout(() => {
          const last = (): void => void setTimeout(() => c.end(p.subarray(total - 1000)), 20);
          if (c.write(p.subarray(off, total - 1000))) last();
          else c.once('drain', last);
        }, 20);
      });
    });
    servers.push(server);
    const conns = [1, 2].map((seed) => {
      const s = HandleSocket.connect({ host: '127.0.0.1', port });
      const chunks: Buffer[] = [];
      const modes = new Set<string>();
      // Keep every chunk: a chunk still pointing into a reused buffer would change under us.
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        modes.add(s.ownReads === null ? 'shared' : 'own');
      });
      s.write(Buffer.from([seed]));
      s.on('end', () => s.end());
      return { s, seed, chunks, modes, ended: once(s, 'end') };
    });
    await Promise.all(conns.map((c) => c.ended));
    for (const c of conns) {
      const got = Buffer.concat(c.chunks);
      assert.equal(got.length, total);
      assert.ok(got.equals(pattern(c.seed, total)), `connection ${c.seed} got other bytes`);
      // The burst switched the connection to buffers of its own; the small tail switched it back.
      assert.deepEqual([...c.modes].sort(), ['own', 'shared']);
      assert.equal(c.s.ownReads, null);
    }
  });

  test('cork() gathers writes until uncork(); end() while corked sends them first', async () => {
    const reads: string[] = [];
    const { server, port } = await listen((c) => {
      c.on('data', (d) => reads.push(d.toString('latin1')));
      c.on('end', () => c.end());
    });
    servers.push(server);
    const s = HandleSocket.connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    s.cork();
    s.write('a');
    s.write('b');
    assert.equal(s.writableLength, 2);
    s.uncork();
    s.cork();
    s.write('c');
    s.end();
    s.resume();
    await once(s, 'close');
    assert.equal(reads.join(''), 'abc');
  });

  test('write() returns false past the high-water mark and "drain" follows once the peer reads', async () => {
    let peer: Socket | null = null;
    const { server, port } = await listen((c) => { peer = c; c.pause(); });
    servers.push(server);
    const s = HandleSocket.connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let writes = 0;
    while (s.write(chunk)) if (++writes > 10_000) break;
    assert.ok(writes < 10_000, 'the kernel buffers filled up');
    assert.ok(s.writableLength > 0);
    const drained = once(s, 'drain');
    peer!.resume();
    await drained;
    assert.equal(s.writableLength, 0);
    s.destroy();
    peer!.destroy();
  });

  test('a refused connection reports ECONNREFUSED, then close(hadError)', async () => {
    const { server, port } = await listen(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    const s = HandleSocket.connect({ host: '127.0.0.1', port });
    // 'error' and 'close' come in one tick, as net.Socket's (events.once would reject on the error).
    const closed = new Promise<boolean>((r) => s.once('close', r));
    const [err] = await once(s, 'error') as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.syscall, 'connect');
    const hadError = await closed;
    assert.equal(hadError, true);
  });

  test('the inactivity timeout fires once nothing moves, and I/O restarts it', async () => {
    const { server, port } = await listen((c) => { c.on('data', () => {}); });
    servers.push(server);
    const s = HandleSocket.connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    s.setTimeout(150);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    s.write('x'); // restarts the 150 ms
    await once(s, 'timeout');
    assert.ok(Date.now() - started >= 240, `timed out after ${Date.now() - started} ms`);
    s.setTimeout(0);
    s.destroy();
  });

  test('resetAndDestroy() sends an RST: the peer sees ECONNRESET', async () => {
    let peerErr: Promise<unknown[]> | null = null;
    const { server, port } = await listen((c) => { peerErr = once(c, 'error'); c.resume(); });
    servers.push(server);
    const s = HandleSocket.connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    await new Promise((r) => setTimeout(r, 20));
    const closed = once(s, 'close');
    s.resetAndDestroy();
    const [err] = await peerErr! as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    await closed;
  });

  test('acceptHandles() serves a net.Server\'s connections as HandleSockets, paused until resume()', async () => {
    const server = createServer({ pauseOnConnect: true });
    const accepted: HandleSocket[] = [];
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    acceptHandles(server, (sock) => {
      accepted.push(sock);
      sock.on('data', (d: Buffer) => { sock.write(`got ${d.length}`); sock.end(); });
      setTimeout(() => sock.resume(), 50);
    });
    const port = (server.address() as AddressInfo).port;
    const c = HandleSocket.connect({ host: '127.0.0.1', port });
    const rx = collect(c);
    c.write('hello');
    await rx.ended;
    assert.equal(rx.data(), 'got 5');
    assert.equal(accepted.length, 1);
    assert.ok(accepted[0] instanceof HandleSocket);
    assert.equal(accepted[0]!.localPort, port);
    c.destroy();
  });
});
