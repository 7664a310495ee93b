// A lockdown-framed plist conversation (u32be length + plist) over any duplex stream, as lockdownd,
// notification_proxy, installation_proxy and friends speak it. Requests are handled one at a time, in order;
// each reply goes out in ONE write (libimobiledevice 1.3.0 reads a frame's length with a single recv).
import type { Duplex } from 'node:stream';
import { LockdownFrameDecoder, encodeLockdownFrame, type PlistValue } from '../protocols/index.js';

export type PlistMessageHandler = (message: PlistValue) => void | Promise<void>;

export interface PlistChannelOptions {
  onMessage: PlistMessageHandler;
  /** Called once when the stream ends, closes or sends bytes that are not a frame. */
  onClose?: (err?: unknown) => void;
  maxFrameBytes?: number;
}

export class PlistChannel {
  private stream: Duplex;
  private decoder: LockdownFrameDecoder;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private ending = false;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.shutdown();
  private readonly onError = (err: Error): void => this.shutdown(err);

  constructor(
    stream: Duplex,
    private readonly opts: PlistChannelOptions,
  ) {
    this.stream = stream;
    this.decoder = new LockdownFrameDecoder({ maxFrameBytes: opts.maxFrameBytes ?? 4 * 1024 * 1024 });
    this.attach(stream);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get current(): Duplex {
    return this.stream;
  }

  /** Encodes `value` as one frame and writes it in one write. */
  send(value: PlistValue): boolean {
    if (this.closed || this.stream.destroyed) return false;
    return this.stream.write(encodeLockdownFrame(value, 'xml'));
  }

  /**
   * Stops reading from the current stream and continues on `next` (e.g. the TLS socket wrapping it).
   * Call synchronously right after the reply that announces the switch, before the peer can send more.
   */
  switchTo(next: Duplex): void {
    this.detach(this.stream);
    this.decoder = new LockdownFrameDecoder({ maxFrameBytes: this.opts.maxFrameBytes ?? 4 * 1024 * 1024 });
    this.stream = next;
    this.attach(next);
  }

  /** Ends the stream after the replies already written; onClose runs when it has closed. */
  close(): void {
    this.ending = true;
    if (!this.stream.destroyed) this.stream.end();
    else this.shutdown();
  }

  private attach(s: Duplex): void {
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('close', this.onEnd);
    s.on('error', this.onError);
  }

  private detach(s: Duplex): void {
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onEnd);
    s.off('error', this.onError);
    // A stream without an 'error' listener would crash the process on a late reset.
    s.on('error', () => undefined);
  }

  private receive(chunk: Buffer): void {
    if (this.closed || this.ending) return;
    let messages: PlistValue[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      this.stream.destroy();
      this.shutdown(err);
      return;
    }
    for (const m of messages) {
      this.chain = this.chain
        .then(() => (this.closed || this.ending ? undefined : this.opts.onMessage(m)))
        .catch((err: unknown) => {
          this.stream.destroy();
          this.shutdown(err);
        });
    }
  }

  private shutdown(err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.onClose?.(err);
  }
}
