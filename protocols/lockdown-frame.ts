// CONTRACT STUB — to be implemented (issue #2). Reference: protocol-reference.md §3.1.
// Lockdown framing (also used by notification_proxy, installation_proxy and DeviceLink): u32be length + plist.
import { ProtocolError } from './errors.js';
import type { PlistFormat, PlistValue } from './plist/index.js';
import type { IncrementalDecoder } from './stream.js';

export const LOCKDOWN_DEFAULT_MAX_FRAME = 64 * 1024 * 1024;

export function encodeLockdownFrame(_value: PlistValue, _format: PlistFormat = 'xml'): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}

export declare class LockdownFrameDecoder implements IncrementalDecoder<PlistValue> {
  constructor(opts?: { maxFrameBytes?: number });
  /**
   * Returns at most `maxMessages` whole messages; further bytes stay buffered. Protocols that switch to a raw
   * stream after a message (mobilebackup2 uploads) pass 1 and then take the leftover bytes with `rest()`.
   */
  push(chunk: Uint8Array, maxMessages?: number): PlistValue[];
  readonly pending: number;
  /** Remove and return the buffered bytes that are not part of a returned message. */
  rest(): Buffer;
  finish(): void;
}
