import type { Duplex } from 'node:stream';
import {
  CodedError,
  LOCKDOWN_DEFAULT_MAX_FRAME,
  LockdownFrameDecoder,
  encodeLockdownFrame,
  type PlistFormat,
  type PlistValue,
} from '../../protocols/index.js';
import { StreamReader, closeStream, writeAll } from './stream-reader.js';
import { TransportError, malformedError } from './errors.js';
import type { WaitOptions } from './deadline.js';

export interface PlistConnectionOptions {
  /** Names the peer in error messages ("lockdownd", "notification_proxy", …). */
  what: string;
  /** Encoding of what we send (default XML, as libimobiledevice sends). */
  format?: PlistFormat;
  maxFrameBytes?: number;
}

/**
 * A request/response connection of `u32be length + plist` frames (lockdown, notification_proxy,
 * installation_proxy) over any Duplex. Every wait has a timeout and an AbortSignal; a timeout, abort or malformed
 * frame destroys the stream, because the conversation can no longer be trusted to be in step.
 */
export class PlistConnection {
  private reader: StreamReader;
  private decoder: LockdownFrameDecoder;
  readonly what: string;
  readonly format: PlistFormat;
  readonly maxFrameBytes: number;

  constructor(
    private current: Duplex,
    opts: PlistConnectionOptions,
  ) {
    this.what = opts.what;
    this.format = opts.format ?? 'xml';
    this.maxFrameBytes = opts.maxFrameBytes ?? LOCKDOWN_DEFAULT_MAX_FRAME;
    this.reader = new StreamReader(current, this.what);
    this.decoder = new LockdownFrameDecoder({ maxFrameBytes: this.maxFrameBytes });
  }

  get stream(): Duplex {
    return this.current;
  }

  get closed(): boolean {
    return this.current.destroyed;
  }

  /** Continue the conversation over a new stream that wraps the old one (TLS). */
  replaceStream(stream: Duplex): void {
    this.current = stream;
    this.reader = new StreamReader(stream, this.what);
  }

  async send(value: PlistValue, opts: WaitOptions = {}): Promise<void> {
    let frame: Buffer;
    try {
      frame = encodeLockdownFrame(value, this.format);
    } catch (err) {
      throw new TransportError('MALFORMED_REPLY', `${this.what}: cannot encode the request (${(err as Error).message})`, { cause: err });
    }
    try {
      await writeAll(this.current, frame, `sending to ${this.what}`, opts);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  async receive(opts: WaitOptions = {}): Promise<PlistValue> {
    try {
      const header = await this.reader.readExact(4, opts);
      if (this.decoder.push(header).length !== 0) throw new TransportError('MALFORMED_REPLY', `${this.what}: unexpected framing state`);
      const length = header.readUInt32BE(0);
      const body = await this.reader.readExact(length, opts);
      const messages = this.decoder.push(body, 1);
      const first = messages[0];
      if (messages.length !== 1 || first === undefined) {
        throw new TransportError('MALFORMED_REPLY', `${this.what}: a frame did not decode to exactly one message`);
      }
      return first;
    } catch (err) {
      this.destroy();
      if (err instanceof TransportError) throw err;
      if (err instanceof CodedError) throw malformedError(this.what, err);
      throw err;
    }
  }

  async request(value: PlistValue, opts: WaitOptions = {}): Promise<PlistValue> {
    await this.send(value, opts);
    return this.receive(opts);
  }

  destroy(): void {
    if (!this.current.destroyed) this.current.destroy();
  }

  /** Ends the stream politely (TLS close_notify when it is TLS) and releases it. */
  close(graceMs?: number): Promise<void> {
    return closeStream(this.current, graceMs);
  }
}
