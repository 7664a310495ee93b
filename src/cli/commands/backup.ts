import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '../../../mocks/index.js';
import type { DatasetName } from '../../../mocks/fs/index.js';
import { backup, type BackupEvent, type BackupResult } from '../../backup/index.js';
import { defaultBackupRoot } from '../../backup/offline/backup-root.js';
import type { Command } from '../command.js';
import { chooseOnlyDevice, optionalString, printCommandError } from '../device-command.js';
import { formatBytes, formatCount, formatDuration, formatRate } from '../output-format.js';
import { setupCliLogging } from '../output-log.js';
import { NdjsonWriter } from '../output-ndjson.js';
import { ProgressBar } from '../progress-bar.js';

const DATASETS: DatasetName[] = ['empty', 'tiny', 'small', 'photos', 'large', 'many'];
const EXIT_CANCELLED = 130;

function summary(r: BackupResult): string {
  const secs = r.durationMs / 1000;
  return [
    `Backup complete${r.full ? ' (full)' : ' (incremental)'}: ${formatCount(r.filesReceived)} files, ${formatBytes(r.bytesReceived)} received in ${formatDuration(secs)} (${formatRate(r.bytesPerSecond)}).`,
    `${r.filesFailed > 0 ? `${formatCount(r.filesFailed)} files could not be sent by the device. ` : ''}Saved in ${r.path}`,
    '',
  ].join('\n');
}

export const backupCommand: Command = {
  name: 'backup',
  usage:
    'ibackup backup [-u UDID] [--full] [--dir DIR] [--source UDID] [--json] [--verbose] [--no-direct-io]\n' +
    '               [--simulator [--dataset NAME]]\n' +
    '  --dir defaults to IBACKUP_DIR or the platform MobileSync/Backup folder; NDJSON events go to stdout with --json\n' +
    '  or when stdout is not a terminal; --no-direct-io writes large files through the page cache instead of O_DIRECT;\n' +
    '  logs go to stderr (--verbose, LOG_LEVEL).',
  options: {
    udid: { type: 'string', short: 'u' },
    full: { type: 'boolean' },
    dir: { type: 'string' },
    source: { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    simulator: { type: 'boolean' },
    dataset: { type: 'string' },
    'no-direct-io': { type: 'boolean' },
  },
  async run(ctx) {
    const { values, stdout } = ctx;
    setupCliLogging(values.verbose === true);
    const dataset = optionalString(values.dataset);
    if (dataset !== undefined && values.simulator !== true) {
      ctx.stderr.write('ibackup backup: --dataset only applies with --simulator\n');
      return 2;
    }
    if (dataset !== undefined && !DATASETS.includes(dataset as DatasetName)) {
      ctx.stderr.write(`ibackup backup: unknown dataset '${dataset}' (one of: ${DATASETS.join(', ')})\n`);
      return 2;
    }
    const jsonMode = values.json === true || !stdout.isTTY;
    const json = jsonMode ? new NdjsonWriter(stdout) : undefined;
    const bar = jsonMode ? undefined : new ProgressBar(stdout);
    const dir = optionalString(values.dir) ?? defaultBackupRoot();

    let sim: Simulator | undefined;
    let simState: string | undefined;
    try {
      let muxAddress: string | undefined;
      let udid = optionalString(values.udid);
      if (values.simulator === true) {
        simState = await mkdtemp(join(tmpdir(), 'ibackup-simulator-'));
        // Imported here so that backing up a real device never loads the simulated one.
        const { startSimulator } = await import('../../../mocks/index.js');
        sim = await startSimulator({ stateDir: simState, devices: [{ dataset: (dataset as DatasetName | undefined) ?? 'small' }] });
        muxAddress = sim.address;
        udid ??= sim.devices[0]!.udid;
        if (bar) bar.message(`Started the simulated iPhone ${udid} (dataset ${dataset ?? 'small'}).`);
        json?.write({ type: 'simulator', udid, address: muxAddress });
      }
      if (!udid) {
        const chosen = await chooseOnlyDevice(ctx, {
          command: 'backup',
          muxAddress,
          chooseWith: 'choose one with -u UDID',
          noDeviceTips: ['  To try ibackup without a phone: ibackup backup --simulator'],
        });
        if (typeof chosen === 'number') return chosen;
        udid = chosen;
      }
      const onEvent = (e: BackupEvent): void => {
        if (json) {
          json.write(e);
          return;
        }
        switch (e.type) {
          case 'phase':
            if (e.phase === 'backing-up' || e.phase === 'done') bar?.setLabel('');
            else bar?.setLabel(`${e.message}…`);
            if (e.phase === 'waiting-for-sync-lock') bar?.message(e.message);
            break;
          case 'progress':
            bar?.update(e);
            break;
          case 'passcode-required':
            bar?.message(`>>> ${e.message}`);
            break;
          case 'passcode-entered':
            bar?.message('Passcode entered; the backup continues.');
            break;
          case 'warning':
            bar?.message(`warning: ${e.message}`);
            break;
          default:
            break;
        }
      };
      const result = await backup({
        udid,
        dir,
        full: values.full === true,
        sourceUdid: optionalString(values.source),
        muxAddress,
        directIo: values['no-direct-io'] !== true,
        signal: ctx.signal,
        onEvent,
      });
      bar?.clear();
      if (!jsonMode) stdout.write(summary(result));
      else ctx.stderr.write(summary(result));
      return 0;
    } catch (err) {
      bar?.clear();
      printCommandError(ctx, 'backup', err, json);
      return (err as { code?: unknown }).code === 'CANCELLED' ? EXIT_CANCELLED : 1;
    } finally {
      await sim?.close().catch(() => undefined);
      if (simState) await rm(simState, { recursive: true, force: true }).catch(() => undefined);
    }
  },
};
