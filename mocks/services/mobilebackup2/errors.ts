// MBErrorDomain errors the simulated BackupAgent2 answers with (protocol-reference.md §5.3, §10).
import { CodedError } from '../../../protocols/errors.js';

/** Codes and texts as real devices report them (the host prints `ErrorCode N: <text>`). */
export const MBErrorCode = {
  Generic: 1,
  NotFound: 4,
  InputOutput: 100,
  MoveFailed: 102,
  UploadFailed: 104,
  NoSpace: 105,
  DownloadFailed: 205,
  BadPassword: 207,
  DeviceLocked: 208,
} as const;

const DESCRIPTIONS: Record<number, string> = {
  1: 'Error copying keychain data',
  3: 'Backup agent is busy',
  4: 'No such file or directory',
  100: 'Input/output error (5)',
  102: 'Failed to move the incomplete restore directory into place at path "/var/.backup.i"',
  104: 'Multiple errors uploading files',
  105: 'Insufficient free disk space on drive to back up',
  205: 'Multiple errors downloading files',
  207: 'Invalid password when restoring encrypted backup',
  208: 'Device locked',
};

/** `"<text> (MBErrorDomain/<code>)"`, the form real devices use. */
export function mbDescription(code: number, text?: string): string {
  return `${text ?? DESCRIPTIONS[code] ?? 'The operation could not be completed'} (MBErrorDomain/${code})`;
}

/** Ends the current command with `Response {ErrorCode: mbCode, ErrorDescription}`. */
export class MBError extends CodedError {
  readonly mbCode: number;
  constructor(mbCode: number, text?: string) {
    super('MB_ERROR', mbDescription(mbCode, text));
    this.mbCode = mbCode;
  }
}

/** The host went away or broke the protocol: the session ends without a reply. */
export class HostGoneError extends CodedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MB2_HOST_GONE', message, options);
  }
}
