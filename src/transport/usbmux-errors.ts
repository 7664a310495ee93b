import { UsbmuxResult } from '../../protocols/index.js';
import { TransportError } from './errors.js';

/** A typed error for a non-zero usbmuxd `Result` number. */
export function usbmuxResultError(request: string, result: number, context = ''): TransportError {
  const ctx = context ? ` (${context})` : '';
  switch (result) {
    case UsbmuxResult.BadCommand:
      return new TransportError('MUX_BAD_COMMAND', `usbmuxd rejected ${request}${ctx} as a bad command`, {
        muxResult: result,
        hint: 'The usbmuxd in use may be too old for this request; update usbmuxd.',
      });
    case UsbmuxResult.BadDevice:
      return new TransportError('DEVICE_NOT_FOUND', `device not found${ctx}: usbmuxd does not know it (${request})`, {
        muxResult: result,
        hint: 'Check the cable, unlock the device, and list the connected devices with `ibackup devices`.',
      });
    case UsbmuxResult.ConnectionRefused:
      return new TransportError('CONNECTION_REFUSED', `connection refused by device${ctx}`, {
        muxResult: result,
        hint: 'The service is not running on the device (it may be rebooting or locked); try again in a moment.',
      });
    case UsbmuxResult.BadVersion:
      return new TransportError('MUX_BAD_VERSION', `usbmuxd does not speak the plist protocol (${request})`, {
        muxResult: result,
        hint: 'Update usbmuxd to a version that supports plist messages (every usbmuxd since 2013 does).',
      });
    default:
      return new TransportError('MUX_ERROR', `usbmuxd answered ${request}${ctx} with error ${result}`, { muxResult: result });
  }
}
