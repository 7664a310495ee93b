import { backupArg, reportCommandError, writeJson } from '../../backup/offline/command-support.js';
import { diskUsage } from '../../backup/offline/disk-usage.js';
import { summarize } from '../../backup/offline/summary.js';
import { formatBytes } from '../../backup/offline/text.js';
import { countEntries, type EntryCounts } from '../../backup/reader/count-entries.js';
import { openBackup } from '../../backup/reader/open-backup.js';
import { CodedError } from '../../errors.js';
import type { Command } from '../command.js';

const USAGE = 'ibackup show BACKUP [--dir DIR] [--json]';

export const showCommand: Command = {
  name: 'show',
  usage: USAGE,
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(ctx) {
    try {
      const backup = await openBackup(backupArg(ctx, USAGE));
      const summary = summarize(backup);
      summary.sizeOnDisk = await diskUsage(backup.path, ctx.signal);
      let entries: EntryCounts | undefined;
      let entriesNote: string | undefined;
      try {
        entries = await countEntries(backup);
      } catch (err) {
        if (!(err instanceof CodedError)) throw err;
        entriesNote = err.message;
      }
      if (ctx.values.json) {
        writeJson(ctx, { ...summary, entries, ...(entriesNote ? { entriesNote } : {}) });
        return 0;
      }
      const lines: [string, string | undefined][] = [
        ['Device', summary.deviceName],
        ['UDID', summary.udid],
        ['Model', summary.model],
        ['iOS', summary.iosVersion && `${summary.iosVersion}${summary.buildVersion ? ` (${summary.buildVersion})` : ''}`],
        ['Serial number', summary.serialNumber],
        ['Last backup', summary.lastBackupDate],
        ['Archived copy', summary.archivedAt && `yes, made ${summary.archivedAt}`],
        ['Encrypted', summary.isEncrypted ? 'yes' : 'no'],
        ['Complete', `${summary.isComplete ? 'yes' : 'no'}${summary.snapshotState ? ` (snapshot ${summary.snapshotState})` : ''}`],
        ['Full backup', summary.isFullBackup === undefined ? undefined : summary.isFullBackup ? 'yes' : 'no (incremental)'],
        ['File index', summary.manifestFormat === 'db' ? 'Manifest.db (iOS 10+)' : summary.manifestFormat === 'mbdb' ? 'Manifest.mbdb (iOS 5–9)' : 'missing'],
        [
          'Entries',
          entries
            ? `${entries.files} files${entries.totalSize !== undefined ? ` (${formatBytes(entries.totalSize)})` : ''}, ${entries.dirs} folders, ${entries.symlinks} symlinks`
            : entriesNote,
        ],
        ['Size on disk', formatBytes(summary.sizeOnDisk)],
        ['Path', summary.path],
      ];
      for (const [k, v] of lines) if (v !== undefined) ctx.stdout.write(`${`${k}:`.padEnd(15)}${v}\n`);
      return 0;
    } catch (err) {
      return reportCommandError(ctx, 'show', err);
    }
  },
};
