/**
 * Binary plist (`bplist00`) reader. Every offset, count and reference is checked against the buffer before use
 * (nothing is allocated from an unchecked length); reference cycles, nesting depth and the number of values
 * produced (which bounds shared-reference blow-ups) are limited. Errors are PLIST_MALFORMED / PLIST_TOO_LARGE.
 */
import { ProtocolError } from '../errors.js';
import { CF_EPOCH_SECONDS } from './encode-value.js';
import { tooDeep, tooManyObjects, type ResolvedPlistLimits } from './limits.js';
import { PlistReal, PlistUid, type PlistDict, type PlistValue } from './types.js';

export const BPLIST_MAGIC = 'bplist00';
const HEADER_SIZE = 8;
const TRAILER_SIZE = 32;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const VALUES_PER_BYTE = 8;

function malformed(message: string): ProtocolError {
  return new ProtocolError('PLIST_MALFORMED', `binary plist: ${message}`);
}

/** Big-endian unsigned integer of 1–8 bytes; values beyond 2^53 come back imprecise but larger than any offset. */
function readUint(b: Buffer, pos: number, size: number): number {
  switch (size) {
    case 1:
      return b[pos]!;
    case 2:
      return (b[pos]! << 8) | b[pos + 1]!;
    case 4:
      return b.readUInt32BE(pos);
    default: {
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + b[pos + i]!;
      return v;
    }
  }
}

function narrow(v: bigint): number | bigint {
  return v >= -BigInt(MAX_SAFE) && v <= BigInt(MAX_SAFE) ? Number(v) : v;
}

class BinaryPlistReader {
  private readonly offsetSize: number;
  private readonly refSize: number;
  private readonly count: number;
  private readonly top: number;
  private readonly tableOffset: number;
  /** Objects (and their contents) must lie in [HEADER_SIZE, end). */
  private readonly end: number;
  private readonly active: Uint8Array;
  /**
   * How many values decoding may produce. Writers share only scalars, so a real document yields at most about
   * one value per reference slot (≤ its byte length); shared containers could expand exponentially instead.
   */
  private readonly budget: number;
  private produced = 0;

  constructor(
    private readonly b: Buffer,
    private readonly limits: ResolvedPlistLimits,
  ) {
    if (b.length < HEADER_SIZE + TRAILER_SIZE + 2) throw malformed(`${b.length} bytes is too short for a header, an object and a trailer`);
    if (b.toString('latin1', 0, 8) !== BPLIST_MAGIC) throw malformed(`unsupported header "${b.toString('latin1', 0, 8)}" (only bplist00)`);
    const t = b.length - TRAILER_SIZE;
    this.offsetSize = b[t + 6]!;
    this.refSize = b[t + 7]!;
    const count = b.readBigUInt64BE(t + 8);
    const top = b.readBigUInt64BE(t + 16);
    const tableOffset = b.readBigUInt64BE(t + 24);
    if (this.offsetSize < 1 || this.offsetSize > 8) throw malformed(`trailer offset size ${this.offsetSize} is not 1–8`);
    if (this.refSize < 1 || this.refSize > 8) throw malformed(`trailer object reference size ${this.refSize} is not 1–8`);
    if (count < 1n) throw malformed('trailer says the plist has no objects');
    if (tableOffset < BigInt(HEADER_SIZE + 1) || tableOffset >= BigInt(t)) {
      throw malformed(`offset table offset ${tableOffset} is outside the object area (9–${t - 1})`);
    }
    this.tableOffset = Number(tableOffset);
    if (count * BigInt(this.offsetSize) > BigInt(t - this.tableOffset)) {
      throw malformed(`trailer claims ${count} objects but the offset table at ${this.tableOffset} has room for ${Math.floor((t - this.tableOffset) / this.offsetSize)}`);
    }
    this.count = Number(count);
    if (this.count > limits.maxObjects) throw tooManyObjects(limits, `(binary plist declares ${this.count})`);
    if (top >= count) throw malformed(`top object ${top} is not below the object count ${count}`);
    this.top = Number(top);
    this.end = this.tableOffset;
    this.active = new Uint8Array(this.count);
    this.budget = Math.min(limits.maxObjects, VALUES_PER_BYTE * b.length);
  }

  decode(): PlistValue {
    return this.object(this.top, 0);
  }

  private offsetOf(ref: number): number {
    const off = readUint(this.b, this.tableOffset + ref * this.offsetSize, this.offsetSize);
    if (off < HEADER_SIZE || off >= this.end) throw malformed(`object #${ref} has offset ${off}, outside the object area (8–${this.end - 1})`);
    return off;
  }

  private need(ref: number, off: number, from: number, bytes: number, what: string): void {
    if (bytes > this.end - from) {
      throw malformed(`object #${ref} at offset ${off}: ${what} of ${bytes} bytes runs past the object area (ends at ${this.end})`);
    }
  }

  /** Length of a data/string/array/dict object: inline nibble, or 0xF followed by an integer object. */
  private length(ref: number, off: number, nibble: number): { n: number; start: number } {
    if (nibble < 15) return { n: nibble, start: off + 1 };
    this.need(ref, off, off + 1, 1, 'length marker');
    const m = this.b[off + 1]!;
    if (m >> 4 !== 1 || (m & 0xf) > 3) throw malformed(`object #${ref} at offset ${off}: length is not an integer object (marker 0x${m.toString(16)})`);
    const size = 1 << (m & 0xf);
    this.need(ref, off, off + 2, size, 'length');
    const n = readUint(this.b, off + 2, size);
    if (n > MAX_SAFE) throw malformed(`object #${ref} at offset ${off}: length ${n} is impossible`);
    return { n, start: off + 2 + size };
  }

