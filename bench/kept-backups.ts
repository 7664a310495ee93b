// Backups of many files are kept until the benchmark ends instead of being deleted right after their run.
//
// ext4 without a journal (the file system of the machine in docs/benchmarks.md) will not hand out an inode freed
// less than 60 s ago — up to 360 s while its inode-table block is dirty — as long as it can find another, and it
// checks every such freed inode (a buffer-cache lookup each) each time a file is created. Measured on that
// machine, creating 50,000 files of 4 KiB after 50,000 others were deleted and synced: 7.1 s (6.3 s system CPU)
// right after, 9.7 s 65 s later, 4.5 s after 200 s, 3.1 s (2.1 s) after 370 s; `perf` of a `many` backup a
// minute after a deletion puts half of its samples in `recently_deleted`. Deleting every 50,000-file backup
// right after its run made each next run, ours or idevicebackup2's, pay for it by a varying amount. A user's
// backup does not start minutes after 50,000 files were deleted, so such backups stay until the end.
import { rmSync } from 'node:fs';

/** A backup of at least this many files is kept until the end of the benchmark. */
export const KEEP_FROM_FILES = 10_000;
/** At most this many bytes of backups are kept; past that they are deleted at once as before. */
export const KEEP_BUDGET_BYTES = 8 * 1024 ** 3;

export class KeptBackups {
  private readonly dirs: string[] = [];
  private bytes = 0;

  /** Keep `dir` (a backup of `files` files, `bytes` bytes) until disposeAll; false: delete it now. */
  keep(dir: string, files: number, bytes: number): boolean {
    if (files < KEEP_FROM_FILES || this.bytes + bytes > KEEP_BUDGET_BYTES) return false;
    this.dirs.push(dir);
    this.bytes += bytes;
    return true;
  }

  get count(): number {
    return this.dirs.length;
  }

  /** Delete every kept backup (at the end of the benchmark). */
  disposeAll(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    this.bytes = 0;
  }
}
