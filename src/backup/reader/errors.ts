import { IBackupError } from '../../errors.js';

/** Stable codes thrown by the offline backup reader. */
export type BackupReaderErrorCode =
  | 'BACKUP_NOT_FOUND' // the path is not a backup folder
  | 'BACKUP_ENCRYPTED' // file contents (or an encrypted Manifest.db) of an encrypted backup
  | 'BACKUP_NO_MANIFEST' // neither Manifest.db nor Manifest.mbdb exists
  | 'BACKUP_MANIFEST_CORRUPT' // the file index cannot be read
  | 'BACKUP_PLIST_CORRUPT' // Info/Status/Manifest.plist cannot be parsed
  | 'BACKUP_NOT_A_FILE' // readFile() of a directory or symlink
  | 'BACKUP_BLOB_MISSING' // the content of a file entry is not in the folder
  | 'EXTRACT_UNSAFE_PATH' // a name that would escape the output folder
  | 'EXTRACT_THROUGH_SYMLINK'; // writing would go through a symlink

export class BackupReaderError extends IBackupError {
  declare readonly code: BackupReaderErrorCode;
  constructor(code: BackupReaderErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(code, message, options);
  }
}

export function encryptedError(what: string): BackupReaderError {
  return new BackupReaderError(
    'BACKUP_ENCRYPTED',
    `this backup is encrypted; encrypted backups are not supported yet (cannot ${what})`,
    { hint: 'list and show work on encrypted backups; turn encryption off on the device and back up again to read files' },
  );
}
