import { pairDevice } from '../../lockdown/pairing.js';
import type { Command } from '../command.js';
import { reportDeviceError, udidOption } from './devices.js';

export const pairCommand: Command = {
  name: 'pair',
  usage: 'ibackup pair [-u UDID]',
  options: { udid: { type: 'string', short: 'u' } },
  async run(ctx) {
    try {
      let shown = '';
      const result = await pairDevice(udidOption(ctx), {
        signal: ctx.signal,
        waitForUnlock: true,
        onEvent: (e) => {
          if (e.type === 'paired' || e.message === shown) return;
          shown = e.message;
          ctx.stderr.write(`${e.message}\n`);
        },
      });
      ctx.stdout.write(`Paired with ${result.udid}.\n`);
      if (result.file) ctx.stdout.write(`Pair record saved to ${result.file}${result.savedToUsbmuxd ? ' and usbmuxd' : ''}.\n`);
      else if (result.savedToUsbmuxd) ctx.stdout.write('Pair record saved to usbmuxd.\n');
      return 0;
    } catch (err) {
      return reportDeviceError(ctx, 'pair', err);
    }
  },
};
