// The chunked transfer coding (RFC 9112 section 7.1) as HAProxy 2.6 reads it (h1_parse_chunk_size,
// h1_skip_chunk_crlf): 1 to 13 significant hex digits (sizes up to 2^52-1), optional SP/HT,
// extensions after ';' ignored, CRLF or bare LF line ends, trailers parsed as header fields.
// The decoder is incremental and delivers data as views of the fed buffer.
import { HttpHeaders } from './message.ts';
import { CR, LF, SEMI, hexValue, isSpHt } from './chars.ts';
import { parseTrailerBlock, DEFAULT_MAX_HEADERS, type H1Error } from './parser.ts';
import { headerLines, type CaseAdjust } from './serialize.ts';

export interface ChunkedSink {
  onChunkData(data: Buffer): void;
  /** Called before the decoder is done when the message has trailers (not for an empty trailer section). */
  onTrailers(trailers: HttpHeaders): void;
}

/** 2^52: HAProxy refuses chunk sizes that would not fit a float's integer range. */
const MAX_CHUNK = 0x10000000000000;

const S_SIZE = 0; // hex digits
const S_SIZE_SP = 1; // SP/HT after the digits
const S_EXT = 2; // chunk extension, up to the line end
const S_SIZE_LF = 3; // CR seen at the end of the size line
const S_DATA = 4;
const S_DATA_END = 5; // CRLF after the data
const S_DATA_LF = 6; // CR seen after the data
const S_TRAILERS = 7;
const S_DONE = 8;
const S_ERROR = 9;

export class ChunkedDecoder {
  private readonly sink: ChunkedSink;
  private readonly maxTrailers: number;
  private readonly errorStatus: number;
  private state = S_SIZE;
  private digits = 0;
  private size = 0;
  private remaining = 0;
  /** Bytes of the current size line, bounded like the trailers. */
  private lineLen = 0;
  /** Bytes consumed since reset(), for error offsets. */
  private pos = 0;
  private trailerParts: Buffer[] = [];
  private trailerLen = 0;
  private trailerStart = 0;
  /** Trailer scanning: at the start of a line, and whether that line began with CR. */
  private lineStart = true;
  private startCr = false;
  private err: H1Error | null = null;

  /**
   * `maxTrailers` bounds the trailer section and a chunk-size line in bytes (tune.bufsize);
   * errors carry `errorStatus` (400 for requests; pass 502 when decoding a response).
   */
  constructor(sink: ChunkedSink, maxTrailers: number, errorStatus = 400) {
    this.sink = sink;
    this.maxTrailers = maxTrailers;
    this.errorStatus = errorStatus;
  }

  get done(): boolean {
    return this.state === S_DONE;
  }

  get error(): H1Error | null {
    return this.err;
  }

  /** Reuse for the next message. */
  reset(): void {
    this.state = S_SIZE;
    this.digits = 0;
    this.size = 0;
    this.remaining = 0;
    this.lineLen = 0;
    this.pos = 0;
    this.trailerParts = [];
    this.trailerLen = 0;
    this.trailerStart = 0;
    this.lineStart = true;
    this.startCr = false;
    this.err = null;
  }

