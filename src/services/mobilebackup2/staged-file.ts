import { closeSync, openSync, renameSync, unlinkSync, writevSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { tempPathFor } from './atomic-file.js';
import { DirectFileWriter, openDirect } from './direct-file.js';

/**
 * Writers for a STAGING folder (one that is thrown away whole after a crash, docs/backup-design.md): a partial
 * file there is harmless, so a file whose name is new is written directly under its final name, with no
 * temporary name and no rename. The one thing that must never happen is writing into an inode shared by a hard
 * link with the previous backup, so files are only ever opened with O_CREAT|O_EXCL ('wx'): a new inode, always.
 * When the name already exists (a file cloned from the previous backup, or sent twice), the data goes to a
 * temporary name that is renamed over it — the old inode is never opened for writing.
 * No fsync here: the staging folder is flushed once, as a whole, before the swap.
 */

function isExists(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EEXIST';
}

/** writev until every byte is written (handles short writes), synchronously. */
function writeAllVSync(fd: number, buffers: Uint8Array[]): void {
  let pending = buffers;
  while (pending.length > 0) {
    // writev takes at most IOV_MAX (1024) buffers on Linux; Node splits nothing for us.
    const slice = pending.length > 512 ? pending.slice(0, 512) : pending;
    let n = writevSync(fd, slice);
    let i = 0;
    while (i < pending.length && n >= pending[i]!.length) n -= pending[i++]!.length;
    pending = pending.slice(i);
    if (n > 0 && pending.length > 0) pending[0] = pending[0]!.subarray(n);
  }
}

function writeNewSync(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeAllVSync(fd, chunks);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    throw err;
  }
  closeSync(fd);
}

/** A streamed file starts a background writeback every this many bytes. */
const WRITEBACK_BYTES = 64 * 1024 * 1024;
/** A streamed file is written in pieces of about this size. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Store a small, complete file (already in memory) in a staging folder, synchronously: for a few KiB the page
 * cache answers at once, and three system calls on this thread cost less than round trips to the thread pool.
 */
export function writeStagedFileSync(finalPath: string, chunks: Uint8Array[]): void {
  try {
    writeNewSync(finalPath, chunks);
    return;
  } catch (err) {
    if (!isExists(err)) throw err;
  }
  const temp = tempPathFor(finalPath);
  writeNewSync(temp, chunks);
  try {
    renameSync(temp, finalPath);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw err;
  }
}

/** A large file being streamed into a staging folder (StagedFileWriter or DirectFileWriter). */
export interface StagedWriter {
  readonly finalPath: string;
  /** Where the data goes: finalPath itself, or a temporary name when finalPath already existed. */
  readonly writePath: string;
  readonly bytes: number;
  /** Take `data` (not modified until this resolves, or until flushSync when it is queued as a view). */
  write(data: Uint8Array): Promise<void>;
  /** Stop referring to memory given to write (write it out now if needed). Never throws. */
  flushSync(): void;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * A writer for a large file in a staging folder: with `direct`, direct I/O where the system and the file system
 * allow it (direct-file.ts), else through the page cache (StagedFileWriter).
 */
export async function createStagedWriter(finalPath: string, direct: boolean): Promise<StagedWriter> {
  if (direct) {
    const { writePath, opened } = await openNewOrTemp(finalPath, openDirect);
    if (opened) return new DirectFileWriter(finalPath, writePath, opened);
  }
  return StagedFileWriter.create(finalPath);
}

/**
 * Open a new file (`openNew` creates with O_EXCL) under `finalPath`, or — when that name exists, possibly as a
 * hard link into the previous backup — under a temporary name to be renamed over it at commit.
 */
async function openNewOrTemp<T>(finalPath: string, openNew: (path: string) => Promise<T>): Promise<{ writePath: string; opened: T }> {
  try {
    return { writePath: finalPath, opened: await openNew(finalPath) };
  } catch (err) {
    if (!isExists(err)) throw err;
  }
  const temp = tempPathFor(finalPath);
  return { writePath: temp, opened: await openNew(temp) };
}

/**
 * A large file streamed into a staging folder: written under its final name when that name is new, else under a
 * temporary name renamed over the existing one at commit. Data is gathered into ~1 MiB and written with one
 * synchronous writev (the page cache takes it at once; a thread-pool round trip per write cost more), and every
 * 64 MiB a background fdatasync starts the writeback so the flush before the swap has little left to do.
 */
export class StagedFileWriter implements StagedWriter {
  private closed = false;
  bytes = 0;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private failure: unknown;
  /** Bytes written since the last background writeback was started, and that writeback. */
  private sinceWriteback = 0;
  private writeback: Promise<void> | undefined;

  private constructor(
    readonly finalPath: string,
    /** Where the data goes: finalPath itself, or a temporary name when finalPath already existed. */
    readonly writePath: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(finalPath: string): Promise<StagedFileWriter> {
    const { writePath, opened } = await openNewOrTemp(finalPath, (path) => open(path, 'wx', 0o644));
    return new StagedFileWriter(finalPath, writePath, opened);
  }

  /** Queue `data` (not modified afterwards); every ~1 MiB the queue is written out before this resolves. */
  async write(data: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (data.length === 0) return;
    this.queue.push(data);
    this.queuedBytes += data.length;
    this.bytes += data.length;
    if (this.queuedBytes >= WRITE_BATCH_BYTES) this.writeQueued();
  }

  /**
   * Write what is queued now (the queued data may be views into memory the caller is about to reuse). Never
   * throws: a failure is kept and thrown by the next write or by commit.
   */
  flushSync(): void {
    if (this.failure !== undefined) return;
    try {
      this.writeQueued();
    } catch {
      // this.failure holds it
    }
  }

  private writeQueued(): void {
    const batch = this.queue;
    const n = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    if (batch.length === 0) return;
    try {
      writeAllVSync(this.fh.fd, batch);
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
    this.sinceWriteback += n;
    if (this.sinceWriteback >= WRITEBACK_BYTES && !this.writeback) this.startWriteback();
  }

  /**
   * Start writing the data so far back to disk (fdatasync on a pool thread, not awaited by the writes), so the
   * flush of the staging folder before the swap finds little left instead of the whole file.
   */
  private startWriteback(): void {
    this.sinceWriteback = 0;
    this.writeback = this.fh
      .datasync()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.writeback = undefined;
      });
  }

  /** Write what is queued, close, and (temporary name only) rename over the final name. */
  async commit(): Promise<void> {
    try {
      if (this.failure === undefined) this.writeQueued();
      await this.writeback;
      if (this.failure !== undefined) throw this.failure;
    } finally {
      this.closed = true;
      await this.fh.close();
    }
    if (this.writePath !== this.finalPath) await rename(this.writePath, this.finalPath);
  }

  /** Close and delete what was written. Never throws. */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    this.queue = [];
    await this.writeback;
    if (!this.closed) {
      this.closed = true;
      await this.fh.close().catch(() => undefined);
    }
    await unlink(this.writePath).catch(() => undefined);
  }
}
