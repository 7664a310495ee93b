// One lockdownd connection (port 62078): framed plist requests, then TLS on the same stream after a
// StartSession that enables it. After StopSession the host sends close_notify and closes; both are normal.
import type { Duplex } from 'node:stream';
import { isPlistDict, type PlistValue } from '../../protocols/index.js';
import { PlistChannel } from '../plist-channel.js';
import type { SimLogger } from '../logger.js';
import { handleLockdownRequest, type LockdownConnState, type LockdownContext } from './requests.js';
import { serveTls } from './tls.js';

export function serveLockdown(stream: Duplex, ctx: LockdownContext, log?: SimLogger): void {
  const state: LockdownConnState = {};
  const { device } = ctx;
  const channel: PlistChannel = new PlistChannel(stream, {
    onMessage(message: PlistValue) {
      if (!isPlistDict(message)) {
        channel.send({ Error: 'InvalidRequest', Result: 'Failure' });
        return;
      }
      const outcome = handleLockdownRequest(message, ctx, state);
      log?.debug({ udid: device.udid, request: message.Request, error: outcome.reply.Error }, 'lockdown request');
      channel.send(outcome.reply);
      if (outcome.then === 'tls' && state.session) {
        const tlsSocket = serveTls(channel.current, {
          certPem: state.session.host.deviceCertPem,
          keyPem: device.keys.privateKeyPem,
        });
        channel.switchTo(tlsSocket);
      } else if (outcome.then === 'close') {
        channel.close();
      }
    },
    onClose(err) {
      if (err) log?.debug({ udid: device.udid, err: String(err) }, 'lockdown connection closed');
      stream.destroy();
    },
  });
}
