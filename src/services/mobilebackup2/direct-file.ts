import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { errnoCode } from './errno.js';

/**
 * A large received file written to a staging folder with direct I/O (O_DIRECT): the data goes from our buffer to
 * the disk without a copy in the page cache. For a multi-GB backup that copy is most of the kernel's work (and
 * pushes everything else out of the cache); direct writes skip it and overlap with the receiving. Same rules as
 * StagedFileWriter (staged-file.ts): a new inode only (O_CREAT|O_EXCL), a temporary name when the final name
 * exists; no fsync here (the staging folder is flushed as a whole, which also makes the direct writes durable).
 *
 * Direct I/O wants the memory, the file offset and the length aligned: the data is copied into page-aligned
 * pieces (WebAssembly memory is page-aligned; a Buffer's is not) and written whole at aligned offsets; the last,
 * partial block of a file goes through an ordinary descriptor. Where the system has no O_DIRECT, the file system
 * refuses it, or a direct write is refused (EINVAL), the file is written the ordinary way instead.
 */

/** Offsets and lengths of direct writes are multiples of this (covers 512- and 4096-byte sector devices). */
const DIRECT_ALIGN = 4096;
/** One direct write. */
export const PIECE_BYTES = 2 * 1024 * 1024;
/**
 * Direct writes in flight per file: two keep the disk busy while the next piece is handed over (alternating 2 GiB
 * backups, 2026-11-23: faster in 7 of 8 pairs than one at a time).
 */
const MAX_IN_FLIGHT = 2;
/**
 * Pieces allocated at most per process. A writer holds one it fills and up to MAX_IN_FLIGHT being written; `take`
 * waits when all are in use, and pieces being written always come back (a write never waits for a piece).
 */
const POOL_PIECES = 6;

/** The one piece of the WebAssembly API used here (not in this project's TypeScript libs). */
declare const WebAssembly: { Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer } };

/** Page-aligned pieces, allocated on first use and reused (memory stays flat however large the backup). */
class AlignedPieces {
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private readonly waiting: Array<(piece: Buffer) => void> = [];

  async take(): Promise<Buffer> {
    const piece = this.free.pop();
    if (piece) return piece;
    if (this.allocated < POOL_PIECES) {
      this.allocated++;
      return Buffer.from(new WebAssembly.Memory({ initial: PIECE_BYTES / 65536 }).buffer);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(piece: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(piece);
    else this.free.push(piece);
  }
}

const pieces = new AlignedPieces();

/** false once the platform or a file system has refused O_DIRECT (then every file is written the ordinary way). */
let directAvailable = typeof constants.O_DIRECT === 'number' && constants.O_DIRECT > 0;

/**
 * Create `path` (O_EXCL) for direct writes. Returns undefined when direct I/O is not possible here (nothing is
 * left behind); throws the open's error otherwise (EEXIST included).
 */
export async function openDirect(path: string): Promise<FileHandle | undefined> {
  if (!directAvailable) return undefined;
  const { O_WRONLY, O_CREAT, O_EXCL, O_DIRECT } = constants;
  try {
    return await open(path, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0o644);
  } catch (err) {
    if (errnoCode(err) !== 'EINVAL') throw err;
    // The file system does not do direct I/O. Linux may have created the file before refusing: with O_EXCL the
    // name did not exist before this call, so whatever is there now is ours.
    directAvailable = false;
    await unlink(path).catch(() => undefined);
    return undefined;
  }
}

export class DirectFileWriter {
  bytes = 0;
  /** The piece being filled, how much of it is filled, and the file offset it starts at. */
  private piece: Buffer | undefined;
  private filled = 0;
  private position = 0;
  /** The pieces being written (at most MAX_IN_FLIGHT, each at its own offset). */
  private inFlight: Promise<void>[] = [];
  /** An ordinary descriptor for the last partial block, or for everything after a refused direct write. */
  private plain: Promise<FileHandle> | undefined;
  private direct = true;
  private failure: unknown;
  private closed = false;

  constructor(
    readonly finalPath: string,
    readonly writePath: string,
    private readonly fh: FileHandle,
  ) {}

  /** Copy `data` into the current piece; a full piece starts its write (waiting while MAX_IN_FLIGHT are being written). */
  async write(data: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.bytes += data.length;
    let off = 0;
    while (off < data.length) {
      this.piece ??= await pieces.take();
      const n = Math.min(data.length - off, PIECE_BYTES - this.filled);
      this.piece.set(n === data.length ? data : data.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === PIECE_BYTES) await this.submit();
    }
  }

  /** Nothing refers to the caller's memory after write (it is copied). */
  flushSync(): void {}

  private async submit(): Promise<void> {
    if (this.inFlight.length >= MAX_IN_FLIGHT) await this.inFlight[0];
    if (this.failure !== undefined) throw this.failure;
    const piece = this.piece!;
    const length = this.filled;
    const position = this.position;
    this.piece = undefined;
    this.filled = 0;
    this.position += length;
    const p: Promise<void> = this.writePiece(piece, length, position)
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        pieces.give(piece);
        this.inFlight.splice(this.inFlight.indexOf(p), 1);
      });
    this.inFlight.push(p);
  }

  private async writePiece(piece: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    const aligned = length - (length % DIRECT_ALIGN);
    while (this.direct && done < aligned) {
      try {
        const { bytesWritten } = await this.fh.write(piece, done, aligned - done, position + done);
        if (bytesWritten === 0) throw Object.assign(new Error('direct write wrote nothing'), { code: 'EIO' });
        done += bytesWritten;
        if (done % DIRECT_ALIGN !== 0) break; // a short, unaligned write: the rest the ordinary way
      } catch (err) {
        if (errnoCode(err) !== 'EINVAL') throw err;
        this.direct = false; // refused for this file: the ordinary way from here on
      }
    }
    if (done === length) return;
    // One ordinary descriptor however many pieces need it at once.
    this.plain ??= open(this.writePath, constants.O_WRONLY);
    const plain = await this.plain;
    while (done < length) {
      const { bytesWritten } = await plain.write(piece, done, length - done, position + done);
      done += bytesWritten;
    }
  }

  /** Write the last piece, close, and (temporary name only) rename over the final name. */
  async commit(): Promise<void> {
    try {
      if (this.failure === undefined && this.filled > 0) await this.submit();
      await Promise.all(this.inFlight);
      if (this.failure !== undefined) throw this.failure;
    } finally {
      await this.close();
    }
    if (this.writePath !== this.finalPath) await rename(this.writePath, this.finalPath);
  }

  /** Close and delete what was written. Never throws. */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    await Promise.all(this.inFlight);
    await this.close().catch(() => undefined);
    await unlink(this.writePath).catch(() => undefined);
  }

  private async close(): Promise<void> {
    if (this.piece) {
      pieces.give(this.piece);
      this.piece = undefined;
      this.filled = 0;
    }
    if (this.closed) return;
    this.closed = true;
    const plain = this.plain;
    this.plain = undefined;
    await Promise.all([this.fh.close(), plain?.then((fh) => fh.close(), () => undefined)]);
  }
}
