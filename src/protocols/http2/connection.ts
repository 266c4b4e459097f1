// An HTTP/2 connection (RFC 9113) over a byte stream, in the server role (a client's
// connection to a frontend) or the client role (our connection to a server): preface and
// SETTINGS exchange, stream states and identifiers, header blocks (HPACK) with their bounds,
// flow control in both directions, GOAWAY and RST_STREAM, and the abuse limits.
//
// Input: every complete frame of a socket read is processed, then output is flushed once.
// Output: frames are serialized into a slab and written with one (corked) write per event-loop
// turn; DATA leaves per-stream queues under the peer's windows, round-robin between streams,
// while the socket's own buffer stays under a bound. Receive flow control follows the owner:
// WINDOW_UPDATEs go out as it reports bytes consumed, so a slow consumer slows the peer.
import type { ByteStream } from '../tcp/conn.ts';
import { H2Code, H2Error } from './errors.ts';
import {
  CLIENT_PREFACE, DEFAULT_WINDOW, FRAME_HEADER_LENGTH, Flag, FrameType, GOAWAY_MIN_LENGTH, MAX_STREAM_ID, MAX_WINDOW,
  PING_FRAME_LENGTH, PING_LENGTH, PRIORITY_LENGTH, RST_STREAM_FRAME_LENGTH, RST_STREAM_LENGTH, SETTINGS_ACK_LENGTH,
  WINDOW_UPDATE_FRAME_LENGTH, WINDOW_UPDATE_LENGTH, decodeSettings, goawayFrameLength, headerFramesLength, initialPeerSettings,
  padding, priorityDependency, readFrameHeader, settingsFrameLength, writeFrameHeader, writeGoaway, writeHeaders, writePing,
  writeRstStream, writeSettings, writeSettingsAck, writeWindowUpdate, type FrameHeader, type PeerSettings,
} from './frames.ts';
import { HpackDecoder, HpackEncoder, HpackError } from './hpack/index.ts';
import { announcedSettings, type H2Settings } from './settings.ts';
import {
  MALFORMED, NO_LENGTH, isHeadRequest, responseStatus, validateRequest, validateResponse, validateTrailers,
} from './validate.ts';

/** What the owner of one stream hears. */
export interface H2StreamHandler {
  /**
   * DATA received (`data` may be empty when it only ends the stream). `data` is a view of
   * received bytes that the connection never reuses: it may be kept without copying. Report
   * the bytes with consumed() once passed on, or the peer's window closes.
   */
  onData(data: Buffer, endStream: boolean): void;
  /** A trailer section: always the end of the peer's side of the stream. */
  onTrailers(fields: string[]): void;
  /**
   * The stream died: the peer reset it (its code), we found it malformed or in error (the
   * code we sent), or the connection ended (the GOAWAY code, or CANCEL when the socket closed:
   * then `socketClosed`). Not called for resetStream() calls of the owner.
   */
  onReset(code: number, socketClosed?: boolean): void;
  /** The stream's queued output went back under the bound after sendData() returned false. */
  onWritable(): void;
}

export interface H2ConnectionOwner {
  /**
   * Server role: a new request (pseudo-header fields first, validated per RFC 9113 8.3). Return
   * its handler, or null to ignore the stream's DATA (after answering or resetting it).
   */
  onRequest(id: number, fields: string[], endStream: boolean): H2StreamHandler | null;
  /** Server role: a request the connection reset as malformed (RST_STREAM PROTOCOL_ERROR); the owner logs it. */
  onMalformedRequest?(id: number): void;
  /** Client role: response HEADERS of a stream opened by request(); 1xx ones (not final) may come first. */
  onResponse?(id: number, fields: string[], endStream: boolean): void;
  /** The peer sent GOAWAY; in the client role, streams above lastStreamId were reset with REFUSED_STREAM first. */
  onGoaway(lastStreamId: number, code: number): void;
  /**
   * The socket closed; every stream still open got onReset first. `err`: the connection error
   * we detected (H2Error, also sent in a GOAWAY), the socket's error, or null.
   */
  onClose(err: Error | null): void;
}

const EMPTY = Buffer.alloc(0);
/** Output bytes beyond which no more DATA is moved into the socket and reading pauses. */
const SOCKET_HIGH_WATER = 256 * 1024;
/** Size of the output slabs frames are serialized into. */
const SLAB_SIZE = 32 * 1024;
/** DATA payload pieces up to this size are copied into the slab, larger ones written by reference. */
const COPY_MAX = 2048;
/** Streams the peer is assumed to accept before its SETTINGS arrive (as HAProxy). */
const DEFAULT_PEER_STREAMS = 100;
/** Time the socket is given to deliver the last frames after we ended it. */
const CLOSE_LINGER_MS = 2000;

/** sendOne() results. */
const STAY = 0;
const LEAVE = 1;
const CONN_BLOCKED = 2;

class H2Stream {
  readonly id: number;
  handler: H2StreamHandler | null;
  /** END_STREAM (or RST) received. */
  remoteClosed = false;
  /** END_STREAM sent. */
  localClosed = false;
  /** The owner ended its output: END_STREAM goes with the last queued DATA or the trailers. */
  endQueued = false;
  /** Removed from the connection. */
  closed = false;
  /** Server role: response HEADERS sent (a reset before them is an early reset). */
  answered = false;
  /** The request (server role) or the final response (client role) was received. */
  headersDone = false;
  /** Client role: a HEAD request, whose response's content-length says nothing of its DATA. */
  head = false;
  /** sendData() returned false: onWritable is due once the queue drains. */
  blocked = false;
  /** cancelAfterEnd(): RST_STREAM(CANCEL) follows our END_STREAM unless the peer ended its side. */
  cancelAtEnd = false;
  /** In the connection's list of streams with output to move. */
  ready = false;
  sendWindow: number;
  /** What the peer may still send under our window. */
  recvWindow: number;
  /** Consumed bytes not yet given back with a WINDOW_UPDATE. */
  recvUnacked = 0;
  /** Bytes handed to the owner and not yet reported consumed. */
  unconsumed = 0;
  /** The peer's content-length, NO_LENGTH when absent. */
  contentLength = NO_LENGTH;
  received = 0;
  readonly queue: Buffer[] = [];
  /** Bytes of queue[0] already sent. */
  queueOffset = 0;
  queued = 0;
  trailers: string[] | null = null;

