import { plistNumber, type PlistDict } from '../../protocols/index.js';
import { IBackupError } from '../errors.js';
import { formatBytes } from '../format.js';
export { formatBytes };

/** What we know about the MBErrorDomain codes devices return in the final Response (and how to act on them). */
const MB_ERRORS: Record<number, { code: string; message: string; hint?: string }> = {
  1: {
    code: 'DEVICE_ERROR',
    message: 'The iPhone could not complete the backup',
    hint: 'Unlock the iPhone and keep it unlocked, restart it if this repeats, then run the backup again.',
  },
  3: {
    code: 'DEVICE_BACKUP_STATE',
    message: 'The iPhone could not use the backup state found on the computer',
    hint: 'Run the backup again with --full to start a fresh backup.',
  },
  4: {
    code: 'BACKUP_FILE_MISSING',
    message: 'A file the iPhone needs is missing from the backup on the computer',
    hint: 'Run the backup again with --full.',
  },
  100: { code: 'DEVICE_UPLOAD_FAILED', message: 'The iPhone could not send a file', hint: 'Restart the iPhone and try again.' },
  102: {
    code: 'DEVICE_BUSY',
    message: 'The iPhone is busy with another backup or restore',
    hint: 'Wait until the other backup (Finder, iTunes, iCloud) has finished, then try again.',
  },
  103: { code: 'BACKUP_STATUS_UNREADABLE', message: 'The iPhone could not read the backup status', hint: 'Run the backup again with --full.' },
  104: {
    code: 'DEVICE_UPLOAD_FAILED',
    message: 'The iPhone could not send several files',
    hint: 'Keep the iPhone unlocked during the backup; restart it if this repeats.',
  },
  105: {
    code: 'NOT_ENOUGH_SPACE',
    message: 'There is not enough free space for the backup',
    hint: 'Free space on the computer (or choose another --dir) and on the iPhone, then try again.',
  },
  205: {
    code: 'BACKUP_PROPERTIES_UNREADABLE',
    message: 'The iPhone could not read the previous backup on the computer',
    hint: 'Run the backup again with --full.',
  },
  207: {
    code: 'WRONG_PASSWORD',
    message: 'The backup password is wrong',
    hint: 'Enter the backup encryption password that was set on this iPhone.',
  },
  208: {
    code: 'DEVICE_LOCKED',
    message: 'The iPhone is locked: the passcode was not entered',
    hint: 'Enter the passcode on the iPhone when it asks, and keep it unlocked until the backup starts.',
  },
  211: {
    code: 'BACKUP_CANCELLED_ON_DEVICE',
    message: 'The backup was cancelled on the iPhone',
    hint: 'Start the backup again and do not cancel it on the iPhone.',
  },
};


/** The device's final Response as a typed error (undefined when ErrorCode is 0). */
export function deviceResultError(result: PlistDict, ctx: { freeBytes?: number } = {}): IBackupError | undefined {
  const errorCode = plistNumber(result.ErrorCode);
  if (errorCode === 0) return undefined;
  const description = typeof result.ErrorDescription === 'string' ? result.ErrorDescription : undefined;
  if (errorCode === undefined) {
    return new IBackupError('DEVICE_PROTOCOL', 'The iPhone ended the backup without a result code.', { hint: 'Run the backup again.' });
  }
  const known = MB_ERRORS[errorCode];
  let message = known?.message ?? `The iPhone reported an error`;
  if (errorCode === 105) {
    const needed = neededBytes(description);
    if (needed !== undefined) message = `Not enough space on the computer: ${formatBytes(needed)} needed${ctx.freeBytes !== undefined ? `, ${formatBytes(ctx.freeBytes)} free` : ''}`;
  }
  const err = new IBackupError(known?.code ?? 'DEVICE_ERROR', `${message} (MBErrorDomain ${errorCode}${description ? `: ${description}` : ''}).`, {
    hint: known?.hint ?? 'Unlock the iPhone, keep it connected, and run the backup again.',
  });
  return Object.assign(err, { deviceErrorCode: errorCode, deviceErrorDescription: description });
}

/** A byte count quoted in a device error text ("… requires 3200000000 bytes …"), if any. */
function neededBytes(description: string | undefined): number | undefined {
  const m = description?.match(/(\d{4,})\s*bytes/i);
  return m ? Number(m[1]) : undefined;
}
