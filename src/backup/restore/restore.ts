import { CodedError, IBackupError } from '../../errors.js';
import { layerLogger, type Logger } from '../../log.js';
import { connect, Device, type DeviceHandle } from '../../lockdown/device.js';
import { findDevice, muxFor } from '../../lockdown/open.js';
import { runDeviceLinkLoop, type Mb2LoopObserver } from '../../services/mobilebackup2/index.js';
import type { MuxListener } from '../../transport/index.js';
import { sideBySide } from '../side-by-side.js';
import { closeSyncServices, startSyncServices, type SyncServices } from '../sync-services.js';
import { defaultBackupRoot } from '../offline/backup-root.js';
import { operationEvents } from '../operation-events.js';
import { SyncLock } from '../sync-lock.js';
import { RebootWatch } from './await-reboot.js';
import type { RestoreEvent, RestorePhase, RestoreResult } from './events.js';
import { redactedRequestOptions, restoreRequestOptions, type RestoreOptions } from './options.js';
import { checkBackupForRestore, restoreFolder, type CheckedBackup } from './preflight.js';
import { readOnlyRequestHandlers } from './read-only-handlers.js';
import { ReadOnlyPathResolver } from './read-only-resolver.js';
import { removeRestoreApplications, RESTORE_APPLICATIONS_PATH, writeRestoreApplications } from './restore-applications.js';
import { restoreResultError } from './restore-errors.js';
import { bounded } from '../bounded.js';

const PHASE_TEXT: Record<RestorePhase, string> = {
  'checking-backup': 'Checking the backup',
  'connecting': 'Connecting to the device',
  'waiting-for-sync-lock': 'Waiting for another computer or app to finish syncing with the device',
  'preparing-device': 'Telling the device which apps to reinstall',
  'restoring': 'Restoring',
  'finishing': 'Finishing the restore',
  'rebooting': 'The device is restarting',
  'done': 'Restore complete',
};

const DEFAULT_REBOOT_TIMEOUT_MS = 5 * 60_000;

/**
 * Restore a backup onto a device the way idevicebackup2 and Finder do (protocol-reference §6): check the backup
 * folder first, then notification_proxy, AFC, mobilebackup2 Hello, the sync lock, RestoreApplications.plist over
 * AFC, the `Restore` request and the device-driven DeviceLink loop serving files from the backup (read only).
 * After a successful restore with reboot, waits for the device to come back.
 */
