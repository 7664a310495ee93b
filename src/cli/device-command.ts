import { CodedError } from '../../protocols/errors.js';
import { IBackupError } from '../errors.js';
import { listDevices } from '../lockdown/devices.js';
import type { CommandContext } from './command.js';
import type { NdjsonWriter } from './output-ndjson.js';

// What the commands that work on one connected device (backup, restore) share.

/** A string option's value, or undefined when it is missing or empty. */
export function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The device to use when -u is not given: the only one connected. None or several: explains on stderr and
 * returns the exit code (1: none, 2: several, listed with their UDIDs).
 */
export async function chooseOnlyDevice(
  ctx: CommandContext,
  opts: {
    command: string;
    muxAddress?: string;
    /** How to choose among several, e.g. 'choose one with -u UDID'. */
    chooseWith: string;
    /** More lines for the no-device message (already indented). */
    noDeviceTips?: string[];
  },
): Promise<string | number> {
  const devices = await listDevices({ muxAddress: opts.muxAddress, signal: ctx.signal, details: false });
  if (devices.length === 1) return devices[0]!.udid;
  if (devices.length === 0) {
    ctx.stderr.write(
      [
        `ibackup ${opts.command}: no iPhone or iPad is connected.`,
        '  Connect it with a USB cable, unlock it and tap "Trust" when asked; check that usbmuxd is running',
        '  (USBMUXD_SOCKET_ADDRESS selects another usbmuxd socket).',
        ...(opts.noDeviceTips ?? []),
        '',
      ].join('\n'),
    );
    return 1;
  }
  ctx.stderr.write(`ibackup ${opts.command}: several devices are connected; ${opts.chooseWith}:\n`);
  for (const d of devices) ctx.stderr.write(`  ${d.udid}  (${d.connectionType === 'Network' ? 'Wi-Fi' : d.connectionType})\n`);
  return 2;
}

/** The error on stderr (message, code, hint) and, with --json, as an `error` event. */
export function printCommandError(ctx: CommandContext, command: string, err: unknown, json: NdjsonWriter | undefined): void {
  const e = err as Error;
  const code = err instanceof CodedError ? err.code : 'ERROR';
  const hint = err instanceof IBackupError ? err.hint : undefined;
  json?.write({ type: 'error', code, message: e?.message ?? String(err), hint });
  ctx.stderr.write(`ibackup ${command}: ${e?.message ?? String(err)}${err instanceof CodedError ? ` [${code}]` : ''}\n`);
  if (hint) ctx.stderr.write(`  ${hint}\n`);
}
