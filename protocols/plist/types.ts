/**
 * The plist value model. JavaScript cannot tell apart several plist types the iOS protocols depend on,
 * so they are explicit here:
 *
 * | plist type     | JS value                                                          |
 * |----------------|-------------------------------------------------------------------|
 * | string         | `string`                                                          |
 * | true/false     | `boolean`                                                         |
 * | integer        | `number` (a safe integer) or `bigint` (outside ±2^53, incl. u64)  |
 * | real           | `PlistReal` — always, even for 2.0; encoding a non-integer `number` also gives a real |
 * | data           | `Buffer` / `Uint8Array`                                           |
 * | date           | `Date`                                                            |
 * | UID (bplist)   | `PlistUid` (NSKeyedArchiver object references)                    |
 * | array          | `PlistValue[]`                                                    |
 * | dict           | `PlistDict` (decoders return null-prototype objects; `undefined` values are skipped when encoding) |
 *
 * Integers: binary plists store 1/2/4-byte ints unsigned, 8-byte ints signed, and 16-byte ints for values ≥ 2^63.
 * libplist writes negative status codes (e.g. −13) as 8-byte ints, which decode to negative numbers here.
 */
export class PlistReal {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
}

export class PlistUid {
  readonly value: number;
  constructor(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`UID out of range: ${value}`);
    this.value = value;
  }
}

export type PlistDict = { [key: string]: PlistValue | undefined };
export type PlistValue =
  | string
  | boolean
  | number
  | bigint
  | PlistReal
  | PlistUid
  | Uint8Array
  | Date
  | PlistValue[]
  | PlistDict;

export type PlistFormat = 'xml' | 'binary';

/** Shorthand constructors. */
export const real = (v: number): PlistReal => new PlistReal(v);
export const uid = (v: number): PlistUid => new PlistUid(v);

export function isPlistDict(v: unknown): v is PlistDict {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Date) &&
    !(v instanceof PlistReal) &&
    !(v instanceof PlistUid)
  );
}

/** A number from an integer or real plist value (bigints outside the safe range lose precision). */
export function plistNumber(v: PlistValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PlistReal) return v.value;
  return undefined;
}
