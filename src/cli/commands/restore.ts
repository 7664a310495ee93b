import { defaultBackupRoot } from '../../backup/offline/backup-root.js';
import { restore, type RestoreEvent, type RestoreResult } from '../../backup/restore/index.js';
import type { Command } from '../command.js';
import { chooseOnlyDevice, optionalString, printCommandError } from '../device-command.js';
import { formatBytes, formatCount, formatDuration, formatRate } from '../output-format.js';
import { setupCliLogging } from '../output-log.js';
import { NdjsonWriter } from '../output-ndjson.js';
import { ProgressBar } from '../progress-bar.js';

const EXIT_CANCELLED = 130;
export const PASSWORD_ENV = 'IBACKUP_PASSWORD';

function summary(r: RestoreResult): string {
  const lines = [
    `Restore complete: ${formatCount(r.filesSent)} files, ${formatBytes(r.bytesSent)} sent in ${formatDuration(r.durationMs / 1000)} (${formatRate(r.bytesPerSecond)}).`,
    `Restored ${r.sourceUdid === r.udid ? '' : `the backup of ${r.sourceUdid} `}from ${r.backupPath} onto ${r.udid}.`,
  ];
  if (r.applicationsWritten !== undefined) lines.push(`The device will reinstall ${formatCount(r.applicationsWritten)} apps.`);
  if (r.reboot) {
    lines.push(
      r.deviceBack === true
        ? 'The device restarted and is back.'
        : r.deviceBack === false
          ? 'The device is restarting; it did not come back while we waited — check it.'
          : 'The device is restarting.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Terminal output for one event (the progress bar and lines above it). */
function showEvent(bar: ProgressBar, e: RestoreEvent): void {
  switch (e.type) {
    case 'phase':
      if (e.phase === 'restoring' || e.phase === 'done') bar.setLabel('');
      else bar.setLabel(`${e.message}…`);
      if (e.phase === 'waiting-for-sync-lock') bar.message(e.message);
      break;
    case 'progress':
      bar.update(e);
      break;
    case 'passcode-required':
      bar.message(`>>> ${e.message}`);
      break;
    case 'passcode-entered':
      bar.message('Passcode entered; the restore continues.');
      break;
    case 'applications-removed':
      bar.message(`Removed ${e.path} from the device again.`);
      break;
    case 'reboot':
      if (e.state !== 'back') bar.message(e.message);
      break;
    case 'warning':
      bar.message(`warning: ${e.message}`);
      break;
    default:
      break;
  }
}

const USAGE =
  'ibackup restore [-u UDID] [BACKUP] [--dir DIR] [--system] [--no-reboot] [--copy] [--settings] [--remove]\n' +
  '                [--skip-apps] [--source UDID] [--password PW] [--json] [--verbose]\n' +
  '  BACKUP is a backup folder or a UDID in --dir (default: the backup of --source, else of the device).\n' +
  '  --system     also restore system files            --no-reboot  do not restart the device afterwards\n' +
  '  --copy       let the device copy the backup first --settings   restore the device settings too\n' +
  '  --remove     remove items the backup does not have\n' +
  "  --skip-apps  do not tell the device to reinstall the backup's apps\n" +
  "  --source     restore another device's backup (its UDID)\n" +
  `  --password   password of an encrypted backup (or set ${PASSWORD_ENV}, which other users cannot see in ps)\n` +
  '  --dir defaults to IBACKUP_DIR or the platform MobileSync/Backup folder; NDJSON events go to stdout with --json\n' +
  '  or when stdout is not a terminal; logs go to stderr (--verbose, LOG_LEVEL).';

export const restoreCommand: Command = {
  name: 'restore',
  usage: USAGE,
  options: {
    udid: { type: 'string', short: 'u' },
    dir: { type: 'string' },
    system: { type: 'boolean' },
    'no-reboot': { type: 'boolean' },
    copy: { type: 'boolean' },
    settings: { type: 'boolean' },
    remove: { type: 'boolean' },
    'skip-apps': { type: 'boolean' },
    source: { type: 'string' },
    password: { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  },
  positionals: true,
  async run(ctx) {
    const { values, stdout } = ctx;
    setupCliLogging(values.verbose === true);
    if (ctx.positionals.length > 1) {
      ctx.stderr.write(`ibackup restore: only one BACKUP can be restored (got ${ctx.positionals.length})\nUsage: ${USAGE}\n`);
      return 2;
    }
    const jsonMode = values.json === true || !stdout.isTTY;
    const json = jsonMode ? new NdjsonWriter(stdout) : undefined;
    const bar = jsonMode ? undefined : new ProgressBar(stdout);
    const password = optionalString(values.password) ?? optionalString(process.env[PASSWORD_ENV]);
    try {
      let udid = optionalString(values.udid);
      if (!udid) {
        const chosen = await chooseOnlyDevice(ctx, {
          command: 'restore',
          // Only when exactly one is connected: restoring onto the wrong device would overwrite its data.
          chooseWith: 'choose the one to restore with -u UDID',
        });
        if (typeof chosen === 'number') return chosen;
        udid = chosen;
      }
      const result = await restore({
        udid,
        backup: ctx.positionals[0],
        dir: optionalString(values.dir) ?? defaultBackupRoot(),
        system: values.system === true,
        reboot: values['no-reboot'] !== true,
        copy: values.copy === true,
        settings: values.settings === true,
        remove: values.remove === true,
        skipApps: values['skip-apps'] === true,
        sourceUdid: optionalString(values.source),
        password,
        signal: ctx.signal,
        onEvent: (e) => {
          if (json) json.write(e);
          else if (bar) showEvent(bar, e);
        },
      });
      bar?.clear();
      if (!jsonMode) stdout.write(summary(result));
      else ctx.stderr.write(summary(result));
      return 0;
    } catch (err) {
      bar?.clear();
      printCommandError(ctx, 'restore', err, json);
      return (err as { code?: unknown }).code === 'CANCELLED' ? EXIT_CANCELLED : 1;
    }
  },
};
