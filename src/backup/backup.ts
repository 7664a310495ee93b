import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePlist, encodePlist, isPlistDict, type PlistDict } from '../../protocols/index.js';
import { CodedError, IBackupError } from '../errors.js';
import { layerLogger, type Logger } from '../log.js';
import { connect, type DeviceHandle } from '../lockdown/device.js';
import {
  AtomicFileWriter,
  freeDiskSpace,
  StagedWriteWorker,
  type Mb2LoopObserver,
} from '../services/mobilebackup2/index.js';
import { ConfinedPathResolver, deviceSegments } from './confine.js';
import { collectInfoSources } from './device-info.js';
import type { BackupEvent, BackupPhase, BackupResult } from './events.js';
import { buildInfoPlist, missingLockdownKeys } from './info-plist.js';
import { deviceResultError } from './mb-errors.js';
import { defaultBackupRoot } from './offline/backup-root.js';
import { operationEvents } from './operation-events.js';
import { BackupStaging } from './staging.js';
import { SyncLock } from './sync-lock.js';
import { bounded } from './bounded.js';
import { sideBySide } from './side-by-side.js';
import { closeSyncServices, startSyncServices, type SyncServices } from './sync-services.js';

export interface BackupOptions {
  /** Device UDID; default: the only/first USB device. Ignored when `device` is given. */
  udid?: string;
  /** An already connected device (the caller keeps ownership and closes it). */
  device?: DeviceHandle;
  /** Backup root folder (default: IBACKUP_DIR, else the platform's MobileSync/Backup folder). */
  dir?: string;
  /** Ask the device for a full backup even when a complete previous backup exists. */
  full?: boolean;
  /** Store the backup under this UDID folder (SourceIdentifier) instead of the device's. */
  sourceUdid?: string;
  signal?: AbortSignal;
  onEvent?: (event: BackupEvent) => void;
  /** usbmuxd address ('UNIX:/path', '/path', 'host:port'); default USBMUXD_SOCKET_ADDRESS or the platform default. */
  muxAddress?: string;
  /**
   * Make the new backup durable before it replaces the previous one (default true): one flush of the staging
   * folder's file system (syncfs; elsewhere an fsync of every file) before the swap. false skips the flush.
   */
  fsync?: boolean;
  /**
   * Write large files with direct I/O (O_DIRECT: from our buffers to the disk, no copy in the page cache) where
   * the system and the file system support it (default true; elsewhere, or when refused, the ordinary way).
   */
  directIo?: boolean;
  /** How long to wait for another host's sync lock (default 60 s). */
  syncLockTimeoutMs?: number;
  /** Minimum interval between progress events (default 200 ms). */
  progressIntervalMs?: number;
}

const PHASE_TEXT: Record<BackupPhase, string> = {
  'preparing': 'Preparing the backup folder',
  'connecting': 'Connecting to the device',
  'waiting-for-sync-lock': 'Waiting for another computer or app to finish syncing with the device',
  'collecting-info': 'Reading device information',
  'backing-up': 'Backing up',
  'finishing': 'Finishing the backup',
  'done': 'Backup complete',
};

function assertFolderName(name: string): void {
  try {
    if (deviceSegments(`${name}/x`, [name]).length !== 1) throw new Error('not a plain name');
  } catch {
    throw new IBackupError('INVALID_UDID', `${JSON.stringify(name)} is not a usable device identifier for a backup folder.`, {
      hint: 'Pass the 40- or 25-character UDID shown by `ibackup devices`.',
    });
  }
}

/**
 * Back up a device the way Finder does (notification_proxy sync notifications, AFC sync lock, Info.plist,
 * mobilebackup2 Backup and the device-driven DeviceLink loop) into `<dir>/<UDID>`. The previous complete backup
 * stays untouched until the new one is complete (docs/backup-design.md).
 */
