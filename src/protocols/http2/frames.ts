// HTTP/2 framing (RFC 9113 sections 4 and 6): the 9-byte frame header, the payload layout of
// each frame type with its validity rules, and writers that serialize frames into a caller's
// buffer (the connection writes many frames into one output slab per event-loop turn).
import { H2Code, H2Error } from './errors.ts';

export const FRAME_HEADER_LENGTH = 9;

/** The client connection preface (section 3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  /** SETTINGS and PING. */
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  /** RFC 8441 (extended CONNECT). */
  ENABLE_CONNECT_PROTOCOL: 0x8,
} as const;

/** The initial SETTINGS_MAX_FRAME_SIZE, and the smallest value it may take. */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
/** The largest SETTINGS_MAX_FRAME_SIZE (2^24 - 1). */
export const MAX_FRAME_SIZE_LIMIT = 16777215;
/** The initial connection and stream flow-control windows. */
export const DEFAULT_WINDOW = 65535;
/** The largest flow-control window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;
export const MAX_STREAM_ID = 0x7fffffff;

/** A received frame header. */
export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

/** Reads the frame header at `off` (9 bytes must be there) into `out`; the reserved bit is ignored (4.1). */
export function readFrameHeader(buf: Buffer, off: number, out: FrameHeader): void {
  out.length = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
  out.type = buf[off + 3]!;
  out.flags = buf[off + 4]!;
  out.streamId = buf.readUInt32BE(off + 5) & MAX_STREAM_ID;
}

/** Writes a frame header at `off`; returns the offset after it. */
export function writeFrameHeader(buf: Buffer, off: number, length: number, type: number, flags: number, streamId: number): number {
  buf[off] = length >>> 16;
  buf[off + 1] = (length >>> 8) & 0xff;
  buf[off + 2] = length & 0xff;
  buf[off + 3] = type;
  buf[off + 4] = flags;
  buf.writeUInt32BE(streamId, off + 5);
  return off + FRAME_HEADER_LENGTH;
}

/**
 * The number of leading bytes (the Pad Length octet) and trailing padding of a DATA or HEADERS
 * payload of `length` bytes at `off`, as (leading << 8 | trailing); 0 when not padded.
 * Padding as long as the payload is a connection PROTOCOL_ERROR (6.1, 6.2).
 */
export function padding(buf: Buffer, off: number, length: number, flags: number): number {
  if ((flags & Flag.PADDED) === 0) return 0;
  if (length < 1) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'padded frame without a pad length');
  const pad = buf[off]!;
  if (pad >= length) throw new H2Error(H2Code.PROTOCOL_ERROR, 'padding exceeds the frame payload');
  return 0x100 | pad;
}

/** Length of the priority fields of a HEADERS frame with the PRIORITY flag, and of a PRIORITY frame. */
export const PRIORITY_LENGTH = 5;

/** The stream a priority block at `off` depends on (the exclusive bit removed). */
export function priorityDependency(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off) & MAX_STREAM_ID;
}

/** Settings a peer announced (section 6.5.2), starting with the RFC's initial values. */
export interface PeerSettings {
  headerTableSize: number;
  enablePush: boolean;
  /** -1: no limit announced. */
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  /** -1: no limit announced. */
  maxHeaderListSize: number;
  enableConnectProtocol: boolean;
}

export function initialPeerSettings(): PeerSettings {
  return {
    headerTableSize: 4096, enablePush: true, maxConcurrentStreams: -1, initialWindowSize: DEFAULT_WINDOW,
    maxFrameSize: DEFAULT_MAX_FRAME_SIZE, maxHeaderListSize: -1, enableConnectProtocol: false,
  };
}

/**
 * Applies the parameters of a (non-ACK) SETTINGS payload to `into`, checking their ranges
 * (6.5.2); unknown parameters are ignored. A payload that is not a multiple of 6 bytes is a
 * FRAME_SIZE_ERROR.
 */
export function decodeSettings(buf: Buffer, off: number, length: number, into: PeerSettings): void {
  if (length % 6 !== 0) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'SETTINGS payload is not a multiple of 6 bytes');
  for (let p = off, end = off + length; p < end; p += 6) {
    const id = buf.readUInt16BE(p);
    const value = buf.readUInt32BE(p + 2);
    switch (id) {
      case SettingId.HEADER_TABLE_SIZE:
        into.headerTableSize = value;
        break;
      case SettingId.ENABLE_PUSH:
        if (value > 1) throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH is neither 0 nor 1');
        into.enablePush = value === 1;
        break;
      case SettingId.MAX_CONCURRENT_STREAMS:
        into.maxConcurrentStreams = value;
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
        into.initialWindowSize = value;
        break;
      case SettingId.MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_FRAME_SIZE_LIMIT) {
          throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS_MAX_FRAME_SIZE out of range');
        }
        into.maxFrameSize = value;
        break;
      case SettingId.MAX_HEADER_LIST_SIZE:
        into.maxHeaderListSize = value;
        break;
      case SettingId.ENABLE_CONNECT_PROTOCOL:
        if (value > 1) throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS_ENABLE_CONNECT_PROTOCOL is neither 0 nor 1');
        // RFC 8441 section 3: once announced it may not be withdrawn.
        if (into.enableConnectProtocol && value === 0) {
          throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS_ENABLE_CONNECT_PROTOCOL withdrawn');
        }
        into.enableConnectProtocol = value === 1;
        break;
    }
  }
}

