import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DLMessage, PlistDict } from '../../../../protocols/index.js';
import { isTempFileName } from '../atomic-file.js';
import { deviceErrorCode, deviceErrorString, errnoCode } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/** `[DLContentsOfDirectory, path]`: the folder's entries with type, size and modification date; missing → `{}`. */
export async function ContentsOfDirectory(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const dir = await ctx.paths.resolve(msg[1], 'list');
  const listing: PlistDict = {};
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      await sendStatus(ctx, deviceErrorCode(err), deviceErrorString(err), {});
      return CONTINUE;
    }
  }
  for (const name of names) {
    if (isTempFileName(name)) continue;
    try {
      const st = await lstat(join(dir, name));
      listing[name] = {
        DLFileType: st.isDirectory() ? 'DLFileTypeDirectory' : st.isFile() ? 'DLFileTypeRegular' : 'DLFileTypeUnknown',
        DLFileSize: st.size,
        DLFileModificationDate: st.mtime,
      };
    } catch {
      // vanished meanwhile
    }
  }
  await sendStatus(ctx, 0, undefined, listing);
  return CONTINUE;
}
