import type { Duplex } from 'node:stream';
import { TransportError, closedError } from './errors.js';
import { withDeadline, type WaitOptions } from './deadline.js';

/**
 * Reads exact byte counts from a stream in paused mode (`stream.read(n)`), so bytes beyond what a caller asked for
 * stay in the stream — e.g. a usbmuxd Connect reply followed by the first bytes of the device's service.
 */
export class StreamReader {
  private ended = false;
  private failure: Error | undefined;

  constructor(
    readonly stream: Duplex,
    readonly what: string,
  ) {
    stream.once('end', () => {
      this.ended = true;
    });
    stream.once('close', () => {
      this.ended = true;
    });
    stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /** Resolves with exactly `n` bytes; rejects with CONNECTION_CLOSED, TIMEOUT or ABORTED. */
  readExact(n: number, opts: WaitOptions = {}): Promise<Buffer> {
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    const stream = this.stream;
    return withDeadline<Buffer>(this.what, opts, (resolve, reject) => {
      const attempt = (): boolean => {
        const chunk = stream.read(n) as Buffer | null;
        if (chunk !== null) {
          if (chunk.length < n) {
            reject(
              new TransportError('CONNECTION_CLOSED', `${this.what}: the connection closed in the middle of a message`, {
                hint: 'The device may have been unplugged or rebooted; reconnect it and try again.',
              }),
            );
          } else resolve(chunk);
          return true;
        }
        if (this.failure || this.ended || stream.destroyed || stream.readableEnded) {
          reject(closedError(this.what, this.failure));
          return true;
        }
        return false;
      };
      if (attempt()) return () => undefined;
      const onEvent = (): void => {
        attempt();
      };
      const onError = (err: Error): void => {
        this.failure ??= err;
        attempt();
      };
      stream.on('readable', onEvent);
      stream.on('end', onEvent);
      stream.on('close', onEvent);
      stream.on('error', onError);
      return () => {
        stream.off('readable', onEvent);
        stream.off('end', onEvent);
        stream.off('close', onEvent);
        stream.off('error', onError);
      };
    });
  }
}

/** Writes `data` and resolves once it is handed to the OS (or rejects on error/timeout/abort). */
export function writeAll(stream: Duplex, data: Uint8Array, what: string, opts: WaitOptions = {}): Promise<void> {
  return withDeadline<void>(what, opts, (resolve, reject) => {
    if (stream.destroyed || stream.writableEnded) {
      reject(closedError(what));
      return () => undefined;
    }
    const onClose = (): void => reject(closedError(what));
    stream.once('close', onClose);
    stream.write(data, (err) => {
      if (err) reject(closedError(what, err));
      else resolve();
    });
    return () => stream.off('close', onClose);
  });
}

/**
 * Ends a stream politely (for TLS: close_notify, then FIN), waits up to `graceMs` for it to close, then destroys it.
 * Never rejects.
 */
export function closeStream(stream: Duplex, graceMs = 1000): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('close', done);
      stream.off('finish', onFinish);
      stream.off('error', onError);
      if (!stream.destroyed) stream.destroy();
      resolve();
    };
    const onFinish = (): void => done();
    const onError = (): void => done();
    const timer = setTimeout(done, graceMs);
    stream.once('close', done);
    stream.once('finish', onFinish);
    stream.once('error', onError);
    try {
      if (stream.writableEnded) done();
      else stream.end();
    } catch {
      done();
    }
  });
}
