import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { decodePlist, isPlistDict } from '../../protocols/index.js';
import { IBackupError } from '../errors.js';
import type { Logger } from '../log.js';
import { BackgroundWriteback } from './background-writeback.js';
import { flushTree, fsyncDir, hardLinkClone, pathExists, removeTree, type FlushMethod, type StagedChanges } from './fs-durable.js';
import { folderTimes } from './mirror-tree.js';
import { keepAsSpare, stageFromSpare } from './spare.js';
import { emptyTrash } from './trash.js';

/** Where a backup of `folder` (a UDID) lives under `root`, and the helper folders of the staging design. */
export interface BackupFolders {
  root: string;
  /** `<root>/<UDID>`: the last complete backup. Never modified until the atomic swap. */
  current: string;
  /** `<root>/.ibackup-staging-<UDID>`: the backup being made (a hard-link clone of `current` to start with). */
  staging: string;
  /** `<root>/.ibackup-previous-<UDID>`: `current` during the swap, made the spare right after. */
  previous: string;
  /** `<root>/.ibackup-spare-<UDID>`: the tree the last backup replaced, a hard-link mirror kept to start the next one. */
  spare: string;
  /** `<root>/.ibackup-trash-<UDID>`: files the last incremental backup replaced, deleted by the next one (trash.ts). */
  trash: string;
  /** `<root>/.ibackup-lock-<UDID>`: one backup of a UDID at a time. */
  lock: string;
}

export function backupFolders(root: string, folder: string): BackupFolders {
  return {
    root,
    current: join(root, folder),
    staging: join(root, `.ibackup-staging-${folder}`),
    previous: join(root, `.ibackup-previous-${folder}`),
    spare: join(root, `.ibackup-spare-${folder}`),
    trash: join(root, `.ibackup-trash-${folder}`),
    lock: join(root, `.ibackup-lock-${folder}`),
  };
}

/** A backup folder is complete when its Status.plist parses and says `SnapshotState: finished`. */
export async function isCompleteBackup(dir: string): Promise<boolean> {
  try {
    const status = decodePlist(await readFile(join(dir, 'Status.plist')));
    return isPlistDict(status) && status.SnapshotState === 'finished';
  } catch {
    return false;
  }
}

/** Keep a leftover tree as the spare when there is none (it is checked whole before use), else delete it. */
async function spareOrRemove(dir: string, f: BackupFolders): Promise<void> {
  if (await pathExists(f.spare)) await rm(dir, { recursive: true, force: true });
  else await rename(dir, f.spare);
}

/**
 * Finish or undo a swap a crash interrupted, and put away a leftover staging folder. After this, `current` is the
 * last complete backup (or absent) and neither `previous` nor `staging` exists.
 */
export async function recoverInterrupted(f: BackupFolders, log?: Logger): Promise<void> {
  if (await pathExists(f.previous)) {
    if (await pathExists(f.current)) {
      log?.info('putting away the previous backup left over by an interrupted swap');
      await spareOrRemove(f.previous, f);
    } else {
      log?.warn('an earlier run stopped in the middle of swapping folders; putting the previous backup back');
      await rename(f.previous, f.current);
      await fsyncDir(f.root);
    }
  }
  if (await pathExists(f.staging)) {
    log?.info('discarding the staging folder of an interrupted backup');
    await spareOrRemove(f.staging, f);
  }
}

/** Lock files this process holds (a lock file with our pid that is not listed here is stale: pid reuse). */
const heldLocks = new Set<string>();

