import { createInterface } from 'node:readline/promises';
import { backupArg, OfflineUsageError, reportCommandError, writeJson } from '../../backup/offline/command-support.js';
import { deleteBackup } from '../../backup/offline/delete.js';
import { summarize } from '../../backup/offline/summary.js';
import { openBackup } from '../../backup/reader/open-backup.js';
import type { Command } from '../command.js';

const USAGE = 'ibackup delete BACKUP [--yes] [--dir DIR] [--json]';

async function confirm(question: string, stdout: NodeJS.WritableStream, signal: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: stdout });
  try {
    const answer = await rl.question(question, { signal });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export const deleteCommand: Command = {
  name: 'delete',
  usage: USAGE,
  options: { yes: { type: 'boolean', short: 'y' }, dir: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(ctx) {
    try {
      const backup = await openBackup(backupArg(ctx, USAGE));
      const s = summarize(backup);
      if (!ctx.values.yes) {
        if (!process.stdin.isTTY || !ctx.stdout.isTTY || ctx.values.json) {
          throw new OfflineUsageError(`not deleting ${backup.path} without confirmation: pass --yes`);
        }
        const what = `${s.deviceName ?? 'unknown device'} (${s.udid}), last backup ${s.lastBackupDate ?? 'unknown'}`;
        if (!(await confirm(`Delete the backup of ${what} at ${backup.path}? [y/N] `, ctx.stdout, ctx.signal))) {
          ctx.stdout.write('Nothing deleted.\n');
          return 1;
        }
      }
      await deleteBackup(backup.path);
      if (ctx.values.json) writeJson(ctx, { ok: true, deleted: backup.path });
      else ctx.stdout.write(`Deleted ${backup.path}\n`);
      return 0;
    } catch (err) {
      return reportCommandError(ctx, 'delete', err);
    }
  },
};
