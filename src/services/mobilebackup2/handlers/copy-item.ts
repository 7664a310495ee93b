import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DLMessage } from '../../../../protocols/index.js';
import { AtomicFileWriter, isTempFileName } from '../atomic-file.js';
import { isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/**
 * `[DLMessageCopyItem, src, dst]`: copy a file, or the top-level files of a folder, writing each copy under a
 * temporary name first. The reply is always 0 (as libimobiledevice answers).
 */
export async function CopyItem(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const src = await ctx.paths.resolve(msg[1], 'read');
  const dst = await ctx.paths.resolve(msg[2], 'write');
  try {
    const st = await stat(src);
    if (st.isDirectory()) {
      for (const name of await readdir(src)) {
        if (isTempFileName(name)) continue;
        const from = join(src, name);
        if ((await stat(from)).isFile()) await copyFile(from, join(dst, name), ctx);
      }
    } else {
      await copyFile(src, dst, ctx);
    }
  } catch (err) {
    if (!isHostFsError(err)) throw err;
    ctx.log?.warn({ err: (err as Error).message }, 'CopyItem failed');
  }
  await sendStatus(ctx, 0, undefined, {});
  return CONTINUE;
}

async function copyFile(from: string, to: string, ctx: Mb2HostContext): Promise<void> {
  const writer = await AtomicFileWriter.create(to);
  try {
    for await (const chunk of createReadStream(from) as AsyncIterable<Buffer>) await writer.write(chunk);
    await writer.commit(ctx.fsyncFiles ?? true);
    ctx.touchedDir?.(dirname(to));
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
