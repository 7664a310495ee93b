import type { BackupProgress } from '../events.js';

/** Phases of a restore, in order ('rebooting' only when the device reboots afterwards). */
export type RestorePhase =
  | 'checking-backup' // the backup folder is complete and usable (before any device traffic)
  | 'connecting' // lockdown, services, DeviceLink handshake
  | 'waiting-for-sync-lock' // another host holds the device's sync lock
  | 'preparing-device' // /iTunesRestore/RestoreApplications.plist over AFC
  | 'restoring' // the device-driven transfer
  | 'finishing' // checking the device's result
  | 'rebooting' // the device restarts; waiting for it to come back
  | 'done';

/** Progress of a restore: the same shape as a backup's (bytes/files are what the host sent). */
export type RestoreProgress = BackupProgress;

export type RestoreEvent =
  | { type: 'phase'; phase: RestorePhase; message: string }
  | ({ type: 'progress' } & RestoreProgress)
  | { type: 'file'; devicePath: string; bytes: number }
  | { type: 'applications-written'; path: string; applications: number }
  | { type: 'applications-removed'; path: string }
  | { type: 'passcode-required'; message: string }
  | { type: 'passcode-entered' }
  | { type: 'warning'; code: string; message: string }
  | { type: 'reboot'; state: 'requested' | 'detached' | 'back' | 'timeout' | 'not-awaited'; udid: string; message: string }
  | { type: 'done'; result: RestoreResult };

export interface RestoreResult {
  /** The device that was restored. */
  udid: string;
  /** SourceIdentifier sent to the device: whose backup this is. */
  sourceUdid: string;
  /** The backup folder that was read (never modified). */
  backupPath: string;
  filesSent: number;
  bytesSent: number;
  durationMs: number;
  bytesPerSecond: number;
  protocolVersion: number | undefined;
  /** Apps listed in RestoreApplications.plist (undefined when it was not written). */
  applicationsWritten: number | undefined;
  /** The device was asked to reboot after the restore. */
  reboot: boolean;
  /** With reboot: whether the device came back (attached again) within the wait; undefined when not awaited. */
  deviceBack: boolean | undefined;
}
