import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { plistNumber, type DLMessage } from '../../../../protocols/index.js';
import { IBackupError } from '../../../errors.js';
import { deviceErrorCode, deviceErrorString, isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/**
 * `[DLMessageRemoveItems | DLMessageRemoveFiles, [paths], {opts}, progress]`: delete each (folders recursively);
 * missing paths are fine; the reply carries the last error.
 */
export async function RemoveItems(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const paths = msg[1];
  if (!Array.isArray(paths)) throw new IBackupError('DL_UNEXPECTED_MESSAGE', `${String(msg[0])} without a list of paths.`);
  const progress = plistNumber(msg[3]);
  if (progress !== undefined) ctx.observer?.deviceProgress?.(progress);

  const targets: string[] = [];
  for (const p of paths) targets.push(await ctx.paths.resolve(p, 'remove'));
  ctx.paths.forget();
  let lastError: unknown;
  for (const target of targets) {
    try {
      await rm(target, { recursive: true, force: true });
      ctx.touchedDir?.(dirname(target));
    } catch (err) {
      if (!isHostFsError(err)) throw err;
      lastError = err;
    }
  }
  if (lastError !== undefined) await sendStatus(ctx, deviceErrorCode(lastError), deviceErrorString(lastError), {});
  else await sendStatus(ctx, 0, undefined, {});
  return CONTINUE;
}

/** The older name of the same request. */
export const RemoveFiles = RemoveItems;
