// `Backup`: the device drives the host through Status.plist → (Manifest.db) → free space → Snapshot directories →
// file uploads → manifests → moves → removals → finished Status.plist (protocol-reference.md §5.4, §5.6, §8.4).
import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePlist,
  dlCreateDirectory,
  dlGetFreeDiskSpace,
  dlMoveItems,
  dlRemoveItems,
  dlUploadFiles,
  encodePlist,
  isPlistDict,
  plistNumber,
  type PlistDict,
} from '../../../protocols/index.js';
import { buildManifestPlist, buildStatusPlist, ManifestDbWriter, readManifestDb, type SnapshotState } from '../../manifest/index.js';
import type { SimDevice } from '../../types.js';
import { requestOptions, withScratchDir, type CommandContext, type CommandResult } from './context.js';
import { DEVICE_BLOCK_BYTES, type DeviceLinkConnection, type UploadItem } from './devicelink-connection.js';
import { getLastBackup, setLastBackup } from './device-state.js';
import { downloadFiles, fileSink, memorySink } from './download.js';
import { MBError, MBErrorCode } from './errors.js';
import { planBackup, type BackupPlan } from './backup-plan.js';
import { askForPasscode } from './passcode.js';
import { mobilebackup2Stats } from './stats.js';

const BATCH_FILES = 256;
const BATCH_BYTES = 32 * 1024 * 1024;

async function checked(dl: DeviceLinkConnection, msg: Parameters<DeviceLinkConnection['request']>[0], what: string): Promise<void> {
  const st = await dl.request(msg);
  if (st.code !== 0) throw new MBError(MBErrorCode.InputOutput, `${what} failed on the host: ${st.status1 ?? `status ${st.code}`}`);
}

function bundleIds(plan: BackupPlan): string[] {
  const ids = new Set<string>();
  for (const e of plan.entries) if (e.domain.startsWith('AppDomain-')) ids.add(e.domain.slice('AppDomain-'.length));
  return [...ids].sort();
}

async function uploadStatus(dl: DeviceLinkConnection, udid: string, status: PlistDict, progress: number): Promise<void> {
  const data = encodePlist(status, 'binary');
  await dl.send(dlUploadFiles(data.length, progress));
  await dl.writeUploadStream([{ deviceName: 'Status.plist', hostPath: `${udid}/Status.plist`, size: data.length, open: () => [data] }]);
  const st = await dl.receiveStatus();
  if (st.code !== 0) throw new MBError(MBErrorCode.UploadFailed);
}

/** Downloads the host's Status.plist and, when it matches the device's last backup, its Manifest.db. */
async function hostState(ctx: CommandContext, udid: string, scratch: string, force: boolean) {
  let status: PlistDict | undefined;
  await downloadFiles(ctx.dl, [`${udid}/Status.plist`], 0, () =>
    memorySink(1024 * 1024, (buf) => {
      try {
        const v = decodePlist(buf);
        if (isPlistDict(v)) status = v;
      } catch {
        // an unreadable Status.plist means a full backup
      }
    }),
  );
  const last = getLastBackup(ctx.device);
  if (force || !last || status?.SnapshotState !== 'finished' || status.UUID !== last.uuid) return undefined;
  const dbPath = join(scratch, 'host-Manifest.db');
  let got = false;
  await downloadFiles(ctx.dl, [`${udid}/Manifest.db`], 1, () => fileSink(dbPath, () => (got = true)));
  if (!got) return undefined;
  try {
    return { rows: readManifestDb(dbPath), contentIds: last.contentIds };
  } catch {
    return undefined;
  }
}

