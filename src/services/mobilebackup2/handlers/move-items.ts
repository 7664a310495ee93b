import { lstatSync, renameSync, unlinkSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isPlistDict, plistNumber, type DLMessage } from '../../../../protocols/index.js';
import { IBackupError } from '../../../errors.js';
import { deviceErrorCode, deviceErrorString, isHostFsError } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/**
 * `[DLMessageMoveItems | DLMessageMoveFiles, {src: dst}, {opts}, progress]`: for each pair remove `dst` (recursively)
 * and rename `src` onto it; stop at the first failure. Renames never modify file contents, so files shared with a
 * previous backup by hard links stay intact.
 */
export async function MoveItems(msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const moves = msg[1];
  if (!isPlistDict(moves)) throw new IBackupError('DL_UNEXPECTED_MESSAGE', `${String(msg[0])} without a dictionary of moves.`);
  const progress = plistNumber(msg[3]);
  if (progress !== undefined) ctx.observer?.deviceProgress?.(progress);

  // Resolve (and so check) every path before changing anything.
  const pairs: [string, string][] = [];
  for (const [src, dst] of Object.entries(moves)) {
    pairs.push([await ctx.paths.resolve(src, 'remove'), await ctx.paths.resolve(dst, 'write')]);
  }
  ctx.paths.forget();
  for (const [from, to] of pairs) {
    try {
      await moveOnto(from, to);
      ctx.touchedDir?.(dirname(from));
      ctx.touchedDir?.(dirname(to));
    } catch (err) {
      if (!isHostFsError(err)) throw err;
      await sendStatus(ctx, deviceErrorCode(err), deviceErrorString(err), {});
      return CONTINUE;
    }
  }
  await sendStatus(ctx, 0, undefined, {});
  return CONTINUE;
}

/**
 * Rename `from` onto `to`, removing whatever is at `to` first. A rename replaces a file (or an empty folder) by
 * itself, atomically, so it is tried first, synchronously (one system call; the device waits for the answer);
 * only when something else is in the way (a folder with entries, or another kind) is `to` removed.
 */
async function moveOnto(from: string, to: string): Promise<void> {
  try {
    renameSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
    return;
  }
  // Two names of one file (hard links): rename(2) succeeds and leaves both. The move must still end with one.
  if (lstatSync(from, { throwIfNoEntry: false }) !== undefined) unlinkSync(from);
}

/** The older name of the same request. */
export const MoveFiles = MoveItems;
