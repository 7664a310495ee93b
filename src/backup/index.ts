export { backup, type BackupOptions } from './backup.js';
export { BackupNotification } from './sync-notifications.js';
export { backupWithEvents } from './backup-events.js';
export type { BackupEvent, BackupPhase, BackupProgress, BackupResult } from './events.js';
export { ConfinedPathResolver, deviceSegments } from './confine.js';
export { backupFolders, BackupStaging, isCompleteBackup, recoverInterrupted, type BackupFolders } from './staging.js';
export { buildInfoPlist, type InfoPlistSources } from './info-plist.js';
export { deviceResultError, formatBytes } from './mb-errors.js';
export { ProgressTracker } from './progress.js';
