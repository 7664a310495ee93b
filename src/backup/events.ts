/** Phases of a backup, in order. */
export type BackupPhase =
  | 'preparing' // staging folder (hard-link clone of the previous backup)
  | 'connecting' // lockdown, services, DeviceLink handshake
  | 'waiting-for-sync-lock' // another host holds the device's sync lock
  | 'collecting-info' // Info.plist from lockdown, installation_proxy, AFC
  | 'backing-up' // the device-driven transfer
  | 'finishing' // checking the result, swapping the new backup in
  | 'done';

export interface BackupProgress {
  /** Overall percent 0–100; never goes backwards. */
  percent: number;
  /** File bytes received from the device. */
  bytesDone: number;
  /** Files received from the device. */
  filesDone: number;
  /** Bytes per second over the last few seconds. */
  bytesPerSecond: number;
  /** Estimated seconds left, when it can be estimated. */
  etaSeconds: number | undefined;
  elapsedMs: number;
}

export type BackupEvent =
  | { type: 'phase'; phase: BackupPhase; message: string }
  | ({ type: 'progress' } & BackupProgress)
  | { type: 'file'; devicePath: string; deviceName: string; bytes: number }
  | { type: 'file-failed'; devicePath: string; deviceName: string; message: string }
  | { type: 'passcode-required'; message: string }
  | { type: 'passcode-entered' }
  | { type: 'warning'; code: string; message: string }
  | { type: 'done'; result: BackupResult };

export interface BackupResult {
  udid: string;
  /** The UDID folder the backup was stored under (`--source`, default the device's). */
  sourceUdid: string;
  /** `<dir>/<UDID>`: the complete backup. */
  path: string;
  /** Whether the device made a full backup (Status.plist IsFullBackup, else our request). */
  full: boolean;
  filesReceived: number;
  bytesReceived: number;
  /** Files the device could not send (the device decides whether that fails the backup). */
  filesFailed: number;
  durationMs: number;
  /** Average bytes per second over the transfer. */
  bytesPerSecond: number;
  protocolVersion: number | undefined;
  encrypted: boolean;
}
