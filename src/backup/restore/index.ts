export { restore } from './restore.js';
export { restoreRequestOptions, type RestoreOptions } from './options.js';
export type { RestoreEvent, RestorePhase, RestoreProgress, RestoreResult } from './events.js';
export { checkBackupForRestore, type CheckedBackup } from './preflight.js';
export { ReadOnlyPathResolver } from './read-only-resolver.js';
export { readOnlyRequestHandlers } from './read-only-handlers.js';
export { RESTORE_APPLICATIONS_PATH } from './restore-applications.js';
