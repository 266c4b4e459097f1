// Large response bodies arrive intact when many connections move them at once. Turnpike reads
// large chunks into buffers it reuses once a chunk is written (handle-socket.ts): a buffer given
// back too early would show here as one response's bytes inside another's.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { tempDir, writeConfig, startTurnpike, freePort, sha256, type RunningProxy } from './harness.ts';

/** The body for (seed, size): bytes of a xorshift sequence, different for every seed. */
function bodyOf(seed: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * An HTTP/1.1 server answering GET /<len|close>/<seed>/<size> with bodyOf(seed, size), written in
 * pieces of varied sizes so that the proxy's reads start and end everywhere: with a
 * content-length (keep-alive), or close-delimited.
 */
async function bodyServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s: Socket) => {
    let buf = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const [, mode, seed, size] = /^GET \/(\w+)\/(\d+)\/(\d+) /.exec(buf)!;
        buf = buf.slice(end + 4);
        const body = bodyOf(Number(seed), Number(size));
        const close = mode === 'close';
        // The head leaves with the first 30,000 bytes: the proxy reads them as one large chunk.
        s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${close ? 'connection: close' : `content-length: ${body.length}`}\r\n\r\n`), body.subarray(0, 30_000)]));
        for (let off = 30_000, step = 1000; off < body.length; off += step, step = (step * 7) % 90_001 + 500) s.write(body.subarray(off, off + step));
        if (close) s.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * Asks for bodyOf(seeds[i], size(i)) for each i and returns the mismatches. "len": one keep-alive
 * connection whose requests all leave at once (pipelined), so that a response's first bytes can
 * meet the previous response's last ones still waiting in the proxy's socket; "close": a
 * connection per request. A slow client pauses after each read so that the proxy's writes wait.
 */
async function client(port: number, mode: 'len' | 'close', seeds: number[], size: (i: number) => number, slow: boolean): Promise<string[]> {
  const bad: string[] = [];
  const check = (i: number, got: Buffer): void => {
    const n = size(i);
    if (got.length !== n || sha256(got) !== sha256(bodyOf(seeds[i]!, n))) bad.push(`${mode}/${seeds[i]}/${n}: ${got.length} bytes, not the expected ones`);
  };
  const request = (i: number): string => `GET /${mode}/${seeds[i]}/${size(i)} HTTP/1.1\r\nhost: x\r\n${mode === 'close' ? 'connection: close\r\n' : ''}\r\n`;
  /** Reads from a new connection until `done` says the bytes so far are complete (or the peer closes). */
  const exchange = (out: string, done: (len: number, all: () => Buffer) => boolean): Promise<Buffer> => new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let len = 0;
    const t = setTimeout(() => { s.destroy(); reject(new Error(`timeout after ${len} bytes asking for ${out.split('\r\n')[0]}`)); }, 60_000);
    const finish = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(chunks));
    };
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      len += d.length;
      if (done(len, () => Buffer.concat(chunks))) return finish();
      if (slow) {
        s.pause();
        setTimeout(() => s.resume(), 5);
      }
    });
    s.on('end', finish);
    s.on('error', reject);
    s.write(out);
  });
  if (mode === 'close') {
    for (let i = 0; i < seeds.length; i++) {
      const all = await exchange(request(i), () => false);
      check(i, all.subarray(all.indexOf('\r\n\r\n') + 4));
    }
    return bad;
  }
  /** Splits pipelined responses by their content-length: the bodies found so far. */
  const bodies = (all: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    let off = 0;
    for (;;) {
      const he = all.indexOf('\r\n\r\n', off);
      if (he < 0) return out;
      const cl = Number(/content-length: (\d+)/i.exec(all.subarray(off, he).toString('latin1'))?.[1] ?? NaN);
      if (Number.isNaN(cl) || all.length < he + 4 + cl) return out;
      out.push(all.subarray(he + 4, he + 4 + cl));
      off = he + 4 + cl;
    }
  };
  let expected = 0;
  for (let i = 0; i < seeds.length; i++) expected += size(i);
  const all = await exchange(seeds.map((_, i) => request(i)).join(''), (len, b) => len >= expected && bodies(b()).length === seeds.length);
  const got = bodies(all);
  for (let i = 0; i < seeds.length; i++) check(i, got[i] ?? Buffer.alloc(0));
  return bad;
}

describe('large bodies through reused read buffers', () => {
  const dir = tempDir();
  let backend: { server: Server; port: number };
  let tp: RunningProxy;
  let httpPort: number;
  let tcpPort: number;

  before(async () => {
    backend = await bodyServer();
    httpPort = await freePort();
    tcpPort = await freePort();
    const cfg = `global\n  nbthread 1\ndefaults\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n`
      + `listen h\n  mode http\n  bind 127.0.0.1:${httpPort}\n  server s 127.0.0.1:${backend.port}\n`
      + `listen t\n  mode tcp\n  bind 127.0.0.1:${tcpPort}\n  server s 127.0.0.1:${backend.port}\n`;
    tp = await startTurnpike(writeConfig(dir.path, cfg), [httpPort, tcpPort]);
  });

  after(async () => {
    await tp?.stop();
    backend?.server.close();
    dir.cleanup();
  });

  // 24 connections at once: 20 fast ones ask for 8 responses of 20 to 300 KiB, 4 slow readers
  // for 3 responses of 5 to 7 MB, more than the socket buffers hold (about 4 MB on loopback), so
  // that the proxy's writes to them wait for the kernel while the others read.
  const run = async (port: number, mode: 'len' | 'close'): Promise<void> => {
    const all = await Promise.all(Array.from({ length: 24 }, (_, c) => {
      const slow = c % 6 === 0;
      const seeds = Array.from({ length: slow ? 3 : 8 }, (_, i) => c * 100 + i + 1);
      const size = (i: number): number => (c * 7919 + i * 104_729) % (slow ? 2_000_000 : 280_000) + (slow ? 5_000_000 : 20_000);
      return client(port, mode, seeds, size, slow);
    }));
    assert.deepEqual(all.flat(), []);
  };

  test('HTTP, content-length bodies over keep-alive connections', { timeout: 120_000 }, () => run(httpPort, 'len'));
  test('HTTP, close-delimited bodies', { timeout: 120_000 }, () => run(httpPort, 'close'));
  test('TCP mode', { timeout: 120_000 }, () => run(tcpPort, 'len'));
});
