/** The library's public face. */
export * from './errors.js';
export { openBackup, BackupReaderError } from './backup/reader/index.js';
export type { Backup, BackupEntry, BackupEntryType, EntryFilter, VerifyReport, VerifyProblem, ExtractResult, ExtractOptions, OpenedBackup } from './backup/reader/index.js';
export { listBackups, defaultBackupRoot, archiveBackup, deleteBackup, type BackupSummary } from './backup/offline/index.js';
