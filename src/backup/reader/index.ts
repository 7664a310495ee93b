/** Reading backup folders without a device: the file index (Manifest.db / Manifest.mbdb), contents, extraction, verification. */
export { openBackup, looksLikeBackup, BACKUP_MARKERS, type OpenedBackup, type PlistLoadErrors } from './open-backup.js';
export { BackupReaderError, type BackupReaderErrorCode } from './errors.js';
export { compileFilter, globToRegExp } from './filter.js';
export { fileIdOf } from './file-id.js';
export { decodeMBFile, KeyedArchive, type MBFileRecord } from './keyed-archive.js';
export { readMbdbRecords, MBDB_MAGIC, type MbdbRecord } from './manifest-mbdb.js';
export { safeSegments } from './safe-path.js';
export { countEntries, type EntryCounts } from './count-entries.js';
export type * from './types.js';
