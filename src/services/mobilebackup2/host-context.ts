import type { Logger } from '../../log.js';
import type { DeviceLinkConnection } from './devicelink.js';
import type { StagedWriteWorker } from './staged-write-worker.js';

/** How a device path is going to be used, so the resolver can decide whether a symlink at the end matters. */
export type PathUse = 'read' | 'write' | 'remove' | 'list' | 'mkdir';

/**
 * Maps a path sent by the device (relative to the backup root, starting with the UDID folder) onto a host path.
 * Implementations confine every path to the backup folder and throw IBackupError('UNSAFE_PATH') otherwise.
 */
export interface DevicePathResolver {
  resolve(devicePath: unknown, use: PathUse): Promise<string>;
  /** The tree changed in a way that may invalidate cached checks (moves, removals). */
  forget(): void;
}

/** What the DL loop reports while it works (all optional). */
export interface Mb2LoopObserver {
  /** A device request arrived (name as sent, e.g. DLMessageUploadFiles). */
  request?(name: string): void;
  /** The overall percentage the device reported with a request. */
  deviceProgress?(percent: number): void;
  /** An UploadFiles batch starts: `totalBytes` as announced by the device, and the percentage sent with it. */
  uploadBatch?(totalBytes: number, percent: number | undefined): void;
  /** Bytes of file data received (called often). */
  bytesReceived?(n: number): void;
  /** A file was written completely. */
  fileReceived?(info: { deviceName: string; devicePath: string; bytes: number }): void;
  /** The device could not send a file, or the host could not store it. */
  fileFailed?(info: { deviceName: string; devicePath: string; message: string }): void;
  /** A file was sent to the device (DownloadFiles). */
  fileSent?(info: { devicePath: string; bytes: number }): void;
}

export interface Mb2HostContext {
  dl: DeviceLinkConnection;
  paths: DevicePathResolver;
  /** The directory whose volume's free space GetFreeDiskSpace reports. */
  volumePath: string;
  /** fsync each received file before it is renamed into place (default true). */
  fsyncFiles?: boolean;
  /**
   * The destination is a staging folder that is discarded whole after a crash (docs/backup-design.md): received
   * files may be written directly under their final name when that name is new (always with O_EXCL, never into
   * an existing — possibly hard-linked — file), small files synchronously. Default false: temporary name + rename.
   */
  stagingWrites?: boolean;
  /**
   * With stagingWrites: write large files with direct I/O (O_DIRECT, bypassing the page cache) where the system
   * and the file system support it and the connection reads into a reused buffer (plain service connections;
   * default true; direct-file.ts).
   */
  directWrites?: boolean;
  /** With stagingWrites: small files are stored by this worker thread (else synchronously on this thread). */
  smallFileWorker?: StagedWriteWorker;
  /** Called with every directory whose entries changed (so a later commit can fsync it). */
  touchedDir?(dir: string): void;
  observer?: Mb2LoopObserver;
  signal?: AbortSignal;
  log?: Logger;
}