export async function restore(options: RestoreOptions = {}): Promise<RestoreResult> {
  const log = layerLogger('restore');
  const started = performance.now();
  const { emit, phase, tracker, progress: emitProgress } =
    operationEvents<RestoreEvent, RestorePhase>('restore', log, PHASE_TEXT, options);

  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const dir = options.dir ?? defaultBackupRoot();
  const reboot = options.reboot !== false;

  let device: DeviceHandle | undefined = options.device;
  const ownsDevice = !device;
  let services: SyncServices | undefined;
  let syncLock: SyncLock | undefined;
  let appsWritten = false;
  let succeeded = false;

  try {
    // 1. The backup, before any lockdown traffic (usbmuxd is asked for the UDID only when it is needed to find it).
    phase('checking-backup');
    let udid = device?.udid ?? options.udid;
    if (!options.backup && !options.sourceUdid && !udid) {
      udid = (await findDevice(muxFor({ muxAddress: options.muxAddress }), undefined, signal)).udid;
    }
    const folder = restoreFolder({ backup: options.backup, dir, sourceUdid: options.sourceUdid, deviceUdid: udid });
    const checked: CheckedBackup = await checkBackupForRestore(folder, { sourceUdid: options.sourceUdid, password: options.password });
    log.info({ backup: checked.path, source: checked.sourceUdid, encrypted: checked.encrypted }, 'backup checked');

    // 2. Lockdown and the services, as for a backup.
    phase('connecting');
    device ??= await connect(udid, { muxAddress: options.muxAddress, signal });
    const targetUdid = device.udid;
    const dev = device;
    services = await startSyncServices(dev, 'restore', { signal, cancel: internal, emit, log });
    const { afc, mb2 } = services;

    // 3. The mobilebackup2 handshake and the sync lock, side by side (each waits on the device over its own
    //    connection).
    const [protocolVersion] = await sideBySide(signal, [
      (s) => mb2.handshake(s),
      async (s) => {
        syncLock = await SyncLock.acquire(dev, afc, {
          signal: s,
          timeoutMs: options.syncLockTimeoutMs,
          onWaiting: () => phase('waiting-for-sync-lock'),
          log,
        });
      },
    ]);

    // 4. The apps to reinstall.
    let applications: number | undefined;
    if (options.skipApps !== true) {
      if (checked.applications) {
        phase('preparing-device');
        appsWritten = true; // from here on, a failure removes it
        await writeRestoreApplications(afc, checked.applications, signal);
        applications = Object.keys(checked.applications).length;
        emit({ type: 'applications-written', path: RESTORE_APPLICATIONS_PATH, applications });
      } else {
        log.info('Info.plist lists no Applications; RestoreApplications.plist is not written');
      }
    }

    // 5. Restore, and serve the device's requests from the backup folder.
    phase('restoring');
    const requestOptions = restoreRequestOptions(options);
    log.info({ target: targetUdid, source: checked.sourceUdid, options: redactedRequestOptions(requestOptions) }, 'Restore request');
    await mb2.sendRequest('Restore', { targetIdentifier: targetUdid, sourceIdentifier: checked.sourceUdid, options: requestOptions }, signal);
    const observer: Mb2LoopObserver = {
      deviceProgress: (p) => {
        tracker.devicePercent(p);
        emitProgress();
      },
      fileSent: (f) => {
        tracker.bytes(f.bytes);
        tracker.file();
        emit({ type: 'file', devicePath: f.devicePath, bytes: f.bytes });
        emitProgress();
      },
    };
    const end = await runDeviceLinkLoop(
      {
        dl: mb2.dl,
        paths: new ReadOnlyPathResolver(checked.path, checked.sourceUdid),
        volumePath: checked.path,
        observer,
        signal,
        log,
      },
      readOnlyRequestHandlers,
    );

    phase('finishing');
    if (end.kind === 'disconnect') {
      throw new IBackupError('DEVICE_DISCONNECTED', `The device ended the restore without a result${end.reason ? ` (${end.reason})` : ''}.`, {
        hint: 'Keep the device connected and unlocked, then run the restore again.',
      });
    }
    const failure = restoreResultError(end.result);
    if (failure) throw failure;
    succeeded = true;
    tracker.finish();
    emitProgress(true);

    // 6. Let go of the device; with reboot, watch usbmuxd from before the device goes away until it is back.
    let watch: RebootWatch | undefined;
    if (reboot && options.waitForReboot !== false) {
      watch = await startRebootWatch(device, options.muxAddress, targetUdid, signal, emit).catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'cannot watch usbmuxd for the reboot');
        return undefined;
      });
    }
    await releaseAll(true);
    let deviceBack: boolean | undefined;
    if (reboot) {
      phase('rebooting');
      emit({ type: 'reboot', state: 'requested', udid: targetUdid, message: 'The device restarts to finish the restore.' });
      if (watch) {
        try {
          const outcome = await watch.wait(options.rebootTimeoutMs ?? DEFAULT_REBOOT_TIMEOUT_MS, options.signal);
          deviceBack = outcome === 'back';
          if (deviceBack) {
            emit({ type: 'reboot', state: 'back', udid: targetUdid, message: 'The device is back after restarting.' });
          } else {
            const why =
              outcome === 'timeout'
                ? 'it did not come back in time'
                : outcome === 'aborted'
                  ? 'waiting was cancelled'
                  : 'the connection to usbmuxd was lost';
            emit({ type: 'reboot', state: 'timeout', udid: targetUdid, message: `The restore is complete, but ${why}; check the device.` });
          }
        } finally {
          watch.close();
        }
      } else {
        emit({ type: 'reboot', state: 'not-awaited', udid: targetUdid, message: 'The restore is complete; the device restarts now.' });
      }
    }

    const snap = tracker.snapshot();
    const durationMs = Math.round(performance.now() - started);
    const result: RestoreResult = {
      udid: targetUdid,
      sourceUdid: checked.sourceUdid,
      backupPath: checked.path,
      filesSent: snap.filesDone,
      bytesSent: snap.bytesDone,
      durationMs,
      bytesPerSecond: durationMs > 0 ? Math.round((snap.bytesDone * 1000) / durationMs) : 0,
      protocolVersion,
      applicationsWritten: applications,
      reboot,
      deviceBack,
    };
    phase('done');
    emit({ type: 'done', result });
    return result;
  } catch (err) {
    throw toRestoreError(err, signal, log);
  } finally {
    await releaseAll(succeeded);
  }

  /** Undo RestoreApplications.plist on failure, unlock, close everything. Idempotent, never throws. */
  async function releaseAll(ok: boolean): Promise<void> {
    const opened = services;
    services = undefined;
    if (!ok && appsWritten && opened) {
      appsWritten = false;
      await bounded(async () => {
        if (await removeRestoreApplications(opened.afc, log)) emit({ type: 'applications-removed', path: RESTORE_APPLICATIONS_PATH });
      }, 5000);
    }
    // Like idevicebackup2: unlock and post syncDidFinish before mobilebackup2 closes (which may reboot the device).
    const lock = syncLock;
    syncLock = undefined;
    if (lock) await bounded(() => lock.release(), 5000);
    await closeSyncServices(opened ?? {}, ok ? undefined : 'cancelled');
    const d = ownsDevice ? device : undefined;
    device = ownsDevice ? undefined : device;
    if (d) await bounded(() => d.close(), 3000);
  }
}

async function startRebootWatch(
  device: DeviceHandle,
  muxAddress: string | undefined,
  udid: string,
  signal: AbortSignal,
  emit: (e: RestoreEvent) => void,
): Promise<RebootWatch> {
  const listener: MuxListener = device instanceof Device ? await device.mux.listen(signal) : await muxFor({ muxAddress }).listen(signal);
  return new RebootWatch(listener, udid, () =>
    emit({ type: 'reboot', state: 'detached', udid, message: 'The device disconnected to restart.' }),
  );
}

/** Cancellations become a CANCELLED error; coded errors pass through; file-system errors are wrapped. */
function toRestoreError(err: unknown, signal: AbortSignal, log: Logger): Error {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof IBackupError) return reason;
    log.info('restore cancelled');
    return new IBackupError('CANCELLED', 'The restore was cancelled; the device may hold a partial restore.', {
      cause: reason ?? err,
      hint: 'Run the restore again to complete it. The backup is unchanged.',
    });
  }
  if (err instanceof CodedError) return err;
  if (err instanceof Error && (err as NodeJS.ErrnoException).code) {
    return new IBackupError('RESTORE_IO_ERROR', `Reading the backup failed: ${err.message}`, {
      cause: err,
      hint: 'Check that the backup folder is readable. The backup is unchanged.',
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
