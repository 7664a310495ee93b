import { parseCommandArgs, UsageError, type Command } from './command.js';
import { commands, loadCommand, type CommandEntry } from './registry.js';

const VERSION = '0.1.0';

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'ibackup — back up and restore iPhones and iPads (Finder/iTunes-compatible backups)',
    '',
    'Usage: ibackup <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `ibackup <command> --help` for the options of one command.',
    'Environment: USBMUXD_SOCKET_ADDRESS (UNIX:/path or host:port), LOG_LEVEL (debug, info, …).',
    '',
  ].join('\n');
}

function commandHelp(entry: CommandEntry, cmd: Command): string {
  return `${entry.summary}\n\nUsage: ${cmd.usage}\n`;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(globalHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const loaded = await loadCommand(name);
  if (!loaded) {
    const near = commands.filter((c) => c.name.startsWith(name.slice(0, 2))).map((c) => c.name);
    process.stderr.write(
      `ibackup: unknown command '${name}'.${near.length ? ` Did you mean: ${near.join(', ')}?` : ''} Run 'ibackup --help' for the list.\n`,
    );
    return 2;
  }
  const { entry, command: cmd } = loaded;
  let parsed;
  try {
    parsed = parseCommandArgs(cmd, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ibackup ${cmd.name}: ${err.message}\nUsage: ${cmd.usage}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.values.help) {
    process.stdout.write(commandHelp(entry, cmd));
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await cmd.run({ ...parsed, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
