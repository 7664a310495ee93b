// `EnableCloudBackup`: store the iCloud backup switch in lockdown com.apple.mobile.backup/CloudBackupEnabled.
import { requestOptions, type CommandContext, type CommandResult } from './context.js';
import { BACKUP_DOMAIN } from './change-password.js';
import { MBError, MBErrorCode } from './errors.js';

export async function enableCloudBackup(ctx: CommandContext): Promise<CommandResult> {
  const state = requestOptions(ctx.request).CloudBackupState ?? ctx.request.CloudBackupState;
  if (typeof state !== 'boolean') throw new MBError(MBErrorCode.Generic, 'CloudBackupState (a boolean) is missing');
  ctx.device.setValue(BACKUP_DOMAIN, 'CloudBackupEnabled', state);
  ctx.device.postNotification('com.apple.mobile.backup.domain_changed');
  return { ErrorCode: 0 };
}
