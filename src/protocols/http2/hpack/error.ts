// Errors of the HPACK decoder. Any HpackError leaves the connection's decoding context unusable
// (RFC 9113 4.3: a connection error of type COMPRESSION_ERROR), except HpackListTooLargeError.

export class HpackError extends Error {
  override name = 'HpackError';
}

/**
 * The decoded header list exceeds the decoder's maxListSize. The whole block was still decoded, so the
 * dynamic table stays in sync: the connection may refuse just this stream (RFC 9113 10.5.1) and keep going.
 */
export class HpackListTooLargeError extends HpackError {
  override name = 'HpackListTooLargeError';
}
