import type { Duplex } from 'node:stream';
import { IBackupError } from '../../errors.js';

/** The reader pauses the socket while this much received data waits for its consumer, and resumes below half. */
export const READ_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * A raw-stream consumer: gets every chunk until it returns the bytes that follow the stream. When `reused` is true
 * the chunk is a view into memory that is read into again once the returned promise settles: keep nothing that
 * refers to it. Otherwise the chunk is the consumer's to keep (writes may be gathered across chunks).
 */
export type RawConsumer = (chunk: Buffer, reused: boolean) => Promise<Buffer | undefined>;

/** What DeviceLinkConnection reads from: chunks for message decoding, and a raw-stream mode. */
export interface ByteReader {
  /** The next chunk (owned: it may be kept), or null at end of stream. */
  next(signal?: AbortSignal): Promise<Buffer | null>;
  /** Put bytes back in front of the stream. */
  unshift(bytes: Buffer): void;
  /** Feed `consume` until it returns the leftover bytes, which are put back (see RawConsumer). */
  readRaw(consume: RawConsumer, signal?: AbortSignal): Promise<void>;
}

export function connectionLostInTransfer(): IBackupError {
  return new IBackupError('DEVICE_DISCONNECTED', 'The device closed the connection in the middle of a file transfer.', {
    hint: 'Keep the device connected and unlocked, then run the backup again. The previous backup is unchanged.',
  });
}

export function connectionFailed(failure: Error): IBackupError {
  return new IBackupError('DEVICE_DISCONNECTED', `The connection to the device failed: ${failure.message}`, {
    cause: failure,
    hint: 'Check the cable (or the network connection) and that the device is unlocked, then try again.',
  });
}

/**
 * Received chunks waiting for their consumer, with bounded read-ahead: once READ_AHEAD_BYTES wait, the subclass
 * stops reading (`stopReading`), and it is asked to start again (`startReading`) when the queue is below half.
 * Bytes can be pushed back (`unshift`) when a protocol switches between framed messages and raw streams.
 */
export abstract class QueuedChunks {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private stopped = false;
  private ended = false;
  protected failure: Error | undefined;
  /** The pending `next()`, waiting for a chunk. */
  private waiter: { resolve: () => void; reject: (reason: unknown) => void } | undefined;
  private watched: Duplex | undefined;
  /**
   * The abort signal `next()` last waited with. Its one listener stays registered between waits (until another
   * signal is used or the stream ends): adding and removing an EventTarget listener for every chunk cost ≈ 10 %
   * of the main thread when a service-TLS stream delivers 16 KiB records one by one.
   */
  private abortSignal: AbortSignal | undefined;
  private readonly onAbort = (): void => {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.abortSignal?.reason);
  };

  /** Watch the stream's end and errors (the chunks themselves arrive through `enqueue`). */
  protected watch(stream: Duplex, lost?: () => void): void {
    this.watched = stream;
    const finished = (): void => {
      this.ended = true;
      this.listenForAbort(undefined);
      this.wakeUp();
      lost?.();
    };
    stream.on('end', finished);
    stream.on('close', finished);
    stream.on('error', (err: Error) => {
      this.failure ??= err;
      this.wakeUp();
      lost?.();
    });
  }

  /** The stream ended, closed or was destroyed: nothing more will arrive. */
  protected get gone(): boolean {
    return this.ended || this.watched?.destroyed === true;
  }

  protected abstract stopReading(): void;
  protected abstract startReading(): void;

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }

  private listenForAbort(signal: AbortSignal | undefined): void {
    if (signal === this.abortSignal) return;
    this.abortSignal?.removeEventListener('abort', this.onAbort);
    this.abortSignal = signal;
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Queue a received chunk; false when reading was stopped because the read-ahead is full. */
  protected enqueue(b: Buffer): boolean {
    this.queue.push(b);
    this.queuedBytes += b.length;
    this.wakeUp();
    if (this.queuedBytes < READ_AHEAD_BYTES) return true;
    if (!this.stopped) {
      this.stopped = true;
      this.stopReading();
    }
    return false;
  }

  /** Take the first queued chunk (restarting reading once the queue is below half). */
  protected shift(): Buffer | undefined {
    const chunk = this.queue.shift();
    if (chunk) {
      this.queuedBytes -= chunk.length;
      if (this.stopped && this.queuedBytes < READ_AHEAD_BYTES / 2) {
        this.stopped = false;
        this.startReading();
      }
    }
    return chunk;
  }

  /** Put bytes back in front of the stream; the next `next()` returns them first. */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.queue.unshift(bytes);
    this.queuedBytes += bytes.length;
  }

  /** The next chunk, or null at end of stream. Rejects on a socket error or when `signal` aborts. */
  async next(signal?: AbortSignal): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.shift();
      if (chunk) return chunk;
      if (this.failure) throw connectionFailed(this.failure);
      if (this.gone) return null;
      signal?.throwIfAborted();
      this.listenForAbort(signal);
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    }
  }
}

/**
 * Reading from a Duplex ('data' events) with bounded read-ahead: the socket flows (no stop/start per chunk) until
 * READ_AHEAD_BYTES wait unconsumed, then it is paused, so a caller that is busy (e.g. writing to disk) leaves the
 * rest in the kernel and TCP flow control slows the sender.
 */
export class ChunkReader extends QueuedChunks implements ByteReader {
  constructor(private readonly stream: Duplex) {
    super();
    stream.on('data', (chunk: Buffer | string) => {
      this.enqueue(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    });
    this.watch(stream);
  }

  protected stopReading(): void {
    this.stream.pause();
  }

  protected startReading(): void {
    this.stream.resume();
  }

  /** Chunks from 'data' events are never reused, so `consume` may even keep them. */
  async readRaw(consume: RawConsumer, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const chunk = await this.next(signal);
      if (chunk === null) throw connectionLostInTransfer();
      const rest = await consume(chunk, false);
      if (rest !== undefined) {
        this.unshift(rest);
        return;
      }
    }
  }
}

/**
 * Write with backpressure: resolves once the stream accepted the bytes (after 'drain' if its buffer was full).
 * Several pieces are written corked, so they leave in one system call (and one TLS record run) instead of one each.
 * With `queueUpTo`, it resolves at once while no more than that many bytes wait in the stream (the caller bounds
 * its memory itself, e.g. with `onReleased`), so it can prepare the next bytes while these are being sent.
 */
export async function writeWithBackpressure(
  stream: Duplex,
  bytes: Uint8Array | readonly Uint8Array[],
  signal?: AbortSignal,
  /** Called once the stream is done with the bytes (handed to the kernel, or failed): their memory may be reused. */
  onReleased?: () => void,
  queueUpTo = 0,
): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    onReleased?.(); // never handed to the stream: the caller may reuse the memory at once
    throw new IBackupError('DEVICE_DISCONNECTED', 'The connection to the device is closed.', {
      hint: 'Check the cable (or the network connection) and try again.',
    });
  }
  const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
  let accepted = true;
  stream.cork();
  try {
    // Writes complete in order, so the last one's callback means every piece is released.
    pieces.forEach((piece, i) => {
      accepted = i === pieces.length - 1 && onReleased ? stream.write(piece, () => onReleased()) : stream.write(piece);
    });
  } finally {
    stream.uncork();
  }
  if (accepted || stream.writableLength <= queueUpTo) return;
  signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new IBackupError('DEVICE_DISCONNECTED', 'The device closed the connection while data was being sent.'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new IBackupError('DEVICE_DISCONNECTED', `The connection to the device failed: ${err.message}`, { cause: err }));
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason);
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
