import { execFile } from 'node:child_process';
import { constants, copyFileSync, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempFileName } from '../services/mobilebackup2/index.js';

/** Whether anything (file, folder, link target) exists at `p`. */
export async function pathExists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

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
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTDIR') throw err;
    rmSync(dir, { force: true }); // a file where a folder was expected
    return;
  }
  for (const name of entries) {
    rmSync(join(dir, name), { recursive: true, force: true });
    await yieldToEventLoop();
  }
  rmSync(dir, { recursive: true, force: true });
}

/** How `flushTree` made a folder durable. */
export type FlushMethod = 'syncfs' | 'fsync' | 'fsync-changed';

/** What an incremental backup changed in its staging folder: the folders whose entries changed, the backup it started from. */
export interface StagedChanges {
  /** The backup the staging folder was a hard-link copy of (files with its inodes were not written). */
  base: string;
  /** Folders (relative) whose entries changed; every new file is in one of them. */
  dirs: Iterable<string>;
  /** Every folder of the staging folder (relative, '' itself) when the caller has listed them already. */
  folders?: Iterable<string>;
}

/** How a flush writes one file or folder to disk (replaced in tests to see what is flushed). */
export interface FlushIo {
  fsyncFile(path: string): Promise<void>;
  /** Best effort: never rejects (some platforms cannot fsync folders). */
  fsyncFolder(path: string): Promise<void>;
}

/** Above this many new files a single syncfs is cheaper than one fsync each (each may commit the journal). */
const MAX_FILES_FSYNCED_ONE_BY_ONE = 1000;

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

const realFlushIo: FlushIo = { fsyncFile: fsyncPath, fsyncFolder: fsyncDir };

/** fsync the files, then the folders (folder errors ignored: some platforms cannot fsync folders), `parallel` at a time. */
async function fsyncAll(files: string[], dirs: string[], parallel = 16, io = realFlushIo): Promise<void> {
  let failure: unknown;
  const queue: [string, boolean][] = [...files.map((p): [string, boolean] => [p, false]), ...dirs.map((p): [string, boolean] => [p, true])];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < queue.length && failure === undefined) {
      const [p, isDir] = queue[next++]!;
      await (isDir ? io.fsyncFolder(p) : io.fsyncFile(p)).catch((err: unknown) => {
        failure ??= err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, lane));
  if (failure !== undefined) throw failure;
}

/** fsync the folders `dirs`, `parallel` at a time (best effort with the default fsyncDir, as for fsyncDir). */
export async function fsyncFolders(dirs: string[], fsyncFolder: (dir: string) => Promise<void> = fsyncDir, parallel = 16): Promise<void> {
  await fsyncAll([], dirs, parallel, { fsyncFile: fsyncPath, fsyncFolder });
}

/** Whether two paths are the same file (hard links of one inode); false when either is missing. */
export function sameInode(a: string, b: string): boolean {
  const x = lstatSync(a, { bigint: true, throwIfNoEntry: false });
  const y = lstatSync(b, { bigint: true, throwIfNoEntry: false });
  return x !== undefined && y !== undefined && x.ino === y.ino && x.dev === y.dev;
}

/**
 * Files in the `dirs` of `dir` that are not the same inode as under the same name in `base`: the newly written
 * ones. One folder at a time, yielding to the event loop in between (so fsyncs running meanwhile move on).
 */
export async function newFilesIn(dir: string, base: string, dirs: Iterable<string>): Promise<string[]> {
  const out: string[] = [];
  for (const rel of new Set(dirs)) {
    await yieldToEventLoop();
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      const p = join(dir, rel, e.name);
      if (!sameInode(join(base, rel, e.name), p)) out.push(p);
    }
  }
  return out;
}

/** Every file and every folder (`dir` included) under `dir`. */
function treeUnder(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const d = pending.pop()!;
    dirs.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) pending.push(join(d, e.name));
      else if (e.isFile()) files.push(join(d, e.name));
    }
  }
  return { files, dirs };
}

/**
 * fsync every file and folder under `dir`, `parallel` at a time (the fallback where syncfs is not available).
 * Folder fsync errors are ignored (some platforms cannot fsync folders); a file fsync error is thrown.
 */
export async function fsyncTree(dir: string, parallel = 16, io = realFlushIo): Promise<void> {
  const { files, dirs } = treeUnder(dir);
  await fsyncAll(files, dirs, parallel, io);
}

/**
 * Make everything written under `dir` durable. With `changes` (an incremental backup) and few new files: an fsync
 * of each new file and of every folder — only our own data goes to disk, not whatever else is waiting on the
 * file system (a syncfs would flush that too). The folders (`changes.folders`, else a walk of the tree) are
 * fsynced on pool threads while this thread looks for the new files. Otherwise syncfs of its file system where
 * available (one flush instead of one fsync per file), else an fsync of every file and folder under it.
 */
export async function flushTree(dir: string, changes?: StagedChanges, io: FlushIo = realFlushIo): Promise<FlushMethod> {
  if (changes) {
    const folders = changes.folders !== undefined ? [...new Set(changes.folders)].map((rel) => join(dir, rel)) : treeUnder(dir).dirs;
    const foldersDone = fsyncAll([], folders, 16, io);
    foldersDone.catch(() => undefined); // (awaited below; not an unhandled rejection while the scan runs)
    const files = await newFilesIn(dir, changes.base, changes.dirs).catch(async (err: unknown) => {
      await foldersDone.catch(() => undefined); // (let them finish; the scan's error is the one to report)
      throw err;
    });
    if (files.length <= MAX_FILES_FSYNCED_ONE_BY_ONE) {
      await Promise.all([foldersDone, fsyncAll(files, [], 16, io)]);
      return 'fsync-changed';
    }
    await foldersDone; // (the syncfs below would have covered them)
  }
  if (await syncFileSystem(dir)) return 'syncfs';
  await fsyncTree(dir, 16, io);
  return 'fsync';
}
