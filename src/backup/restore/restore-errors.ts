import { plistNumber, type PlistDict } from '../../../protocols/index.js';
import { IBackupError } from '../../errors.js';

/** Stable codes of restore failures found before the device is contacted. */
export type RestorePreflightCode =
  | 'BACKUP_NOT_FOUND' // no such backup folder
  | 'RESTORE_BACKUP_INVALID' // Info.plist / Manifest.plist missing or unreadable
  | 'RESTORE_BACKUP_INCOMPLETE' // Status.plist missing or SnapshotState is not "finished"
  | 'RESTORE_PASSWORD_REQUIRED'; // encrypted backup, no password given

export function preflightError(code: RestorePreflightCode, message: string, hint: string, cause?: unknown): IBackupError {
  return new IBackupError(code, message, { hint, cause });
}

/** MBErrorDomain codes devices return for a restore, worded for a restore. */
const RESTORE_ERRORS: Record<number, { code: string; message: string; hint: string }> = {
  4: {
    code: 'BACKUP_FILE_MISSING',
    message: 'A file the iPhone needs is missing from the backup',
    hint: 'Run `ibackup verify` on the backup; restore from another backup if files are missing.',
  },
  102: {
    code: 'DEVICE_BUSY',
    message: 'The iPhone is busy with another backup or restore',
    hint: 'Wait until the other backup or restore (Finder, iTunes, iCloud) has finished, then try again.',
  },
  105: {
    code: 'NOT_ENOUGH_SPACE',
    message: 'There is not enough free space on the iPhone for this restore',
    hint: 'Free space on the iPhone (or restore without --system), then try again.',
  },
  205: {
    code: 'RESTORE_BACKUP_UNREADABLE',
    message: 'The iPhone could not read the backup or some of its files',
    hint: 'Run `ibackup verify` on the backup; if it reports problems, restore from another backup.',
  },
  207: {
    code: 'WRONG_PASSWORD',
    message: 'The backup password is wrong',
    hint: 'Give the password that was set when this encrypted backup was made (--password or IBACKUP_PASSWORD).',
  },
  208: {
    code: 'DEVICE_LOCKED',
    message: 'The iPhone is locked: the passcode was not entered',
    hint: 'Unlock the iPhone, enter the passcode when it asks, and keep it unlocked while the restore starts.',
  },
  211: {
    code: 'RESTORE_CANCELLED_ON_DEVICE',
    message: 'The restore was cancelled on the iPhone',
    hint: 'Start the restore again and do not cancel it on the iPhone.',
  },
};

/** The device's final Response to `Restore` as a typed error (undefined when ErrorCode is 0). */
export function restoreResultError(result: PlistDict): IBackupError | undefined {
  const errorCode = plistNumber(result.ErrorCode);
  if (errorCode === 0) return undefined;
  if (errorCode === undefined) {
    return new IBackupError('DEVICE_PROTOCOL', 'The iPhone ended the restore without a result code.', {
      hint: 'Run the restore again.',
    });
  }
  const description = typeof result.ErrorDescription === 'string' ? result.ErrorDescription : undefined;
  const known = RESTORE_ERRORS[errorCode];
  const err = new IBackupError(
    known?.code ?? 'DEVICE_ERROR',
    `${known?.message ?? 'The iPhone reported an error during the restore'} (MBErrorDomain ${errorCode}${description ? `: ${description}` : ''}).`,
    { hint: known?.hint ?? 'Unlock the iPhone, keep it connected, and run the restore again.' },
  );
  return Object.assign(err, { deviceErrorCode: errorCode, deviceErrorDescription: description });
}
