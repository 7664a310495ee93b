import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
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

/**
 * Registers the DirectReads of `socket` and returns the callback for its reads (`n` bytes at the start of `buf`),
 * with `held`: the receive buffer whose view the sink kept (it returned false) and may still use. Before `attach`,
 * an owned copy of each read goes the ordinary way. After the sink returned false, reads that still arrive before
 * `resume()` are copied and handed to the sink, one per resume, in order: a plain socket stops at once, but a TLS
 * socket goes on handing over the records it already decrypted from the last socket read (a few 16 KiB records),
 * and those must land in another buffer than the held one (see enableDirectReadsOnTls).
 */
function directReadsFor(socket: Socket): { callback: (n: number, buf: Buffer) => boolean; held: () => Buffer | undefined } {
  let sink: ((view: Buffer) => boolean) | undefined;
  let paused = false;
  let held: Buffer | undefined;
  const backlog: Buffer[] = [];
  const deliver = (view: Buffer, from: Buffer | undefined): boolean => {
    const more = sink!(view);
    paused = !more;
    held = more ? undefined : from;
    return more;
  };
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
      paused = false;
      held = undefined;
      for (let next = backlog.shift(); next !== undefined; next = backlog.shift()) if (!deliver(next, undefined)) return;
      socket.resume();
    },
  });
  const callback = (n: number, buf: Buffer): boolean => {
    const view = buf.subarray(0, n);
    if (!sink) return socket.push(Buffer.from(view));
    if (paused || backlog.length > 0) {
      backlog.push(Buffer.from(view));
      return false;
    }
    return deliver(view, buf);
  };
  return { callback, held: () => held };
}

/** `net.createConnection` with direct reads (see DirectReads). */
export function connectWithDirectReads(opts: NetConnectOpts): Socket {
  const buffer = Buffer.allocUnsafe(DIRECT_READ_BUFFER_BYTES);
  // The socket calls back only once it is connected, after directReadsFor has made the callback.
  const reads: { callback?: (n: number, buf: Buffer) => boolean } = {};
  const socket: Socket = createConnection({ ...opts, onread: { buffer, callback: (n: number, buf: Uint8Array): boolean => reads.callback!(n, buf as Buffer) } });
  reads.callback = directReadsFor(socket).callback;
  return socket;
}

/** Where a TLS socket's records go while the sink holds a view of the receive buffer (a record is at most 16 KiB). */
const TLS_SPARE_BUFFER_BYTES = 64 * 1024;

/**
 * Direct reads for a TLS socket made over an existing stream, where Node offers no `onread`: decrypted records are
 * copied into a reused buffer instead of a new Buffer each (16 KiB records: 131,072 allocations per 2 GiB).
 * Node copies each record into the receive buffer before the callback can refuse it, and goes on with the records
 * it already decrypted after the sink asked to stop, so while the sink holds a view, the next records land in a
 * spare buffer (`kBufferGen` picks the buffer for each next read) and are copied out from there.
 * This reaches into Node's internals — the socket's `kBuffer`/`kBufferCb`/`kBufferGen` fields, which `onread` sets
 * for sockets Node makes, and the TLS handle's `useUserBuffer` — so it checks that each is there and returns false,
 * changing nothing, where one is missing: the socket then reads as any other.
 */
export function enableDirectReadsOnTls(socket: TLSSocket): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buf: Uint8Array) => void } })._handle;
  const symbols = Object.getOwnPropertySymbols(socket);
  const field = (name: string): symbol | undefined => symbols.find((s) => s.description === name);
  const kBuffer = field('kBuffer');
  const kBufferCb = field('kBufferCb');
  const kBufferGen = field('kBufferGen');
  if (!handle || typeof handle.useUserBuffer !== 'function' || !kBuffer || !kBufferCb || !kBufferGen) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (fields[kBuffer] !== null || fields[kBufferCb] !== null || fields[kBufferGen] !== null) return false;
  const buffer = Buffer.allocUnsafe(DIRECT_READ_BUFFER_BYTES);
  const spare = Buffer.allocUnsafe(TLS_SPARE_BUFFER_BYTES);
  const reads = directReadsFor(socket);
  fields[kBufferCb] = reads.callback;
  fields[kBufferGen] = (): Buffer => (reads.held() === buffer ? spare : buffer);
  fields[kBuffer] = buffer;
  handle.useUserBuffer(buffer);
  return true;
}
