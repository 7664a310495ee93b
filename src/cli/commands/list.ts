import { defaultBackupRoot } from '../../backup/offline/backup-root.js';
import { reportCommandError, stringOption, writeJson } from '../../backup/offline/command-support.js';
import { listBackups } from '../../backup/offline/list-backups.js';
import { formatBytes, formatTable } from '../../backup/offline/text.js';
import type { Command } from '../command.js';

export const listCommand: Command = {
  name: 'list',
  usage: 'ibackup list [--dir DIR] [--json]',
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const dir = stringOption(ctx, 'dir') ?? defaultBackupRoot();
      const backups = await listBackups({ dir, signal: ctx.signal });
      if (ctx.values.json) {
        writeJson(ctx, { dir, backups });
        return 0;
      }
      if (backups.length === 0) {
        ctx.stdout.write(`No backups in ${dir}\n`);
        return 0;
      }
      const rows = backups.map((b) => [
        b.deviceName ?? '?',
        b.udid,
        b.model ?? '?',
        b.iosVersion ?? '?',
        b.lastBackupDate ? b.lastBackupDate.slice(0, 19).replace('T', ' ') : '?',
        b.sizeOnDisk !== undefined ? formatBytes(b.sizeOnDisk) : '?',
        b.isEncrypted ? 'yes' : 'no',
        b.isComplete ? 'yes' : 'no',
        b.archivedAt ? `${b.name} (archived)` : b.name,
      ]);
      ctx.stdout.write(`Backups in ${dir}:\n`);
      ctx.stdout.write(formatTable(['DEVICE', 'UDID', 'MODEL', 'iOS', 'LAST BACKUP (UTC)', 'SIZE', 'ENCRYPTED', 'COMPLETE', 'FOLDER'], rows));
      return 0;
    } catch (err) {
      return reportCommandError(ctx, 'list', err);
    }
  },
};
