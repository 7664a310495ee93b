// Runs one device CLI command in-process with captured stdout/stderr (no build needed).
import { PassThrough } from 'node:stream';
import type { Command } from '../../src/cli/command.js';
import { parseCommandArgs } from '../../src/cli/command.js';

export async function runCommand(cmd: Command, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  err.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const parsed = parseCommandArgs(cmd, argv);
  const code = await cmd.run({ ...parsed, stdout: out, stderr: err, signal: new AbortController().signal });
  out.end();
  err.end();
  return { code, stdout, stderr };
}
