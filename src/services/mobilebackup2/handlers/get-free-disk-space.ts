import { statfs } from 'node:fs/promises';
import { DL_EMPTY, type DLMessage } from '../../../../protocols/index.js';
import { deviceErrorCode, deviceErrorString } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/** Bytes available to this user on the volume holding `dir` (statvfs f_bavail × block size). */
export async function freeDiskSpace(dir: string): Promise<bigint> {
  const st = await statfs(dir, { bigint: true });
  return st.bavail * st.bsize;
}

/** `[DLMessageGetFreeDiskSpace]`: the real free space of the backup volume, as an unsigned integer. */
export async function GetFreeDiskSpace(_msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  let free: bigint;
  try {
    free = await freeDiskSpace(ctx.volumePath);
  } catch (err) {
    await sendStatus(ctx, deviceErrorCode(err), deviceErrorString(err), DL_EMPTY);
    return CONTINUE;
  }
  await sendStatus(ctx, 0, undefined, free <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(free) : free);
  return CONTINUE;
}
