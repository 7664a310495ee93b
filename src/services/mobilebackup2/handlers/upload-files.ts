import { dirname } from 'node:path';
import { plistNumber, UploadStreamDecoder, type DLMessage } from '../../../../protocols/index.js';
import { IBackupError } from '../../../errors.js';
import { AtomicFileWriter, BoundedQueue } from '../atomic-file.js';
import { deviceErrorCode, deviceErrorString, isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/** Files being fsynced/closed/renamed while the next ones stream in. */
const FINALIZE_IN_FLIGHT = 8;

interface IncomingFile {
  deviceName: string;
  devicePath: string;
  writer: AtomicFileWriter | undefined;
  bytes: number;
}

/**
 * `[DLMessageUploadFiles, {opts}, progress, totalBytes]`: receive files device → host from the raw stream that
 * follows. Each file goes to a temporary name and is renamed into place when complete; the socket is read only
 * as fast as the disk takes the data.
 */
export async function UploadFiles(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  if (msg.length < 4) {
    throw new IBackupError('DL_UNEXPECTED_MESSAGE', `DLMessageUploadFiles with ${msg.length} elements (at least 4 expected).`);
  }
  ctx.observer?.uploadBatch?.(plistNumber(msg[3]) ?? 0, plistNumber(msg[2]));

  const fsync = ctx.fsyncFiles ?? true;
  const decoder = new UploadStreamDecoder();
  const finalize = new BoundedQueue(FINALIZE_IN_FLIGHT);
  let current: IncomingFile | undefined;
  let lastError: unknown;

  const fail = async (file: IncomingFile, err: unknown): Promise<void> => {
    lastError = err;
    const writer = file.writer;
    file.writer = undefined;
    await writer?.abort();
    ctx.observer?.fileFailed?.({ deviceName: file.deviceName, devicePath: file.devicePath, message: deviceErrorString(err) });
    ctx.log?.warn({ devicePath: file.devicePath, err: deviceErrorString(err) }, 'could not store a file from the device');
  };

  try {
    await ctx.dl.readRaw(async (chunk) => {
      for (const ev of decoder.push(chunk)) {
        switch (ev.type) {
          case 'file': {
            if (current?.writer) await current.writer.abort();
            const hostPath = await ctx.paths.resolve(ev.hostPath, 'write');
            current = { deviceName: ev.deviceName, devicePath: ev.hostPath, writer: undefined, bytes: 0 };
            try {
              current.writer = await AtomicFileWriter.create(hostPath);
            } catch (err) {
              if (!isHostFsError(err)) throw err;
              await fail(current, err);
            }
            break;
          }
          case 'data': {
            ctx.observer?.bytesReceived?.(ev.data.length);
            if (!current) throw new IBackupError('DL_STREAM_INVALID', 'The device sent file data before a file name.');
            current.bytes += ev.data.length;
            if (current.writer) {
              try {
                await current.writer.write(ev.data);
              } catch (err) {
                if (!isHostFsError(err)) throw err;
                await fail(current, err);
              }
            }
            break;
          }
          case 'file-end': {
            const file = current;
            current = undefined;
            if (!file?.writer) break;
            const writer = file.writer;
            await finalize.add(async () => {
              try {
                await writer.commit(fsync);
                ctx.touchedDir?.(dirname(writer.finalPath));
                ctx.observer?.fileReceived?.({ deviceName: file.deviceName, devicePath: file.devicePath, bytes: file.bytes });
              } catch (err) {
                await fail(file, err);
                await writer.abort();
              }
            });
            break;
          }
          case 'file-error': {
            const file = current;
            current = undefined;
            if (!file) break;
            await file.writer?.abort();
            file.writer = undefined;
            ctx.observer?.fileFailed?.({ deviceName: file.deviceName, devicePath: file.devicePath, message: ev.message });
            ctx.log?.warn({ devicePath: file.devicePath, message: ev.message }, 'the device could not send a file');
            break;
          }
          case 'end':
            break;
        }
      }
      return decoder.done ? decoder.rest() : undefined;
    }, ctx.signal);
  } catch (err) {
    await current?.writer?.abort();
    await finalize.drain();
    throw err;
  }
  if (current?.writer) await current.writer.abort();
  await finalize.drain();
  if (lastError !== undefined) await sendStatus(ctx, deviceErrorCode(lastError), deviceErrorString(lastError), {});
  else await sendStatus(ctx, 0, undefined, {});
  return CONTINUE;
}
