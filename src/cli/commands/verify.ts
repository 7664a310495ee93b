import { backupArg, reportCommandError, writeJson } from '../../backup/offline/command-support.js';
import { formatBytes } from '../../backup/offline/text.js';
import { openBackup } from '../../backup/reader/open-backup.js';
import type { Command } from '../command.js';

const USAGE = 'ibackup verify BACKUP [--dir DIR] [--json]';

export const verifyCommand: Command = {
  name: 'verify',
  usage: USAGE,
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(ctx) {
    try {
      const backup = await openBackup(backupArg(ctx, USAGE));
      const report = await backup.verify({ signal: ctx.signal });
      if (ctx.values.json) {
        writeJson(ctx, { path: backup.path, ...report });
      } else {
        const { files, dirs, symlinks } = report.counts;
        ctx.stdout.write(`${backup.path}: ${files} files (${formatBytes(report.totalSize)}), ${dirs} folders, ${symlinks} symlinks checked\n`);
        if (report.skippedBlobs) ctx.stdout.write(`note: ${report.skippedBlobs}\n`);
        for (const p of report.problems) ctx.stdout.write(`${p.code}: ${p.message}\n`);
        if (report.problemCount > report.problems.length) {
          ctx.stdout.write(`… and ${report.problemCount - report.problems.length} more problems\n`);
        }
        ctx.stdout.write(report.ok ? 'OK: the backup is consistent\n' : `FAILED: ${report.problemCount} problem(s)\n`);
      }
      return report.ok ? 0 : 1;
    } catch (err) {
      return reportCommandError(ctx, 'verify', err);
    }
  },
};
