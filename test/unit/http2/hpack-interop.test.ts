// HPACK against nghttp2 (Node's http2 client): a bare TCP server reads the client's HEADERS frames with our
// HpackDecoder and answers with blocks from our HpackEncoder, over many requests on one connection so that
// both sides' dynamic tables fill, evict and resize (the client advertises a small header table). When we
// advertise a larger table than 4096, nghttp2 keeps encoding with 4096: our decoder must evict as it does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { once } from 'node:events';
import { HpackDecoder, HpackEncoder } from '../../../src/protocols/http2/hpack/index.ts';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const SETTINGS = 0x4;
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/**
 * Answers each request with the fields respond() gives for the decoded request fields. tableSize: the
 * SETTINGS_HEADER_TABLE_SIZE the server advertises (and gives its decoder).
 */
function bareServer(tableSize: number, respond: (fields: string[]) => string[], seen: string[][]): net.Server {
  return net.createServer((sock) => {
    const decoder = new HpackDecoder(tableSize, 1 << 20);
    const encoder = new HpackEncoder();
    let buf = Buffer.alloc(0);
    let prefaceSeen = false;
    let block: Buffer[] = [];
    let blockStream = 0;
    const settings = Buffer.alloc(tableSize === 4096 ? 0 : 6);
    if (settings.length > 0) {
      settings.writeUInt16BE(0x1, 0);
      settings.writeUInt32BE(tableSize, 2);
    }
    sock.write(frame(SETTINGS, 0, 0, settings));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!prefaceSeen) {
        if (buf.length < PREFACE.length) return;
        assert.equal(buf.subarray(0, PREFACE.length).toString('latin1'), PREFACE);
        buf = buf.subarray(PREFACE.length);
        prefaceSeen = true;
      }
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3]!;
        const flags = buf[4]!;
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        let payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === SETTINGS && (flags & 1) === 0) {
          for (let i = 0; i + 6 <= payload.length; i += 6) {
            if (payload.readUInt16BE(i) === 0x1) encoder.setPeerMaxTableSize(payload.readUInt32BE(i + 2));
          }
          sock.write(frame(SETTINGS, 1, 0, Buffer.alloc(0)));
        } else if (type === HEADERS || type === CONTINUATION) {
          if (type === HEADERS) {
            if (flags & PADDED) payload = payload.subarray(1, payload.length - payload[0]!);
            if (flags & PRIORITY) payload = payload.subarray(5);
            block = [];
            blockStream = stream;
          }
          block.push(payload);
          if (flags & END_HEADERS) {
            const fields: string[] = [];
            decoder.decode(Buffer.concat(block), fields);
            seen.push(fields);
            sock.write(frame(HEADERS, END_HEADERS | END_STREAM, blockStream, encoder.encode(respond(fields))));
          }
        }
      }
    });
    sock.on('error', () => {});
  });
}

/** A deterministic pseudo-random generator (xorshift), so that a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

for (const tableSize of [4096, 65536]) {
  test(`nghttp2 encodes, we decode; we encode, nghttp2 decodes: 300 requests on one connection (we advertise a table of ${tableSize})`, { timeout: 20_000 }, async () => {
    const seen: string[][] = [];
    const server = bareServer(tableSize, (fields) => {
      const get = (n: string): string => fields[fields.indexOf(n) + 1] ?? '';
      return [
        ':status', get('x-status') || '200',
        'server', 'turnpike',
        'content-type', get('x-type'),
        'x-echo-path', get(':path'),
        'x-echo-cookie', get('cookie'),
        'set-cookie', `id=${get('x-n')}`,
        'x-big', get('x-big'),
      ];
    }, seen);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    // A small header table on the client's side: our encoder must resize and evict.
    const client = http2.connect(`http://127.0.0.1:${port}`, { settings: { headerTableSize: 300 } });
    try {
      const rand = rng(7);
      const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
      const types = ['text/html', 'application/json', 'image/png', 'text/plain; charset=utf-8'];
      const statuses = ['', '200', '404', '302', '418', '503'];
      for (let n = 0; n < 300; n++) {
        const headers: Record<string, string> = {
          ':method': pick(['GET', 'POST', 'HEAD']),
          ':path': `/p/${Math.floor(rand() * 20)}?q=${n % 7}`,
          'x-n': String(n),
          'x-type': pick(types),
          'x-status': pick(statuses),
          cookie: pick(['a=1', 'session=0123456789abcdefghijkl', `c=${n}`]),
          'x-big': 'v'.repeat(Math.floor(rand() * 400)),
        };
        const req = client.request(headers, { endStream: true });
        const [resp] = (await once(req, 'response')) as [http2.IncomingHttpHeaders];
        req.resume();
        await once(req, 'end');
        const sent = seen[n]!;
        for (const [k, v] of Object.entries(headers)) assert.equal(sent[sent.indexOf(k) + 1], v, `request ${n} ${k}`);
        assert.equal(resp[':status'], Number(headers['x-status'] || '200'));
        assert.equal(resp['server'], 'turnpike');
        assert.equal(resp['content-type'], headers['x-type']);
        assert.equal(resp['x-echo-path'], headers[':path']);
        assert.equal(resp['x-echo-cookie'], headers.cookie);
        assert.deepEqual(resp['set-cookie'], [`id=${n}`]);
        assert.equal(resp['x-big'], headers['x-big']);
      }
    } finally {
      client.close();
      server.close();
    }
  });
}
