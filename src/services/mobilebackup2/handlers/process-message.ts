import { isPlistDict, type DLMessage } from '../../../../protocols/index.js';
import { IBackupError } from '../../../errors.js';
import type { Mb2HostContext } from '../host-context.js';
import type { HandlerOutcome } from './types.js';

/** `[DLMessageProcessMessage, {MessageName:"Response", ErrorCode, …}]`: the device's result; ends the loop. */
export async function ProcessMessage(msg: DLMessage, _ctx: Mb2HostContext): Promise<HandlerOutcome> {
  const result = msg[1];
  if (!isPlistDict(result)) throw new IBackupError('DL_UNEXPECTED_MESSAGE', 'DLMessageProcessMessage without a dictionary.');
  return { kind: 'result', result };
}

/** `[DLMessageDisconnect, reason]`: the device ends the session; ends the loop. */
export async function Disconnect(msg: DLMessage, _ctx: Mb2HostContext): Promise<HandlerOutcome> {
  return { kind: 'disconnect', reason: typeof msg[1] === 'string' ? msg[1] : undefined };
}
