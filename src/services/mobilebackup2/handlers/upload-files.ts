import { dirname } from 'node:path';
import { plistNumber, UploadStreamDecoder, type DLMessage } from '../../../../protocols/index.js';
import { IBackupError } from '../../../errors.js';
import { AtomicFileWriter, BoundedQueue } from '../atomic-file.js';
import { deviceErrorCode, deviceErrorString, isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { createStagedWriter, writeStagedFileSync, type StagedWriter } from '../staged-file.js';
import { perConnection } from './per-connection.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/** Files being written/fsynced/renamed while the next ones stream in. */
const FINALIZE_IN_FLIGHT = 8;
/**
 * Files up to this size are collected in memory and written in the background once complete, so the socket keeps
 * flowing across many small files; larger files stream to disk as they arrive. Memory use stays bounded by
 * FINALIZE_IN_FLIGHT × this + the writer's write-behind buffer.
 */
const SMALL_FILE_BYTES = 512 * 1024;

/**
 * The buffer small files are gathered in, one per connection (see perConnection): a new 512 KiB buffer per request
 * made 379 of them (190 MB) in a `photos` backup, up to 30 MB of them waiting for the collector at a time.
 */
const smallFileBufferOf = perConnection(() => Buffer.allocUnsafeSlow(SMALL_FILE_BYTES));

/**
 * What a streamed file is written with: AtomicFileWriter (temporary name) or a StagedWriter (staging folder).
 * The data given to `write` may be a view into a reused receive buffer: it must be written or copied by the time
 * `release()` returns.
 */
interface FileSink {
  write(data: Uint8Array): Promise<void>;
  /** Write out (synchronously) whatever still refers to data given to `write`. */
  release(): void;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

function atomicSink(w: AtomicFileWriter, fsync: boolean): FileSink {
  // The atomic writer writes behind the caller, so it gets a copy.
  return { write: (d) => w.write(Buffer.from(d)), release: () => undefined, commit: () => w.commit(fsync), abort: () => w.abort() };
}

function stagedSink(w: StagedWriter): FileSink {
  return { write: (d) => w.write(d), release: () => w.flushSync(), commit: () => w.commit(), abort: () => w.abort() };
}

interface IncomingFile {
  deviceName: string;
  devicePath: string;
  hostPath: string;
  /** Small-file mode: bytes held so far (at the start of the upload's small-file buffer); undefined once streaming. */
  held: number | undefined;
  /** Streaming mode. */
  writer: FileSink | undefined;
  bytes: number;
  failed: boolean;
}

/**
 * Small files still being stored by the writer threads after their upload was answered (see UploadFiles): the
 * first error among them, per connection, until it is reported.
 */
const lateFailures = perConnection((): { error: unknown } => ({ error: undefined }));

/**
 * Wait until every small file of the uploads answered so far is stored. The DL loop calls this before any request
 * other than an upload (a move, a removal, a listing… must see every file) and before it returns. A file that
 * could not be stored after its upload was answered, and was not reported in a later upload's answer, fails
 * the backup here.
 */
export async function settleUploads(ctx: Mb2HostContext): Promise<void> {
  if (!ctx.smallFileWorker) return;
  await ctx.smallFileWorker.flush();
  const late = lateFailures(ctx.dl);
  const err = late.error;
  if (err === undefined) return;
  late.error = undefined;
  throw new IBackupError('BACKUP_IO_ERROR', `Could not store a file from the device: ${deviceErrorString(err)}`, {
    cause: err,
    hint: 'Check the free space and permissions of the backup folder, then run the backup again. The previous backup is unchanged.',
  });
}

/**
 * `[DLMessageUploadFiles, {opts}, progress, totalBytes]`: receive files device → host from the raw stream that
 * follows. Every file is written under a temporary name and renamed into place when complete (never written in
 * place); the socket is read only as fast as the disk takes the data.
 */
export async function UploadFiles(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  if (msg.length < 4) {
    throw new IBackupError('DL_UNEXPECTED_MESSAGE', `DLMessageUploadFiles with ${msg.length} elements (at least 4 expected).`);
  }
  ctx.observer?.uploadBatch?.(plistNumber(msg[3]) ?? 0, plistNumber(msg[2]));

  const fsync = ctx.fsyncFiles ?? true;
  const staging = ctx.stagingWrites === true;
  const direct = ctx.directWrites ?? true;
  // Direct I/O only when the received chunks are views into a reused receive buffer: their bytes must be copied
  // or written before the next read anyway, and a copy into an aligned piece replaces the page cache's copy. Chunks
  // the connection hands over for keeps (service TLS where Node's internals rule out a reused buffer, see
  // enableDirectReadsOnTls: one new Buffer per record) go to the page cache without
  // any copy of ours; copying them for direct writes cost more CPU than it saved (2 GiB over service TLS,
  // alternating runs 2026-11-23: 8.8-14.3 s vs 7.3-11.4 s).
  const openSink = async (path: string, reusedChunks: boolean): Promise<FileSink> =>
    staging
      ? stagedSink(await createStagedWriter(path, direct && reusedChunks))
      : atomicSink(await AtomicFileWriter.create(path), fsync);
  // A small file is gathered here (received chunks may be reused buffers), one file at a time.
  const smallFile = smallFileBufferOf(ctx.dl);
  const decoder = new UploadStreamDecoder();
  const finalize = new BoundedQueue(FINALIZE_IN_FLIGHT);
  /** Names of the files in `finalize`. */
  const finalizing = new Set<string>();
  /**
   * Before a file is stored under `path`: an earlier file of that name still being stored (in `finalize` or by a
   * writer thread) is finished first, so that the later one is what stays. Never waits in a real device's upload,
   * where every file has its own name.
   */
  const settleName = (path: string): Promise<void> | undefined => {
    if (finalizing.has(path)) return finalize.drain().then(() => settleName(path));
    return staging ? ctx.smallFileWorker?.settle(path) : undefined;
  };
  let current: IncomingFile | undefined;
  // A small file that failed after an earlier upload was answered is reported with this one.
  const late = lateFailures(ctx.dl);
  let lastError: unknown = late.error;
  late.error = undefined;
  /** Set once this upload is answered: a small file failing after that is reported later (settleUploads). */
  let answered = false;

  const fail = async (file: IncomingFile, err: unknown): Promise<void> => {
    lastError = err;
    if (answered) late.error ??= err;
    file.failed = true;
    file.held = undefined;
    const writer = file.writer;
    file.writer = undefined;
    await writer?.abort();
    ctx.touchedDir?.(dirname(file.hostPath)); // the abort removed what was written: the folder may still differ
    ctx.observer?.fileFailed?.({ deviceName: file.deviceName, devicePath: file.devicePath, message: deviceErrorString(err) });
    ctx.log?.warn({ devicePath: file.devicePath, err: deviceErrorString(err) }, 'could not store a file from the device');
  };
  const guarded = async (file: IncomingFile, op: () => Promise<void>): Promise<void> => {
    try {
      await op();
    } catch (err) {
      if (!isHostFsError(err)) throw err;
      await fail(file, err);
    }
  };
  const done = (file: IncomingFile): void => {
    ctx.touchedDir?.(dirname(file.hostPath));
    ctx.observer?.fileReceived?.({ deviceName: file.deviceName, devicePath: file.devicePath, bytes: file.bytes });
  };

  try {
    await ctx.dl.readRaw(async (chunk, reused) => {
      for (const ev of decoder.push(chunk)) {
        switch (ev.type) {
          case 'file': {
            await current?.writer?.abort();
            const hostPath = await ctx.paths.resolve(ev.hostPath, 'write');
            current = { deviceName: ev.deviceName, devicePath: ev.hostPath, hostPath, held: 0, writer: undefined, bytes: 0, failed: false };
            break;
          }
          case 'data': {
            ctx.observer?.bytesReceived?.(ev.data.length);
            const file = current;
            if (!file) throw new IBackupError('DL_STREAM_INVALID', 'The device sent file data before a file name.');
            file.bytes += ev.data.length;
            if (file.failed) break;
            if (file.held !== undefined && file.bytes > SMALL_FILE_BYTES) {
              // Too big to hold: switch to streaming.
              const held = smallFile.subarray(0, file.held);
              file.held = undefined;
              await guarded(file, async () => {
                await settleName(file.hostPath);
                file.writer = await openSink(file.hostPath, reused);
                await file.writer.write(held);
              });
            }
            if (file.held !== undefined) {
              smallFile.set(ev.data, file.held);
              file.held += ev.data.length;
            } else if (file.writer) {
              const writer = file.writer;
              await guarded(file, () => writer.write(ev.data));
            }
            break;
          }
          case 'file-end': {
            const file = current;
            current = undefined;
            if (!file || file.failed) break;
            file.writer?.release();
            const whole = smallFile.subarray(0, file.held ?? 0);
            file.held = undefined;
            const settling = file.writer ? undefined : settleName(file.hostPath);
            if (settling) await settling;
            if (staging && !file.writer && ctx.smallFileWorker) {
              // Small file into a staging folder: stored by the writer thread while the stream keeps flowing.
              const adding = ctx.smallFileWorker.add(file.hostPath, [whole], (err) => {
                if (!err) done(file);
                else if (isHostFsError(err)) void fail(file, err);
                else if (answered) late.error ??= err;
                else lastError ??= err;
              });
              if (adding) await adding;
              break;
            }
            if (staging && !file.writer) {
              // Small file into a staging folder: written right here, synchronously (see writeStagedFileSync).
              try {
                writeStagedFileSync(file.hostPath, [whole]);
              } catch (err) {
                if (!isHostFsError(err)) throw err;
                await fail(file, err);
                break;
              }
              done(file);
              break;
            }
            // Written in the background: a copy (the small-file buffer is reused by the next file).
            const data = file.writer ? undefined : Buffer.from(whole);
            finalizing.add(file.hostPath);
            await finalize.add(() =>
              guarded(file, async () => {
                if (file.writer) await file.writer.commit();
                else await AtomicFileWriter.writeWhole(file.hostPath, data ? [data] : [], fsync);
                done(file);
              })
                .catch((err: unknown) => {
                  lastError ??= err;
                })
                .finally(() => finalizing.delete(file.hostPath)),
            );
            break;
          }
          case 'file-error': {
            const file = current;
            current = undefined;
            if (!file) break;
            await file.writer?.abort();
            file.writer = undefined;
            file.held = undefined;
            ctx.observer?.fileFailed?.({ deviceName: file.deviceName, devicePath: file.devicePath, message: ev.message });
            ctx.log?.warn({ devicePath: file.devicePath, message: ev.message }, 'the device could not send a file');
            break;
          }
          case 'end':
            break;
        }
      }
      if (decoder.done) return decoder.rest();
      if (reused) {
        // The chunk's memory is read into again once this returns: nothing may refer to it any more (a chunk of
        // our own may stay queued, so large files are still written in ~1 MiB pieces).
        current?.writer?.release();
        decoder.retain();
      }
      return undefined;
    }, ctx.signal);
  } catch (err) {
    await current?.writer?.abort();
    await finalize.drain();
    await ctx.smallFileWorker?.flush().catch(() => undefined);
    throw err;
  }
  await current?.writer?.abort();
  await finalize.drain();
  // The device waits for this answer before it sends more, so the small files still queued for the writer threads
  // are not waited for: they are stored while the device goes on (many-file backups: 0.8–1.1 s less of both sides
  // waiting per 50,000 files), and settleUploads waits for them before any other request.
  ctx.smallFileWorker?.sendQueued();
  const err = lastError;
  answered = true;
  if (err !== undefined) await sendStatus(ctx, deviceErrorCode(err), deviceErrorString(err), {});
  else await sendStatus(ctx, 0, undefined, {});
  return CONTINUE;
}
