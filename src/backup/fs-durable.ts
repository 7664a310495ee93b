import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readlink, symlink } from 'node:fs/promises';
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

/**
 * Clone a folder tree with hard links (copying where the file system has none): folders are new, files share
 * their contents with the source. Safe only because nothing ever writes into a file of the clone in place —
 * every change is a new file renamed over the old name. Returns the folders created (to fsync later).
 */
export async function hardLinkClone(src: string, dst: string, onDir?: (dir: string) => void): Promise<{ files: number }> {
  let files = 0;
  const walk = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { mode: 0o755 });
    onDir?.(to);
    const entries = await readdir(from, { withFileTypes: true });
    const subdirs: string[] = [];
    const batch: Promise<void>[] = [];
    const flush = async (): Promise<void> => {
      await Promise.all(batch.splice(0));
    };
    for (const e of entries) {
      if (isTempFileName(e.name)) continue;
      const a = join(from, e.name);
      const b = join(to, e.name);
      if (e.isDirectory()) subdirs.push(e.name);
      else if (e.isFile()) {
        files++;
        batch.push(linkOrCopy(a, b));
        if (batch.length >= 64) await flush();
      } else if (e.isSymbolicLink()) {
        batch.push(readlink(a).then((target) => symlink(target, b)));
      }
    }
    await flush();
    for (const name of subdirs) await walk(join(from, name), join(to, name));
  };
  await walk(src, dst);
  return { files };
}

async function linkOrCopy(a: string, b: string): Promise<void> {
  try {
    await link(a, b);
  } catch (err) {
    if (!LINK_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await copyFile(a, b, constants.COPYFILE_FICLONE);
  }
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
