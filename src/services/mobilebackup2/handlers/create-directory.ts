import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DLMessage } from '../../../../protocols/index.js';
import { deviceErrorCode, deviceErrorString, isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/**
 * `[DLMessageCreateDirectory, path]`: mkdir -p with mode 0755; an existing folder is fine. Synchronous: a mkdir is
 * answered at once, and the device waits for each answer before it asks for the next folder (a round trip to the
 * thread pool per folder was a third of the host's part of each request).
 */
export async function CreateDirectory(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const dir = await ctx.paths.resolve(msg[1], 'mkdir');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    ctx.touchedDir?.(dirname(dir));
  } catch (err) {
    if (!isHostFsError(err)) throw err;
    await sendStatus(ctx, deviceErrorCode(err), deviceErrorString(err));
    return CONTINUE;
  }
  await sendStatus(ctx, 0);
  return CONTINUE;
}
