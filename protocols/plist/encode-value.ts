/**
 * Shared by both encoders: what kind of plist object a JavaScript value becomes, and the checks that reject
 * values a plist cannot hold (PLIST_UNSUPPORTED).
 */
import { ProtocolError } from '../errors.js';
import { PlistReal, PlistUid, type PlistDict, type PlistValue } from './types.js';

export const INT64_MIN = -(2n ** 63n);
export const UINT64_MAX = 2n ** 64n - 1n;
/** Seconds between the Unix epoch and the Core Foundation epoch (2001-01-01T00:00:00Z). */
export const CF_EPOCH_SECONDS = 978_307_200;

export type Classified =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'real'; value: number }
  | { kind: 'uid'; value: number }
  | { kind: 'data'; value: Uint8Array }
  | { kind: 'date'; value: Date }
  | { kind: 'array'; value: PlistValue[] }
  | { kind: 'dict'; value: PlistDict };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Where the encoder is in the value tree, kept as a stack and only turned into text for an error message. */
export class ValuePath {
  private readonly keys: (string | number)[] = [];
  push(key: string | number): void {
    this.keys.push(key);
  }
  pop(): void {
    this.keys.pop();
  }
  toString(): string {
    if (this.keys.length === 0) return '(top)';
    return this.keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
  }
}

function unsupported(v: unknown, path: ValuePath, why: string): ProtocolError {
  return new ProtocolError('PLIST_UNSUPPORTED', `cannot encode ${describe(v)} at ${path.toString()} as a plist: ${why}`);
}

/** Classify one value; `path` names its place for error messages (e.g. `.Options.Password`, `[3]`). */
export function classify(v: unknown, path: ValuePath): Classified {
  switch (typeof v) {
    case 'string':
      return { kind: 'string', value: v };
    case 'boolean':
      return { kind: 'bool', value: v };
    case 'number':
      if (!Number.isFinite(v)) throw unsupported(v, path, `${v} is not finite; wrap it as real(${v}) to encode a <real>`);
      if (!Number.isInteger(v)) return { kind: 'real', value: v };
      if (Number.isSafeInteger(v)) return { kind: 'int', value: v === 0 ? 0 : v };
      if (v < Number(INT64_MIN) || v > Number(UINT64_MAX)) {
        throw unsupported(v, path, 'integer outside the 64-bit range; use real() for a <real>');
      }
      return { kind: 'int', value: BigInt(v) };
    case 'bigint':
      if (v < INT64_MIN || v > UINT64_MAX) throw unsupported(v, path, 'integer outside −2^63 … 2^64−1');
      return { kind: 'int', value: v };
    case 'object': {
      if (v === null) throw unsupported(v, path, 'plists have no null value');
      if (Array.isArray(v)) return { kind: 'array', value: v as PlistValue[] };
      if (v instanceof PlistReal) {
        if (typeof v.value !== 'number') throw unsupported(v, path, 'PlistReal.value is not a number');
        return { kind: 'real', value: v.value };
      }
      if (v instanceof PlistUid) return { kind: 'uid', value: v.value };
      if (v instanceof Uint8Array) return { kind: 'data', value: v };
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) throw unsupported(v, path, 'invalid Date');
        return { kind: 'date', value: v };
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw unsupported(v, path, 'only plain objects encode as <dict>');
      }
      return { kind: 'dict', value: v as PlistDict };
    }
    default:
      throw unsupported(v, path, `${typeof v} values have no plist type`);
  }
}

/** Deeper nesting than this is refused when encoding (decoders accept 512 by default). */
export const MAX_ENCODE_DEPTH = 1024;

/**
 * Tracks the containers on the current encoding path so a self-containing value fails instead of recursing
 * forever, and absurd nesting fails with PLIST_UNSUPPORTED instead of overflowing the stack.
 */
export class CycleGuard {
  private readonly active = new Set<object>();
  enter(container: object, path: ValuePath): void {
    if (this.active.has(container)) {
      throw new ProtocolError('PLIST_UNSUPPORTED', `cannot encode a plist: the value at ${path.toString()} contains itself`);
    }
    if (this.active.size >= MAX_ENCODE_DEPTH) {
      throw new ProtocolError('PLIST_UNSUPPORTED', `cannot encode a plist nested more than ${MAX_ENCODE_DEPTH} containers deep`);
    }
    this.active.add(container);
  }
  leave(container: object): void {
    this.active.delete(container);
  }
}

/** Whether a JS string holds only well-formed UTF-16 (no lone surrogates), which UTF-8 can carry. */
export function isWellFormedString(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  if (native) return native.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
