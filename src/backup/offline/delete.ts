import { rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { IBackupError } from '../../errors.js';
import { layerLogger } from '../../log.js';
import { looksLikeBackup } from '../reader/open-backup.js';
import { backupFolders } from '../staging.js';

const log = layerLogger('backup-offline');

/** Deletes a backup folder (and the engine's spare and trash of it). Refuses a folder that does not look like a backup (no Info/Status/Manifest files). */
export async function deleteBackup(path: string): Promise<void> {
  if (!looksLikeBackup(path)) {
    throw new IBackupError('BACKUP_NOT_FOUND', `${path} is not a backup folder; nothing was deleted`);
  }
  await rm(path, { recursive: true, force: false, maxRetries: 2 });
  // The engine's spare of this backup (hard links to the same files): without it the space would not be freed.
  const engine = backupFolders(dirname(path), basename(path));
  await rm(engine.spare, { recursive: true, force: true, maxRetries: 2 });
  await rm(engine.trash, { recursive: true, force: true, maxRetries: 2 }); // files the backup no longer used
  log.info({ path }, 'deleted backup');
}
