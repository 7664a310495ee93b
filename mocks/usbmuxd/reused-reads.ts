// Server-side sockets whose reads land in one reused buffer. Node offers this (`onread`) only when it creates the
// socket for a client; for accepted connections the simulator moves the connection's handle into a socket made
// with `onread`. Without it, every socket read of a restore (12.5 GB on `photos`) was a new 64 KiB Buffer, and
// freeing them was much of the simulator's CPU.
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Size of the buffer every read of a connection lands in (a read takes what the kernel has, up to this). */
const READ_BUFFER_BYTES = 1024 * 1024;

/**
 * The reads of a socket made by `withReusedReads`. Normally each read is copied into a Buffer of its own and
 * pushed to the socket's readable side, so the socket behaves like any other. `take()` hands the next read to
 * the caller as a view into the reused buffer; the socket then stops reading until the next `take()` (or
 * `release()`), so the view stays valid until then. `release()` goes back to the normal reads.
 */
export interface ReusedReads {
  /** The next bytes as a view (valid until the next take or release), or null at the end of the stream. */
  take(): Promise<Buffer | null>;
  /** Done taking: reading starts again, into owned Buffers pushed to the readable side. */
  release(): void;
}

const registry = new WeakMap<Duplex, ReusedReads>();

/** The reused reads of a socket made by `withReusedReads`, or undefined for any other stream. */
export function reusedReadsOf(stream: Duplex): ReusedReads | undefined {
  return registry.get(stream);
}

interface HandleOwner {
  _handle?: unknown;
}

/**
 * Moves an accepted connection (from a server made with `pauseOnConnect`, so nothing has been read yet) into a
 * new socket that reads into one reused buffer. Relies on the socket's internal `_handle`; where that is missing
 * the socket is returned as it is, reading as usual.
 */
export function withReusedReads(accepted: net.Socket): net.Socket {
  const handle = (accepted as unknown as HandleOwner)._handle;
  if (handle === undefined || handle === null) {
    accepted.resume();
    return accepted;
  }
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let waiter: ((view: Buffer | null) => void) | undefined;
  let failed: Error | undefined;
  let ended = false;
  const socket: net.Socket = new net.Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (n: number): boolean => {
        const view = buffer.subarray(0, n);
        if (waiter) {
          const w = waiter;
          waiter = undefined;
          w(view);
          return false; // the taker uses the view; the next read waits for its next take()
        }
        return socket.push(Buffer.from(view));
      },
    },
  } as net.SocketConstructorOpts);
  // The accepted socket no longer owns the connection: its destroy only ends the server's count of it.
  (accepted as unknown as HandleOwner)._handle = null;
  accepted.destroy();

  const settle = (): void => {
    const w = waiter;
    waiter = undefined;
    w?.(null);
  };
  const finished = (): void => {
    ended = true;
    settle();
  };
  socket.once('end', finished);
  socket.once('close', finished);
  socket.on('error', (err) => {
    failed = err;
    settle();
  });

  registry.set(socket, {
    take() {
      if (failed) return Promise.reject(failed);
      // Bytes already pushed (read before the first take) come first; they are owned copies.
      const buffered = socket.read() as Buffer | null;
      if (buffered !== null) return Promise.resolve(buffered);
      if (ended) return Promise.resolve(null);
      return new Promise<Buffer | null>((resolve, reject) => {
        waiter = (view) => (view === null && failed ? reject(failed) : resolve(view));
        // net.Socket's resume() starts a stopped read of an `onread` socket (not just the flowing mode).
        socket.resume();
      });
    },
    release() {
      socket.resume();
    },
  });
  return socket;
}
