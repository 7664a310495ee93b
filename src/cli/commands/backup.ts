import type { Command } from '../command.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Back up a connected iPhone/iPad (or the built-in simulated iPhone with --simulator)',
  usage: 'ibackup backup [-u UDID] [--full] [--dir DIR] [--json] [--simulator [--dataset NAME]]',
  options: {
    udid: { type: 'string', short: 'u' },
    full: { type: 'boolean' },
    dir: { type: 'string' },
    json: { type: 'boolean' },
    simulator: { type: 'boolean' },
    dataset: { type: 'string' },
  },
  async run({ stderr }) {
    stderr.write('ibackup backup: not yet implemented\n');
    return 2;
  },
};
