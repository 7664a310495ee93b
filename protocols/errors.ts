/**
 * Errors with a stable machine-readable `code` and a message a person can act on.
 * Every layer (protocols, src, mocks) throws subclasses of CodedError.
 */
export class CodedError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Codes used by the pure codecs in protocols/. */
export type ProtocolErrorCode =
  | 'PLIST_MALFORMED' // bytes are not a valid XML or binary plist
  | 'PLIST_UNSUPPORTED' // a value that cannot be encoded (null, NaN as integer, function, …)
  | 'PLIST_TOO_LARGE' // document exceeds the decoder's size/object/depth limits
  | 'FRAME_TOO_LARGE' // a length prefix larger than the decoder's maximum message size
  | 'FRAME_MALFORMED' // a header/field that cannot be right (bad magic, length < header, …)
  | 'STREAM_TRUNCATED' // the stream ended in the middle of a message
  | 'MESSAGE_INVALID'; // a well-formed plist that is not the message the protocol requires

export class ProtocolError extends CodedError {
  declare readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
