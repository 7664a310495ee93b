import { backupArg, OfflineUsageError, reportCommandError, stringOption, writeJson } from '../../backup/offline/command-support.js';
import { formatBytes } from '../../backup/offline/text.js';
import { openBackup } from '../../backup/reader/open-backup.js';
import type { Command } from '../command.js';

const USAGE = 'ibackup extract BACKUP OUT [--domain D] [--path GLOB] [--dir DIR] [--json]';

export const extractCommand: Command = {
  name: 'extract',
  usage: USAGE,
  options: {
    domain: { type: 'string' },
    path: { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
  async run(ctx) {
    try {
      const out = ctx.positionals[1];
      if (!out) throw new OfflineUsageError(`OUT is missing. Usage: ${USAGE}`);
      const backup = await openBackup(backupArg(ctx, USAGE));
      const result = await backup.extract(out, {
        filter: { domain: stringOption(ctx, 'domain'), path: stringOption(ctx, 'path') },
        signal: ctx.signal,
      });
      if (ctx.values.json) writeJson(ctx, { ok: true, out, ...result });
      else {
        ctx.stdout.write(
          `Extracted ${result.files} files (${formatBytes(result.bytes)}), ${result.dirs} folders and ${result.symlinks} symlinks to ${out}\n`,
        );
      }
      return 0;
    } catch (err) {
      return reportCommandError(ctx, 'extract', err);
    }
  },
};
