export { CodedError, ProtocolError } from '../protocols/errors.js';
import { CodedError } from '../protocols/errors.js';

/** An error of the host engine: `code` is stable for programs, `message` tells a person what to do. */
export class IBackupError extends CodedError {
  /** A suggested next step for the user, when there is one. */
  readonly hint?: string;
  constructor(code: string, message: string, options?: { cause?: unknown; hint?: string }) {
    super(code, message, options);
    if (options?.hint) this.hint = options.hint;
  }
}
