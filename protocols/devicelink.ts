// CONTRACT STUB — to be implemented (issue #2). Reference: protocol-reference.md §4, §5.4.
// DeviceLink messages are plist arrays framed like lockdown (u32be length + plist); element 0 is a "DL…" name.
import { ProtocolError } from './errors.js';
import type { PlistDict, PlistValue } from './plist/index.js';

/** Placeholder for an absent string/plist parameter. */
export const DL_EMPTY = '___EmptyParameterString___';

export type DLMessage = PlistValue[];

/** Validate a decoded plist as a DL message: array, element 0 a string starting with "DL", ≥ 9 chars. */
export function asDLMessage(_v: PlistValue): DLMessage {
  throw new ProtocolError('MESSAGE_INVALID', 'not implemented');
}
/** Frame a DL message (binary plist by default, as hosts send). */
export function encodeDLMessage(_msg: DLMessage, _format?: 'xml' | 'binary'): Buffer {
  throw new ProtocolError('MESSAGE_INVALID', 'not implemented');
}

// Builders for the messages both sides exchange:
export function dlVersionExchange(_major: number, _minor: number): DLMessage {
  throw new Error('not implemented');
}
export function dlVersionsOk(_major: number): DLMessage {
  throw new Error('not implemented');
}
export function dlDeviceReady(): DLMessage {
  throw new Error('not implemented');
}
export function dlProcessMessage(_dict: PlistDict): DLMessage {
  throw new Error('not implemented');
}
export function dlDisconnect(_reason?: string): DLMessage {
  throw new Error('not implemented');
}
/**
 * `["DLMessageStatusResponse", code, status1 | DL_EMPTY, status2 | DL_EMPTY]`. Negative codes must be encoded as
 * 8-byte signed integers (the plist encoder does that for negative numbers).
 */
export function dlStatusResponse(_code: number, _status1?: string, _status2?: PlistValue): DLMessage {
  throw new Error('not implemented');
}
