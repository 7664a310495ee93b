// Waiting out ext4's reluctance to reuse just-freed inodes before a measured backup.
//
// ext4 without a journal (the file system of the machine in docs/benchmarks.md) will not hand out an inode freed
// less than 60 s ago — 300 s more while its inode-table block is still dirty — as long as it can find another
// one, and looking costs a buffer-cache lookup for every such freed inode each time a file is created. Right
// after a 50,000-file backup was deleted, the next `many` backup spent 2–4× the system CPU of one started a
// minute later, for both tools (docs/benchmarks.md, Method). A user's backup does not start seconds after
// 50,000 files were deleted, so the benchmark waits the window out after deleting a backup of many files.
import { setTimeout as sleep } from 'node:timers/promises';

/** ext4's RECENTCY_MIN (60 s, fs/ext4/ialloc.c) and one second more; the deletion is synced before it counts. */
export const RECENTLY_DELETED_WINDOW_MS = 61_000;
/** Deleting a backup of at least this many files makes the next measured backup wait. */
export const BULK_DELETE_FILES = 10_000;

export class InodeSettle {
  private deletedAt: number | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A backup of `files` files was just deleted (and synced). */
  deleted(files: number): void {
    if (files >= BULK_DELETE_FILES) this.deletedAt = this.now();
  }

  /** How long the next measured backup should still wait, in ms (0: none). */
  remainingMs(): number {
    if (this.deletedAt === undefined) return 0;
    return Math.max(0, this.deletedAt + RECENTLY_DELETED_WINDOW_MS - this.now());
  }

  /** Wait until the window since the last bulk deletion has passed, saying so in the log. */
  async settle(log: (line: string) => void, signal?: AbortSignal): Promise<void> {
    const ms = this.remainingMs();
    if (ms <= 0) return;
    log(`    waiting ${(ms / 1000).toFixed(0)} s: ext4 avoids reusing the inodes of the backup just deleted for 60 s`);
    await sleep(ms, undefined, { signal });
  }
}