  constructor(id: number, handler: H2StreamHandler | null, sendWindow: number, recvWindow: number) {
    this.id = id;
    this.handler = handler;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }
}

export class H2Connection {
  private readonly sock: ByteStream;
  private readonly owner: H2ConnectionOwner;
  private readonly settings: H2Settings;
  private readonly isServer: boolean;
  private readonly decoder: HpackDecoder;
  private readonly encoder: HpackEncoder;
  private readonly peer: PeerSettings = initialPeerSettings();
  private readonly streams = new Map<number, H2Stream>();

  /** Highest stream id the peer opened. */
  private lastPeerId = 0;
  /** Client role: the id of our next stream. */
  private nextLocalId = 1;

  private connSendWindow = DEFAULT_WINDOW;
  /** What the peer may still send on the connection. */
  private connRecvWindow = DEFAULT_WINDOW;
  /** The connection receive window we keep open; consumed bytes go back once half of it is used. */
  private readonly connWindow: number;
  /** Bytes consumed (or dropped) not yet given back on the connection. */
  private connRefund = 0;
  /** Receive window of new streams: the RFC's 65535 until the peer acknowledged our SETTINGS. */
  private streamRecvInitial: number;
  private settingsAcked = false;

  /** Server role: preface bytes still expected. */
  private prefaceLeft: number;
  /** The peer's first frame, which must be SETTINGS, is still to come. */
  private awaitingSettings = true;

