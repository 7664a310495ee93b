import { CodedError } from '../../../protocols/errors.js';
/**
 * Host file-system errors → the status codes a device expects in DLMessageStatusResponse / DLFileErrorCode
 * (libimobiledevice master and pymobiledevice3 use the same table; protocol-reference §5.4).
 */
const DEVICE_CODES: Record<string, number> = {
  ENOENT: -6,
  EEXIST: -7,
  ENOTDIR: -8,
  EISDIR: -9,
  ELOOP: -10,
  EIO: -11,
  ENOSPC: -15,
};

/** strerror() texts, so replies never carry host paths (Node's messages include them). */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  EIO: 'Input/output error',
  ENOSPC: 'No space left on device',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTEMPTY: 'Directory not empty',
  EROFS: 'Read-only file system',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENAMETOOLONG: 'File name too long',
  EXDEV: 'Invalid cross-device link',
  EBUSY: 'Device or resource busy',
  EDQUOT: 'Disk quota exceeded',
  EINVAL: 'Invalid argument',
};

/** Multi-status: DownloadFiles had at least one file that could not be sent. */
export const DL_MULTI_STATUS = -13;
/** Generic failure (also "Operation not supported"). */
export const DL_GENERIC_ERROR = -1;

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The device status code for a host error: the table above, −1 for anything else. */
export function deviceErrorCode(err: unknown): number {
  const code = errnoCode(err);
  return (code !== undefined ? DEVICE_CODES[code] : undefined) ?? DL_GENERIC_ERROR;
}

/** A strerror-like text for a host error (no paths). */
export function deviceErrorString(err: unknown): string {
  const code = errnoCode(err);
  return (code !== undefined ? STRERROR[code] : undefined) ?? 'Unknown error';
}

/** An error from the host file system (errno-style `code`), as opposed to our own coded errors. */
export function isHostFsError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof CodedError) return false;
  const code = errnoCode(err);
  return code !== undefined && /^E[A-Z0-9]+$/.test(code);
}