export async function backup(options: BackupOptions = {}): Promise<BackupResult> {
  const log = layerLogger('backup');
  const started = performance.now();
  const { emit, phase, tracker, progress: emitProgress } =
    operationEvents<BackupEvent, BackupPhase>('backup', log, PHASE_TEXT, options);

  // Internal cancellation: the caller's signal, or the device's syncCancelRequest.
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const root = options.dir ?? defaultBackupRoot();

  let device: DeviceHandle | undefined = options.device;
  const ownsDevice = !device;
  let staging: BackupStaging | undefined;
  let services: SyncServices | undefined;
  let syncLock: SyncLock | undefined;
  let committed = false;
  let stagingReady: Promise<BackupStaging> | undefined;
  /** Set when getting the staging folder ready failed (that error is the one reported, not the abort it caused). */
  let stagingFailure: { err: unknown } | undefined;

  let filesFailed = 0;

  try {
    if (options.sourceUdid !== undefined) assertFolderName(options.sourceUdid);
    phase('connecting');
    device ??= await connect(options.udid, { muxAddress: options.muxAddress, signal });
    const udid = device.udid;
    const folder = options.sourceUdid ?? udid;
    assertFolderName(udid);
    assertFolderName(folder);

    phase('preparing');
    // The lock is taken now; the staging folder is made ready while the services start (both mostly wait).
    const { ready } = await BackupStaging.start({ root, folder, full: options.full, log, durable: options.fsync ?? true });
    stagingReady = ready.then(
      (s) => (staging = s),
      (err: unknown) => {
        stagingFailure = { err };
        internal.abort();
        throw err;
      },
    );
    stagingReady.catch(() => undefined); // awaited below and in cleanup

    phase('connecting');
    const dev = device;
    // Side by side with the services (lockdown answers one request at a time, in order).
    const willEncryptValue = dev.lockdown.getValue('com.apple.mobile.backup', 'WillEncrypt', signal).catch(() => false);
    services = await startSyncServices(dev, 'backup', { signal, cancel: internal, emit, log });
    const { afc, mb2 } = services;
    const willEncrypt = (await willEncryptValue) === true;

    // The device information is read while the mobilebackup2 handshake and the sync lock wait on the device, and
    // read again if another host held the lock (it may have changed the device meanwhile).
    phase('collecting-info');
    let lockWasHeld = false;
    const [protocolVersion, , firstSources] = await sideBySide(signal, [
      (s) => mb2.handshake(s),
      async (s) => {
        syncLock = await SyncLock.acquire(dev, afc, {
          signal: s,
          timeoutMs: options.syncLockTimeoutMs,
          onWaiting: () => {
            lockWasHeld = true;
            phase('waiting-for-sync-lock');
          },
          log,
        });
      },
      (s) => collectInfoSources(dev, afc, { signal: s, log }),
    ]);
    log.debug({ protocolVersion }, 'mobilebackup2 session ready');
    if (lockWasHeld) phase('collecting-info');
    const sources = lockWasHeld ? await collectInfoSources(dev, afc, { signal, log }) : firstSources;
    const missing = missingLockdownKeys(sources.lockdown);
    if (missing.length > 0) {
      throw new IBackupError('DEVICE_INFO_INCOMPLETE', `The device did not report ${missing.join(', ')}; Info.plist cannot be written.`, {
        hint: 'Unlock the device, make sure it trusts this computer, and try again.',
      });
    }
    staging = await stagingReady;
    const stagingRef = staging;
    const wantFull = options.full === true || !staging.incremental;
    log.info({ root, folder, incremental: !wantFull, start: staging.start, linkedFiles: staging.linkedFiles }, 'staging folder ready');
    const info = await AtomicFileWriter.create(join(staging.dir, 'Info.plist'));
    try {
      await info.write(encodePlist(buildInfoPlist(sources), 'xml'));
      await info.commit(false); // made durable with the whole staging folder at commit
      staging.touchedDir(staging.dir);
    } catch (err) {
      await info.abort();
      throw err;
    }

    phase('backing-up');
    if (wantFull) log.info('full backup');
    await mb2.sendRequest(
      'Backup',
      { targetIdentifier: udid, sourceIdentifier: folder, options: options.full ? { ForceFullBackup: true } : undefined },
      signal,
    );
    const observer: Mb2LoopObserver = {
      deviceProgress: (p) => {
        tracker.devicePercent(p);
        emitProgress();
      },
      uploadBatch: (total, p) => tracker.uploadBatch(p, total),
      bytesReceived: (n) => {
        tracker.bytes(n);
        emitProgress();
      },
      fileReceived: (f) => {
        stagingRef.stored(f.bytes);
        tracker.file();
        emit({ type: 'file', devicePath: f.devicePath, deviceName: f.deviceName, bytes: f.bytes });
      },
      fileFailed: (f) => {
        filesFailed++;
        emit({ type: 'file-failed', ...f });
      },
    };
    const smallFileWorker = new StagedWriteWorker();
    const end = await mb2
      .runLoop({
        paths: new ConfinedPathResolver(staging.dir, folder === udid ? [folder] : [folder, udid]),
        volumePath: root,
        fsyncFiles: false, // the staging folder is flushed as a whole before the swap
        stagingWrites: true,
        directWrites: options.directIo ?? true,
        smallFileWorker,
        touchedDir: (d) => stagingRef.touchedDir(d),
        observer,
        signal,
        log,
      })
      .finally(() => smallFileWorker.close());

    phase('finishing');
    if (end.kind === 'disconnect') {
      throw new IBackupError('DEVICE_DISCONNECTED', `The device ended the backup without a result${end.reason ? ` (${end.reason})` : ''}.`, {
        hint: 'Keep the device connected and unlocked, then run the backup again. The previous backup is unchanged.',
      });
    }
    const failure = deviceResultError(end.result, {
      freeBytes: await freeDiskSpace(root).then(Number, () => undefined),
    });
    if (failure) throw failure;
    const status = await readStatus(staging.dir);
    if (status?.SnapshotState !== 'finished') {
      throw new IBackupError(
        'BACKUP_INCOMPLETE',
        `The device reported success but the backup is not finished (Status.plist SnapshotState is ${JSON.stringify(status?.SnapshotState ?? 'missing')}).`,
        { hint: 'Run the backup again; if it repeats, use --full. The previous backup is unchanged.' },
      );
    }
    await staging.commit();
    committed = true;
    tracker.finish();
    emitProgress(true);

    const snap = tracker.snapshot();
    const durationMs = Math.round(performance.now() - started);
    const result: BackupResult = {
      udid,
      sourceUdid: folder,
      path: join(root, folder),
      full: typeof status.IsFullBackup === 'boolean' ? status.IsFullBackup : wantFull,
      filesReceived: snap.filesDone,
      bytesReceived: snap.bytesDone,
      filesFailed,
      durationMs,
      bytesPerSecond: durationMs > 0 ? Math.round((snap.bytesDone * 1000) / durationMs) : 0,
      protocolVersion,
      encrypted: willEncrypt,
    };
    phase('done');
    emit({ type: 'done', result });
    return result;
  } catch (err) {
    throw stagingFailure ? toBackupError(stagingFailure.err, undefined, log) : toBackupError(err, signal, log);
  } finally {
    await cleanup(log);
  }

  async function cleanup(l: Logger): Promise<void> {
    const lock = syncLock;
    // mobilebackup2 is closed first, so the device has stopped its side before the lock is released (over AFC).
    await closeSyncServices(services ?? {}, committed ? undefined : 'cancelled', async () => {
      if (lock) await bounded(() => lock.release(), 5000);
    });
    if (ownsDevice && device) await bounded(() => device!.close(), 3000);
    await stagingReady?.catch(() => undefined); // (sets staging when it got ready after a failure elsewhere)
    if (staging && !committed) {
      l.info('the new backup was not completed; the previous backup is unchanged');
      await staging.discard();
    } else if (staging) {
      await staging.release();
    }
  }
}

async function readStatus(dir: string): Promise<PlistDict | undefined> {
  try {
    const v = decodePlist(await readFile(join(dir, 'Status.plist')));
    return isPlistDict(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Cancellations become a CANCELLED error; everything else is passed through as a coded error. */
function toBackupError(err: unknown, signal: AbortSignal | undefined, log: Logger): Error {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof IBackupError) return reason;
    log.info('backup cancelled');
    return new IBackupError('CANCELLED', 'The backup was cancelled. The previous backup is unchanged.', {
      cause: reason ?? err,
      hint: 'Run the backup again when ready; it starts cleanly.',
    });
  }
  if (err instanceof CodedError) return err;
  if (err instanceof Error && (err as NodeJS.ErrnoException).code) {
    return new IBackupError('BACKUP_IO_ERROR', `A file operation on the computer failed: ${err.message}`, {
      cause: err,
      hint: 'Check that the backup folder is writable and the disk is not full. The previous backup is unchanged.',
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
