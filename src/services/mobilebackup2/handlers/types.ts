import type { DLMessage, PlistDict, PlistValue } from '../../../../protocols/index.js';
import { dlStatusResponse } from '../../../../protocols/index.js';
import type { Mb2HostContext } from '../host-context.js';

/** What a handler tells the DL loop: keep going, or the device ended the command (result / disconnect). */
export type HandlerOutcome =
  | { kind: 'continue' }
  | { kind: 'result'; result: PlistDict }
  | { kind: 'disconnect'; reason: string | undefined };

export type DeviceRequestHandler = (msg: DLMessage, ctx: Mb2HostContext) => Promise<HandlerOutcome>;

export const CONTINUE: HandlerOutcome = { kind: 'continue' };

export async function sendStatus(ctx: Mb2HostContext, code: number, status1?: string, status2?: PlistValue): Promise<void> {
  await ctx.dl.send(dlStatusResponse(code, status1, status2), ctx.signal);
}
