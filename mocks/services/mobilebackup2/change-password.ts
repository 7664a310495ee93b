// `ChangePassword`: turn backup encryption on (NewPassword only), off (OldPassword only) or change the password
// (both). The device keeps only a salted hash and flips lockdown com.apple.mobile.backup/WillEncrypt.
import type { CommandContext, CommandResult } from './context.js';
import { checkBackupPassword, hasBackupPassword, setBackupPassword } from './device-state.js';
import { MBError, MBErrorCode } from './errors.js';

export const BACKUP_DOMAIN = 'com.apple.mobile.backup';

export async function changePassword(ctx: CommandContext): Promise<CommandResult> {
  const { device, request } = ctx;
  const oldPw = typeof request.OldPassword === 'string' ? request.OldPassword : undefined;
  const newPw = typeof request.NewPassword === 'string' ? request.NewPassword : undefined;
  const encrypting = device.getValue(BACKUP_DOMAIN, 'WillEncrypt') === true && hasBackupPassword(device);
  if (oldPw === undefined && newPw === undefined) throw new MBError(MBErrorCode.Generic, 'No old or new backup password given');
  if (newPw === '') throw new MBError(MBErrorCode.Generic, 'The new backup password must not be empty');
  if (oldPw === undefined) {
    if (encrypting) throw new MBError(MBErrorCode.BadPassword, 'Backup encryption is already on; the old password is required');
  } else if (!encrypting || !checkBackupPassword(device, oldPw)) {
    throw new MBError(MBErrorCode.BadPassword, 'Invalid password');
  }
  setBackupPassword(device, newPw);
  device.setValue(BACKUP_DOMAIN, 'WillEncrypt', newPw !== undefined);
  device.postNotification('com.apple.mobile.backup.domain_changed');
  return { ErrorCode: 0 };
}
