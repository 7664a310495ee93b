import type { Duplex } from 'node:stream';
import type { DirectReads } from '../../transport/index.js';
import { connectionFailed, connectionLostInTransfer, QueuedChunks, type ByteReader, type RawConsumer } from './chunk-reader.js';

/**
 * ByteReader over a socket with direct reads (one reused receive buffer, transport/direct-reads.ts). Messages are
 * read from owned copies, as with ChunkReader; a raw stream (file data) is handed to its consumer as views into
 * the receive buffer, so a multi-GB upload allocates nothing per read. Reading stops while the consumer works on
 * a view, and the kernel's socket buffer holds what arrives meanwhile.
 */
export class DirectChunkReader extends QueuedChunks implements ByteReader {
  /** Set while a raw stream is read: gets every read. */
  private raw: ((view: Buffer) => boolean) | undefined;
  /** Set while a raw stream is read: the connection ended or failed. */
  private rawLost: (() => void) | undefined;

  constructor(
    stream: Duplex,
    private readonly direct: DirectReads,
  ) {
    super();
    for (const b of direct.attach((view) => (this.raw ? this.raw(view) : this.enqueue(Buffer.from(view))))) this.enqueue(b);
    this.watch(stream, () => this.rawLost?.());
  }

  // Reading stops when the sink returns false (enqueue says so), and starts again here.
  protected stopReading(): void {}

  protected startReading(): void {
    this.direct.resume();
  }

  async readRaw(consume: RawConsumer, signal?: AbortSignal): Promise<void> {
    // Copies that arrived before the stream started (they are owned, but go through the same consumer).
    for (let chunk = this.shift(); chunk !== undefined; chunk = this.shift()) {
      const rest = await consume(chunk, false);
      if (rest !== undefined) {
        this.unshift(rest);
        return;
      }
    }
    if (this.failure) throw connectionFailed(this.failure);
    if (this.gone) throw connectionLostInTransfer();
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
        consume(view, true).then(
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
      this.direct.resume();
    });
  }
}
