import type { DLMessage } from '../../../../protocols/index.js';
import { DL_GENERIC_ERROR } from '../errno.js';
import type { Mb2HostContext } from '../host-context.js';
import { CONTINUE, sendStatus, type HandlerOutcome } from './types.js';

/** `[DLMessagePurgeDiskSpace]`: the host cannot free space on its own; answer "Operation not supported" (−1). */
export async function PurgeDiskSpace(_msg: DLMessage, ctx: Mb2HostContext): Promise<HandlerOutcome> {
  ctx.log?.warn('the device asked the computer to free disk space');
  await sendStatus(ctx, DL_GENERIC_ERROR, 'Operation not supported', {});
  return CONTINUE;
}