  // Input: bytes of an incomplete frame, and how many are needed to go on.
  private readonly pending: Buffer[] = [];
  private pendingLength = 0;
  private pendingNeed = 0;
  private readonly fh: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0 };
  private inInput = false;
  /** Input processing stopped on the output bound, the rest waits in `pending`. */
  private held = false;

  // A header block being assembled from HEADERS + CONTINUATION frames.
  private blockStream = 0;
  private blockFlags = 0;
  private blockPriorityError = false;
  private readonly blockParts: Buffer[] = [];
  private blockLength = 0;
  private blockFrames = 0;

  // Output.
  private slab: Buffer = Buffer.allocUnsafe(SLAB_SIZE);
  private slabStart = 0;
  private slabPos = 0;
  private readonly out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private readonly ready: H2Stream[] = [];
  private readonly writable: H2Stream[] = [];
  private readingPaused = false;

  // Closing.
  private goawaySent = false;
  /** Highest peer stream id we still process after our GOAWAY. */
  private goawayLastId = MAX_STREAM_ID;
  /** The last stream id of the peer's GOAWAY, -1 before one. */
  private peerGoawayId = -1;
  /** No more frames are processed: a connection error, the end of the socket, or destroy(). */
  private closing = false;
  private ended = false;
  private finished = false;
  private error: Error | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;

  // Abuse budget (H2Settings.floodBurst / floodRate).
  private floodTokens: number;
  private floodTime = 0;

  private readonly onSockData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onSockEnd = (): void => this.peerEnded();
  private readonly onSockClose = (): void => this.finish();
  private readonly onSockError = (err: Error): void => {
    this.error ??= err;
  };
  private readonly onSockDrain = (): void => this.drained();
  private readonly flushBound = (): void => this.flush();
  private readonly destroyBound = (): void => this.destroy();
  private readonly resumeInputBound = (): void => this.resumeInput();

  constructor(sock: ByteStream, owner: H2ConnectionOwner, settings: H2Settings, role: 'server' | 'client') {
    this.sock = sock;
    this.owner = owner;
    this.settings = settings;
    this.isServer = role === 'server';
    this.prefaceLeft = this.isServer ? CLIENT_PREFACE.length : 0;
    this.decoder = new HpackDecoder(settings.headerTableSize, settings.maxHeaderListSize);
    this.encoder = new HpackEncoder();
    this.streamRecvInitial = Math.max(settings.initialWindowSize, DEFAULT_WINDOW);
    const streams = settings.maxConcurrentStreams || DEFAULT_PEER_STREAMS;
    this.connWindow = Math.min(MAX_WINDOW, Math.max(DEFAULT_WINDOW, settings.initialWindowSize * streams));
    this.floodTokens = settings.floodBurst;
  }

  /** Streams open (or half-closed) on the connection. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Client role: how many more streams request() may open now. */
  get availableStreams(): number {
    if (this.isServer || this.closing || this.goawaySent || this.peerGoawayId >= 0) return 0;
    const limit = this.peer.maxConcurrentStreams >= 0 ? this.peer.maxConcurrentStreams : DEFAULT_PEER_STREAMS;
    const ids = ((MAX_STREAM_ID - this.nextLocalId) >>> 1) + 1;
    return Math.max(0, Math.min(limit - this.streams.size, ids));
  }

  /**
   * Starts the connection: sends our preface (client role) and SETTINGS, then reads the socket.
   * `initial`: bytes already read from it (e.g. a preface the caller sniffed).
   */
  start(initial?: Buffer): void {
    const pairs = announcedSettings(this.settings, !this.isServer);
    const prefaceLength = this.isServer ? 0 : CLIENT_PREFACE.length;
    const grow = this.connWindow - DEFAULT_WINDOW;
    this.reserve(prefaceLength + settingsFrameLength(pairs.length / 2) + WINDOW_UPDATE_FRAME_LENGTH);
    if (!this.isServer) this.slabPos += CLIENT_PREFACE.copy(this.slab, this.slabPos);
    this.slabPos = writeSettings(this.slab, this.slabPos, pairs);
    if (grow > 0) {
      this.slabPos = writeWindowUpdate(this.slab, this.slabPos, 0, grow);
      this.connRecvWindow += grow;
    }
    const sock = this.sock;
    sock.on('data', this.onSockData);
    sock.on('end', this.onSockEnd);
    sock.on('close', this.onSockClose);
    sock.on('error', this.onSockError);
    sock.on('drain', this.onSockDrain);
    if (initial && initial.length > 0) this.receive(initial);
    else this.flush();
  }

  // ---- owner API ----------------------------------------------------------------------

  /** Server role: sends response HEADERS (fields start with ':status'); 1xx ones first if any. */
  respond(id: number, fields: readonly string[], endStream: boolean): void {
    const s = this.streams.get(id);
    if (!s || s.localClosed || s.endQueued || this.closing) return;
    s.answered = true;
    this.writeHeaderBlock(id, fields, endStream);
    if (endStream) {
      s.endQueued = true;
      this.localEnded(s);
    }
    this.schedule();
  }

  /**
   * Client role: opens a stream with request HEADERS. Returns its id, or -1 when no stream can
   * be opened (GOAWAY sent or received, ids exhausted, the peer's concurrency limit reached).
   */
  request(fields: readonly string[], endStream: boolean, handler: H2StreamHandler): number {
    if (this.availableStreams === 0) return -1;
    const id = this.nextLocalId;
    this.nextLocalId += 2;
    const s = new H2Stream(id, handler, this.peer.initialWindowSize, this.streamRecvInitial);
    s.head = isHeadRequest(fields);
    this.streams.set(id, s);
    this.writeHeaderBlock(id, fields, endStream);
    if (endStream) {
      s.endQueued = true;
      s.localClosed = true;
    }
    this.schedule();
    return id;
  }

  /**
   * Queues DATA (kept by reference: do not modify `data` afterwards); it leaves under the peer's
   * flow control. Returns false once the stream's queue exceeds H2Settings.streamBufferSize:
   * stop reading the source until the handler's onWritable().
   */
  sendData(id: number, data: Buffer, endStream: boolean): boolean {
    const s = this.streams.get(id);
    if (!s || s.endQueued || this.closing) return true;
    if (data.length > 0) {
      s.queue.push(data);
      s.queued += data.length;
    }
    if (endStream) s.endQueued = true;
    this.makeReady(s);
    this.schedule();
    if (s.queued <= this.settings.streamBufferSize) return true;
    s.blocked = true;
    return false;
  }

  /** Ends the stream's output with a trailer section (after the queued DATA). */
  sendTrailers(id: number, fields: string[]): void {
    const s = this.streams.get(id);
    if (!s || s.endQueued || this.closing) return;
    s.trailers = fields;
    s.endQueued = true;
    this.makeReady(s);
    this.schedule();
  }

  /** Resets a stream (RST_STREAM with `code`); its handler hears nothing more. */
  resetStream(id: number, code: number): void {
    const s = this.streams.get(id);
    if (!s || this.closing) return;
    this.writeRst(id, code);
    this.closeStream(s);
    this.schedule();
  }

  /**
   * The owner will read nothing more of the stream (a tunnel over or refused): once its output
   * has ended (END_STREAM sent), a peer still sending is told to stop with RST_STREAM(CANCEL).
   */
  cancelAfterEnd(id: number): void {
    const s = this.streams.get(id);
    if (!s || this.closing) return;
    s.cancelAtEnd = true;
    if (s.localClosed) {
      this.writeRst(id, H2Code.CANCEL);
      this.closeStream(s);
    }
  }

  /** The owner passed on n bytes of a stream's DATA: the windows reopen by as much. */
  consumed(id: number, n: number): void {
    const s = this.streams.get(id);
    if (!s || n <= 0) return;
    if (n > s.unconsumed) n = s.unconsumed;
    s.unconsumed -= n;
    this.connRefund += n;
    if (!s.remoteClosed) {
      s.recvUnacked += n;
      if (2 * s.recvUnacked >= this.settings.initialWindowSize) this.refundStream(s);
    }
    if (2 * this.connRefund >= this.connWindow) this.schedule();
  }

  /**
   * Sends GOAWAY. NO_ERROR is graceful: streams up to lastStreamId (default: the last the peer
   * opened) go on and the connection closes once they are done. Another code ends the
   * connection now, resetting every stream.
   */
  goaway(code: number, lastStreamId = this.lastPeerId): void {
    if (this.closing) return;
    if (code !== H2Code.NO_ERROR) {
      this.fail(new H2Error(code, 'connection closed locally'));
      return;
    }
    this.writeGoaway(lastStreamId, code);
    this.schedule();
    this.closeIfDone();
  }

  /** Closes the socket at once; open streams get onReset(CANCEL), then the owner onClose. */
  destroy(): void {
    this.closing = true;
    this.sock.destroy();
  }

  // ---- input --------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    let buf = chunk;
    if (this.pendingLength > 0) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      if (this.pendingLength < this.pendingNeed) return;
      buf = Buffer.concat(this.pending, this.pendingLength);
      this.pending.length = 0;
      this.pendingLength = 0;
    }
    this.inInput = true;
    this.held = false;
    let off = 0;
    try {
      if (this.prefaceLeft > 0) off = this.preface(buf);
      if (this.prefaceLeft === 0) off = this.frames(buf, off);
    } catch (e) {
      this.fail(e instanceof H2Error ? e : internalError(e));
    }
    this.inInput = false;
    if (!this.closing && off < buf.length) {
      this.pending.push(off === 0 ? buf : buf.subarray(off));
      this.pendingLength = buf.length - off;
    }
    this.flush();
    // Frames held back for the output bound: the rest once the socket drains, or next turn.
    if (this.held && !this.readingPaused) setImmediate(this.resumeInputBound);
  }

  private resumeInput(): void {
    if (this.pendingLength > 0 && !this.readingPaused) this.receive(EMPTY);
  }

  /** Checks the client preface; returns the offset after what it used. */
  private preface(buf: Buffer): number {
    const done = CLIENT_PREFACE.length - this.prefaceLeft;
    const n = Math.min(this.prefaceLeft, buf.length);
    if (CLIENT_PREFACE.compare(buf, 0, n, done, done + n) !== 0) {
      throw new H2Error(H2Code.PROTOCOL_ERROR, 'invalid connection preface');
    }
    this.prefaceLeft -= n;
    this.pendingNeed = FRAME_HEADER_LENGTH;
    return n;
  }

  /** Processes the complete frames of `buf` from `off`; returns the offset of the first incomplete one. */
  private frames(buf: Buffer, off: number): number {
    const fh = this.fh;
    const maxFrame = this.settings.maxFrameSize;
    while (!this.closing) {
      if (this.outBytes > SOCKET_HIGH_WATER) {
        // A peer sending faster than it reads our answers (PING, SETTINGS...): stop here.
        this.held = true;
        this.pendingNeed = 0;
        break;
      }
      const avail = buf.length - off;
      if (avail < FRAME_HEADER_LENGTH) {
        this.pendingNeed = FRAME_HEADER_LENGTH;
        break;
      }
      readFrameHeader(buf, off, fh);
      if (fh.length > maxFrame) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'frame larger than SETTINGS_MAX_FRAME_SIZE');
      const total = FRAME_HEADER_LENGTH + fh.length;
      if (avail < total) {
        this.pendingNeed = total;
        break;
      }
      this.frame(buf, off + FRAME_HEADER_LENGTH, fh.length, fh.type, fh.flags, fh.streamId);
      off += total;
    }
    return off;
  }

  private frame(buf: Buffer, p: number, length: number, type: number, flags: number, sid: number): void {
    if (this.blockStream !== 0 && (type !== FrameType.CONTINUATION || sid !== this.blockStream)) {
      throw new H2Error(H2Code.PROTOCOL_ERROR, 'header block interrupted');
    }
    if (this.awaitingSettings) {
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) {
        throw new H2Error(H2Code.PROTOCOL_ERROR, 'the first frame is not SETTINGS');
      }
      this.awaitingSettings = false;
    }
    switch (type) {
      case FrameType.DATA:
        this.dataFrame(buf, p, length, flags, sid);
        break;
      case FrameType.HEADERS:
        this.headersFrame(buf, p, length, flags, sid);
        break;
      case FrameType.PRIORITY:
        this.priorityFrame(buf, p, length, sid);
        break;
      case FrameType.RST_STREAM:
        this.rstFrame(buf, p, length, sid);
        break;
      case FrameType.SETTINGS:
        this.settingsFrame(buf, p, length, flags, sid);
        break;
      case FrameType.PUSH_PROMISE:
        // Clients may not push; servers may not either, we announced ENABLE_PUSH 0.
        throw new H2Error(H2Code.PROTOCOL_ERROR, 'PUSH_PROMISE received');
      case FrameType.PING:
        this.pingFrame(buf, p, length, flags, sid);
        break;
      case FrameType.GOAWAY:
        this.goawayFrame(buf, p, length, sid);
        break;
      case FrameType.WINDOW_UPDATE:
        this.windowUpdateFrame(buf, p, length, sid);
        break;
      case FrameType.CONTINUATION:
        this.continuationFrame(buf, p, length, flags);
        break;
      default:
        // Unknown frame types are ignored (5.5), within the abuse budget.
        this.glitch();
    }
  }

  private dataFrame(buf: Buffer, p: number, length: number, flags: number, sid: number): void {
    if (sid === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'DATA on stream 0');
    const pad = padding(buf, p, length, flags);
    if (length > this.connRecvWindow) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.connRecvWindow -= length;
    const s = this.streams.get(sid);
    if (!s) {
      if (this.isIdle(sid)) throw new H2Error(H2Code.PROTOCOL_ERROR, 'DATA on an idle stream');
      // A stream we closed (reset, refused): its DATA may still be in flight.
      this.connRefund += length;
      this.glitch();
      return;
    }
    if (s.remoteClosed) {
      this.connRefund += length;
      this.streamError(s, H2Code.STREAM_CLOSED);
      return;
    }
    if (length > s.recvWindow) {
      this.connRefund += length;
      this.streamError(s, H2Code.FLOW_CONTROL_ERROR);
      return;
    }
    s.recvWindow -= length;
    const start = p + (pad >>> 8);
    const size = length - (pad >>> 8) - (pad & 0xff);
    // Padding is consumed at once.
    const padBytes = length - size;
    if (padBytes > 0) {
      this.connRefund += padBytes;
      s.recvUnacked += padBytes;
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (size === 0 && !endStream) this.glitch();
    s.received += size;
    if (s.contentLength >= 0 && (s.received > s.contentLength || (endStream && s.received !== s.contentLength))) {
      this.connRefund += size;
      this.streamError(s, H2Code.PROTOCOL_ERROR);
      return;
    }
    if (endStream) s.remoteClosed = true;
    const h = s.handler;
    if (h) {
      s.unconsumed += size;
      h.onData(buf.subarray(start, start + size), endStream);
    } else {
      this.connRefund += size;
      s.recvUnacked += size;
    }
    if (endStream) this.remoteEnded(s);
    else if (2 * s.recvUnacked >= this.settings.initialWindowSize && !s.closed) this.refundStream(s);
  }

  private headersFrame(buf: Buffer, p: number, length: number, flags: number, sid: number): void {
    if (sid === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const pad = padding(buf, p, length, flags);
    let start = p + (pad >>> 8);
    const end = p + length - (pad & 0xff);
    let priorityError = false;
    if ((flags & Flag.PRIORITY) !== 0) {
      if (end - start < PRIORITY_LENGTH) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'HEADERS too short for its priority');
      priorityError = priorityDependency(buf, start) === sid;
      start += PRIORITY_LENGTH;
    }
    if (end - start > this.settings.maxHeaderBlockSize) throw new H2Error(H2Code.COMPRESSION_ERROR, 'header block too large');
    const fragment = buf.subarray(start, end);
    if ((flags & Flag.END_HEADERS) !== 0) {
      this.headerBlock(sid, fragment, flags, priorityError);
      return;
    }
    this.blockStream = sid;
    this.blockFlags = flags;
    this.blockPriorityError = priorityError;
    this.blockParts.push(fragment);
    this.blockLength = fragment.length;
    this.blockFrames = 0;
  }

  private continuationFrame(buf: Buffer, p: number, length: number, flags: number): void {
    if (this.blockStream === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    if (++this.blockFrames > this.settings.maxContinuations) {
      throw new H2Error(H2Code.ENHANCE_YOUR_CALM, 'too many CONTINUATION frames');
    }
    this.blockLength += length;
    if (this.blockLength > this.settings.maxHeaderBlockSize) throw new H2Error(H2Code.COMPRESSION_ERROR, 'header block too large');
    this.blockParts.push(buf.subarray(p, p + length));
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.blockParts, this.blockLength);
    const sid = this.blockStream;
    this.blockParts.length = 0;
    this.blockStream = 0;
    this.headerBlock(sid, block, this.blockFlags, this.blockPriorityError);
  }

  /** A complete header block: decoded whatever becomes of the stream, to keep HPACK in step. */
  private headerBlock(sid: number, block: Buffer, flags: number, priorityError: boolean): void {
    const fields: string[] = [];
    try {
      this.decoder.decode(block, fields);
    } catch (e) {
      if (e instanceof HpackError) throw new H2Error(H2Code.COMPRESSION_ERROR, e.message);
      throw e;
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const s = this.streams.get(sid);
    if (s) {
      if (priorityError) this.streamError(s, H2Code.PROTOCOL_ERROR);
      else if (s.remoteClosed) this.streamError(s, H2Code.STREAM_CLOSED);
      else if (this.isServer || s.headersDone) this.trailers(s, fields, endStream);
      else this.response(s, fields, endStream);
      return;
    }
    if (!this.isServer || (sid & 1) === 0) {
      // Only clients open streams (no push): a server's HEADERS need a stream of ours.
      if (this.isIdle(sid)) throw new H2Error(H2Code.PROTOCOL_ERROR, 'HEADERS on an idle stream');
      this.glitch();
      return;
    }
    if (sid <= this.lastPeerId) {
      // A stream we closed: its trailers, or a reused id.
      this.glitch();
      this.writeRst(sid, H2Code.STREAM_CLOSED);
      return;
    }
    this.lastPeerId = sid;
    if (this.goawaySent && sid > this.goawayLastId) return;
    if (priorityError) {
      this.writeRst(sid, H2Code.PROTOCOL_ERROR);
      return;
    }
    const length = validateRequest(fields, this.settings.enableConnectProtocol);
    if (length === MALFORMED) {
      this.glitch();
      this.writeRst(sid, H2Code.PROTOCOL_ERROR);
      this.owner.onMalformedRequest?.(sid);
      return;
    }
    if (this.settings.maxConcurrentStreams !== 0 && this.streams.size >= this.settings.maxConcurrentStreams) {
      this.glitch();
      this.writeRst(sid, H2Code.REFUSED_STREAM);
      return;
    }
    const s2 = new H2Stream(sid, null, this.peer.initialWindowSize, this.streamRecvInitial);
    s2.contentLength = length;
    s2.headersDone = true;
    s2.remoteClosed = endStream;
    if (endStream && length > 0) {
      this.writeRst(sid, H2Code.PROTOCOL_ERROR);
      return;
    }
    this.streams.set(sid, s2);
    const handler = this.owner.onRequest(sid, fields, endStream);
    if (s2.closed) return;
    s2.handler = handler;
    if (endStream) this.remoteEnded(s2);
  }

  /** Client role: response HEADERS. */
  private response(s: H2Stream, fields: string[], endStream: boolean): void {
    const length = validateResponse(fields);
    if (length === MALFORMED) {
      this.streamError(s, H2Code.PROTOCOL_ERROR);
      return;
    }
    const status = responseStatus(fields);
    if (status < 200) {
      // 101 does not exist in HTTP/2 (8.6); an interim response never ends the stream.
      if (status === 101 || endStream) {
        this.streamError(s, H2Code.PROTOCOL_ERROR);
        return;
      }
      this.owner.onResponse?.(s.id, fields, false);
      return;
    }
    s.headersDone = true;
    if (!s.head && status !== 304 && status !== 204) s.contentLength = length;
    if (endStream && s.contentLength > 0) {
      this.streamError(s, H2Code.PROTOCOL_ERROR);
      return;
    }
    if (endStream) s.remoteClosed = true;
    this.owner.onResponse?.(s.id, fields, endStream);
    if (endStream && !s.closed) this.remoteEnded(s);
  }

  private trailers(s: H2Stream, fields: string[], endStream: boolean): void {
    if (!endStream || !validateTrailers(fields) || (s.contentLength >= 0 && s.received !== s.contentLength)) {
      this.streamError(s, H2Code.PROTOCOL_ERROR);
      return;
    }
    s.remoteClosed = true;
    s.handler?.onTrailers(fields);
    if (!s.closed) this.remoteEnded(s);
  }

  private priorityFrame(buf: Buffer, p: number, length: number, sid: number): void {
    if (sid === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'PRIORITY on stream 0');
    this.glitch();
    if (length !== PRIORITY_LENGTH) {
      this.streamErrorById(sid, H2Code.FRAME_SIZE_ERROR);
      return;
    }
    // Priorities are not used (RFC 9113 deprecates them), only checked.
    if (priorityDependency(buf, p) === sid) this.streamErrorById(sid, H2Code.PROTOCOL_ERROR);
  }

  private rstFrame(buf: Buffer, p: number, length: number, sid: number): void {
    if (sid === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (length !== RST_STREAM_LENGTH) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'RST_STREAM of a wrong size');
    const s = this.streams.get(sid);
    if (!s) {
      if (this.isIdle(sid)) throw new H2Error(H2Code.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
      return;
    }
    // Rapid reset (CVE-2023-44487): streams cancelled before we could answer them cost us work.
    if (this.isServer && !s.answered) this.glitch();
    const code = buf.readUInt32BE(p);
    this.closeStream(s);
    s.handler?.onReset(code);
  }

  private settingsFrame(buf: Buffer, p: number, length: number, flags: number, sid: number): void {
    if (sid !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if ((flags & Flag.ACK) !== 0) {
      if (length !== 0) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      if (!this.settingsAcked) this.ourSettingsAcked();
      return;
    }
    this.glitch();
    const peer = this.peer;
    const oldWindow = peer.initialWindowSize;
    const oldTable = peer.headerTableSize;
    // A server may only announce ENABLE_PUSH 0 (6.5.2); its initial value 1 means nothing here.
    if (!this.isServer) peer.enablePush = false;
    decodeSettings(buf, p, length, peer);
    if (!this.isServer && peer.enablePush) throw new H2Error(H2Code.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH from a server');
    if (peer.initialWindowSize !== oldWindow) {
      const delta = peer.initialWindowSize - oldWindow;
      for (const s of this.streams.values()) {
        s.sendWindow += delta;
        if (s.sendWindow > MAX_WINDOW) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'stream window above 2^31-1');
        if (delta > 0 && s.sendWindow > 0) this.makeReady(s);
      }
    }
    if (peer.headerTableSize !== oldTable) this.encoder.setPeerMaxTableSize(peer.headerTableSize);
    this.reserve(SETTINGS_ACK_LENGTH);
    this.slabPos = writeSettingsAck(this.slab, this.slabPos);
    this.schedule();
  }

  /** The peer applies our SETTINGS from now on: new streams get our window, open ones move to it. */
  private ourSettingsAcked(): void {
    this.settingsAcked = true;
    const delta = this.settings.initialWindowSize - this.streamRecvInitial;
    this.streamRecvInitial = this.settings.initialWindowSize;
    if (delta !== 0) for (const s of this.streams.values()) s.recvWindow += delta;
  }

  private pingFrame(buf: Buffer, p: number, length: number, flags: number, sid: number): void {
    if (sid !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'PING on a stream');
    if (length !== PING_LENGTH) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'PING of a wrong size');
    if ((flags & Flag.ACK) !== 0) return;
    this.glitch();
    this.reserve(PING_FRAME_LENGTH);
    this.slabPos = writePing(this.slab, this.slabPos, true, buf, p);
    this.schedule();
  }

  private goawayFrame(buf: Buffer, p: number, length: number, sid: number): void {
    if (sid !== 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (length < GOAWAY_MIN_LENGTH) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'GOAWAY too short');
    const last = buf.readUInt32BE(p) & MAX_STREAM_ID;
    const code = buf.readUInt32BE(p + 4);
    this.peerGoawayId = this.peerGoawayId < 0 ? last : Math.min(this.peerGoawayId, last);
    if (!this.isServer) {
      // Our streams above the last one were not processed: the owner may retry them elsewhere.
      for (const s of [...this.streams.values()]) {
        if (s.id > last && !s.closed) {
          this.closeStream(s);
          s.handler?.onReset(H2Code.REFUSED_STREAM);
        }
      }
    }
    this.owner.onGoaway(last, code);
    this.closeIfDone();
  }

  private windowUpdateFrame(buf: Buffer, p: number, length: number, sid: number): void {
    if (length !== WINDOW_UPDATE_LENGTH) throw new H2Error(H2Code.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of a wrong size');
    const inc = buf.readUInt32BE(p) & MAX_WINDOW;
    if (sid === 0) {
      if (inc === 0) throw new H2Error(H2Code.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the connection');
      if (this.connSendWindow + inc > MAX_WINDOW) throw new H2Error(H2Code.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      const wasBlocked = this.connSendWindow <= 0;
      this.connSendWindow += inc;
      if (wasBlocked && this.ready.length > 0) this.schedule();
      return;
    }
    const s = this.streams.get(sid);
    if (!s) {
      if (this.isIdle(sid)) throw new H2Error(H2Code.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
      if (inc === 0) this.glitch();
      return;
    }
    if (inc === 0) {
      this.streamError(s, H2Code.PROTOCOL_ERROR);
      return;
    }
    if (s.sendWindow + inc > MAX_WINDOW) {
      this.streamError(s, H2Code.FLOW_CONTROL_ERROR);
      return;
    }
    s.sendWindow += inc;
    if (s.sendWindow > 0 && (s.queued > 0 || s.endQueued)) {
      this.makeReady(s);
      this.schedule();
    }
  }

  /** Whether `sid` was never opened (5.1: idle), by the peer or by us. */
  private isIdle(sid: number): boolean {
    const peerOpens = this.isServer ? (sid & 1) === 1 : (sid & 1) === 0;
    return peerOpens ? sid > this.lastPeerId : sid >= this.nextLocalId;
  }

  /** One unit of the abuse budget; an empty budget is a connection error. */
  private glitch(): void {
    const now = performance.now();
    const s = this.settings;
    this.floodTokens = Math.min(s.floodBurst, this.floodTokens + ((now - this.floodTime) * s.floodRate) / 1000) - 1;
    this.floodTime = now;
    if (this.floodTokens < 0) throw new H2Error(H2Code.ENHANCE_YOUR_CALM, 'too many frames without effect');
  }

  // ---- stream life ----------------------------------------------------------------------

  /** The peer's side ended: the stream closes if ours has too. */
  private remoteEnded(s: H2Stream): void {
    if (s.localClosed) this.closeStream(s);
  }

  /** Our END_STREAM went out. */
  private localEnded(s: H2Stream): void {
    s.localClosed = true;
    if (s.remoteClosed) this.closeStream(s);
    else if (s.cancelAtEnd) {
      this.writeRst(s.id, H2Code.CANCEL);
      this.closeStream(s);
    }
  }

  private closeStream(s: H2Stream): void {
    if (s.closed) return;
    s.closed = true;
    s.remoteClosed = true;
    s.localClosed = true;
    this.streams.delete(s.id);
    // The owner will not report these bytes any more.
    this.connRefund += s.unconsumed;
    s.unconsumed = 0;
    s.queue.length = 0;
    s.queued = 0;
    this.closeIfDone();
  }

  /** Stream error (5.4.2): RST_STREAM, and the handler hears of it. */
  private streamError(s: H2Stream, code: number): void {
    this.writeRst(s.id, code);
    this.closeStream(s);
    s.handler?.onReset(code);
  }

  private streamErrorById(sid: number, code: number): void {
    const s = this.streams.get(sid);
    if (s) this.streamError(s, code);
    else this.writeRst(sid, code);
  }

  private refundStream(s: H2Stream): void {
    const n = s.recvUnacked;
    s.recvUnacked = 0;
    s.recvWindow += n;
    this.reserve(WINDOW_UPDATE_FRAME_LENGTH);
    this.slabPos = writeWindowUpdate(this.slab, this.slabPos, s.id, n);
    this.schedule();
  }

  // ---- output -------------------------------------------------------------------------

  /** Makes room for n bytes in the slab. */
  private reserve(n: number): void {
    this.outBytes += n;
    if (this.slab.length - this.slabPos >= n) return;
    this.cut();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, n));
    this.slabStart = 0;
    this.slabPos = 0;
  }

  /** Moves the slab's bytes written since the last cut to the output list. */
  private cut(): void {
    if (this.slabPos === this.slabStart) return;
    this.out.push(this.slab.subarray(this.slabStart, this.slabPos));
    this.slabStart = this.slabPos;
  }

  private writeRst(sid: number, code: number): void {
    this.reserve(RST_STREAM_FRAME_LENGTH);
    this.slabPos = writeRstStream(this.slab, this.slabPos, sid, code);
    this.schedule();
  }

  private writeGoaway(lastStreamId: number, code: number): void {
    this.goawaySent = true;
    this.goawayLastId = Math.min(this.goawayLastId, lastStreamId);
    this.reserve(goawayFrameLength(null));
    this.slabPos = writeGoaway(this.slab, this.slabPos, this.goawayLastId, code, null);
  }

  /** Encodes and writes a header block now: blocks must reach the peer in encoding order. */
  private writeHeaderBlock(sid: number, fields: readonly string[], endStream: boolean): void {
    const block = this.encoder.encode(fields);
    this.reserve(headerFramesLength(block.length, this.peer.maxFrameSize));
    this.slabPos = writeHeaders(this.slab, this.slabPos, sid, block, endStream, this.peer.maxFrameSize);
  }

  private makeReady(s: H2Stream): void {
    if (s.ready || s.closed) return;
    s.ready = true;
    this.ready.push(s);
  }

  private schedule(): void {
    if (this.flushScheduled || this.inInput) return;
    this.flushScheduled = true;
    setImmediate(this.flushBound);
  }

  /** Moves DATA from the ready streams, then writes everything out in one go. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.finished || this.sock.destroyed) return;
    let more = false;
    if (!this.closing) {
      if (this.ready.length > 0 && !this.readingPaused) more = this.pullData();
      if (2 * this.connRefund >= this.connWindow) {
        const n = this.connRefund;
        this.connRefund = 0;
        this.connRecvWindow += n;
        this.reserve(WINDOW_UPDATE_FRAME_LENGTH);
        this.slabPos = writeWindowUpdate(this.slab, this.slabPos, 0, n);
      }
    }
    this.cut();
    const out = this.out;
    const sock = this.sock;
    this.outBytes = 0;
    // The list is emptied before writing: a write may run the peer, and us again, at once.
    if (out.length === 1) {
      const b = out[0]!;
      out.length = 0;
      sock.write(b);
    } else if (out.length > 1) {
      const list = out.splice(0);
      sock.cork();
      for (let i = 0; i < list.length; i++) sock.write(list[i]);
      sock.uncork();
    }
    if (!this.readingPaused && sock.writableLength > SOCKET_HIGH_WATER) {
      // The peer does not read: stop reading it too (and moving DATA) until the socket drains.
      this.readingPaused = true;
      sock.pause();
    }
    // Written without waiting (the socket took it all): go on next turn.
    if (more && !this.readingPaused) this.schedule();
    if (this.writable.length > 0) this.notifyWritable();
    if (this.ended && !this.lingerTimer) this.endSocket();
  }

  private drained(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    if (!this.closing) this.sock.resume();
    this.flush();
    this.resumeInput();
  }

  /**
   * Round-robin over the ready streams, one frame each per pass. Returns true when it stopped
   * on the output bound with DATA still movable.
   */
  private pullData(): boolean {
    const ready = this.ready;
    const limit = SOCKET_HIGH_WATER - this.sock.writableLength;
    while (ready.length > 0) {
      if (this.outBytes >= limit) return true;
      let kept = 0;
      let blocked = false;
      for (let i = 0; i < ready.length; i++) {
        const s = ready[i]!;
        // Once the connection window is spent, only streams ending without DATA may go on.
        const r = s.closed ? LEAVE : blocked && s.queued > 0 ? STAY : this.sendOne(s);
        if (r === CONN_BLOCKED) blocked = true;
        if (r === LEAVE) s.ready = false;
        else ready[kept++] = s;
      }
      ready.length = kept;
      if (blocked) break;
    }
    return false;
  }

  /** Sends one frame of a stream's output: DATA under the windows, or what ends the stream. */
  private sendOne(s: H2Stream): number {
    if (s.queued > 0) {
      if (s.sendWindow <= 0) return LEAVE;
      if (this.connSendWindow <= 0) return CONN_BLOCKED;
      const n = Math.min(s.queued, s.sendWindow, this.connSendWindow, this.peer.maxFrameSize);
      const end = n === s.queued && s.endQueued && s.trailers === null;
      this.writeData(s, n, end);
      s.sendWindow -= n;
      this.connSendWindow -= n;
      if (s.blocked && s.queued <= this.settings.streamBufferSize) {
        s.blocked = false;
        this.writable.push(s);
      }
      if (end) {
        this.localEnded(s);
        return LEAVE;
      }
      return s.queued > 0 ? STAY : s.endQueued ? STAY : LEAVE;
    }
    if (s.endQueued && !s.localClosed) {
      const t = s.trailers;
      if (t) {
        s.trailers = null;
        this.writeHeaderBlock(s.id, t, true);
      } else {
        this.reserve(FRAME_HEADER_LENGTH);
        this.slabPos = writeFrameHeader(this.slab, this.slabPos, 0, FrameType.DATA, Flag.END_STREAM, s.id);
      }
      this.localEnded(s);
    }
    return LEAVE;
  }

  /** Writes a DATA frame of the next n queued bytes. */
  private writeData(s: H2Stream, n: number, end: boolean): void {
    this.reserve(FRAME_HEADER_LENGTH);
    this.slabPos = writeFrameHeader(this.slab, this.slabPos, n, FrameType.DATA, end ? Flag.END_STREAM : 0, s.id);
    s.queued -= n;
    const q = s.queue;
    while (n > 0) {
      const head = q[0]!;
      const from = s.queueOffset;
      const take = Math.min(head.length - from, n);
      if (take <= COPY_MAX) {
        this.reserve(take);
        this.slabPos += head.copy(this.slab, this.slabPos, from, from + take);
      } else {
        this.cut();
        this.out.push(from === 0 && take === head.length ? head : head.subarray(from, from + take));
        this.outBytes += take;
      }
      n -= take;
      if (from + take === head.length) {
        q.shift();
        s.queueOffset = 0;
      } else s.queueOffset = from + take;
    }
  }

  private notifyWritable(): void {
    const list = this.writable.splice(0);
    for (const s of list) if (!s.closed) s.handler?.onWritable();
  }

  // ---- closing ------------------------------------------------------------------------

  /** After a GOAWAY either way, the connection ends once no stream is left. */
  private closeIfDone(): void {
    if (this.streams.size > 0 || this.ended || (!this.goawaySent && this.peerGoawayId < 0)) return;
    this.ended = true;
    this.schedule();
  }

  /** Connection error (5.4.1): GOAWAY with the code, every stream reset, the socket ended. */
  private fail(err: H2Error): void {
    if (this.closing) return;
    this.error = err;
    this.blockParts.length = 0;
    this.blockStream = 0;
    this.writeGoaway(this.lastPeerId, err.code);
    this.closing = true;
    this.ended = true;
    this.resetAll(err.code, false);
    this.schedule();
  }

  private resetAll(code: number, socketClosed: boolean): void {
    if (this.streams.size === 0) return;
    const list = [...this.streams.values()];
    for (const s of list) this.closeStream(s);
    for (const s of list) s.handler?.onReset(code, socketClosed);
  }

  /** Ends our side once the output is flushed, and closes the socket if the peer does not. */
  private endSocket(): void {
    this.sock.end();
    this.lingerTimer = setTimeout(this.destroyBound, CLOSE_LINGER_MS);
    this.lingerTimer.unref();
  }

  /** The peer ended its side: nothing more can arrive, streams still waiting for input die. */
  private peerEnded(): void {
    if (!this.closing) {
      this.closing = true;
      this.resetAll(H2Code.CANCEL, true);
    }
    this.ended = true;
    this.flush();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.resetAll(H2Code.CANCEL, true);
    const sock = this.sock;
    sock.off('data', this.onSockData);
    sock.off('end', this.onSockEnd);
    sock.off('drain', this.onSockDrain);
    this.owner.onClose(this.error);
  }
}

function internalError(e: unknown): H2Error {
  const err = new H2Error(H2Code.INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
  err.cause = e;
  return err;
}