  private ref(at: number, owner: number): number {
    const r = readUint(this.b, at, this.refSize);
    if (r >= this.count) throw malformed(`object #${owner} refers to object #${r}, but there are only ${this.count}`);
    return r;
  }

  private object(ref: number, depth: number): PlistValue {
    if (++this.produced > this.budget) throw this.overBudget();
    const b = this.b;
    const off = this.offsetOf(ref);
    const marker = b[off]!;
    const nibble = marker & 0xf;
    switch (marker >> 4) {
      case 0x0:
        if (nibble === 0x8) return false;
        if (nibble === 0x9) return true;
        throw malformed(`object #${ref} at offset ${off}: unsupported marker 0x${marker.toString(16).padStart(2, '0')} (null/fill)`);
      case 0x1: {
        if (nibble > 4) throw malformed(`object #${ref} at offset ${off}: integer of 2^${nibble} bytes`);
        const size = 1 << nibble;
        this.need(ref, off, off + 1, size, 'integer');
        if (size <= 4) return readUint(b, off + 1, size);
        if (size === 8) return narrow(b.readBigInt64BE(off + 1));
        return narrow(b.readBigUInt64BE(off + 9));
      }
      case 0x2:
        if (nibble === 2) {
          this.need(ref, off, off + 1, 4, 'real');
          return new PlistReal(b.readFloatBE(off + 1));
        }
        if (nibble === 3) {
          this.need(ref, off, off + 1, 8, 'real');
          return new PlistReal(b.readDoubleBE(off + 1));
        }
        throw malformed(`object #${ref} at offset ${off}: real of 2^${nibble} bytes`);
      case 0x3:
        if (nibble !== 3) throw malformed(`object #${ref} at offset ${off}: date marker 0x${marker.toString(16)} (expected 0x33)`);
      {
        this.need(ref, off, off + 1, 8, 'date');
        const date = new Date((b.readDoubleBE(off + 1) + CF_EPOCH_SECONDS) * 1000);
        if (Number.isNaN(date.getTime())) throw malformed(`object #${ref} at offset ${off}: date is not representable`);
        return date;
      }
      case 0x4: {
        const { n, start } = this.length(ref, off, nibble);
        this.need(ref, off, start, n, 'data');
        return Buffer.from(b.subarray(start, start + n));
      }
      case 0x5: {
        const { n, start } = this.length(ref, off, nibble);
        this.need(ref, off, start, n, 'ASCII string');
        return b.toString('latin1', start, start + n);
      }
      case 0x6: {
        const { n, start } = this.length(ref, off, nibble);
        this.need(ref, off, start, n * 2, 'UTF-16 string');
        return utf16be(b, start, n);
      }
      case 0x8: {
        if (nibble > 3) throw malformed(`object #${ref} at offset ${off}: UID of ${nibble + 1} bytes (at most 4)`);
        this.need(ref, off, off + 1, nibble + 1, 'UID');
        return new PlistUid(readUint(b, off + 1, nibble + 1));
      }
      case 0xa: {
        const { n, start } = this.length(ref, off, nibble);
        this.need(ref, off, start, n * this.refSize, 'array references');
        this.enter(ref, off, depth);
        const out: PlistValue[] = new Array<PlistValue>(n);
        for (let i = 0; i < n; i++) out[i] = this.object(this.ref(start + i * this.refSize, ref), depth + 1);
        this.active[ref] = 0;
        return out;
      }
      case 0xd: {
        const { n, start } = this.length(ref, off, nibble);
        this.need(ref, off, start, n * 2 * this.refSize, 'dict references');
        this.enter(ref, off, depth);
        const out = Object.create(null) as PlistDict;
        const valuesAt = start + n * this.refSize;
        for (let i = 0; i < n; i++) {
          const keyRef = this.ref(start + i * this.refSize, ref);
          const key = this.object(keyRef, depth + 1);
          if (typeof key !== 'string') throw malformed(`dict object #${ref} at offset ${off} has a key (object #${keyRef}) that is not a string`);
          out[key] = this.object(this.ref(valuesAt + i * this.refSize, ref), depth + 1);
        }
        this.active[ref] = 0;
        return out;
      }
      default:
        throw malformed(`object #${ref} at offset ${off}: unknown marker 0x${marker.toString(16).padStart(2, '0')}`);
    }
  }

  private overBudget(): ProtocolError {
    if (this.budget === this.limits.maxObjects) return tooManyObjects(this.limits, '(values produced while decoding a binary plist)');
    return new ProtocolError(
      'PLIST_TOO_LARGE',
      `binary plist of ${this.b.length} bytes expands to more than ${this.budget} values produced through shared references`,
    );
  }

  private enter(ref: number, off: number, depth: number): void {
    if (this.active[ref]) throw malformed(`container object #${ref} at offset ${off} contains itself (reference cycle)`);
    if (depth + 1 > this.limits.maxDepth) throw tooDeep(this.limits, `(binary plist object #${ref} at offset ${off})`);
    this.active[ref] = 1;
  }
}

function utf16be(b: Buffer, start: number, units: number): string {
  const copy = Buffer.from(b.subarray(start, start + units * 2));
  copy.swap16();
  return copy.toString('utf16le');
}

export function decodeBinaryPlist(bytes: Uint8Array, limits: ResolvedPlistLimits): PlistValue {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new BinaryPlistReader(b, limits).decode();
}
