import type { PlistDict } from '../../../protocols/index.js';
import { deviceRequestHandlers, type DeviceRequestHandler } from './handlers/index.js';
import { settleUploads } from './handlers/upload-files.js';
import type { Mb2HostContext } from './host-context.js';

/** How the device ended the loop. */
export type DeviceLinkLoopEnd =
  | { kind: 'result'; result: PlistDict }
  | { kind: 'disconnect'; reason: string | undefined };

/**
 * The device-driven loop after a mobilebackup2 request: read one DL request, run its handler (which replies),
 * repeat until the device sends its result (ProcessMessage) or disconnects. Unknown requests get no reply.
 */
export async function runDeviceLinkLoop(
  ctx: Mb2HostContext,
  handlers: Readonly<Record<string, DeviceRequestHandler>> = deviceRequestHandlers,
): Promise<DeviceLinkLoopEnd> {
  for (;;) {
    ctx.signal?.throwIfAborted();
    const msg = await ctx.dl.receive(ctx.signal);
    const name = String(msg[0]);
    ctx.observer?.request?.(name);
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (!handler) {
      ctx.log?.warn({ message: name }, 'ignoring an unknown DeviceLink request');
      continue;
    }
    ctx.log?.trace({ message: name }, 'device request');
    // Uploads are answered before their small files are all stored; everything else (and the end) waits for them.
    if (name !== 'DLMessageUploadFiles') await settleUploads(ctx);
    const outcome = await handler(msg, ctx);
    if (outcome.kind !== 'continue') {
      await settleUploads(ctx);
      return outcome;
    }
  }
}
