import type { Command } from './command.js';
import { backupCommand } from './commands/backup.js';
import { simulatorCommand } from './commands/simulator.js';

/** Every command of `ibackup`, in the order `--help` lists them. */
export const commands: Command[] = [backupCommand, simulatorCommand];
