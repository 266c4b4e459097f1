// HTTP/2 settings: the global tune.h2.* values (HAProxy 2.6, configuration.txt 3.2) and the
// settings one connection runs with, derived from them and from tune.bufsize.
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, MAX_FRAME_SIZE_LIMIT, SettingId } from './frames.ts';

/** The tune.h2.* keywords (and h2-workaround-bogus-websocket-clients) as configured. */
export interface H2GlobalSettings {
  /** tune.h2.header-table-size: the HPACK table size we let peers use (4096..65536). */
  headerTableSize: number;
  /** tune.h2.initial-window-size: our receive window of each stream. */
  initialWindowSize: number;
  /** tune.h2.max-concurrent-streams: streams a peer may open at once; 0 = no limit. */
  maxConcurrentStreams: number;
  /** tune.h2.max-frame-size; 0 = unset (tune.bufsize, at least 16384). */
  maxFrameSize: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL announced (RFC 8441 websockets); h2-workaround-bogus-websocket-clients clears it. */
  extendedConnect: boolean;
}

export function newH2GlobalSettings(): H2GlobalSettings {
  return { headerTableSize: 4096, initialWindowSize: DEFAULT_WINDOW, maxConcurrentStreams: 100, maxFrameSize: 0, extendedConnect: true };
}

/** What an H2Connection runs with. */
export interface H2Settings {
  /** Our HPACK decoder's table size (SETTINGS_HEADER_TABLE_SIZE). */
  headerTableSize: number;
  /** Our receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  initialWindowSize: number;
  /** Streams the peer may have open at once; 0 = no limit. */
  maxConcurrentStreams: number;
  /** The largest frame payload we accept (SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize: number;
  /** Largest compressed header block (HEADERS + CONTINUATION payloads) we accept. */
  maxHeaderBlockSize: number;
  /** Largest decoded header list (RFC 7541 sizes: name + value + 32 per field). */
  maxHeaderListSize: number;
  /** Announce SETTINGS_ENABLE_CONNECT_PROTOCOL and accept extended CONNECT (RFC 8441, websockets). */
  enableConnectProtocol: boolean;
  /** CONTINUATION frames allowed after one HEADERS frame (CVE-2024-27316 style floods). */
  maxContinuations: number;
  /**
   * Abuse budget: frames that cost us work without doing any (resets of unanswered streams
   * (CVE-2023-44487), refused or malformed requests, PING, SETTINGS, PRIORITY, empty DATA, frames
   * on closed streams, unknown frames) each take one token from a bucket of `floodBurst` tokens refilled
   * at `floodRate` per second; an empty bucket ends the connection with ENHANCE_YOUR_CALM.
   */
  floodBurst: number;
  floodRate: number;
  /** Stream output queued beyond this makes sendData() return false. */
  streamBufferSize: number;
}

/**
 * The settings of a connection under the global section's tune.h2.* and tune.bufsize. As in
 * HAProxy, frames and header lists are bounded by the buffer size (a header list must fit in
 * one buffer; haproxy 2.6.12 answers a larger one with GOAWAY COMPRESSION_ERROR) and the
 * announced frame size never exceeds it.
 */
export function h2Settings(g: H2GlobalSettings, bufsize: number): H2Settings {
  let frame = g.maxFrameSize === 0 || g.maxFrameSize > bufsize ? bufsize : g.maxFrameSize;
  frame = Math.min(Math.max(frame, DEFAULT_MAX_FRAME_SIZE), MAX_FRAME_SIZE_LIMIT);
  return {
    headerTableSize: g.headerTableSize,
    initialWindowSize: g.initialWindowSize,
    maxConcurrentStreams: g.maxConcurrentStreams,
    maxFrameSize: frame,
    maxHeaderBlockSize: bufsize,
    maxHeaderListSize: bufsize,
    enableConnectProtocol: g.extendedConnect,
    maxContinuations: 8,
    floodBurst: 1000,
    floodRate: 100,
    streamBufferSize: 65536,
  };
}

/**
 * The SETTINGS parameters we announce, as [id, value, ...], in HAProxy 2.6's order: as a
 * client ENABLE_PUSH 0 (we never accept pushes), ENABLE_CONNECT_PROTOCOL 1 in both roles as
 * HAProxy does, then only the values differing from the RFC's initial ones, and
 * MAX_CONCURRENT_STREAMS when limited.
 */
export function announcedSettings(s: H2Settings, client: boolean): number[] {
  const out: number[] = [];
  if (client) out.push(SettingId.ENABLE_PUSH, 0);
  if (s.enableConnectProtocol) out.push(SettingId.ENABLE_CONNECT_PROTOCOL, 1);
  if (s.headerTableSize !== 4096) out.push(SettingId.HEADER_TABLE_SIZE, s.headerTableSize);
  if (s.initialWindowSize !== DEFAULT_WINDOW) out.push(SettingId.INITIAL_WINDOW_SIZE, s.initialWindowSize);
  if (s.maxConcurrentStreams !== 0) out.push(SettingId.MAX_CONCURRENT_STREAMS, s.maxConcurrentStreams);
  if (s.maxFrameSize !== DEFAULT_MAX_FRAME_SIZE) out.push(SettingId.MAX_FRAME_SIZE, s.maxFrameSize);
  return out;
}
