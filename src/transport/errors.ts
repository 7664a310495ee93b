import { IBackupError } from '../errors.js';
import { CodedError } from '../../protocols/errors.js';

/** Stable codes of the transport layer (usbmuxd socket, framing, timeouts). */
export type TransportErrorCode =
  | 'MUX_NOT_RUNNING' // the usbmuxd socket does not exist / refuses connections
  | 'MUX_ADDRESS_INVALID' // USBMUXD_SOCKET_ADDRESS or --mux-address cannot be parsed
  | 'MUX_BAD_COMMAND' // usbmuxd result 1
  | 'DEVICE_NOT_FOUND' // usbmuxd result 2 / no such UDID
  | 'CONNECTION_REFUSED' // usbmuxd result 3: the device refused the port
  | 'MUX_BAD_VERSION' // usbmuxd result 6
  | 'MUX_ERROR' // any other usbmuxd result (errno values)
  | 'PAIR_RECORD_NOT_FOUND' // ReadPairRecord: none stored
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CONNECTION_CLOSED' // the peer closed the connection while we waited for a reply
  | 'MALFORMED_REPLY'; // the peer sent bytes that do not decode (or an oversized frame)

export class TransportError extends IBackupError {
  declare readonly code: TransportErrorCode;
  /** usbmuxd's Result number when the error came from usbmuxd. */
  readonly muxResult?: number;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown; hint?: string; muxResult?: number }) {
    super(code, message, options);
    if (options?.muxResult !== undefined) this.muxResult = options.muxResult;
  }
}

export function timeoutError(what: string, ms: number): TransportError {
  return new TransportError('TIMEOUT', `${what}: no answer within ${formatMs(ms)}`, {
    hint: 'Check that the device is connected and unlocked; long operations can be given more time with the timeout options.',
  });
}

export function abortedError(what: string, reason?: unknown): TransportError {
  const why = reason instanceof Error ? `: ${reason.message}` : '';
  return new TransportError('ABORTED', `${what}: cancelled${why}`, { cause: reason });
}

export function closedError(what: string, cause?: unknown): TransportError {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new TransportError('CONNECTION_CLOSED', `${what}: the connection was closed by the other side${why}`, {
    cause,
    hint: 'The device may have been unplugged, locked or rebooted; reconnect it and try again.',
  });
}

export function malformedError(what: string, cause: unknown): TransportError {
  const detail = cause instanceof CodedError ? `${cause.code}: ${cause.message}` : String((cause as Error)?.message ?? cause);
  return new TransportError('MALFORMED_REPLY', `${what}: received a malformed message (${detail})`, { cause });
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** True for errors that mean "the operation was stopped on purpose". */
export function isAbortError(err: unknown): boolean {
  return err instanceof TransportError && err.code === 'ABORTED';
}
