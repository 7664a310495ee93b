/** The library's public face. */
export * from './errors.js';
export { openBackup, BackupReaderError } from './backup/reader/index.js';
export type { Backup, BackupEntry, BackupEntryType, EntryFilter, VerifyReport, VerifyProblem, ExtractResult, ExtractOptions, OpenedBackup } from './backup/reader/index.js';
export { listBackups, defaultBackupRoot, archiveBackup, deleteBackup, type BackupSummary } from './backup/offline/index.js';
// --- Device connection (issue #4: transport, lockdown, services) ---
export { connect, Device, DeviceSession } from './lockdown/device.js';
export type { DeviceHandle, LockdownSession, ServiceConnection, StartServiceOptions, ConnectOptions } from './lockdown/device.js';
export { listDevices, watchDevices } from './lockdown/devices.js';
export type { DeviceInfo, ListDevicesOptions, DeviceWatcher } from './lockdown/devices.js';
export { pairDevice, validatePairing, unpairDevice, TRUST_MESSAGE, UNLOCK_MESSAGE } from './lockdown/pairing.js';
export type { PairingEvent, PairOptions, PairResult, UnpairResult } from './lockdown/pairing.js';
export { LockdownError } from './lockdown/errors.js';
export { loadPairRecord, parsePairRecord, encodePairRecord, userPairRecordDir, systemPairRecordDirs } from './lockdown/pair-record.js';
export type { PairRecord } from './lockdown/pair-record.js';
export type { DeviceOptions } from './lockdown/open.js';
export { UsbmuxClient, MuxListener, TransportError, parseMuxAddress, resolveMuxAddress, DEFAULT_TIMEOUTS } from './transport/index.js';
export type { MuxDevice, MuxAddress, Timeouts } from './transport/index.js';
export { NotificationProxyClient, NOTIFICATION_PROXY_SERVICE } from './services/notification-proxy/index.js';
export { AfcClient, AfcStatusError, AFC_SERVICE } from './services/afc/index.js';
export type { AfcFileInfo } from './services/afc/index.js';
export { browseApplications, INSTALLATION_PROXY_SERVICE } from './services/installation-proxy/index.js';
// --- end device connection ---
// --- Restore (issue #6) ---
export { restore, restoreRequestOptions, checkBackupForRestore, RESTORE_APPLICATIONS_PATH } from './backup/restore/index.js';
export type { RestoreOptions, RestoreEvent, RestorePhase, RestoreProgress, RestoreResult, CheckedBackup } from './backup/restore/index.js';
// --- Backup (issue #5) ---
export { backup, backupWithEvents, BackupNotification } from './backup/index.js';
export type { BackupOptions, BackupEvent, BackupPhase, BackupProgress, BackupResult } from './backup/index.js';
export { MobileBackup2Client, MOBILEBACKUP2_SERVICE, DeviceLinkConnection, runDeviceLinkLoop, deviceRequestHandlers } from './services/mobilebackup2/index.js';
export type { Mb2HostContext, Mb2LoopObserver, DevicePathResolver, DeviceRequestHandler } from './services/mobilebackup2/index.js';
// --- end backup ---
