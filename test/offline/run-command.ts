import { PassThrough } from 'node:stream';
import { parseCommandArgs } from '../../src/cli/command.js';
import { loadCommand } from '../../src/cli/registry.js';

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `ibackup` command in-process (as src/cli/main.ts does) and captures what it prints. */
export async function runCommand(argv: string[], opts: { isTTY?: boolean } = {}): Promise<CommandRun> {
  const [name, ...rest] = argv;
  const cmd = name === undefined ? undefined : (await loadCommand(name))?.command;
  if (!cmd) throw new Error(`no command ${name}`);
  const parsed = parseCommandArgs(cmd, rest);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = Object.assign(new PassThrough(), { isTTY: opts.isTTY ?? false });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await cmd.run({ ...parsed, stdout, stderr, signal: new AbortController().signal });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
