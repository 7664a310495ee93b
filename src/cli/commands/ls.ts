import { backupArg, reportCommandError, stringOption } from '../../backup/offline/command-support.js';
import { formatMode, formatTime, writeWithBackpressure } from '../../backup/offline/text.js';
import { openBackup } from '../../backup/reader/open-backup.js';
import type { BackupEntry } from '../../backup/reader/types.js';
import type { Command } from '../command.js';

const USAGE = 'ibackup ls BACKUP [--domain D] [--path GLOB] [--long] [--dir DIR] [--json]';

function longLine(e: BackupEntry): string {
  const name = `${e.domain}/${e.relativePath}${e.type === 'dir' && e.relativePath ? '/' : ''}`;
  return [
    formatMode(e),
    `${e.uid}:${e.gid}`.padStart(11),
    String(e.size).padStart(12),
    formatTime(e.mtime),
    `p${e.protectionClass}`,
    e.type === 'symlink' ? `${name} -> ${e.target ?? ''}` : name,
  ].join(' ');
}

export const lsCommand: Command = {
  name: 'ls',
  usage: USAGE,
  options: {
    domain: { type: 'string' },
    path: { type: 'string' },
    long: { type: 'boolean', short: 'l' },
    dir: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
  async run(ctx) {
    try {
      const backup = await openBackup(backupArg(ctx, USAGE));
      const filter = { domain: stringOption(ctx, 'domain'), path: stringOption(ctx, 'path') };
      const json = Boolean(ctx.values.json);
      let first = true;
      if (json) ctx.stdout.write('[');
      for await (const e of backup.files(filter)) {
        ctx.signal.throwIfAborted();
        let text: string;
        if (json) {
          const { blobPath: _blobPath, ...rest } = e;
          text = `${first ? '\n' : ',\n'}${JSON.stringify(rest)}`;
        } else {
          text = `${ctx.values.long ? longLine(e) : `${e.domain}/${e.relativePath}${e.type === 'dir' && e.relativePath ? '/' : ''}`}\n`;
        }
        first = false;
        await writeWithBackpressure(ctx.stdout, text);
      }
      if (json) ctx.stdout.write(first ? ']\n' : '\n]\n');
      return 0;
    } catch (err) {
      return reportCommandError(ctx, 'ls', err);
    }
  },
};
