// Test helpers for H2Connection: a pair of connections over an in-memory duplex pair, a
// hand-driven raw peer (frames written and read byte by byte), and a recording owner.
import { duplexPair, type Duplex } from 'node:stream';
import { H2Connection, type H2ConnectionOwner, type H2StreamHandler } from '../../../src/protocols/http2/connection.ts';
import { CLIENT_PREFACE, FRAME_HEADER_LENGTH, Flag, FrameType, writeFrameHeader } from '../../../src/protocols/http2/frames.ts';
import { HpackDecoder, HpackEncoder } from '../../../src/protocols/http2/hpack/index.ts';
import { h2Settings, newH2GlobalSettings, type H2Settings } from '../../../src/protocols/http2/settings.ts';

export function testSettings(over: Partial<H2Settings> = {}): H2Settings {
  return { ...h2Settings(newH2GlobalSettings(), 16384), ...over };
}

export const GET = [':method', 'GET', ':scheme', 'http', ':authority', 'test', ':path', '/'];

export function post(path = '/up', length = -1): string[] {
  const f = [':method', 'POST', ':scheme', 'http', ':authority', 'test', ':path', path];
  if (length >= 0) f.push('content-length', String(length));
  return f;
}

/** Resolves when cond() holds, polling every few ms; rejects after ms. */
export async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A stream handler that records what it hears, consuming DATA at once unless told not to. */
export class StreamRecorder implements H2StreamHandler {
  conn: H2Connection | null = null;
  id = 0;
  autoConsume = true;
  readonly chunks: Buffer[] = [];
  received = 0;
  ended = false;
  trailers: string[] | null = null;
  reset = -1;
  writable = 0;

  onData(data: Buffer, endStream: boolean): void {
    this.chunks.push(data);
    this.received += data.length;
    if (this.autoConsume && this.conn) this.conn.consumed(this.id, data.length);
    if (endStream) this.ended = true;
  }
  onTrailers(fields: string[]): void {
    this.trailers = fields;
    this.ended = true;
  }
  onReset(code: number): void {
    this.reset = code;
  }
  onWritable(): void {
    this.writable++;
  }
  body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** An owner that records events; onRequest answers through `answer` (default: handler kept, no answer). */
export class OwnerRecorder implements H2ConnectionOwner {
  conn!: H2Connection;
  readonly requests: { id: number; fields: string[]; endStream: boolean; handler: StreamRecorder }[] = [];
  readonly responses: { id: number; fields: string[]; endStream: boolean }[] = [];
  goaways: [number, number][] = [];
  closed = false;
  closeError: Error | null = null;
  answer: ((conn: H2Connection, id: number, fields: string[], endStream: boolean) => H2StreamHandler | null) | null = null;

  onRequest(id: number, fields: string[], endStream: boolean): H2StreamHandler | null {
    const h = new StreamRecorder();
    h.conn = this.conn;
    h.id = id;
    this.requests.push({ id, fields, endStream, handler: h });
    if (this.answer) return this.answer(this.conn, id, fields, endStream);
    return h;
  }
  onResponse(id: number, fields: string[], endStream: boolean): void {
    this.responses.push({ id, fields, endStream });
  }
  onGoaway(lastStreamId: number, code: number): void {
    this.goaways.push([lastStreamId, code]);
  }
  onClose(err: Error | null): void {
    this.closed = true;
    this.closeError = err;
  }
}

/** A server and a client H2Connection talking over an in-memory duplex pair. */
export function connectionPair(serverSettings = testSettings(), clientSettings = testSettings()): {
  server: H2Connection; client: H2Connection; serverOwner: OwnerRecorder; clientOwner: OwnerRecorder; sockets: [Duplex, Duplex];
} {
  const [a, b] = duplexPair();
  const serverOwner = new OwnerRecorder();
  const clientOwner = new OwnerRecorder();
  const server = new H2Connection(a, serverOwner, serverSettings, 'server');
  const client = new H2Connection(b, clientOwner, clientSettings, 'client');
  serverOwner.conn = server;
  clientOwner.conn = client;
  server.start();
  client.start();
  return { server, client, serverOwner, clientOwner, sockets: [a, b] };
}

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function frameBytes(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_LENGTH + payload.length);
  writeFrameHeader(b, 0, payload.length, type, flags, streamId);
  payload.copy(b, FRAME_HEADER_LENGTH);
  return b;
}

export function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** SETTINGS payload of [id, value, ...]. */
export function settingsPayload(...pairs: number[]): Buffer {
  const b = Buffer.alloc(3 * pairs.length);
  for (let i = 0; i < pairs.length; i += 2) {
    b.writeUInt16BE(pairs[i]!, 3 * i);
    b.writeUInt32BE(pairs[i + 1]!, 3 * i + 2);
  }
  return b;
}

/**
 * The other end of a connection, driven by hand: the test writes raw bytes and frames; the
 * frames the connection sends are parsed into `frames` (header blocks decoded into `fields`).
 */
