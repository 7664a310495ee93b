// One mobilebackup2 connection: DeviceLink version exchange, Hello, then requests until the host disconnects.
import type { Duplex } from 'node:stream';
import {
  DLName,
  dlDeviceReady,
  dlMessageName,
  dlProcessMessage,
  dlVersionExchange,
  readProcessMessage,
  readVersionsOk,
  type PlistDict,
} from '../../../protocols/index.js';
import type { SimDevice } from '../../types.js';
import { backup } from './backup.js';
import { changePassword } from './change-password.js';
import type { CommandContext, CommandHandler } from './context.js';
import { DeviceLinkConnection } from './devicelink-connection.js';
import { enableCloudBackup } from './enable-cloud-backup.js';
import { HostGoneError, MBError, mbDescription, MBErrorCode } from './errors.js';
import { hello } from './hello.js';
import { info } from './info.js';
import { list } from './list.js';
import { restore } from './restore.js';
import { noLongerSupported, notImplemented, unknownRequest } from './unsupported.js';

/** The DeviceLink version real iOS 14+ devices announce (Debian's 1.3.0 accepts ≤ 400). */
export const DL_VERSION_MAJOR = 400;

const HANDLERS: Record<string, CommandHandler> = {
  Backup: backup,
  Restore: restore,
  Info: info,
  List: list,
  ChangePassword: changePassword,
  EnableCloudBackup: enableCloudBackup,
  Remove: noLongerSupported,
  Unback: notImplemented,
  Extract: notImplemented,
  EraseDevice: notImplemented,
};

export async function runSession(conn: Duplex, device: SimDevice): Promise<void> {
  const dl = new DeviceLinkConnection(conn);
  const atEnd: (() => void)[] = [];
  try {
    await dl.send(dlVersionExchange(DL_VERSION_MAJOR, 0));
    const reply = await dl.receive();
    readVersionsOk(reply); // throws unless ["DLMessageVersionExchange", "DLVersionsOk", n]
    await dl.send(dlDeviceReady());
    let greeted = false;
    for (;;) {
      const msg = await dl.receive();
      const name = dlMessageName(msg);
      if (name === DLName.Disconnect) break;
      if (name !== DLName.ProcessMessage) continue; // hosts ignore unknown messages; so does the device
      const request = readProcessMessage(msg);
      device.requests.push(request);
      if (request.MessageName === 'Hello') {
        const h = hello(request);
        greeted = h.version !== undefined;
        await dl.send(dlProcessMessage(h.response));
        continue;
      }
      const ctx: CommandContext = { dl, device, request, onSessionEnd: (fn) => atEnd.push(fn) };
      const handler = greeted ? (HANDLERS[String(request.MessageName)] ?? unknownRequest) : helloFirst;
      await dl.send(dlProcessMessage(await respond(handler, ctx)));
    }
  } catch (err) {
    if (!(err instanceof HostGoneError) && !dl.isClosed) dl.close();
  } finally {
    if (!dl.isClosed) dl.close();
    for (const fn of atEnd) {
      try {
        fn();
      } catch {
        // a failing reboot must not become an unhandled rejection
      }
    }
  }
}

async function helloFirst(): Promise<never> {
  throw new MBError(MBErrorCode.Generic, 'Hello must be the first request');
}

/** Run a command; MBErrors become error Responses, anything else (host gone, protocol error) ends the session. */
async function respond(handler: CommandHandler, ctx: CommandContext): Promise<PlistDict> {
  try {
    return { MessageName: 'Response', ...(await handler(ctx)) };
  } catch (err) {
    if (err instanceof MBError) return { MessageName: 'Response', ErrorCode: err.mbCode, ErrorDescription: err.message };
    if (err instanceof HostGoneError || ctx.dl.isClosed) throw err;
    const message = (err as Error)?.message ?? String(err);
    return { MessageName: 'Response', ErrorCode: MBErrorCode.Generic, ErrorDescription: mbDescription(MBErrorCode.Generic, message) };
  }
}
