// com.apple.springboardservices: getIconPNGData returns a small PNG per bundle id.
import { isPlistDict } from '../../protocols/index.js';
import { PlistChannel } from '../plist-channel.js';
import { solidPng } from './png.js';
import type { DeviceServiceHandler } from './types.js';

function colourFor(id: string): [number, number, number] {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return [h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff];
}

export const springboardService: DeviceServiceHandler = (conn) => {
  const channel: PlistChannel = new PlistChannel(conn, {
    onMessage(message) {
      if (!isPlistDict(message)) return;
      if (message.command === 'getIconPNGData' && typeof message.bundleId === 'string') {
        channel.send({ pngData: solidPng(8, colourFor(message.bundleId)) });
      } else if (message.command === 'getInterfaceOrientation') {
        channel.send({ interfaceOrientation: 1 });
      } else {
        channel.send({ Error: 'UnknownCommand' });
      }
    },
    onClose: () => conn.destroy(),
  });
};
