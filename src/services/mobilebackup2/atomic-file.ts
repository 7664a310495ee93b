import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of temporary files; listings sent to the device hide them. */
export const TEMP_FILE_PREFIX = '.ibtmp-';

export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_FILE_PREFIX);
}

/**
 * A file written under a temporary name in the destination folder and renamed over the final name when complete.
 * The final path is never opened for writing, so a hard-linked file (shared with a previous backup) is never
 * changed in place, and a crash never leaves a truncated file under the final name.
 */
export class AtomicFileWriter {
  private closed = false;
  bytes = 0;

  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(finalPath: string): Promise<AtomicFileWriter> {
    const tempPath = join(dirname(finalPath), `${TEMP_FILE_PREFIX}${randomBytes(6).toString('hex')}`);
    const fh = await open(tempPath, 'wx', 0o644);
    return new AtomicFileWriter(finalPath, tempPath, fh);
  }

  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.bytes += data.length;
  }

  /** fsync (optional), close, rename over the final name. */
  async commit(fsync: boolean): Promise<void> {
    try {
      if (fsync) await this.fh.sync();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
    await rename(this.tempPath, this.finalPath);
  }

  /** Close and delete the temporary file. Never throws. */
  async abort(): Promise<void> {
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
