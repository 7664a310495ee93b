import type { Command } from './command.js';
import { archiveCommand } from './commands/archive.js';
import { backupCommand } from './commands/backup.js';
import { deleteCommand } from './commands/delete.js';
import { devicesCommand } from './commands/devices.js';
import { extractCommand } from './commands/extract.js';
import { infoCommand } from './commands/info.js';
import { listCommand } from './commands/list.js';
import { lsCommand } from './commands/ls.js';
import { pairCommand } from './commands/pair.js';
import { restoreCommand } from './commands/restore.js';
import { showCommand } from './commands/show.js';
import { simulatorCommand } from './commands/simulator.js';
import { unpairCommand } from './commands/unpair.js';
import { validateCommand } from './commands/validate.js';
import { verifyCommand } from './commands/verify.js';

/** Every command of `ibackup`, in the order `--help` lists them: device work, then the offline toolkit. */
export const commands: Command[] = [
  // with a device (or the simulated one)
  backupCommand,
  restoreCommand,
  devicesCommand,
  infoCommand,
  pairCommand,
  validateCommand,
  unpairCommand,
  // offline, on a backup folder
  listCommand,
  showCommand,
  lsCommand,
  extractCommand,
  verifyCommand,
  archiveCommand,
  deleteCommand,
  // for tests and demos
  simulatorCommand,
];
