// CONTRACT STUB — to be implemented (see issue #2). Signatures are fixed; other modules code against them.
import { ProtocolError } from '../errors.js';
import type { PlistFormat, PlistValue } from './types.js';

export * from './types.js';

export interface PlistDecodeLimits {
  /** Maximum input size in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Maximum number of objects in a binary plist / elements in an XML plist (default 4,000,000). */
  maxObjects?: number;
  /** Maximum nesting depth (default 512). */
  maxDepth?: number;
}

/** Encode as XML (`<?xml …><plist version="1.0">`) or binary (`bplist00`). */
export function encodePlist(_value: PlistValue, _format: PlistFormat): Buffer {
  throw new ProtocolError('PLIST_UNSUPPORTED', 'not implemented');
}
/** Decode XML or binary, auto-detected from the first bytes. Throws ProtocolError('PLIST_MALFORMED' | 'PLIST_TOO_LARGE'). */
export function decodePlist(_data: Uint8Array, _limits?: PlistDecodeLimits): PlistValue {
  throw new ProtocolError('PLIST_MALFORMED', 'not implemented');
}
/** 'binary' if data starts with `bplist00`, 'xml' if it looks like XML, else undefined. */
export function detectPlistFormat(_data: Uint8Array): PlistFormat | undefined {
  return undefined;
}
