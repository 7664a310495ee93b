import { CodedError } from '../../../protocols/errors.js';
import { IBackupError } from '../../errors.js';
import { resolveBackupPath } from './resolve-backup.js';

/** The streams and flags the offline CLI commands share (a subset of the CLI's CommandContext). */
export interface OfflineCommandIo {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A usage problem found by a command (exit code 2). */
export class OfflineUsageError extends IBackupError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export function stringOption(io: OfflineCommandIo, name: string): string | undefined {
  const v = io.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** BACKUP (first positional) resolved against --dir. */
export function backupArg(io: OfflineCommandIo, usage: string): string {
  const spec = io.positionals[0];
  if (!spec) throw new OfflineUsageError(`BACKUP is missing. Usage: ${usage}`);
  return resolveBackupPath(spec, stringOption(io, 'dir'));
}

export function writeJson(io: OfflineCommandIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Reports a failure the way every offline command does: `ibackup <cmd>: message` (+ hint) on stderr, and with
 * --json also `{ ok: false, error: { code, message, hint } }` on stdout. Returns the exit code (2 usage, else 1).
 * Errors without a code (bugs) are rethrown.
 */
export function reportCommandError(io: OfflineCommandIo, command: string, err: unknown): number {
  if (!(err instanceof CodedError)) throw err;
  const hint = err instanceof IBackupError ? err.hint : undefined;
  io.stderr.write(`ibackup ${command}: ${err.message}\n${hint ? `hint: ${hint}\n` : ''}`);
  if (io.values.json) writeJson(io, { ok: false, error: { code: err.code, message: err.message, ...(hint ? { hint } : {}) } });
  return err instanceof OfflineUsageError ? 2 : 1;
}
