import type { Duplex } from 'node:stream';
import type { DirectReads } from '../../transport/index.js';
import { connectionFailed, connectionLostInTransfer, READ_AHEAD_BYTES, type ByteReader, type RawConsumer } from './chunk-reader.js';

/**
 * ByteReader over a socket with direct reads (one reused receive buffer, transport/direct-reads.ts). Messages are
 * read from owned copies, as with ChunkReader; a raw stream (file data) is handed to its consumer as views into
 * the receive buffer, so a multi-GB upload allocates nothing per read. Reading stops while the consumer works on
 * a view, and the kernel's socket buffer holds what arrives meanwhile.
 */
export class DirectChunkReader implements ByteReader {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Reading stopped because READ_AHEAD_BYTES of copies wait. */
  private full = false;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Set while a raw stream is read: gets every read. */
  private raw: ((view: Buffer) => boolean) | undefined;
  /** Set while a raw stream is read: the connection ended or failed. */
  private rawLost: (() => void) | undefined;

  constructor(
    stream: Duplex,
    private readonly direct: DirectReads,
  ) {
    for (const b of direct.attach((view) => this.onRead(view))) this.enqueue(b);
    const lost = (): void => {
      this.wakeUp();
      this.rawLost?.();
    };
    stream.on('end', () => {
      this.ended = true;
      lost();
    });
    stream.on('close', () => {
      this.ended = true;
      lost();
    });
    stream.on('error', (err: Error) => {
      this.failure ??= err;
      lost();
    });
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private enqueue(b: Buffer): void {
    this.queue.push(b);
    this.queuedBytes += b.length;
  }

  private onRead(view: Buffer): boolean {
    if (this.raw) return this.raw(view);
    this.enqueue(Buffer.from(view));
    this.wakeUp();
    if (this.queuedBytes < READ_AHEAD_BYTES) return true;
    this.full = true;
    return false;
  }

  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.queue.unshift(bytes);
    this.queuedBytes += bytes.length;
  }

  async next(signal?: AbortSignal): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        this.queuedBytes -= chunk.length;
        if (this.full && this.queuedBytes < READ_AHEAD_BYTES / 2) {
          this.full = false;
          this.direct.resume();
        }
        return chunk;
      }
      if (this.failure) throw connectionFailed(this.failure);
      if (this.ended) return null;
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.wake = undefined;
          reject(signal?.reason);
        };
        this.wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  async readRaw(consume: RawConsumer, signal?: AbortSignal): Promise<void> {
    // Copies that arrived before the stream started (they are owned, but go through the same consumer).
    while (this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      const rest = await consume(chunk);
      if (rest !== undefined) {
        this.unshift(rest);
        return;
      }
    }
    if (this.failure) throw connectionFailed(this.failure);
    if (this.ended) throw connectionLostInTransfer();
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        this.raw = undefined;
        this.rawLost = undefined;
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) reject(err);
        else resolve();
      };
      const onAbort = (): void => finish(signal?.reason);
      this.rawLost = () => finish(this.failure ? connectionFailed(this.failure) : connectionLostInTransfer());
      this.raw = (view) => {
        consume(view).then(
          (rest) => {
            if (settled) return;
            // Back to messages: the bytes after the stream are copied before the buffer is read into again.
            if (rest !== undefined) {
              this.unshift(Buffer.from(rest));
              finish();
            }
            this.direct.resume();
          },
          (err: unknown) => finish(err),
        );
        // Stop reading: the next read would overwrite `view` while the consumer may still use it.
        return false;
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.full = false;
      this.direct.resume();
    });
  }
}
