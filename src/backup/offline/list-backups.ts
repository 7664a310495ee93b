import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { layerLogger } from '../../log.js';
import { looksLikeBackup, openBackup } from '../reader/open-backup.js';
import { defaultBackupRoot } from './backup-root.js';
import { diskUsage } from './disk-usage.js';
import { summarize, type BackupSummary } from './summary.js';

const log = layerLogger('backup-offline');

export interface ListBackupsOptions {
  /** Folder holding the backups (default: defaultBackupRoot()). */
  dir?: string;
  /** Also measure each backup's size on disk (walks every folder; default true). */
  sizes?: boolean;
  signal?: AbortSignal;
}

/**
 * Every backup in the folder (including archived copies `<UDID>-YYYYMMDD-HHMMSS`), sorted by name. Folders that
 * are not backups, and hidden folders (staging areas), are skipped; a backup whose plists cannot be read is still listed with what is known.
 * A missing folder gives an empty list.
 */
export async function listBackups(opts: ListBackupsOptions = {}): Promise<BackupSummary[]> {
  const dir = opts.dir ?? defaultBackupRoot();
  let names: string[];
  try {
    // Hidden folders are work in progress (the engine's `.ibackup-staging-<UDID>`, a partial archive): not backups.
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  names.sort();
  const out: BackupSummary[] = [];
  for (const name of names) {
    opts.signal?.throwIfAborted();
    const p = join(dir, name);
    if (!looksLikeBackup(p)) continue;
    try {
      const s = summarize(await openBackup(p));
      if (opts.sizes !== false) s.sizeOnDisk = await diskUsage(p, opts.signal);
      out.push(s);
    } catch (err) {
      log.warn({ path: p, err }, 'skipping unreadable backup folder');
    }
  }
  return out;
}