/** Bytes taken by a SETTINGS frame of `count` parameters. */
export function settingsFrameLength(count: number): number {
  return FRAME_HEADER_LENGTH + 6 * count;
}

/** Writes a SETTINGS frame of [id, value, id, value...] pairs; returns the offset after it. */
export function writeSettings(buf: Buffer, off: number, pairs: readonly number[]): number {
  let p = writeFrameHeader(buf, off, 3 * pairs.length, FrameType.SETTINGS, 0, 0);
  for (let i = 0; i < pairs.length; i += 2) {
    buf.writeUInt16BE(pairs[i]!, p);
    buf.writeUInt32BE(pairs[i + 1]!, p + 2);
    p += 6;
  }
  return p;
}

export const SETTINGS_ACK_LENGTH = FRAME_HEADER_LENGTH;

export function writeSettingsAck(buf: Buffer, off: number): number {
  return writeFrameHeader(buf, off, 0, FrameType.SETTINGS, Flag.ACK, 0);
}

export const PING_LENGTH = 8;
export const PING_FRAME_LENGTH = FRAME_HEADER_LENGTH + PING_LENGTH;

/** Writes a PING frame carrying the 8 opaque bytes at `src[srcOff]`. */
export function writePing(buf: Buffer, off: number, ack: boolean, src: Buffer, srcOff: number): number {
  const p = writeFrameHeader(buf, off, PING_LENGTH, FrameType.PING, ack ? Flag.ACK : 0, 0);
  src.copy(buf, p, srcOff, srcOff + PING_LENGTH);
  return p + PING_LENGTH;
}

export const RST_STREAM_LENGTH = 4;
export const RST_STREAM_FRAME_LENGTH = FRAME_HEADER_LENGTH + RST_STREAM_LENGTH;

export function writeRstStream(buf: Buffer, off: number, streamId: number, code: number): number {
  const p = writeFrameHeader(buf, off, RST_STREAM_LENGTH, FrameType.RST_STREAM, 0, streamId);
  buf.writeUInt32BE(code >>> 0, p);
  return p + RST_STREAM_LENGTH;
}

export const WINDOW_UPDATE_LENGTH = 4;
export const WINDOW_UPDATE_FRAME_LENGTH = FRAME_HEADER_LENGTH + WINDOW_UPDATE_LENGTH;

export function writeWindowUpdate(buf: Buffer, off: number, streamId: number, increment: number): number {
  const p = writeFrameHeader(buf, off, WINDOW_UPDATE_LENGTH, FrameType.WINDOW_UPDATE, 0, streamId);
  buf.writeUInt32BE(increment, p);
  return p + WINDOW_UPDATE_LENGTH;
}

/** The fixed part of a GOAWAY payload (last stream id, error code). */
export const GOAWAY_MIN_LENGTH = 8;

export function goawayFrameLength(debug: Buffer | null): number {
  return FRAME_HEADER_LENGTH + GOAWAY_MIN_LENGTH + (debug ? debug.length : 0);
}

export function writeGoaway(buf: Buffer, off: number, lastStreamId: number, code: number, debug: Buffer | null): number {
  const dlen = debug ? debug.length : 0;
  let p = writeFrameHeader(buf, off, GOAWAY_MIN_LENGTH + dlen, FrameType.GOAWAY, 0, 0);
  buf.writeUInt32BE(lastStreamId & MAX_STREAM_ID, p);
  buf.writeUInt32BE(code >>> 0, p + 4);
  p += GOAWAY_MIN_LENGTH;
  if (debug) p += debug.copy(buf, p);
  return p;
}

/** Bytes taken by a header block of `blockLength` bytes sent as HEADERS + CONTINUATION frames. */
export function headerFramesLength(blockLength: number, maxFrameSize: number): number {
  const frames = blockLength === 0 ? 1 : Math.ceil(blockLength / maxFrameSize);
  return blockLength + frames * FRAME_HEADER_LENGTH;
}

/**
 * Writes a header block as one HEADERS frame followed by as many CONTINUATION frames as
 * `maxFrameSize` requires (6.10: nothing may come between them, so they are written together).
 */
export function writeHeaders(buf: Buffer, off: number, streamId: number, block: Buffer, endStream: boolean, maxFrameSize: number): number {
  let p = off;
  let start = 0;
  let type: number = FrameType.HEADERS;
  let flags: number = endStream ? Flag.END_STREAM : 0;
  for (;;) {
    const n = Math.min(block.length - start, maxFrameSize);
    const last = start + n === block.length;
    p = writeFrameHeader(buf, p, n, type, last ? flags | Flag.END_HEADERS : flags, streamId);
    p += block.copy(buf, p, start, start + n);
    start += n;
    if (last) return p;
    type = FrameType.CONTINUATION;
    flags = 0;
  }
}
