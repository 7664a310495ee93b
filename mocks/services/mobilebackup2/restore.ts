// `Restore`: the device downloads the source backup's Status.plist, Manifest.plist and Manifest.db, lists the
// backup folder, then downloads the data files in batches and writes them into its file system
// (protocol-reference.md §6, §8.4). The reboot happens after the host closes the connection.
import { join } from 'node:path';
import { decodePlist, dlContentsOfDirectory, isPlistDict, type PlistDict } from '../../../protocols/index.js';
import { fileIdPath, readManifestDb, typeOfMode, type ManifestRow } from '../../manifest/index.js';
import type { SimFileEntry } from '../../types.js';
import { requestOptions, sourceUdid, withScratchDir, type CommandContext, type CommandResult } from './context.js';
import { downloadFiles, fileSink, memorySink, streamSink, writerSink } from './download.js';
import { MBError, MBErrorCode } from './errors.js';
import { isRestored } from './restore-policy.js';
import { mobilebackup2Stats } from './stats.js';

const BATCH_FILES = 256;

function entryOf(row: ManifestRow): SimFileEntry | undefined {
  const r = row.record;
  if (!r) return undefined;
  const type = typeOfMode(r.mode) ?? (row.flags === 2 ? 'dir' : row.flags === 4 ? 'symlink' : 'file');
  const e: SimFileEntry = {
    domain: row.domain,
    relativePath: row.relativePath,
    type,
    mode: r.mode & 0o7777,
    size: type === 'file' ? r.size : 0,
    mtime: r.lastModified,
    ctime: r.lastStatusChange,
    birth: r.birth,
    uid: r.userId,
    gid: r.groupId,
    inode: r.inode,
    protectionClass: r.protectionClass,
  };
  if (type === 'symlink' && r.target !== undefined) e.target = r.target;
  return e;
}

function plistOf(buf: Buffer | undefined): PlistDict | undefined {
  if (!buf) return undefined;
  try {
    const v = decodePlist(buf);
    return isPlistDict(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function restore(ctx: CommandContext): Promise<CommandResult> {
  const { dl, device } = ctx;
  if (device.faults.mbError !== undefined) throw new MBError(device.faults.mbError);
  const options = requestOptions(ctx.request);
  const restoreSystem = options.RestoreSystemFiles === true;
  const src = sourceUdid(ctx);

  return withScratchDir(device, async (scratch) => {
    const small = new Map<string, Buffer>();
    const dbPath = join(scratch, 'Manifest.db');
    let haveDb = false;
    const names = ['Status.plist', 'Manifest.plist', 'Manifest.db', 'Info.plist'];
    await downloadFiles(dl, names.map((n) => `${src}/${n}`), 0, (path) =>
      path.endsWith('/Manifest.db') ? fileSink(dbPath, () => (haveDb = true)) : memorySink(16 * 1024 * 1024, (b) => small.set(path, b)),
    );
    const status = plistOf(small.get(`${src}/Status.plist`));
    const manifest = plistOf(small.get(`${src}/Manifest.plist`));
    if (!status || !manifest || !haveDb) throw new MBError(MBErrorCode.DownloadFailed, 'Error reading backup properties/database');
    if (status.SnapshotState !== 'finished') throw new MBError(MBErrorCode.DownloadFailed, 'The backup is not complete (SnapshotState is not finished)');
    if (manifest.IsEncrypted === true) {
      throw new MBError(MBErrorCode.BadPassword, typeof options.Password === 'string' ? undefined : 'The backup is encrypted and no password was given');
    }
    let rows: ManifestRow[];
    try {
      rows = readManifestDb(dbPath);
    } catch {
      throw new MBError(205, 'Error reading backup properties/database');
    }
    await dl.request(dlContentsOfDirectory(src));

    const skipped = new Set<string>();
    const wanted: { row: ManifestRow; entry: SimFileEntry }[] = [];
    for (const row of rows) {
      const entry = entryOf(row);
      if (!entry) continue;
      if (isRestored(row.domain, restoreSystem)) wanted.push({ row, entry });
      else skipped.add(row.domain);
    }
    wanted.sort((a, b) => (a.entry.domain === b.entry.domain ? (a.entry.relativePath < b.entry.relativePath ? -1 : 1) : a.entry.domain < b.entry.domain ? -1 : 1));
    const files = wanted.filter((w) => w.entry.type === 'file');
    const totalBytes = files.reduce((s, w) => s + w.entry.size, 0);
    if (device.faults.diskFull) {
      throw new MBError(MBErrorCode.NoSpace, `Insufficient free disk space on device to restore (0 < ${Math.max(totalBytes, 1)})`);
    }

    for (const w of wanted) if (w.entry.type !== 'file') await device.fs.put(w.entry);

    const byPath = new Map(files.map((w) => [`${src}/${fileIdPath(w.row.fileID)}`, w.entry]));
    const missing: string[] = [];
    let done = 0;
    let bytes = 0;
    for (let i = 0; i < files.length; i += BATCH_FILES) {
      const batch = files.slice(i, i + BATCH_FILES).map((w) => `${src}/${fileIdPath(w.row.fileID)}`);
      const progress = 5 + (totalBytes === 0 ? 90 * (i / files.length) : (90 * bytes) / totalBytes);
      const got = new Set<string>();
      const result = await downloadFiles(dl, batch, progress, (path) => {
        const entry = byPath.get(path);
        if (!entry) return undefined;
        const stored = (): void => {
          got.add(path);
          bytes += entry.size;
          done++;
        };
        if (device.fs.putWriter) return writerSink(device.fs.putWriter(entry, { content: device.restoreContent }), stored);
        return streamSink(async (stream) => {
          await device.fs.put(entry, stream);
          stored();
        });
      });
      for (const p of batch) if (!got.has(p) || result.failed.has(p)) missing.push(p);
    }
    if (missing.length > 0) throw new MBError(MBErrorCode.DownloadFailed, `Multiple errors downloading files (${missing.length} missing, first ${missing[0]})`);

    let removed = 0;
    if (options.RemoveItemsNotRestored === true) {
      const keep = new Set(wanted.map((w) => `${w.entry.domain}\0${w.entry.relativePath}`));
      for (const e of device.fs.entries().reverse()) {
        if (!isRestored(e.domain, restoreSystem) || keep.has(`${e.domain}\0${e.relativePath}`)) continue;
        if (!device.fs.get(e.domain, e.relativePath)) continue;
        await device.fs.remove(e.domain, e.relativePath);
        removed++;
      }
    }
    mobilebackup2Stats(device).restores.push({ filesRestored: done, bytesRestored: bytes, entriesRemoved: removed, skippedDomains: [...skipped].sort() });
    if (options.RestoreShouldReboot !== false) ctx.onSessionEnd(() => device.reboot());
    return { ErrorCode: 0 };
  });
}