/** Exclusive lock file with our pid; a lock whose process is gone is taken over. */
async function takeLock(path: string): Promise<void> {
  if (heldLocks.has(path)) {
    throw new IBackupError('BACKUP_IN_PROGRESS', 'A backup of this device is already running in this process.', {
      hint: 'Wait for it to finish.',
    });
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      heldLocks.add(path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new IBackupError('BACKUP_IN_PROGRESS', `Another backup of this device is running (process ${pid}).`, {
          hint: `Wait for it to finish, or stop it. If no backup is running, delete ${path}.`,
        });
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new IBackupError('BACKUP_IN_PROGRESS', `Could not take the backup lock ${path}.`, { hint: `Delete ${path} and try again.` });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How the staging folder got the previous backup's files: none (a full backup), a new clone, or the spare. */
export type StagingStart = 'empty' | 'clone' | 'spare';

export interface StagingOptions {
  root: string;
  /** The backup's folder name under root (a UDID). */
  folder: string;
  /** Start empty (a full backup) even when a complete backup exists. */
  full?: boolean;
  log?: Logger;
  /** Flush the staging folder before the swap (default true). */
  durable?: boolean;
  /** How to flush it (default flushTree). */
  flush?: (dir: string, changes?: StagedChanges) => Promise<FlushMethod>;
  /** Write new files back to disk while the backup runs, so the flush has little left (default: when durable). */
  backgroundWriteback?: boolean;
}

/**
 * The staging design (docs/backup-design.md): the device works on a hard-link copy of the last complete backup
 * (a new clone, or the spare the last backup left); it replaces the backup by two renames only after the device
 * reported success and Status.plist says `finished`.
 */
export class BackupStaging {
  private released = false;
  /** Folders (relative to the staging folder) the handlers said they changed: what the spare must re-check… */
  private readonly changedDirs = new Set<string>();
  private readonly touched = new Set<string>();
  /** …with every folder whose mtime moved since the staging folder was ready (taken for incremental backups). */
  private readonly startTimes: Map<string, bigint> | undefined;
  private readonly writeback: BackgroundWriteback | undefined;
  /** The trash the last backup left, being deleted while this one waits for the device (see trash.ts). */
  private trashEmptied: Promise<void> = Promise.resolve();

  private constructor(
    readonly folders: BackupFolders,
    /** Whether the staging folder started from a complete previous backup (→ the device can go incremental). */
    readonly incremental: boolean,
    /** How the previous backup's files got into the staging folder. */
    readonly start: StagingStart,
    /** Files linked (or copied) to get there: every file for a clone, only what differed for the spare. */
    readonly linkedFiles: number,
    private readonly dirtyDirs: Set<string>,
    /**
     * Started from a spare whose folders were durable: the folders (relative) that may not be, besides those the
     * backup changes. Undefined: any folder may not be durable (a clone, a spare checked whole), so the flush
     * fsyncs them all.
     */
    private readonly notDurableAtStart: string[] | undefined,
    private readonly durability: { durable: boolean; flush: (dir: string, changes?: StagedChanges) => Promise<FlushMethod>; writeback: boolean },
    private readonly log?: Logger,
  ) {
    this.startTimes = incremental ? folderTimes(folders.staging) : undefined;
    this.writeback = durability.writeback ? new BackgroundWriteback(folders.staging, { log }) : undefined;
  }

  /**
   * `durable` (default true): commit() makes the whole staging folder durable (`flush`, default flushTree:
   * syncfs, else fsync of every file) before the swap — files are not fsynced one by one while they arrive.
   */
  static async prepare(opts: StagingOptions): Promise<BackupStaging> {
    return (await BackupStaging.start(opts)).ready;
  }

  /**
   * Take the backup lock (awaited: another backup of the folder fails here, at once), then get the staging
   * folder ready in the background — recovering an interrupted run, turning the spare into it or cloning the
   * backup — so that the caller can connect to the device meanwhile. `ready` rejects (lock released, staging
   * folder removed) when that fails.
   */
  static async start(opts: StagingOptions): Promise<{ ready: Promise<BackupStaging> }> {
    const f = backupFolders(opts.root, opts.folder);
    try {
      await mkdir(f.root, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new IBackupError('BACKUP_DIR_UNUSABLE', `Cannot create the backup folder ${f.root}: ${(err as Error).message}`, {
        cause: err,
        hint: 'Choose another folder with --dir (or IBACKUP_DIR), or fix its permissions.',
      });
    }
    await takeLock(f.lock);
    return { ready: BackupStaging.fill(f, opts) };
  }

  private static async fill(f: BackupFolders, opts: StagingOptions): Promise<BackupStaging> {
    try {
      await recoverInterrupted(f, opts.log);
      const incremental = !opts.full && (await isCompleteBackup(f.current));
      const dirty = new Set<string>([f.staging]);
      let start: StagingStart = 'empty';
      let linked = 0;
      let notDurable: string[] | undefined;
      const fromSpare = incremental ? await stageFromSpare(f.spare, f.current, f.staging, opts.log) : undefined;
      if (fromSpare) {
        start = 'spare';
        linked = fromSpare.linked;
        notDurable = fromSpare.durableExcept;
        const { changedDirs, durableExcept, ...counts } = fromSpare;
        opts.log?.debug({ ...counts, changedDirs: changedDirs.length, foldersDurable: durableExcept !== undefined }, 'staging folder made from the spare');
      } else if (incremental) {
        start = 'clone';
        linked = (await hardLinkClone(f.current, f.staging, (d) => dirty.add(d))).files;
      } else {
        await removeTree(f.spare); // a full backup shares nothing with it
        await mkdir(f.staging, { mode: 0o755 });
      }
      opts.log?.debug({ incremental, start, linked }, 'staging folder ready');
      const durable = opts.durable ?? true;
      const durability = { durable, flush: opts.flush ?? flushTree, writeback: opts.backgroundWriteback ?? durable };
      const staging = new BackupStaging(f, incremental, start, linked, dirty, notDurable, durability, opts.log);
      // Started once the staging folder is ready, so that it does not slow that down: the device's planning
      // follows, while this process mostly waits.
      staging.trashEmptied = emptyTrash(f.trash);
      return staging;
    } catch (err) {
      await rm(f.staging, { recursive: true, force: true }).catch(() => undefined);
      heldLocks.delete(f.lock);
      await unlink(f.lock).catch(() => undefined);
      throw err;
    }
  }

  get dir(): string {
    return this.folders.staging;
  }

  /** A file of `bytes` was stored in the staging folder (paces the background writeback). */
  stored(bytes: number): void {
    this.writeback?.stored(bytes);
  }

  /** Record a folder whose entries changed (fsynced before the swap, re-checked in the spare after it). */
  touchedDir(dir: string): void {
    if (this.touched.has(dir)) return; // (called once per received file)
    this.touched.add(dir);
    this.dirtyDirs.add(dir);
    const rel = relative(this.folders.staging, dir);
    if (!rel.startsWith('..') && !isAbsolute(rel)) this.changedDirs.add(rel);
  }

  /**
   * Make the staging folder the backup: flush it (every file and folder in it durable), `current` → `previous`,
   * `staging` → `current`, fsync the root folder; then `previous` becomes the spare (after an incremental backup)
   * or is deleted.
   */
  async commit(): Promise<void> {
    const f = this.folders;
    // incremental: the folders whose entries changed since the staging folder was ready (for the flush and the spare)
    let changed: Set<string> | undefined;
    let folders: Map<string, bigint> | undefined;
    let toSync: Iterable<string> | undefined;
    if (this.startTimes) {
      changed = new Set(this.changedDirs);
      folders = folderTimes(f.staging);
      for (const [rel, t] of folders) if (this.startTimes.get(rel) !== t) changed.add(rel);
      // every folder, unless the spare vouched for those nobody changed since (see keepAsSpare)
      toSync = this.notDurableAtStart ? new Set(['', ...this.notDurableAtStart, ...changed]) : folders.keys();
    }
    await this.writeback?.stop();
    if (this.durability.durable) {
      const t = performance.now();
      const method = await this.durability.flush(f.staging, changed && { base: f.current, dirs: changed, folders: toSync && [...toSync] });
      this.log?.debug({ method, ms: Math.round(performance.now() - t), backgroundWritebacks: this.writeback?.completed }, 'staging folder flushed to disk');
    } else {
      for (const d of this.dirtyDirs) await fsyncDir(d);
      await fsyncDir(f.staging);
    }
    const hadCurrent = await pathExists(f.current);
    if (hadCurrent) await rename(f.current, f.previous);
    try {
      await rename(f.staging, f.current);
    } catch (err) {
      if (hadCurrent) await rename(f.previous, f.current).catch(() => undefined);
      throw new IBackupError('BACKUP_COMMIT_FAILED', `Could not put the new backup in place: ${(err as Error).message}`, {
        cause: err,
        hint: 'The previous backup was left as it was. Check the backup folder permissions and try again.',
      });
    }
    await fsyncDir(f.root);
    this.log?.debug({ dir: f.current }, 'new backup swapped in');
    if (hadCurrent && changed) {
      await this.trashEmptied; // (the new trash takes its place)
      const r = await keepAsSpare(f.previous, f.spare, f.current, changed, this.log, { durable: this.durability.durable, trash: f.trash });
      this.log?.debug({ linked: r?.linked, removed: r?.removed, foldersSynced: r && r.changedDirs.length + 1, changedDirs: changed.size }, 'replaced backup kept as the spare');
    } else if (hadCurrent) await removeTree(f.previous);
    await this.release();
  }

  /** Throw the staging folder away; the previous backup is untouched. */
  async discard(): Promise<void> {
    await rm(this.folders.staging, { recursive: true, force: true }).catch((err: unknown) => {
      this.log?.warn({ err: (err as Error).message }, 'could not remove the staging folder (the next run removes it)');
    });
    await this.release();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.trashEmptied;
    await this.writeback?.stop(false);
    heldLocks.delete(this.folders.lock);
    await unlink(this.folders.lock).catch(() => undefined);
  }
}