export async function backup(ctx: CommandContext): Promise<CommandResult> {
  const { dl, device } = ctx;
  const faults = device.faults;
  if (faults.mbError !== undefined) throw new MBError(faults.mbError);
  if (device.getValue('com.apple.mobile.backup', 'WillEncrypt') === true) {
    throw new MBError(MBErrorCode.Generic, 'This simulated device cannot make encrypted backups yet; turn backup encryption off first');
  }
  if (faults.passcodeTimeoutMs !== undefined) {
    const entered = await askForPasscode(device, faults.passcodeTimeoutMs, dl.closedSignal);
    if (!entered) throw new MBError(MBErrorCode.DeviceLocked);
  }
  if (faults.diskFull) {
    throw new MBError(MBErrorCode.InputOutput, 'Error creating the backup snapshot: No space left on device (28)');
  }
  const udid = device.udid;
  const force = requestOptions(ctx.request).ForceFullBackup === true;
  return withScratchDir(device, async (scratch) => {
    const host = await hostState(ctx, udid, scratch, force);
    const plan = planBackup(device.fs, host);
    const dataBytes = plan.send.reduce((s, f) => s + f.entry.size, 0);

    const free = plistNumber((await dl.request(dlGetFreeDiskSpace())).status2) ?? 0;
    const needed = dataBytes + plan.entries.length * 512 + 64 * 1024;
    if (free < needed) throw new MBError(MBErrorCode.NoSpace);

    const uuid = randomUUID().toUpperCase();
    const status = (s: SnapshotState) => buildStatusPlist({ uuid, isFullBackup: plan.mode === 'full', snapshotState: s });
    await uploadStatus(dl, udid, status('uploading'), 2);

    const snapshot = `${udid}/Snapshot`;
    await checked(dl, dlCreateDirectory(snapshot), 'Creating the snapshot directory');
    const prefixes = [...new Set(plan.send.map((f) => f.id.slice(0, 2)))].sort();
    for (const xx of prefixes) await checked(dl, dlCreateDirectory(`${snapshot}/${xx}`), 'Creating a snapshot directory');

    if (faults.hostilePath !== undefined) await uploadHostileFile(dl, faults.hostilePath);

    let sent = 0;
    const progress = () => 3 + (dataBytes === 0 ? 85 : (85 * sent) / dataBytes);
    const dbPath = join(scratch, 'Manifest.db');
    const manifest = new ManifestDbWriter(dbPath);
    try {
      // Manifest.db is built while the host stores each upload (rows in proportion to the files sent), not all
      // after the last one while the host waits (50,000 files: ≈ 0.6 s of the simulator's time).
      let rows = 0;
      const rowsUpTo = (n: number): void => {
        manifest.add(plan.entries, rows, n);
        rows = n;
      };
      for (let i = 0; i < plan.send.length; ) {
        const batch: UploadItem[] = [];
        let bytes = 0;
        while (i < plan.send.length && batch.length < BATCH_FILES && (batch.length === 0 || bytes < BATCH_BYTES)) {
          const f = plan.send[i++]!;
          bytes += f.entry.size;
          batch.push({
            deviceName: `${f.entry.domain}/${f.entry.relativePath}`,
            hostPath: `${snapshot}/${f.id.slice(0, 2)}/${f.id}`,
            size: f.entry.size,
            open: () => device.fs.contentChunks?.(f.entry, DEVICE_BLOCK_BYTES) ?? device.fs.openRead(f.entry),
          });
        }
        await dl.send(dlUploadFiles(bytes, progress()));
        await dl.writeUploadStream(batch, (n) => (sent += n));
        rowsUpTo(Math.floor((plan.entries.length * i) / plan.send.length));
        const st = await dl.receiveStatus();
        if (st.code !== 0) throw new MBError(MBErrorCode.UploadFailed);
      }
      rowsUpTo(plan.entries.length);
      manifest.finish();
    } finally {
      manifest.close();
    }
    const manifestPlist = encodePlist(
      buildManifestPlist({ lockdownValues: device.getValue(''), udid, isEncrypted: false, wasPasscodeSet: faults.passcodeTimeoutMs !== undefined, bundleIds: bundleIds(plan) }),
      'binary',
    );
    const dbBytes = statSync(dbPath).size;
    await dl.send(dlUploadFiles(dbBytes + manifestPlist.length, 89));
    await dl.writeUploadStream([
      { deviceName: 'Manifest.db', hostPath: `${snapshot}/Manifest.db`, size: dbBytes, open: () => createReadStream(dbPath, { highWaterMark: DEVICE_BLOCK_BYTES }) },
      { deviceName: 'Manifest.plist', hostPath: `${snapshot}/Manifest.plist`, size: manifestPlist.length, open: () => [manifestPlist] },
    ]);
    if ((await dl.receiveStatus()).code !== 0) throw new MBError(MBErrorCode.UploadFailed);

    const moves: Record<string, string> = {};
    if (plan.mode === 'full') {
      for (const xx of prefixes) moves[`${snapshot}/${xx}`] = `${udid}/${xx}`;
    } else {
      for (const xx of prefixes) await checked(dl, dlCreateDirectory(`${udid}/${xx}`), 'Creating a backup directory');
      for (const f of plan.send) moves[`${snapshot}/${f.id.slice(0, 2)}/${f.id}`] = `${udid}/${f.id.slice(0, 2)}/${f.id}`;
    }
    moves[`${snapshot}/Manifest.db`] = `${udid}/Manifest.db`;
    moves[`${snapshot}/Manifest.plist`] = `${udid}/Manifest.plist`;
    await checked(dl, dlMoveItems(moves, 93), 'Moving the snapshot into place');

    const removals: string[] = [];
    if (plan.mode === 'full') {
      const used = new Set(prefixes);
      for (let n = 0; n < 256; n++) {
        const xx = n.toString(16).padStart(2, '0');
        if (!used.has(xx)) removals.push(`${udid}/${xx}`);
      }
    } else {
      for (const id of plan.remove) removals.push(`${udid}/${id.slice(0, 2)}/${id}`);
    }
    removals.push(snapshot);
    await checked(dl, dlRemoveItems(removals, 97), 'Removing the snapshot');

    await uploadStatus(dl, udid, status('finished'), 100);
    setLastBackup(device, { uuid, contentIds: plan.contentIds });
    recordStats(device, plan, dataBytes);
    return { ErrorCode: 0 };
  });
}

/** The `hostilePath` fault: one small file uploaded to a path outside the device's backup folder. */
async function uploadHostileFile(dl: CommandContext['dl'], hostPath: string): Promise<void> {
  const payload = Buffer.from('written by a hostile device\n');
  await dl.send(dlUploadFiles(payload.length, 3));
  await dl.writeUploadStream([{ deviceName: 'HomeDomain/escape.txt', hostPath, size: payload.length, open: () => [payload] }]);
  if ((await dl.receiveStatus()).code !== 0) throw new MBError(MBErrorCode.UploadFailed);
}

function recordStats(device: SimDevice, plan: BackupPlan, bytes: number): void {
  mobilebackup2Stats(device).backups.push({ mode: plan.mode, filesUploaded: plan.send.length, bytesUploaded: bytes, filesRemoved: plan.remove.length });
}
