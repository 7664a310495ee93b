// `Info`: a text summary of the source backup, read from its Manifest.plist and Status.plist (printed by the host).
import { decodePlist, isPlistDict, type PlistDict } from '../../../protocols/index.js';
import { sourceUdid, type CommandContext, type CommandResult } from './context.js';
import { downloadFiles, memorySink } from './download.js';
import { MBError, MBErrorCode } from './errors.js';

async function fetchPlists(ctx: CommandContext, names: string[]): Promise<Map<string, PlistDict>> {
  const src = sourceUdid(ctx);
  const out = new Map<string, PlistDict>();
  await downloadFiles(ctx.dl, names.map((n) => `${src}/${n}`), 0, (path) =>
    memorySink(16 * 1024 * 1024, (buf) => {
      try {
        const v = decodePlist(buf);
        if (isPlistDict(v)) out.set(path.slice(src.length + 1), v);
      } catch {
        // unreadable: reported as missing below
      }
    }),
  );
  return out;
}

export async function info(ctx: CommandContext): Promise<CommandResult> {
  const src = sourceUdid(ctx);
  const got = await fetchPlists(ctx, ['Manifest.plist', 'Status.plist']);
  const manifest = got.get('Manifest.plist');
  if (!manifest) throw new MBError(MBErrorCode.NotFound, `No such file or directory at path ${src}/Manifest.plist`);
  const status = got.get('Status.plist');
  const lockdown = isPlistDict(manifest.Lockdown) ? manifest.Lockdown : {};
  const date = (v: unknown) => (v instanceof Date ? v.toISOString() : 'unknown');
  const apps = isPlistDict(manifest.Applications) ? Object.keys(manifest.Applications).length : 0;
  const lines = [
    `Device Name: ${String(lockdown.DeviceName ?? 'unknown')}`,
    `Product Type: ${String(lockdown.ProductType ?? 'unknown')}`,
    `Product Version: ${String(lockdown.ProductVersion ?? 'unknown')}`,
    `Unique Device ID: ${String(lockdown.UniqueDeviceID ?? src)}`,
    `Backup Date: ${date(manifest.Date)}`,
    `Encrypted: ${manifest.IsEncrypted === true ? 'yes' : 'no'}`,
    `Applications: ${apps}`,
    `Snapshot State: ${String(status?.SnapshotState ?? 'unknown')}`,
    `Full Backup: ${status?.IsFullBackup === true ? 'yes' : 'no'}`,
  ];
  return { ErrorCode: 0, Content: lines.join('\n') + '\n' };
}
