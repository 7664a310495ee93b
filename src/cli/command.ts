import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One CLI command. Each lives in its own file under src/cli/commands/ and is listed (with its summary) in registry.ts. */
export interface Command {
  name: string;
  /** Usage text for `ibackup <name> --help`. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Whether positional arguments are allowed. */
  positionals?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
}

export class UsageError extends Error {}

export function parseCommandArgs(cmd: Command, argv: string[]): { values: CommandContext['values']; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: cmd.positionals ?? false,
      strict: true,
    });
    return { values: values as CommandContext['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
