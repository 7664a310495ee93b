import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IBackupError } from '../../errors.js';
import { looksLikeBackup } from '../reader/open-backup.js';
import { defaultBackupRoot } from './backup-root.js';

/**
 * The folder a user means by BACKUP: a path to a backup folder, or a UDID / folder name within `dir`
 * (default: defaultBackupRoot()). Throws BACKUP_NOT_FOUND with the places looked at.
 */
export function resolveBackupPath(spec: string, dir?: string): string {
  const root = dir ?? defaultBackupRoot();
  const asPath = resolve(spec);
  const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
  if (isDir(asPath) && looksLikeBackup(asPath)) return asPath;
  if (!spec.includes('/') && !spec.includes('\\') && spec !== '.' && spec !== '..') {
    const inRoot = join(root, spec);
    if (isDir(inRoot)) return inRoot;
  }
  if (isDir(asPath)) return asPath; // openBackup explains why it is not a backup
  throw new IBackupError('BACKUP_NOT_FOUND', `no backup named ${JSON.stringify(spec)}: not a folder, and not in ${root}`, {
    hint: 'run `ibackup list` (with --dir if the backups are elsewhere) to see the backups',
  });
}