export class RawPeer {
  readonly sock: Duplex;
  readonly frames: Frame[] = [];
  /** Decoded header blocks by stream, in order. */
  readonly blocks: { streamId: number; fields: string[] }[] = [];
  readonly encoder = new HpackEncoder();
  private readonly decoder = new HpackDecoder(4096, 1 << 20);
  private buf = Buffer.alloc(0);
  private skip: number;
  private block: Buffer[] = [];
  ended = false;
  closed = false;

  /** `expectPreface`: the connection is a client, whose preface comes before its frames. */
  constructor(sock: Duplex, expectPreface = false) {
    this.sock = sock;
    this.skip = expectPreface ? CLIENT_PREFACE.length : 0;
    sock.on('data', (chunk: Buffer) => this.parse(chunk));
    sock.on('end', () => {
      this.ended = true;
      sock.end();
    });
    sock.on('close', () => {
      this.closed = true;
    });
    sock.on('error', () => {});
  }

  private parse(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.skip > 0) {
      const n = Math.min(this.skip, this.buf.length);
      this.buf = this.buf.subarray(n);
      this.skip -= n;
    }
    while (this.buf.length >= FRAME_HEADER_LENGTH) {
      const length = this.buf.readUIntBE(0, 3);
      if (this.buf.length < FRAME_HEADER_LENGTH + length) break;
      const f: Frame = {
        type: this.buf[3]!, flags: this.buf[4]!, streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.buf.subarray(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH + length)),
      };
      this.buf = this.buf.subarray(FRAME_HEADER_LENGTH + length);
      this.frames.push(f);
      if (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION) {
        this.block.push(f.payload);
        if (f.flags & Flag.END_HEADERS) {
          const fields: string[] = [];
          this.decoder.decode(Buffer.concat(this.block), fields);
          this.block = [];
          this.blocks.push({ streamId: f.streamId, fields });
        }
      }
    }
  }

  write(b: Buffer): void {
    this.sock.write(b);
  }

  frame(type: number, flags: number, streamId: number, payload?: Buffer): void {
    this.write(frameBytes(type, flags, streamId, payload));
  }

  /** The client preface and an empty (or given) SETTINGS frame. */
  preface(settings: Buffer = Buffer.alloc(0)): void {
    this.write(Buffer.concat([CLIENT_PREFACE, frameBytes(FrameType.SETTINGS, 0, 0, settings)]));
  }

  headers(streamId: number, fields: string[], endStream: boolean): void {
    const block = this.encoder.encode(fields);
    this.frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block);
  }

  data(streamId: number, data: Buffer | string, endStream: boolean): void {
    this.frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, Buffer.from(data));
  }

  /** Waits for a frame matching pred among those received from index `from` on. */
  async next(pred: (f: Frame) => boolean, what: string, from = 0, ms = 3000): Promise<Frame> {
    let found: Frame | undefined;
    await until(() => (found = this.frames.slice(from).find(pred)) !== undefined, what, ms);
    return found!;
  }

  /** Waits for GOAWAY; returns its last stream id and code. */
  async goaway(ms = 3000): Promise<{ last: number; code: number }> {
    const f = await this.next((f) => f.type === FrameType.GOAWAY, 'GOAWAY', 0, ms);
    return { last: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4) };
  }

  /** Waits for RST_STREAM on a stream; returns its code. */
  async rst(streamId: number, ms = 3000): Promise<number> {
    const f = await this.next((f) => f.type === FrameType.RST_STREAM && f.streamId === streamId, `RST_STREAM ${streamId}`, 0, ms);
    return f.payload.readUInt32BE(0);
  }

  dataOf(streamId: number): Buffer {
    return Buffer.concat(this.frames.filter((f) => f.type === FrameType.DATA && f.streamId === streamId).map((f) => f.payload));
  }

  has(type: number): boolean {
    return this.frames.some((f) => f.type === type);
  }
}

/** A server-role H2Connection (on `sock`) with a raw client peer (preface not yet sent). */
export function rawServer(settings = testSettings()): { conn: H2Connection; owner: OwnerRecorder; peer: RawPeer; sock: Duplex } {
  const [a, b] = duplexPair();
  const owner = new OwnerRecorder();
  const conn = new H2Connection(a, owner, settings, 'server');
  owner.conn = conn;
  const peer = new RawPeer(b);
  conn.start();
  return { conn, owner, peer, sock: a };
}

/** A client-role H2Connection with a raw server peer. */
export function rawClient(settings = testSettings()): { conn: H2Connection; owner: OwnerRecorder; peer: RawPeer } {
  const [a, b] = duplexPair();
  const owner = new OwnerRecorder();
  const conn = new H2Connection(a, owner, settings, 'client');
  owner.conn = conn;
  const peer = new RawPeer(b, true);
  conn.start();
  return { conn, owner, peer };
}
