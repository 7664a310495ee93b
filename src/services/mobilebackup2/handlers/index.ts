import { ContentsOfDirectory } from './contents-of-directory.js';
import { CopyItem } from './copy-item.js';
import { CreateDirectory } from './create-directory.js';
import { DownloadFiles } from './download-files.js';
import { GetFreeDiskSpace } from './get-free-disk-space.js';
import { MoveFiles, MoveItems } from './move-items.js';
import { PurgeDiskSpace } from './purge-disk-space.js';
import { Disconnect, ProcessMessage } from './process-message.js';
import { RemoveFiles, RemoveItems } from './remove-items.js';
import type { DeviceRequestHandler } from './types.js';
import { UploadFiles } from './upload-files.js';

export type { DeviceRequestHandler, HandlerOutcome } from './types.js';
export {
  ContentsOfDirectory,
  CopyItem,
  CreateDirectory,
  Disconnect,
  DownloadFiles,
  GetFreeDiskSpace,
  MoveFiles,
  MoveItems,
  ProcessMessage,
  PurgeDiskSpace,
  RemoveFiles,
  RemoveItems,
  UploadFiles,
};
export { freeDiskSpace } from './get-free-disk-space.js';

/** Device request (element 0 of the DL array) → handler. Anything else is ignored without a reply. */
export const deviceRequestHandlers: Readonly<Record<string, DeviceRequestHandler>> = {
  DLMessageDownloadFiles: DownloadFiles,
  DLMessageUploadFiles: UploadFiles,
  DLMessageGetFreeDiskSpace: GetFreeDiskSpace,
  DLMessagePurgeDiskSpace: PurgeDiskSpace,
  DLContentsOfDirectory: ContentsOfDirectory,
  DLMessageContentsOfDirectory: ContentsOfDirectory,
  DLMessageCreateDirectory: CreateDirectory,
  DLMessageMoveFiles: MoveFiles,
  DLMessageMoveItems: MoveItems,
  DLMessageRemoveFiles: RemoveFiles,
  DLMessageRemoveItems: RemoveItems,
  DLMessageCopyItem: CopyItem,
  DLMessageProcessMessage: ProcessMessage,
  DLMessageDisconnect: Disconnect,
};
