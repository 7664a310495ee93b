import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of temporary files; listings sent to the device hide them. */
export const TEMP_FILE_PREFIX = '.ibtmp-';

export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_FILE_PREFIX);
}

const processTag = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
let tempCounter = 0;
export function tempPathFor(finalPath: string): string {
  tempCounter = (tempCounter + 1) % Number.MAX_SAFE_INTEGER;
  return join(dirname(finalPath), `${TEMP_FILE_PREFIX}${processTag}-${tempCounter.toString(36)}`);
}

/** How much received data may wait for the disk before the writer makes its caller wait. */
export const WRITE_BEHIND_BYTES = 4 * 1024 * 1024;

/** writev until every byte is written (handles short writes). */
export async function writeAllV(fh: FileHandle, buffers: Uint8Array[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending);
    let n = bytesWritten;
    let i = 0;
    while (i < pending.length && n >= pending[i]!.length) n -= pending[i++]!.length;
    pending = pending.slice(i);
    if (n > 0 && pending.length > 0) pending[0] = pending[0]!.subarray(n);
  }
}

/**
 * A file written under a temporary name in the destination folder and renamed over the final name when complete.
 * The final path is never opened for writing, so a hard-linked file (shared with a previous backup) is never
 * changed in place, and a crash never leaves a truncated file under the final name.
 */
export class AtomicFileWriter {
  private closed = false;
  bytes = 0;
  /** Data accepted by write() but not yet on disk: writes are batched (writev) behind the caller. */
  private queue: Uint8Array[] = [];
  private unwrittenBytes = 0;
  private flushing: Promise<void> | undefined;
  private failure: unknown;

  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(finalPath: string): Promise<AtomicFileWriter> {
    const tempPath = tempPathFor(finalPath);
    const fh = await open(tempPath, 'wx', 0o644);
    return new AtomicFileWriter(finalPath, tempPath, fh);
  }

  /** Write a whole file (already in memory) the same way: temporary name, optional fsync, rename. */
  static async writeWhole(finalPath: string, chunks: Uint8Array[], fsync: boolean): Promise<void> {
    const writer = await AtomicFileWriter.create(finalPath);
    try {
      for (const c of chunks) await writer.write(c);
      await writer.commit(fsync);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  /**
   * Queue `data` for writing (it must not be modified afterwards). Resolves at once while less than
   * WRITE_BEHIND_BYTES are waiting for the disk, otherwise when the disk has caught up — so a caller reading from
   * a socket stops reading while the disk is behind.
   */
  async write(data: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (data.length === 0) return;
    this.queue.push(data);
    this.unwrittenBytes += data.length;
    this.bytes += data.length;
    this.flushing ??= this.flushLoop();
    while (this.unwrittenBytes > WRITE_BEHIND_BYTES && this.flushing) await this.flushing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Wait until everything queued is written; throws the first write error. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure !== undefined) throw this.failure;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const batch = this.queue.splice(0, 256);
        await writeAllV(this.fh, batch);
        for (const b of batch) this.unwrittenBytes -= b.length;
      }
    } catch (err) {
      this.failure = err;
      this.queue = [];
      this.unwrittenBytes = 0;
    } finally {
      this.flushing = undefined;
    }
  }

  /** fsync (optional), close, rename over the final name. */
  async commit(fsync: boolean): Promise<void> {
    try {
      await this.flush();
      if (fsync) await this.fh.sync();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
    await rename(this.tempPath, this.finalPath);
  }

  /** Close and delete the temporary file. Never throws. */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    await this.flushing?.catch(() => undefined);
    if (!this.closed) {
      this.closed = true;
      await this.fh.close().catch(() => undefined);
    }
    await unlink(this.tempPath).catch(() => undefined);
  }

  get name(): string {
    return basename(this.finalPath);
  }
}

/** Runs async tasks with at most `limit` in flight; `add` waits only when the queue is full. */
export class BoundedQueue {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const p: Promise<void> = task()
      .catch(() => undefined)
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }
}
