import { dlStatusResponse, UploadStreamDecoder, type DLMessage, type PlistValue } from '../../../protocols/index.js';
import {
  DL_GENERIC_ERROR,
  deviceRequestHandlers,
  type DeviceRequestHandler,
  type HandlerOutcome,
  type Mb2HostContext,
} from '../../services/mobilebackup2/index.js';

const READ_ONLY_TEXT = 'Read-only file system';

async function refuse(msg: DLMessage, ctx: Mb2HostContext, status2: PlistValue | undefined): Promise<HandlerOutcome> {
  ctx.log?.warn({ request: String(msg[0]) }, 'the device asked to change the backup during a restore; refused');
  await ctx.dl.send(dlStatusResponse(DL_GENERIC_ERROR, READ_ONLY_TEXT, status2), ctx.signal);
  return { kind: 'continue' };
}

/** Requests that would change the backup folder: answered with an error, nothing on disk is touched. */
const refuseChange: DeviceRequestHandler = (msg, ctx) => refuse(msg, ctx, {});
const refuseMkdir: DeviceRequestHandler = (msg, ctx) => refuse(msg, ctx, undefined);

/** UploadFiles during a restore: the raw stream that follows is read and thrown away, then refused. */
const discardUpload: DeviceRequestHandler = async (msg, ctx) => {
  const decoder = new UploadStreamDecoder();
  await ctx.dl.readRaw(async (chunk, reused) => {
    decoder.push(chunk); // events are dropped: nothing is stored
    if (decoder.done) return decoder.rest();
    if (reused) decoder.retain();
    return undefined;
  }, ctx.signal);
  return refuse(msg, ctx, {});
};

/**
 * The DeviceLink handlers of a restore: the backup engine's handlers for everything that reads (DownloadFiles,
 * ContentsOfDirectory, GetFreeDiskSpace, the result) and refusals for everything that would write.
 */
export const readOnlyRequestHandlers: Readonly<Record<string, DeviceRequestHandler>> = {
  ...deviceRequestHandlers,
  DLMessageUploadFiles: discardUpload,
  DLMessageCreateDirectory: refuseMkdir,
  DLMessageMoveFiles: refuseChange,
  DLMessageMoveItems: refuseChange,
  DLMessageRemoveFiles: refuseChange,
  DLMessageRemoveItems: refuseChange,
  DLMessageCopyItem: refuseChange,
};
