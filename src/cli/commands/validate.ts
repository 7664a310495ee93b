import { validatePairing } from '../../lockdown/pairing.js';
import type { Command } from '../command.js';
import { reportDeviceError, udidOption } from './devices.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: 'ibackup validate [-u UDID]',
  options: { udid: { type: 'string', short: 'u' } },
  async run(ctx) {
    try {
      const r = await validatePairing(udidOption(ctx), { signal: ctx.signal });
      ctx.stdout.write(`Validated pairing with ${r.udid} (host ${r.hostId}).\n`);
      return 0;
    } catch (err) {
      return reportDeviceError(ctx, 'validate', err);
    }
  },
};
