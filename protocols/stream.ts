/**
 * Every framed protocol has an incremental decoder: feed it chunks of any size, it returns the whole
 * messages completed so far. It never allocates more than `maxMessageBytes` for one message and throws a
 * ProtocolError ('FRAME_TOO_LARGE', 'FRAME_MALFORMED', 'PLIST_MALFORMED', …) on bad input.
 * After an error the decoder is unusable (the stream is out of sync).
 */
export interface IncrementalDecoder<T> {
  push(chunk: Uint8Array): T[];
  /** Bytes received but not yet part of a returned message. */
  readonly pending: number;
  /** Call at end of stream: throws ProtocolError('STREAM_TRUNCATED') if a partial message is buffered. */
  finish(): void;
}

/**
 * Base for decoders: once a push has thrown, every later call rethrows that error (the stream is out of sync and
 * must not be read on by accident).
 */
export abstract class FailFastDecoder {
  private failure: unknown = undefined;
  private failed = false;

  protected guard<T>(fn: () => T): T {
    if (this.failed) throw this.failure;
    try {
      return fn();
    } catch (e) {
      this.failed = true;
      this.failure = e;
      throw e;
    }
  }
}
