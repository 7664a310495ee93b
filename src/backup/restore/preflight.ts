import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isPlistDict, type PlistDict } from '../../../protocols/index.js';
import { deviceSegments } from '../confine.js';
import { defaultBackupRoot } from '../offline/backup-root.js';
import { resolveBackupPath } from '../offline/resolve-backup.js';
import { readPlistDictFile } from '../reader/plist-file.js';
import { preflightError } from './restore-errors.js';

/** A backup folder that passed the checks idevicebackup2 makes before it talks to the device (§6 step 1, 4). */
export interface CheckedBackup {
  /** The backup folder (read only). */
  path: string;
  /** SourceIdentifier: the first path segment the device will use for this backup's files. */
  sourceUdid: string;
  info: PlistDict;
  encrypted: boolean;
  /** Info.plist `Applications` (bundle ID → SINF/metadata), when present. */
  applications: PlistDict | undefined;
}

const UDID_RE = /^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{16})$/;

export function looksLikeUdid(name: string): boolean {
  return UDID_RE.test(name);
}

/** A name usable as the first segment of device paths (no slashes, colons, dots-only …). */
export function isUsableIdentifier(name: string): boolean {
  try {
    return deviceSegments(`${name}/x`, [name]).length === 1;
  } catch {
    return false;
  }
}

/** Which folder to restore from: BACKUP (a path or a name in `dir`), else `<dir>/<source or device UDID>`. */
export function restoreFolder(opts: { backup?: string; dir?: string; sourceUdid?: string; deviceUdid?: string }): string {
  if (opts.backup) return resolveBackupPath(opts.backup, opts.dir);
  const name = opts.sourceUdid ?? opts.deviceUdid;
  if (!name) throw new Error('restoreFolder needs a backup, a source UDID or the device UDID');
  const path = join(opts.dir ?? defaultBackupRoot(), name);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw preflightError(
      'BACKUP_NOT_FOUND',
      `There is no backup of ${name} in ${opts.dir ?? defaultBackupRoot()}.`,
      'Run `ibackup list` (with --dir if the backups are elsewhere) and pass the backup to restore, or --source UDID.',
    );
  }
  return path;
}

async function readPlist(path: string, what: string): Promise<PlistDict | undefined> {
  try {
    return await readPlistDictFile(path);
  } catch (err) {
    throw preflightError(
      'RESTORE_BACKUP_INVALID',
      `The backup's ${what} cannot be read: ${(err as Error).message}`,
      'Run `ibackup verify` on the backup; restore from another backup if it is damaged.',
      err,
    );
  }
}

function identifierFromInfo(info: PlistDict): string | undefined {
  for (const key of ['Target Identifier', 'Unique Identifier']) {
    const v = info[key];
    if (typeof v === 'string' && looksLikeUdid(v)) return v;
  }
  return undefined;
}

/**
 * Checks the backup folder before any device traffic: Info.plist and Manifest.plist must be readable,
 * Status.plist must say the backup finished, and an encrypted backup needs a password. Nothing is written.
 */
export async function checkBackupForRestore(folder: string, opts: { sourceUdid?: string; password?: string } = {}): Promise<CheckedBackup> {
  const info = await readPlist(join(folder, 'Info.plist'), 'Info.plist');
  if (!info) {
    throw preflightError(
      'RESTORE_BACKUP_INVALID',
      `${folder} has no Info.plist, so it is not a complete backup.`,
      'Pass the folder of a backup made by ibackup, Finder, iTunes or idevicebackup2 (`ibackup list` shows them).',
    );
  }
  const manifest = await readPlist(join(folder, 'Manifest.plist'), 'Manifest.plist');
  if (!manifest) {
    throw preflightError('RESTORE_BACKUP_INVALID', `${folder} has no Manifest.plist, so it cannot be restored.`, 'Restore from another, complete backup.');
  }
  const status = await readPlist(join(folder, 'Status.plist'), 'Status.plist');
  const state = status?.SnapshotState;
  if (state !== 'finished') {
    throw preflightError(
      'RESTORE_BACKUP_INCOMPLETE',
      `The backup in ${folder} is not complete (Status.plist ${status ? `SnapshotState is ${JSON.stringify(state ?? 'missing')}` : 'is missing'}); restoring it could leave the device with partial data.`,
      'Make a new backup (or pick another one with `ibackup list`) and restore that.',
    );
  }
  const encrypted = manifest.IsEncrypted === true;
  if (encrypted && (opts.password === undefined || opts.password === '')) {
    throw preflightError(
      'RESTORE_PASSWORD_REQUIRED',
      'This backup is encrypted; restoring it needs its password.',
      'Pass --password PASSWORD or set IBACKUP_PASSWORD (the password set when the backup was made).',
    );
  }
  const folderName = basename(folder);
  const sourceUdid = opts.sourceUdid ?? (looksLikeUdid(folderName) ? folderName : (identifierFromInfo(info) ?? folderName));
  if (!isUsableIdentifier(sourceUdid)) {
    throw preflightError(
      'RESTORE_BACKUP_INVALID',
      `${JSON.stringify(sourceUdid)} cannot be used as the backup's device identifier.`,
      'Pass --source UDID with the UDID of the device the backup was made from.',
    );
  }
  const apps = info.Applications;
  return { path: folder, sourceUdid, info, encrypted, applications: isPlistDict(apps) ? apps : undefined };
}
