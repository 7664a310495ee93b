import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlistDict } from '../../../protocols/index.js';
import type { SimDevice } from '../../types.js';
import type { DeviceLinkConnection } from './devicelink-connection.js';

/** What a command handler gets. It returns the Response fields (ErrorCode 0 …) or throws MBError. */
export interface CommandContext {
  dl: DeviceLinkConnection;
  device: SimDevice;
  request: PlistDict;
  /** Run `fn` once the host has closed the connection (e.g. the reboot after a restore). */
  onSessionEnd(fn: () => void): void;
}

export type CommandResult = { ErrorCode: number } & PlistDict;
export type CommandHandler = (ctx: CommandContext) => Promise<CommandResult>;

/** A scratch directory under the device's state directory, removed after `fn`. */
export async function withScratchDir<T>(device: SimDevice, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(device.fs.stateDir, '.mb2-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The `Options` dict of a request ({} if absent). */
export function requestOptions(request: PlistDict): PlistDict {
  const o = request.Options;
  return o && typeof o === 'object' && !Array.isArray(o) && !(o instanceof Uint8Array) && !(o instanceof Date) ? (o as PlistDict) : {};
}

/** The UDID whose backup a request uses: SourceIdentifier, else TargetIdentifier, else the device's own. */
export function sourceUdid(ctx: CommandContext): string {
  const { request, device } = ctx;
  if (typeof request.SourceIdentifier === 'string' && request.SourceIdentifier !== '') return request.SourceIdentifier;
  if (typeof request.TargetIdentifier === 'string' && request.TargetIdentifier !== '') return request.TargetIdentifier;
  return device.udid;
}
