// HPACK (RFC 7541) for Turnpike's HTTP/2 layer.
export { HpackDecoder } from './decoder.ts';
export { HpackEncoder, type HpackEncoderOptions } from './encoder.ts';
export { HpackError, HpackListTooLargeError } from './error.ts';
