/** Offline operations on the backup folder: finding, listing, archiving and deleting backups. */
export { defaultBackupRoot } from './backup-root.js';
export { listBackups, type ListBackupsOptions } from './list-backups.js';
export { resolveBackupPath } from './resolve-backup.js';
export { summarize, parseArchiveName, type BackupSummary } from './summary.js';
export { archiveBackup, archiveName, type ArchiveOptions, type ArchiveResult } from './archive.js';
export { deleteBackup } from './delete.js';
export { diskUsage } from './disk-usage.js';
export { formatBytes, formatMode, formatTime, formatTable, writeWithBackpressure } from './text.js';
