import type { Command } from '../command.js';

export const simulatorCommand: Command = {
  name: 'simulator',
  summary: 'Run the simulated iPhone (a usbmuxd-compatible socket) for tests and demos',
  usage:
    'ibackup simulator --socket PATH [--tcp 127.0.0.1:PORT] [--state DIR] [--dataset NAME] [--seed N] [--udid UDID] [--unpaired]',
  options: {
    socket: { type: 'string' },
    tcp: { type: 'string' },
    state: { type: 'string' },
    dataset: { type: 'string' },
    seed: { type: 'string' },
    udid: { type: 'string' },
    unpaired: { type: 'boolean' },
  },
  async run({ stderr }) {
    stderr.write('ibackup simulator: not yet implemented\n');
    return 2;
  },
};
