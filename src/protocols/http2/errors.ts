// HTTP/2 error codes (RFC 9113 section 7) and the error type the frame and connection layers
// throw: a connection error ends the connection with GOAWAY, a stream error resets one stream.

export const H2Code = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const NAMES: readonly string[] = Object.keys(H2Code);

/** The RFC's name of a code ("PROTOCOL_ERROR"), or "0x.." for codes it does not define. */
export function h2CodeName(code: number): string {
  return NAMES[code] ?? `0x${code.toString(16)}`;
}

/**
 * A protocol violation. `streamId` 0 is a connection error (GOAWAY, the connection ends);
 * another id is a stream error (RST_STREAM on that stream, the connection goes on).
 */
export class H2Error extends Error {
  readonly code: number;
  readonly streamId: number;

  constructor(code: number, message: string, streamId = 0) {
    super(message);
    this.name = 'H2Error';
    this.code = code;
    this.streamId = streamId;
  }

  get isConnectionError(): boolean {
    return this.streamId === 0;
  }
}
