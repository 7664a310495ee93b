import type { Duplex } from 'node:stream';
import { dlProcessMessage, plistNumber, real, type PlistDict } from '../../../protocols/index.js';
import { IBackupError } from '../../errors.js';
import { DeviceLinkConnection } from './devicelink.js';
import { runDeviceLinkLoop, type DeviceLinkLoopEnd } from './dl-loop.js';
import type { Mb2HostContext } from './host-context.js';

export const MOBILEBACKUP2_SERVICE = 'com.apple.mobilebackup2';
/** mobilebackup2 protocol versions offered in Hello (sent as reals). */
export const MB2_SUPPORTED_VERSIONS = [2.0, 2.1];

export interface Mb2RequestOptions {
  /** UDID of the connected device. */
  targetIdentifier: string;
  /** UDID whose backup folder is used (default: the target). */
  sourceIdentifier?: string;
  options?: PlistDict;
  /** Extra top-level keys (e.g. Password). */
  extra?: PlistDict;
}

/** A mobilebackup2 session: DeviceLink version exchange, Hello, one request, the device-driven loop. */
export class MobileBackup2Client {
  readonly dl: DeviceLinkConnection;
  protocolVersion: number | undefined;

  constructor(stream: Duplex) {
    this.dl = new DeviceLinkConnection(stream);
  }

  /** Version exchange + Hello; resolves to the negotiated protocol version (e.g. 2.1). */
  async handshake(signal?: AbortSignal): Promise<number> {
    await this.dl.versionExchange(signal);
    return this.hello(signal);
  }

  async hello(signal?: AbortSignal): Promise<number> {
    await this.dl.send(
      dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: MB2_SUPPORTED_VERSIONS.map((v) => real(v)) }),
      signal,
    );
    const reply = await this.dl.receiveProcessMessage(signal);
    const code = plistNumber(reply.ErrorCode);
    if (code !== 0) {
      throw new IBackupError(
        'MB2_HELLO_FAILED',
        code === 1
          ? 'The device and this host have no mobilebackup2 protocol version in common.'
          : `The device refused the backup session (ErrorCode ${String(code)}${typeof reply.ErrorDescription === 'string' ? `: ${reply.ErrorDescription}` : ''}).`,
        { hint: code === 1 ? 'Update ibackup to support this iOS release.' : undefined },
      );
    }
    this.protocolVersion = plistNumber(reply.ProtocolVersion);
    return this.protocolVersion ?? 2.0;
  }

  /** Send a request (`Backup`, `Restore`, `Info`, …) inside DLMessageProcessMessage. */
  async sendRequest(messageName: string, req: Mb2RequestOptions, signal?: AbortSignal): Promise<void> {
    const dict: PlistDict = {
      MessageName: messageName,
      TargetIdentifier: req.targetIdentifier,
      SourceIdentifier: req.sourceIdentifier ?? req.targetIdentifier,
      ...(req.options ? { Options: req.options } : {}),
      ...req.extra,
    };
    await this.dl.send(dlProcessMessage(dict), signal);
  }

  /** Serve the device's requests until its result; `ctx.dl` is this client's connection. */
  async runLoop(ctx: Omit<Mb2HostContext, 'dl'>): Promise<DeviceLinkLoopEnd> {
    return runDeviceLinkLoop({ ...ctx, dl: this.dl });
  }

  /** DLMessageDisconnect (best effort), then close the socket. */
  async close(reason?: string): Promise<void> {
    await this.dl.disconnect(reason);
    const stream = this.dl.stream;
    if (!stream.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        timer.unref();
        stream.end(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    stream.destroy();
  }
}