  /**
   * Consumes from buf; returns bytes consumed. Stops right after the final CRLF (done = true)
   * so the caller keeps pipelined bytes. On error returns -1 and sets `error`.
   */
  feed(buf: Buffer): number {
    if (this.state === S_ERROR) return -1;
    const n = buf.length;
    let i = 0;
    while (i < n && this.state !== S_DONE) {
      const st = this.state;
      if (st === S_DATA) {
        const take = Math.min(this.remaining, n - i);
        this.sink.onChunkData(buf.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = S_DATA_END;
        continue;
      }
      if (st === S_TRAILERS) {
        const r = this.scanTrailers(buf, i);
        if (r < 0) return -1;
        i = r;
        continue;
      }
      const c = buf[i]!;
      if (st <= S_SIZE_LF && ++this.lineLen > this.maxTrailers) return this.fail(i, 'chunk-size line too long');
      switch (st) {
        case S_SIZE: {
          const d = hexValue(c);
          if (d >= 0) {
            this.size = this.size * 16 + d;
            this.digits++;
            if (this.size >= MAX_CHUNK) return this.fail(i, 'chunk size too large');
            break;
          }
          if (this.digits === 0) return this.fail(i, 'missing chunk size');
          this.state = S_SIZE_SP;
          continue; // look at this byte again
        }
        case S_SIZE_SP:
          if (isSpHt(c)) break;
          if (c === SEMI) this.state = S_EXT;
          else if (c === CR) this.state = S_SIZE_LF;
          else if (c === LF) this.endSizeLine();
          else return this.fail(i, 'invalid character after chunk size');
          break;
        case S_EXT:
          if (c === CR) this.state = S_SIZE_LF;
          else if (c === LF) this.endSizeLine();
          break;
        case S_SIZE_LF:
          if (c !== LF) return this.fail(i, 'CR not followed by LF in chunk-size line');
          this.endSizeLine();
          break;
        case S_DATA_END:
          if (c === CR) this.state = S_DATA_LF;
          else if (c === LF) this.nextChunk();
          else return this.fail(i, 'missing CRLF after chunk data');
          break;
        case S_DATA_LF:
          if (c !== LF) return this.fail(i, 'missing CRLF after chunk data');
          this.nextChunk();
          break;
      }
      i++;
    }
    this.pos += i;
    return i;
  }

  private endSizeLine(): void {
    if (this.size === 0) {
      this.state = S_TRAILERS;
      this.lineStart = true;
    } else {
      this.remaining = this.size;
      this.state = S_DATA;
    }
  }

  private nextChunk(): void {
    this.state = S_SIZE;
    this.size = 0;
    this.digits = 0;
    this.lineLen = 0;
  }

  /** Scans trailer bytes from `i` for the empty line; returns the next offset, or -1 on error. */
  private scanTrailers(buf: Buffer, i: number): number {
    const from = i;
    const n = buf.length;
    if (this.trailerLen === 0) this.trailerStart = this.pos + from;
    let end = -1;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (this.startCr) {
        if (c !== LF) return this.fail(i, 'CR not followed by LF in trailers');
        end = i + 1;
        break;
      }
      if (this.lineStart) {
        if (c === LF) {
          end = i + 1;
          break;
        }
        if (c === CR) this.startCr = true;
        else this.lineStart = false;
      } else if (c === LF) this.lineStart = true;
    }
    const stop = end < 0 ? n : end;
    this.trailerLen += stop - from;
    if (this.trailerLen > this.maxTrailers) return this.fail(stop - 1, 'trailers too large');
    if (end < 0) {
      // The caller may reuse its buffer: keep a copy.
      this.trailerParts.push(Buffer.from(buf.subarray(from, n)));
      return n;
    }
    this.state = S_DONE;
    if (this.trailerLen <= 2) return end; // only the empty line: no trailers
    this.trailerParts.push(buf.subarray(from, end));
    const block = Buffer.concat(this.trailerParts);
    this.trailerParts = [];
    const trailers = new HttpHeaders();
    const e = parseTrailerBlock(block, trailers, DEFAULT_MAX_HEADERS, this.errorStatus);
    if (e !== null) {
      this.state = S_ERROR;
      this.err = { status: e.status, reason: e.reason, offset: this.trailerStart + e.offset };
      return -1;
    }
    this.sink.onTrailers(trailers);
    return end;
  }

  private fail(i: number, reason: string): -1 {
    this.state = S_ERROR;
    this.err = { status: this.errorStatus, reason, offset: this.pos + i };
    return -1;
  }
}

/** "<HEX>\r\n" for a chunk of n bytes (HAProxy writes the size in upper-case hex). */
export function chunkHeader(n: number): Buffer {
  return Buffer.from(`${n.toString(16).toUpperCase()}\r\n`, 'latin1');
}

export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

export function lastChunkWithTrailers(trailers: HttpHeaders, adjust: CaseAdjust | null = null): Buffer {
  if (trailers.length === 0) return LAST_CHUNK;
  return Buffer.from(`0\r\n${headerLines(trailers, adjust)}\r\n`, 'latin1');
}
