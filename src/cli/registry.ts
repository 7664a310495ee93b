import type { Command } from './command.js';
import { backupCommand } from './commands/backup.js';
import { simulatorCommand } from './commands/simulator.js';
import { listCommand } from './commands/list.js';
import { showCommand } from './commands/show.js';
import { lsCommand } from './commands/ls.js';
import { extractCommand } from './commands/extract.js';
import { verifyCommand } from './commands/verify.js';
import { archiveCommand } from './commands/archive.js';
import { deleteCommand } from './commands/delete.js';

/** Every command of `ibackup`, in the order `--help` lists them. */
export const commands: Command[] = [backupCommand, simulatorCommand];
commands.push(listCommand, showCommand, lsCommand, extractCommand, verifyCommand, archiveCommand, deleteCommand);
// Device commands (issue #4).
import { devicesCommand } from './commands/devices.js';
import { infoCommand } from './commands/info.js';
import { pairCommand } from './commands/pair.js';
import { validateCommand } from './commands/validate.js';
import { unpairCommand } from './commands/unpair.js';
commands.push(devicesCommand, infoCommand, pairCommand, validateCommand, unpairCommand);
// Restore (issue #6).
import { restoreCommand } from './commands/restore.js';
commands.push(restoreCommand);
