// Restore source host: measures how fast the simulated iPhone can TAKE IN a restore (the restore scenario's
// ceiling, as sink.ts is the backups'). It sends a Restore request for the backup under BACKUP_ROOT and answers
// the device's DownloadFiles requests: the backup's metadata files (Status.plist, Manifest.plist, Manifest.db,
// Info.plist) are read from the folder; every data file is sent as that many bytes of one buffer kept in memory
// (its size from a stat of the backup's file), so no file content is read from the disk and the host costs next
// to nothing. Blocks are 32 KiB, as both tools send them. Run as its own process
// (`node dist/bench/restore-source.js UDID BACKUP_ROOT`, USBMUXD_SOCKET_ADDRESS set); prints one JSON line:
// { files, bytes, seconds, errorCode } where seconds runs from the Restore request to the device's final result.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  DLName,
  dlMessageName,
  encodeDataBlockHeader,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
  MB2_HOST_BLOCK_SIZE,
  type PlistDict,
} from '../protocols/index.js';
import {
  answerOther,
  downloadStatus,
  finalErrorCode,
  NOT_FOUND_BLOCK,
  NOT_FOUND_STATUS,
  readBackupFile,
  receive,
  underRoot,
  withMb2Session,
  write,
} from './mb2-host.js';
import type { SinkResult } from './sink.js';

/** Files the device reads as the backup's description; they are sent as they are. */
const METADATA_NAMES = new Set(['Status.plist', 'Manifest.plist', 'Manifest.db', 'Info.plist']);
/** Stream bytes gathered into one socket write (corked pieces, no copy). */
const WRITE_BYTES = 1024 * 1024;

/** One block of the byte every data file is made of (only the length matters: the device counts what it gets). */
const FILLER = Buffer.alloc(MB2_HOST_BLOCK_SIZE, 0x5a);

function writev(stream: Duplex, parts: Buffer[]): Promise<void> {
  stream.cork();
  for (const p of parts.slice(0, -1)) stream.write(p);
  const done = write(stream, parts.at(-1) as Buffer);
  stream.uncork();
  return done;
}

/** The size of the backup's data file for `devicePath`, or undefined when there is none. */
function dataFileSize(root: string, devicePath: string): number | undefined {
  const full = underRoot(root, devicePath);
  if (full === undefined) return undefined;
  try {
    const st = statSync(full);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** Answer one DownloadFiles request: metadata from the folder, data files as filler of their size. */
async function answerDownload(stream: Duplex, paths: string[], root: string, counts: { files: number; bytes: number }): Promise<void> {
  const failed: PlistDict = {};
  let parts: Buffer[] = [];
  let pending = 0;
  const add = (b: Buffer): void => {
    parts.push(b);
    pending += b.length;
  };
  const flush = async (): Promise<void> => {
    if (parts.length === 0) return;
    const out = parts;
    parts = [];
    pending = 0;
    await writev(stream, out);
  };
  /** `length` bytes as 32 KiB blocks; `bytesAt(at, n)` gives the n bytes at offset `at`. */
  const sendBlocks = async (length: number, bytesAt: (at: number, n: number) => Buffer): Promise<void> => {
    for (let at = 0; at < length; at += MB2_HOST_BLOCK_SIZE) {
      const n = Math.min(MB2_HOST_BLOCK_SIZE, length - at);
      add(encodeDataBlockHeader(n));
      add(bytesAt(at, n));
      if (pending >= WRITE_BYTES) await flush();
    }
  };
  for (const p of paths) {
    add(encodeStreamName(p));
    if (METADATA_NAMES.has(basename(p))) {
      const data = readBackupFile(root, p);
      if (data) {
        await sendBlocks(data.length, (at, n) => data.subarray(at, at + n));
        add(encodeSuccessBlock());
        continue;
      }
    } else {
      const size = dataFileSize(root, p);
      if (size !== undefined) {
        await sendBlocks(size, (_at, n) => FILLER.subarray(0, n));
        add(encodeSuccessBlock());
        counts.files++;
        counts.bytes += size;
        continue;
      }
    }
    add(NOT_FOUND_BLOCK);
    failed[p] = NOT_FOUND_STATUS;
  }
  add(encodeStreamTerminator());
  await flush();
  await write(stream, downloadStatus(failed));
}

/** Restore the backup of `udid` under `root` (`root/<udid>/…`) into the device; system files too, no reboot. */
export async function sourceRestore(udid: string, root: string, muxAddress?: string): Promise<SinkResult> {
  return withMb2Session(udid, 'ibackup-bench-restore-source', muxAddress, async ({ stream, src, request }) => {
    const started = process.hrtime.bigint();
    await request({
      MessageName: 'Restore',
      TargetIdentifier: udid,
      SourceIdentifier: udid,
      Options: { RestoreSystemFiles: true, RestoreShouldReboot: false, RestoreDontCopyBackup: true, RestorePreserveSettings: true },
    });
    const counts = { files: 0, bytes: 0 };
    let errorCode: number | undefined;
    while (errorCode === undefined) {
      const msg = await receive(src);
      errorCode = finalErrorCode(msg);
      if (errorCode !== undefined) break;
      const name = dlMessageName(msg);
      if (name === DLName.DownloadFiles) {
        await answerDownload(stream, (msg[1] as unknown[]).filter((p): p is string => typeof p === 'string'), root, counts);
      } else await answerOther(stream, name);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { ...counts, seconds, errorCode };
  });
}

if (process.argv[1]?.endsWith('restore-source.js')) {
  const [udid, root] = process.argv.slice(2);
  if (!udid || !root) {
    process.stderr.write('usage: node dist/bench/restore-source.js UDID BACKUP_ROOT   (USBMUXD_SOCKET_ADDRESS selects the simulator)\n');
    process.exit(2);
  }
  sourceRestore(udid, root).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exitCode = r.errorCode === 0 ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`restore-source: ${String((err as Error)?.stack ?? err)}\n`);
      process.exitCode = 1;
    },
  );
}
