// Lockdown framing (protocol-reference.md §3.1), also used by notification_proxy, installation_proxy and
// DeviceLink: u32be length + plist body.
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './errors.js';
import { decodePlist, encodePlist } from './plist/index.js';
import type { PlistFormat, PlistValue } from './plist/index.js';
import { FailFastDecoder } from './stream.js';
import type { IncrementalDecoder } from './stream.js';

export const LOCKDOWN_DEFAULT_MAX_FRAME = 64 * 1024 * 1024;

/** `u32be length` + payload, in one buffer. */
export function encodeLengthPrefixed(payload: Uint8Array): Buffer {
  if (payload.byteLength > 0xffffffff) throw new ProtocolError('FRAME_TOO_LARGE', 'frame payload exceeds 4 GiB');
  const out = Buffer.allocUnsafe(4 + payload.byteLength);
  out.writeUInt32BE(payload.byteLength, 0);
  out.set(payload, 4);
  return out;
}

export function encodeLockdownFrame(value: PlistValue, format: PlistFormat = 'xml'): Buffer {
  return encodeLengthPrefixed(encodePlist(value, format));
}

/**
 * Splits a stream of `u32be length + payload` frames into raw payloads (views when a frame arrived in one chunk).
 * The plist-decoding LockdownFrameDecoder is built on it.
 */
export class LengthPrefixedDecoder extends FailFastDecoder implements IncrementalDecoder<Buffer> {
  private readonly queue = new ByteQueue();
  private readonly maxFrameBytes: number;
  /** Payload length of the frame whose prefix has been read; -1 while waiting for a prefix. */
  private need = -1;

  constructor(opts: { maxFrameBytes?: number } = {}) {
    super();
    this.maxFrameBytes = opts.maxFrameBytes ?? LOCKDOWN_DEFAULT_MAX_FRAME;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Returns at most `maxMessages` payloads; further bytes stay buffered. */
  push(chunk: Uint8Array, maxMessages = Infinity): Buffer[] {
    return this.pushMapped(chunk, maxMessages, (body) => body);
  }

  /**
   * As push, but each payload is passed through `map` as soon as it is complete, before the next frame header is
   * looked at — so errors surface in stream order however the input was chunked. An error thrown by `map` also
   * leaves the decoder failed.
   */
  pushMapped<T>(chunk: Uint8Array, maxMessages: number, map: (payload: Buffer) => T): T[] {
    return this.guard(() => {
      this.queue.push(chunk);
      const out: T[] = [];
      while (out.length < maxMessages) {
        if (this.need < 0) {
          if (this.queue.length < 4) break;
          const length = this.queue.readUInt32BE(0);
          if (length > this.maxFrameBytes) {
            throw new ProtocolError('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
          }
          this.need = length;
        }
        if (this.queue.length < 4 + this.need) break;
        this.queue.skip(4);
        const payload = this.queue.take(this.need);
        this.need = -1;
        out.push(map(payload));
      }
      return out;
    });
  }

  /** Remove and return the buffered bytes that are not part of a returned frame. */
  rest(): Buffer {
    return this.guard(() => {
      this.need = -1;
      return this.queue.takeAll();
    });
  }

  finish(): void {
    this.guard(() => {
      if (this.queue.length > 0) {
        throw new ProtocolError('STREAM_TRUNCATED', `stream ended inside a frame (${this.queue.length} bytes buffered)`);
      }
    });
  }
}

/** Decode one frame body; any failure of the plist decoder becomes a ProtocolError. */
export function decodeFramePlist(body: Uint8Array, maxBytes: number = LOCKDOWN_DEFAULT_MAX_FRAME): PlistValue {
  try {
    return decodePlist(body, { maxBytes });
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('PLIST_MALFORMED', `frame body is not a valid plist: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

export class LockdownFrameDecoder implements IncrementalDecoder<PlistValue> {
  private readonly frames: LengthPrefixedDecoder;
  private readonly maxFrameBytes: number;

  constructor(opts: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? LOCKDOWN_DEFAULT_MAX_FRAME;
    this.frames = new LengthPrefixedDecoder({ maxFrameBytes: this.maxFrameBytes });
  }

  get pending(): number {
    return this.frames.pending;
  }

  /**
   * Returns at most `maxMessages` whole messages; further bytes stay buffered. Protocols that switch to a raw
   * stream after a message (mobilebackup2 uploads) pass 1 and then take the leftover bytes with `rest()`.
   */
  push(chunk: Uint8Array, maxMessages = Infinity): PlistValue[] {
    return this.frames.pushMapped(chunk, maxMessages, (body) => decodeFramePlist(body, this.maxFrameBytes));
  }

  /** Remove and return the buffered bytes that are not part of a returned message. */
  rest(): Buffer {
    return this.frames.rest();
  }

  finish(): void {
    this.frames.finish();
  }
}
