import { CodedError } from '../../../protocols/errors.js';
import { IBackupError } from '../../errors.js';
import { listDevices } from '../../lockdown/devices.js';
import type { Command, CommandContext } from '../command.js';

/** Prints an error with its hint to stderr; returns the exit code (1). Shared by the device commands. */
export function reportDeviceError(ctx: CommandContext, command: string, err: unknown): number {
  const e = err as Error;
  const code = err instanceof CodedError ? ` [${err.code}]` : '';
  ctx.stderr.write(`ibackup ${command}: ${e?.message ?? String(err)}${code}\n`);
  if (err instanceof IBackupError && err.hint) ctx.stderr.write(`  ${err.hint}\n`);
  return 1;
}

export function udidOption(ctx: CommandContext): string | undefined {
  const u = ctx.values.udid;
  return typeof u === 'string' && u !== '' ? u : undefined;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export const devicesCommand: Command = {
  name: 'devices',
  usage: 'ibackup devices [--json]',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const devices = await listDevices({ signal: ctx.signal });
      const withConn = devices.map((d) => ({ ...d, connection: d.connectionType === 'Network' ? 'Wi-Fi' : d.connectionType }));
      if (ctx.values.json) {
        ctx.stdout.write(`${JSON.stringify(withConn, null, 2)}\n`);
        return 0;
      }
      if (devices.length === 0) {
        ctx.stdout.write('No devices connected.\n');
        return 0;
      }
      const rows = [['UDID', 'NAME', 'MODEL', 'iOS', 'CONNECTION', 'PAIRED']];
      for (const d of withConn) {
        rows.push([d.udid, d.name ?? '?', d.model ?? '?', d.productVersion ?? '?', d.connection, d.paired ? 'yes' : 'no']);
      }
      ctx.stdout.write(pad(rows));
      for (const d of withConn) if (d.error) ctx.stderr.write(`${d.udid}: ${d.error}\n`);
      return 0;
    } catch (err) {
      return reportDeviceError(ctx, 'devices', err);
    }
  },
};
