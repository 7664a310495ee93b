import { lstatSync } from 'node:fs';
import { readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { fsyncFolders, pathExists, removeTree } from './fs-durable.js';
import { mirrorTree, type MirrorResult } from './mirror-tree.js';
import { trashFiles } from './trash.js';

// The spare tree (docs/backup-design.md, "The spare"): after an incremental backup, the folder it replaced is not
// deleted but kept as `.ibackup-spare-<UDID>`, made a hard-link mirror of the new backup again, so the next
// backup starts from it instead of cloning the whole backup. Purely a cache: losing it, or any doubt about it,
// costs only the clone it saves.

/** Written in the spare after it was mirrored: what is still missing from it, and which backup it mirrors. */
const RECORD = '.ibackup-spare.json';

/** Removed from the spare so that no tool takes it for a backup (they are relinked when it is used). */
const BACKUP_MARKERS = ['Info.plist', 'Status.plist', 'Manifest.plist', 'Manifest.db'];

interface SpareRecord {
  /**
   * 2: the folders the mirroring changed were fsynced before this record was written, so every folder of the
   * spare is durable except the top one. 1 (written by earlier versions): no such promise.
   */
  version: 1 | 2;
  /** `identityOf(current)` when the spare was made. */
  of: string;
  /** Relative folders where the spare may differ from the backup it mirrors. */
  differs: string[];
}

/**
 * Identity of a backup folder's contents: inode, size and times of its Status.plist and Manifest.db. Every
 * backup — by us, Finder or idevicebackup2 — rewrites both, so a changed identity means the spare may be stale.
 */
export function identityOf(dir: string): string {
  return JSON.stringify(
    ['Status.plist', 'Manifest.db'].map((name) => {
      try {
        const s = lstatSync(join(dir, name), { bigint: true });
        return [name, String(s.ino), String(s.size), String(s.mtimeNs), String(s.ctimeNs)];
      } catch {
        return [name, null];
      }
    }),
  );
}

/**
 * After a swap: make `previous` (the tree the new backup replaced) the spare. `changed` are the folders the
 * backup changed (relative to the backup folder); only they are compared. Frees the replaced and deleted files at
 * once (their only links were in `previous`), or with `trash` moves them there, up to a limit (see trash.ts). The
 * folders the mirroring changed are fsynced before the record is written: a record that survived a power loss
 * then vouches for folders that did too (no journal, or a file system without ordered metadata, may otherwise
 * keep the record and lose a link the next backup relies on), and the next backup need not fsync the folders it
 * leaves alone (`durable: false`, for backups made without
 * durability: no fsync, and a record that promises nothing). Never fails: a spare that cannot be made is removed.
 */
export async function keepAsSpare(
  previous: string,
  spare: string,
  current: string,
  changed: Iterable<string>,
  log?: Logger,
  opts: { durable?: boolean; syncFolder?: (dir: string) => Promise<void>; trash?: string } = {},
): Promise<MirrorResult | undefined> {
  const durable = opts.durable ?? true;
  try {
    if (await pathExists(spare)) await removeTree(spare);
    await rename(previous, spare);
    const r = await mirrorTree(current, spare, { only: changed, removeFile: opts.trash === undefined ? undefined : trashFiles(opts.trash) });
    for (const name of BACKUP_MARKERS) await unlink(join(spare, name)).catch(() => undefined);
    if (durable) await fsyncFolders([...new Set(['', ...r.changedDirs])].map((rel) => join(spare, rel)), opts.syncFolder);
    const record: SpareRecord = { version: durable ? 2 : 1, of: identityOf(current), differs: [''] };
    await writeFile(join(spare, RECORD), JSON.stringify(record), { mode: 0o644 });
    return r;
  } catch (err) {
    log?.warn({ err: (err as Error).message }, 'could not keep the replaced backup as a spare; deleting it');
    await removeTree(previous).catch(() => undefined);
    await removeTree(spare).catch(() => undefined);
    return undefined;
  }
}

async function readRecord(spare: string): Promise<SpareRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(join(spare, RECORD), 'utf8')) as Partial<SpareRecord>;
    if ((r.version !== 1 && r.version !== 2) || typeof r.of !== 'string' || !Array.isArray(r.differs)) return undefined;
    if (!r.differs.every((d) => typeof d === 'string' && !d.split(/[\\/]/).includes('..'))) return undefined;
    return r as SpareRecord;
  } catch {
    return undefined;
  }
}

/**
 * Turn the spare, if there is one, into `staging`: an exact hard-link mirror of `current`. With a record that
 * matches `current` only the folders it names are compared; otherwise (no record, a backup changed by another
 * tool, a leftover from a crash) every folder is. Returns undefined when there is no spare. `durableExcept`: when
 * the record promised that the spare's folders were durable, the folders that may not be — those this call
 * changed (`changedDirs`, relative to `staging`) and the top one; undefined when any folder may not be.
 */
export async function stageFromSpare(
  spare: string,
  current: string,
  staging: string,
  log?: Logger,
): Promise<(MirrorResult & { checkedAll: boolean; durableExcept: string[] | undefined }) | undefined> {
  if (!(await pathExists(spare))) return undefined;
  try {
    const record = await readRecord(spare);
    await rm(join(spare, RECORD), { force: true });
    const trusted = record !== undefined && record.of === identityOf(current);
    const r = await mirrorTree(current, spare, trusted ? { only: record.differs } : {});
    await rename(spare, staging);
    const durableExcept = trusted && record.version === 2 ? ['', ...r.changedDirs] : undefined;
    return { ...r, checkedAll: !trusted, durableExcept };
  } catch (err) {
    // not a folder, unreadable, …: it is only a cache — remove it and let the caller clone the backup
    log?.warn({ err: (err as Error).message }, 'the spare could not be used; deleting it');
    await removeTree(spare);
    return undefined;
  }
}
