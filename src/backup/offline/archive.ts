import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, opendir, readlink, rename, rm, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IBackupError } from '../../errors.js';
import { layerLogger } from '../../log.js';
import { openBackup } from '../reader/open-backup.js';

const log = layerLogger('backup-offline');

export interface ArchiveOptions {
  /** The time stamped into the name (default: now, local time, like Finder). */
  now?: Date;
  /** Copy every file (reflinks where the file system supports them) instead of hard-linking contents. */
  copy?: boolean;
  signal?: AbortSignal;
}

export interface ArchiveResult {
  path: string;
  /** Content files shared with the original by hard link. */
  linked: number;
  /** Files copied (plists, Manifest.db and anything the engine rewrites in place). */
  copied: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `<UDID>-YYYYMMDD-HHMMSS` (local time). */
export function archiveName(udid: string, now: Date): string {
  return `${udid}-${pad(now.getFullYear(), 4)}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/** Content files are named by their 40-hex fileID; they are written once and replaced, never edited in place. */
const BLOB_NAME = /^[0-9a-f]{40}$/;

/**
 * Makes a Finder-style archived copy `<UDID>-YYYYMMDD-HHMMSS` beside the backup. Content files are hard-linked
 * (falling back to a reflink/copy across file systems); the plists, Manifest.db and every other file the engine
 * rewrites are real copies, so later backups into the original never change the archive. The copy is built under
 * a temporary name and renamed into place when complete.
 */
export async function archiveBackup(path: string, opts: ArchiveOptions = {}): Promise<ArchiveResult> {
  const backup = await openBackup(path);
  const src = backup.path;
  const name = archiveName(backup.udid, opts.now ?? new Date());
  const dest = join(dirname(src), name);
  if (existsSync(dest)) {
    throw new IBackupError('ARCHIVE_EXISTS', `an archived copy named ${name} already exists beside ${basename(src)}`, {
      hint: 'wait a second and try again, or delete the existing copy',
    });
  }
  const tmp = join(dirname(src), `.${name}.partial-${randomBytes(4).toString('hex')}`);
  const result: ArchiveResult = { path: dest, linked: 0, copied: 0 };
  const dirTimes: { path: string; atime: Date; mtime: Date }[] = [];
  try {
    const stack: [string, string][] = [[src, tmp]];
    while (stack.length) {
      const [from, to] = stack.pop()!;
      const st = await lstat(from);
      await mkdir(to, { mode: st.mode & 0o7777 });
      dirTimes.push({ path: to, atime: st.atime, mtime: st.mtime });
      for await (const ent of await opendir(from)) {
        opts.signal?.throwIfAborted();
        const a = join(from, ent.name);
        const b = join(to, ent.name);
        if (ent.isDirectory()) {
          stack.push([a, b]);
        } else if (ent.isSymbolicLink()) {
          await symlink(await readlink(a), b);
        } else if (ent.isFile()) {
          if (!opts.copy && BLOB_NAME.test(ent.name)) {
            try {
              await link(a, b);
              result.linked++;
              continue;
            } catch (err) {
              log.debug({ err, file: a }, 'hard link failed; copying');
            }
          }
          await copyFile(a, b, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
          const fst = await lstat(a);
          await utimes(b, fst.atime, fst.mtime);
          result.copied++;
        }
      }
    }
    for (const d of dirTimes.reverse()) await utimes(d.path, d.atime, d.mtime);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  log.info({ from: src, to: dest, linked: result.linked, copied: result.copied }, 'archived backup');
  return result;
}
