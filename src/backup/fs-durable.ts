import { execFile } from 'node:child_process';
import { constants, copyFileSync, linkSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempFileName } from '../services/mobilebackup2/index.js';

/** fsync a folder so renames/links inside it survive a power loss. Best effort (Windows cannot fsync folders). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported on this platform/file system
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);

/** Let the event loop run (timers, signals, sockets) between two synchronous slices of file-system work. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Clone a folder tree with hard links (copying where the file system has none): folders are new, files share
 * their contents with the source. Safe only because nothing ever writes into a file of the clone in place —
 * every change is a new file renamed over the old name. Each folder is cloned with synchronous calls (a link is
 * a few microseconds of kernel work; a thread-pool round trip per file cost 4× more), yielding to the event
 * loop between folders. Returns the number of files.
 */
export async function hardLinkClone(src: string, dst: string, onDir?: (dir: string) => void): Promise<{ files: number }> {
  let files = 0;
  const pending: [string, string][] = [[src, dst]];
  while (pending.length > 0) {
    const [from, to] = pending.pop()!;
    mkdirSync(to, { mode: 0o755 });
    onDir?.(to);
    for (const e of readdirSync(from, { withFileTypes: true })) {
      if (isTempFileName(e.name)) continue;
      const a = join(from, e.name);
      const b = join(to, e.name);
      if (e.isDirectory()) pending.push([a, b]);
      else if (e.isFile()) {
        files++;
        linkOrCopySync(a, b);
      } else if (e.isSymbolicLink()) symlinkSync(readlinkSync(a), b);
    }
    await yieldToEventLoop();
  }
  return { files };
}

/** Hard-link `a` as `b`, or copy it where the file system cannot link. */
export function linkOrCopySync(a: string, b: string): void {
  try {
    linkSync(a, b);
  } catch (err) {
    if (!LINK_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    copyFileSync(a, b, constants.COPYFILE_FICLONE);
  }
}

/**
 * Delete a folder tree one top-level entry at a time with synchronous calls, yielding to the event loop between
 * entries (a backup folder is ~256 two-hex-digit folders: each is one short slice of work). Missing is fine.
 */
export async function removeTree(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of entries) {
    rmSync(join(dir, name), { recursive: true, force: true });
    await yieldToEventLoop();
  }
  rmSync(dir, { recursive: true, force: true });
}

/** How `flushTree` made a folder durable. */
export type FlushMethod = 'syncfs' | 'fsync';

/**
 * syncfs(2) of the file system holding `dir`, through coreutils' `sync -f` (Node has no binding): one call
 * writes back every dirty page and inode of that file system and commits its journal. Resolves false when it
 * is not available (not Linux, no `sync -f`, or it failed), so the caller falls back.
 */
export async function syncFileSystem(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  return new Promise((resolve) => {
    execFile('sync', ['-f', dir], { timeout: 30 * 60_000, windowsHide: true }, (err) => resolve(!err));
  });
}

/** fsync `path` (file or folder). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * fsync every file and folder under `dir`, `parallel` at a time (the fallback where syncfs is not available).
 * Folder fsync errors are ignored (some platforms cannot fsync folders); a file fsync error is thrown.
 */
export async function fsyncTree(dir: string, parallel = 16): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: unknown;
  const run = async (p: Promise<void>): Promise<void> => {
    const tracked: Promise<void> = p
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => running.delete(tracked));
    running.add(tracked);
    while (running.size >= parallel) await Promise.race(running);
  };
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) await run(fsyncPath(p));
    }
    await run(fsyncDir(d));
  };
  await walk(dir);
  await Promise.all(running);
  if (failure !== undefined) throw failure;
}

/**
 * Make everything written under `dir` durable: syncfs of its file system where available (one flush instead of
 * one fsync per file), else an fsync of every file and folder under it.
 */
export async function flushTree(dir: string): Promise<FlushMethod> {
  if (await syncFileSystem(dir)) return 'syncfs';
  await fsyncTree(dir);
  return 'fsync';
}
