// Sink host: measures how fast the simulated iPhone can SERVE a backup. It does the lockdown session (with the
// engine's lockdown layer), the DeviceLink version exchange, Hello and a Backup request with the protocols/ codecs,
// answers every device request with success without touching the disk, and discards the upload stream. Run as its
// own process (`node dist/bench/sink.js UDID`, USBMUXD_SOCKET_ADDRESS set); prints one JSON line:
// { files, bytes, seconds } where seconds runs from the Backup request to the device's final result. With a second
// argument (a backup root) it answers the device's requests for the previous backup's files from there and, after
// a successful backup, stores the new backup's metadata files there (Status.plist, Manifest.plist/.db, not the
// file contents), so the next run against the same root is incremental again. `--tls13-suites=LIST` offers these TLS
// 1.3 suites over service TLS instead of the engine's own order (to measure the ceiling another client would meet).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  DLName,
  dlMessageName,
  dlStatusResponse,
  encodeDataBlockHeader,
  encodeDLMessage,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
  MB2_HOST_BLOCK_SIZE,
  UploadStreamDecoder,
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
  type ChunkSource,
} from './mb2-host.js';

export interface SinkResult {
  files: number;
  bytes: number;
  seconds: number;
  errorCode: number;
}

/** The small files a host keeps so the device's next backup can be incremental against them. */
const KEPT_NAMES = new Set(['Status.plist', 'Manifest.plist', 'Manifest.db', 'Info.plist']);

/**
 * Reads one upload stream to its terminator, counting files and data bytes. File contents are thrown away, except
 * (when `keep` is given) the backup's own metadata files (KEPT_NAMES), held in memory by device path.
 */
async function discardUpload(src: ChunkSource, counts: { files: number; bytes: number }, keep?: Map<string, Buffer[]>): Promise<void> {
  const dec = new UploadStreamDecoder({ maxBlockBytes: 64 * 1024 * 1024 });
  let kept: Buffer[] | undefined;
  for (;;) {
    for (const ev of dec.push(await src.next(true))) {
      if (ev.type === 'file') {
        kept = keep && KEPT_NAMES.has(basename(ev.hostPath)) ? [] : undefined;
        if (kept) keep?.set(ev.hostPath, kept);
      } else if (ev.type === 'data') {
        counts.bytes += ev.data.length;
        kept?.push(Buffer.from(ev.data));
      } else if (ev.type === 'file-end') counts.files++;
    }
    if (dec.done) {
      const rest = Buffer.from(dec.rest()); // the chunk may be a reused buffer
      src.carry = rest.length > 0 ? rest : undefined;
      return;
    }
    dec.retain();
  }
}

/** DLMessageMoveItems applied to the kept metadata files. */
function moveKept(keep: Map<string, Buffer[]>, moves: unknown): void {
  if (typeof moves !== 'object' || moves === null) return;
  for (const [from, to] of Object.entries(moves as Record<string, unknown>)) {
    const data = keep.get(from);
    if (data && typeof to === 'string') {
      keep.delete(from);
      keep.set(to, data);
    }
  }
}

/** After a successful backup: store the kept metadata files under `root`, as a host would. */
function storeKept(root: string, keep: Map<string, Buffer[]>): void {
  for (const [devicePath, data] of keep) {
    const full = underRoot(root, devicePath);
    if (full === undefined || devicePath.includes('/Snapshot/')) continue;
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, Buffer.concat(data));
  }
}

/**
 * Answers a DownloadFiles request. Without `from` the host has an empty backup folder (every file missing, so the
 * device makes a full backup). With `from` (a backup root holding `<UDID>/…` of an earlier backup) the requested
 * files are read from there, so the device can go incremental and the sink times its incremental serving.
 */
async function answerDownload(stream: Duplex, paths: string[], from: string | undefined): Promise<void> {
  const parts: Buffer[] = [];
  const failed: PlistDict = {};
  for (const p of paths) {
    parts.push(encodeStreamName(p));
    const data = from !== undefined ? readBackupFile(from, p) : undefined;
    if (data) {
      for (let at = 0; at < data.length; at += MB2_HOST_BLOCK_SIZE) {
        const block = data.subarray(at, at + MB2_HOST_BLOCK_SIZE);
        parts.push(encodeDataBlockHeader(block.length), block);
      }
      parts.push(encodeSuccessBlock());
      continue;
    }
    parts.push(NOT_FOUND_BLOCK);
    failed[p] = NOT_FOUND_STATUS;
  }
  parts.push(encodeStreamTerminator());
  await write(stream, Buffer.concat(parts));
  await write(stream, downloadStatus(failed));
}

export async function sinkBackup(udid: string, muxAddress?: string, from?: string, tls13Suites?: string): Promise<SinkResult> {
  return withMb2Session(udid, 'ibackup-bench-sink', muxAddress, async ({ stream, src, request }) => {
    const started = process.hrtime.bigint();
    await request({ MessageName: 'Backup', TargetIdentifier: udid, SourceIdentifier: udid });
    const counts = { files: 0, bytes: 0 };
    const keep = from !== undefined ? new Map<string, Buffer[]>() : undefined;
    let errorCode: number | undefined;
    while (errorCode === undefined) {
      const msg = await receive(src);
      errorCode = finalErrorCode(msg);
      if (errorCode !== undefined) break;
      const name = dlMessageName(msg);
      if (name === DLName.UploadFiles) {
        await discardUpload(src, counts, keep);
        await write(stream, encodeDLMessage(dlStatusResponse(0, undefined, {})));
      } else if (name === DLName.DownloadFiles) {
        await answerDownload(stream, (msg[1] as unknown[]).filter((p): p is string => typeof p === 'string'), from);
      } else {
        // MoveItems/RemoveItems/ContentsOfDirectory/CopyItem…: pretend success (moves of kept files are followed).
        if (name === DLName.MoveItems && keep) moveKept(keep, msg[1]);
        await answerOther(stream, name);
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (keep && from !== undefined && errorCode === 0) storeKept(from, keep);
    return { ...counts, seconds, errorCode };
  }, { tls13Suites });
}

if (process.argv[1]?.endsWith('sink.js')) {
  const args = process.argv.slice(2);
  const suitesArg = args.find((a) => a.startsWith('--tls13-suites='));
  const [udid, from] = args.filter((a) => !a.startsWith('--'));
  if (!udid) {
    process.stderr.write('usage: node dist/bench/sink.js UDID [BACKUP_ROOT] [--tls13-suites=LIST]   (USBMUXD_SOCKET_ADDRESS selects the simulator;\n');
    process.stderr.write('       BACKUP_ROOT: an earlier backup the device may compare against, for an incremental)\n');
    process.exit(2);
  }
  sinkBackup(udid, undefined, from, suitesArg?.slice('--tls13-suites='.length)).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exitCode = r.errorCode === 0 ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`sink: ${String((err as Error)?.stack ?? err)}\n`);
      process.exitCode = 1;
    },
  );
}
