/**
 * Property list codec: XML and binary (`bplist00`) encoding and decoding of the value model in types.ts.
 * Decoders are strict and bounded (see PlistDecodeLimits); every failure is a ProtocolError with a stable code.
 */
import { ProtocolError } from '../errors.js';
import { BPLIST_MAGIC, decodeBinaryPlist } from './binary-decode.js';
import { encodeBinaryPlist } from './binary-encode.js';
import { checkInputSize, resolveLimits } from './limits.js';
import { decodeXmlPlist } from './xml-decode.js';
import { encodeXmlPlist } from './xml-encode.js';
import type { PlistFormat, PlistValue } from './types.js';

export * from './types.js';
export { DEFAULT_PLIST_LIMITS } from './limits.js';

export interface PlistDecodeLimits {
  /** Maximum input size in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Maximum number of objects in a binary plist / elements in an XML plist (default 4,000,000). */
  maxObjects?: number;
  /** Maximum nesting depth (default 512; values above 1024 are treated as 1024). */
  maxDepth?: number;
}

/** Encode as XML (`<?xml …><plist version="1.0">`) or binary (`bplist00`). */
export function encodePlist(value: PlistValue, format: PlistFormat): Buffer {
  if (format === 'xml') return encodeXmlPlist(value);
  if (format === 'binary') return encodeBinaryPlist(value);
  throw new ProtocolError('PLIST_UNSUPPORTED', `unknown plist format ${JSON.stringify(format)} (use "xml" or "binary")`);
}

/** Decode XML or binary, auto-detected from the first bytes. Throws ProtocolError('PLIST_MALFORMED' | 'PLIST_TOO_LARGE'). */
export function decodePlist(data: Uint8Array, limits?: PlistDecodeLimits): PlistValue {
  const resolved = resolveLimits(limits);
  if (!(data instanceof Uint8Array)) throw new ProtocolError('PLIST_MALFORMED', 'plist input must be bytes (Buffer or Uint8Array)');
  checkInputSize(data.length, resolved);
  const format = detectPlistFormat(data);
  if (format === 'binary') return decodeBinaryPlist(data, resolved);
  if (format === 'xml') return decodeXmlPlist(data, resolved);
  if (startsWithAscii(data, 'bplist')) {
    const version = Buffer.from(data.subarray(0, 8)).toString('latin1');
    throw new ProtocolError('PLIST_MALFORMED', `unsupported binary plist version "${version}" (only bplist00)`);
  }
  throw new ProtocolError('PLIST_MALFORMED', data.length === 0 ? 'empty input is not a plist' : 'data is neither a binary plist (bplist00) nor XML');
}

/** 'binary' if data starts with `bplist00`, 'xml' if it looks like XML, else undefined. */
export function detectPlistFormat(data: Uint8Array): PlistFormat | undefined {
  if (startsWithAscii(data, BPLIST_MAGIC)) return 'binary';
  let i = 0;
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) i = 3;
  else if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    // UTF-16 with a byte order mark: the first character after it must be '<' (possibly after whitespace).
    const le = data[0] === 0xff;
    for (let j = 2; j + 1 < data.length; j += 2) {
      const c = le ? data[j]! | (data[j + 1]! << 8) : (data[j]! << 8) | data[j + 1]!;
      if (c === 0x3c) return 'xml';
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return undefined;
    }
    return undefined;
  }
  for (; i < data.length; i++) {
    const c = data[i];
    if (c === 0x3c) return 'xml';
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return undefined;
  }
  return undefined;
}

function startsWithAscii(data: Uint8Array, prefix: string): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix.charCodeAt(i)) return false;
  return true;
}
