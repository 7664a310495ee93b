import { archiveBackup } from '../../backup/offline/archive.js';
import { backupArg, reportCommandError, writeJson } from '../../backup/offline/command-support.js';
import type { Command } from '../command.js';

const USAGE = 'ibackup archive BACKUP [--copy] [--dir DIR] [--json]';

export const archiveCommand: Command = {
  name: 'archive',
  usage: USAGE,
  options: { copy: { type: 'boolean' }, dir: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(ctx) {
    try {
      const result = await archiveBackup(backupArg(ctx, USAGE), { copy: Boolean(ctx.values.copy), signal: ctx.signal });
      if (ctx.values.json) writeJson(ctx, { ok: true, ...result });
      else ctx.stdout.write(`Archived to ${result.path} (${result.linked} contents hard-linked, ${result.copied} files copied)\n`);
      return 0;
    } catch (err) {
      return reportCommandError(ctx, 'archive', err);
    }
  },
};
