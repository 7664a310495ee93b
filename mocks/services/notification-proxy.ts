// com.apple.mobile.notification_proxy: the host observes notifications the device relays, and posts its own
// (kept in device.hostNotifications). Shutdown is answered with ProxyDeath, then the device closes. This service
// must never fail: libimobiledevice 1.3.0 crashes on a NULL client during backup/restore.
import { isPlistDict, type PlistValue } from '../../protocols/index.js';
import type { NotificationObserver } from '../device/sim-device.js';
import { PlistChannel } from '../plist-channel.js';
import type { DeviceServiceHandler } from './types.js';

export const notificationProxyService: DeviceServiceHandler = (conn, device) => {
  const observer: NotificationObserver = {
    names: new Set(),
    relay: (name) => channel.send({ Command: 'RelayNotification', Name: name }),
  };
  device.observers.add(observer);
  const channel: PlistChannel = new PlistChannel(conn, {
    onMessage(message: PlistValue) {
      if (!isPlistDict(message)) return;
      const name = typeof message.Name === 'string' ? message.Name : undefined;
      switch (message.Command) {
        case 'ObserveNotification':
          if (name) observer.names.add(name);
          break;
        case 'PostNotification':
          if (name) {
            device.hostNotifications.push(name);
            device.emit('hostNotification', name);
          }
          break;
        case 'Shutdown':
          channel.send({ Command: 'ProxyDeath' });
          device.observers.delete(observer);
          channel.close();
          break;
        default:
          break;
      }
    },
    onClose() {
      device.observers.delete(observer);
      conn.destroy();
    },
  });
};
