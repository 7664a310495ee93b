import type { Command } from './command.js';

/**
 * Every command of `ibackup`, in the order `--help` lists them. A command's module is imported only when that
 * command runs, so `ibackup list` does not load the pairing crypto, the simulator or SQLite it does not use.
 */
export interface CommandEntry {
  name: string;
  /** One line for `ibackup --help`. */
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  // with a device (or the simulated one)
  { name: 'backup', summary: 'Back up a connected iPhone/iPad (or the built-in simulated iPhone with --simulator)', load: async () => (await import('./commands/backup.js')).backupCommand },
  { name: 'restore', summary: 'Restore a backup onto a connected iPhone/iPad (the backup itself is never changed)', load: async () => (await import('./commands/restore.js')).restoreCommand },
  { name: 'devices', summary: 'List connected iPhones/iPads (UDID, name, model, iOS version, USB/Wi-Fi, paired)', load: async () => (await import('./commands/devices.js')).devicesCommand },
  { name: 'info', summary: 'Show lockdown values of a device (all of a domain, or one key)', load: async () => (await import('./commands/info.js')).infoCommand },
  { name: 'pair', summary: 'Pair with a device (tap “Trust” on it) and save the pair record', load: async () => (await import('./commands/pair.js')).pairCommand },
  { name: 'validate', summary: 'Check that the device accepts this computer’s pair record', load: async () => (await import('./commands/validate.js')).validateCommand },
  { name: 'unpair', summary: 'Make the device forget this computer and delete the pair record', load: async () => (await import('./commands/unpair.js')).unpairCommand },
  // offline, on a backup folder
  { name: 'list', summary: 'List the backups in the backup folder (archived copies too)', load: async () => (await import('./commands/list.js')).listCommand },
  { name: 'show', summary: 'Show a summary of one backup (device, date, state, entry counts)', load: async () => (await import('./commands/show.js')).showCommand },
  { name: 'ls', summary: 'List the files of a backup as domain/path (filter by domain and path glob)', load: async () => (await import('./commands/ls.js')).lsCommand },
  { name: 'extract', summary: 'Write the files of a backup to OUT/<domain>/<path> (modes, times and symlinks kept)', load: async () => (await import('./commands/extract.js')).extractCommand },
  { name: 'verify', summary: 'Check a backup: plists coherent, file index readable, every file content present with its size', load: async () => (await import('./commands/verify.js')).verifyCommand },
  { name: 'archive', summary: 'Make a Finder-style archived copy <UDID>-YYYYMMDD-HHMMSS beside a backup', load: async () => (await import('./commands/archive.js')).archiveCommand },
  { name: 'delete', summary: 'Delete a backup (asks first on a terminal; --yes otherwise)', load: async () => (await import('./commands/delete.js')).deleteCommand },
  // for tests and demos
  { name: 'simulator', summary: 'Run the simulated iPhone (a usbmuxd-compatible socket) for tests and demos', load: async () => (await import('./commands/simulator.js')).simulatorCommand },
];

/** The entry and loaded command for `name`, or undefined for an unknown command. */
export async function loadCommand(name: string): Promise<{ entry: CommandEntry; command: Command } | undefined> {
  const entry = commands.find((c) => c.name === name);
  return entry ? { entry, command: await entry.load() } : undefined;
}
