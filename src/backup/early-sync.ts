import { open } from 'node:fs/promises';

/** fdatasync a file by name. Never rejects: see EarlySync. */
async function datasyncFile(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    await fh.datasync();
  } catch {
    // best effort: the flush before the swap fsyncs the file again and reports what fails
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes the complete files of an incremental backup to disk while the device is still sending (an fdatasync
 * each, `parallel` at a time on the thread pool — few, so that opening the next files never waits behind them),
 * up to `limit` files. Best effort and only earlier: the flush before the swap fsyncs every new file anyway (and
 * reports errors); this moves the disk writes into time the disk would otherwise be idle.
 */
export class EarlySync {
  private readonly queue: string[] = [];
  private running = 0;
  private left: number;
  private stopped = false;
  private onIdle: (() => void)[] = [];

  constructor(
    limit: number,
    private readonly parallel = 2,
    private readonly syncFile: (path: string) => Promise<void> = datasyncFile,
  ) {
    this.left = limit;
  }

  /** A complete file that may be written to disk now (ignored past the limit or after stop). */
  offer(path: string): void {
    if (this.stopped || this.left <= 0) return;
    this.left--;
    this.queue.push(path);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.parallel && this.queue.length > 0) {
      const path = this.queue.shift()!;
      this.running++;
      void this.syncFile(path)
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0) for (const wake of this.onIdle.splice(0)) wake();
        });
    }
  }

  /** Take no more files and drop the queued ones (the flush covers them); resolves when the started ones are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.onIdle.push(resolve));
  }
}
