import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Size of the one receive buffer a direct-read socket reuses for every read. */
export const DIRECT_READ_BUFFER_BYTES = 1024 * 1024;

/**
 * Reads of a socket that land in one buffer reused for every read (Node's `onread`), instead of a new Buffer per
 * read. A bulk transfer (a 2 GB file from the device) then allocates nothing per read; with a fresh 64 KiB Buffer
 * per read, V8 ran a full garbage collection every few dozen MB.
 *
 * Until `attach`, every read is copied into a Buffer of its own and pushed to the socket's readable side, so the
 * socket behaves like any other (usbmuxd handshake, `read(n)`, 'data'). After `attach`, the sink gets each read
 * as a view into the reused buffer, valid only during the call; the sink returns false to stop reading (the next
 * read would overwrite the buffer) until `resume()`.
 */
export interface DirectReads {
  /** Hand every following read to `sink`; returns the bytes the socket had already buffered (owned copies). */
  attach(sink: (view: Buffer) => boolean): Buffer[];
  /** Start reading again after the sink returned false. */
  resume(): void;
}

const registry = new WeakMap<Duplex, DirectReads>();

/** The direct reads of a socket made by `connectWithDirectReads`, or undefined for any other stream. */
export function directReadsOf(stream: Duplex): DirectReads | undefined {
  return registry.get(stream);
}

/** `net.createConnection` with direct reads (see DirectReads). */
export function connectWithDirectReads(opts: NetConnectOpts): Socket {
  const buffer = Buffer.allocUnsafe(DIRECT_READ_BUFFER_BYTES);
  let sink: ((view: Buffer) => boolean) | undefined;
  const socket: Socket = createConnection({
    ...opts,
    onread: {
      buffer,
      callback: (n: number): boolean => {
        const view = buffer.subarray(0, n);
        if (sink) return sink(view);
        // Not attached yet: an owned copy goes the ordinary way (false stops reading until someone reads).
        return socket.push(Buffer.from(view));
      },
    },
  });
  registry.set(socket, {
    attach(s) {
      const pending: Buffer[] = [];
      for (let b = socket.read() as Buffer | null; b !== null; b = socket.read() as Buffer | null) pending.push(b);
      sink = s;
      // Flowing (with nothing left to emit), so the end of the stream is still reported with 'end'.
      socket.resume();
      return pending;
    },
    resume() {
      socket.resume();
    },
  });
  return socket;
}
