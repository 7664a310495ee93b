// How the simulated usbmuxd describes a device in ListDevices and Attached messages.
import type { PlistDict } from '../../protocols/index.js';
import type { SimulatedDevice } from '../device/sim-device.js';

/** sockaddr_in as usbmuxd reports it for Network devices: length, family (AF_INET = 2), port, IPv4 address. */
function networkAddress(index: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 16;
  b[1] = 0x02;
  b.set([192, 168, 77, 10 + (index % 200)], 4);
  return b;
}

export function deviceProperties(d: SimulatedDevice): PlistDict {
  if (d.connectionType === 'Network') {
    const mac = String(d.getValue('', 'WiFiAddress') ?? '');
    return {
      ConnectionType: 'Network',
      DeviceID: d.deviceId,
      EscapedFullServiceName: `${mac}@fe80::a6c3:61ff:fe00:${d.index.toString(16)}._apple-mobdev2._tcp.local.`,
      InterfaceIndex: 3,
      NetworkAddress: networkAddress(d.index),
      SerialNumber: d.udid,
    };
  }
  return {
    ConnectionSpeed: 480000000,
    ConnectionType: 'USB',
    DeviceID: d.deviceId,
    LocationID: 0x01100000 + d.index,
    ProductID: 0x12a8,
    SerialNumber: d.udid,
    USBSerialNumber: d.udid.replace(/-/g, ''),
  };
}

export function attachedMessage(d: SimulatedDevice): PlistDict {
  return { MessageType: 'Attached', DeviceID: d.deviceId, Properties: deviceProperties(d) };
}
