import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  encodeDataBlockHeader,
  encodeErrorBlock,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
  FileBlockCode,
  MB2_HOST_BLOCK_SIZE,
  plistNumber,
  type DLMessage,
  type PlistDict,
} from '../../../../protocols/index.js';
import { IBackupError } from '../../../errors.js';
import { deviceErrorCode, deviceErrorString, DL_MULTI_STATUS, isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/**
 * `[DLMessageDownloadFiles, [paths], {opts}, progress, 0]`: stream each requested file host → device in 32 KiB
 * blocks; files that cannot be read get an error block and go into a −13 "Multi status" reply.
 */
export async function DownloadFiles(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const paths = msg[1];
  if (!Array.isArray(paths)) throw new IBackupError('DL_UNEXPECTED_MESSAGE', 'DLMessageDownloadFiles without a list of paths.');
  const progress = plistNumber(msg[3]);
  if (progress !== undefined) ctx.observer?.deviceProgress?.(progress);

  const failures: PlistDict = {};
  let failed = 0;
  for (const devicePath of paths) {
    if (typeof devicePath !== 'string') {
      throw new IBackupError('UNSAFE_PATH', 'The device asked for a file with a name that is not text.');
    }
    const hostPath = await ctx.paths.resolve(devicePath, 'read');
    await ctx.dl.write(encodeStreamName(devicePath), ctx.signal);
    try {
      const bytes = await sendFile(hostPath, ctx);
      ctx.observer?.fileSent?.({ devicePath, bytes });
    } catch (err) {
      if (!isHostFsError(err)) throw err;
      const text = deviceErrorString(err);
      await ctx.dl.write(encodeErrorBlock(FileBlockCode.ErrorLocal, text), ctx.signal);
      failures[devicePath] = { DLFileErrorString: text, DLFileErrorCode: deviceErrorCode(err) };
      failed++;
      ctx.log?.debug({ devicePath, err: text }, 'file requested by the device is not available');
    }
  }
  await ctx.dl.write(encodeStreamTerminator(), ctx.signal);
  if (failed > 0) await sendStatus(ctx, DL_MULTI_STATUS, 'Multi status', failures);
  else await sendStatus(ctx, 0, undefined, {});
  return CONTINUE;
}

/** Streams one file as FILE_DATA blocks + success block. Throws fs errors only before the first block. */
async function sendFile(hostPath: string, ctx: Mb2HostContext): Promise<number> {
  const st = await stat(hostPath);
  if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  const input = createReadStream(hostPath, { highWaterMark: MB2_HOST_BLOCK_SIZE });
  let bytes = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length; off += MB2_HOST_BLOCK_SIZE) {
        const part = chunk.subarray(off, Math.min(chunk.length, off + MB2_HOST_BLOCK_SIZE));
        await ctx.dl.write(encodeDataBlockHeader(part.length), ctx.signal);
        await ctx.dl.write(part, ctx.signal);
        bytes += part.length;
      }
    }
  } catch (err) {
    input.destroy();
    // Blocks were already sent: end this file with an error block instead of the success block.
    if (bytes > 0 && isHostFsError(err)) {
      await ctx.dl.write(encodeErrorBlock(FileBlockCode.ErrorLocal, deviceErrorString(err)), ctx.signal);
      return bytes;
    }
    throw err;
  }
  await ctx.dl.write(encodeSuccessBlock(), ctx.signal);
  return bytes;
}
