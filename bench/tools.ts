// The command lines the benchmark times: our CLI (`ibackup`), Debian's idevicebackup2, and the sink host.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Tool = 'ours' | 'theirs';
export type Operation = 'backup' | 'restore';

/** The repository root (dist/bench/tools.js → ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IBACKUP_BIN = join(REPO_ROOT, 'bin', 'ibackup.js');
export const IDEVICEBACKUP2 = '/usr/bin/idevicebackup2';
export const SINK_JS = join(dirname(fileURLToPath(import.meta.url)), 'sink.js');

export function haveIdevicebackup2(): boolean {
  return existsSync(IDEVICEBACKUP2);
}

export interface CommandLine {
  cmd: string;
  args: string[];
}

/**
 * One tool, one operation, one backup root. Both tools get the same device, the same root on the same disk, and
 * their default durability behaviour (ours fsyncs each file; idevicebackup2 does not).
 */
export function commandFor(tool: Tool, op: Operation, udid: string, root: string): CommandLine {
  if (tool === 'ours') {
    return op === 'backup'
      ? { cmd: process.execPath, args: [IBACKUP_BIN, 'backup', '-u', udid, '--dir', root, '--json'] }
      : { cmd: process.execPath, args: [IBACKUP_BIN, 'restore', '-u', udid, '--dir', root, '--system', '--no-reboot', '--json'] };
  }
  return op === 'backup'
    ? { cmd: IDEVICEBACKUP2, args: ['-u', udid, 'backup', root] }
    : { cmd: IDEVICEBACKUP2, args: ['-u', udid, 'restore', '--system', '--no-reboot', root] };
}

export function sinkCommand(udid: string): CommandLine {
  return { cmd: process.execPath, args: [SINK_JS, udid] };
}
