import { unpairDevice } from '../../lockdown/pairing.js';
import type { Command } from '../command.js';
import { reportDeviceError, udidOption } from './devices.js';

export const unpairCommand: Command = {
  name: 'unpair',
  usage: 'ibackup unpair [-u UDID]',
  options: { udid: { type: 'string', short: 'u' } },
  async run(ctx) {
    try {
      const r = await unpairDevice(udidOption(ctx), { signal: ctx.signal });
      ctx.stdout.write(
        r.device ? `Unpaired ${r.udid}.\n` : `${r.udid} no longer knew this computer; removed the local pair record.\n`,
      );
      return 0;
    } catch (err) {
      return reportDeviceError(ctx, 'unpair', err);
    }
  },
};
