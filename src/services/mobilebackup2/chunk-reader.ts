import type { Duplex } from 'node:stream';
import { IBackupError } from '../../errors.js';

/**
 * Pull-based reading from a Duplex: bytes are only taken from the socket when the caller asks for them, so a
 * caller that is busy (e.g. writing to disk) leaves the data in the kernel and TCP flow control slows the sender.
 * Bytes can be pushed back (`unshift`) when a protocol switches between framed messages and raw streams.
 */
export class ChunkReader {
  private readonly pushedBack: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly stream: Duplex) {
    const wakeUp = (): void => {
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    stream.on('readable', wakeUp);
    stream.on('end', () => {
      this.ended = true;
      wakeUp();
    });
    stream.on('close', () => {
      this.ended = true;
      wakeUp();
    });
    stream.on('error', (err: Error) => {
      this.failure ??= err;
      wakeUp();
    });
  }

  /** Put bytes back in front of the stream; the next `next()` returns them first. */
  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.pushedBack.unshift(bytes);
  }

  /** The next chunk, or null at end of stream. Rejects on a socket error or when `signal` aborts. */
  async next(signal?: AbortSignal): Promise<Buffer | null> {
    for (;;) {
      const back = this.pushedBack.shift();
      if (back) return back;
      if (this.failure) {
        throw new IBackupError('DEVICE_DISCONNECTED', `The connection to the device failed: ${this.failure.message}`, {
          cause: this.failure,
          hint: 'Check the cable (or the network connection) and that the device is unlocked, then try again.',
        });
      }
      const chunk = this.stream.read() as Buffer | string | null;
      if (chunk !== null) return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (this.ended || this.stream.destroyed) return null;
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
}

/** Write with backpressure: resolves once the stream accepted the bytes (after 'drain' if its buffer was full). */
export async function writeWithBackpressure(stream: Duplex, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    throw new IBackupError('DEVICE_DISCONNECTED', 'The connection to the device is closed.', {
      hint: 'Check the cable (or the network connection) and try again.',
    });
  }
  if (stream.write(bytes)) return;
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
