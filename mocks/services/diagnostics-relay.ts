// com.apple.mobile.diagnostics_relay: MobileGestalt (PasswordConfigured, a few identity keys) and Goodbye.
import { isPlistDict, type PlistDict } from '../../protocols/index.js';
import { PlistChannel } from '../plist-channel.js';
import type { DeviceServiceHandler } from './types.js';

export const diagnosticsRelayService: DeviceServiceHandler = (conn, device) => {
  const channel: PlistChannel = new PlistChannel(conn, {
    onMessage(message) {
      if (!isPlistDict(message)) return;
      switch (message.Request) {
        case 'MobileGestalt': {
          const keys = Array.isArray(message.MobileGestaltKeys) ? message.MobileGestaltKeys : [];
          const known: PlistDict = {
            PasswordConfigured: device.passcodeSet,
            ProductType: device.getValue('', 'ProductType'),
            UniqueDeviceID: device.udid,
          };
          const gestalt: PlistDict = { Status: 'MobileGestaltSuccess' };
          for (const k of keys) if (typeof k === 'string' && known[k] !== undefined) gestalt[k] = known[k];
          channel.send({ Status: 'Success', Diagnostics: { MobileGestalt: gestalt } });
          break;
        }
        case 'Goodbye':
          channel.send({ Status: 'Success' });
          channel.close();
          break;
        default:
          channel.send({ Status: 'UnknownRequest' });
      }
    },
    onClose: () => conn.destroy(),
  });
};
