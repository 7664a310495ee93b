import { PlistReal, PlistUid, isPlistDict, type PlistValue } from '../../protocols/index.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * A plist value as JSON: data → base64 string, date → ISO 8601 string, real → number, integers beyond 2^53 →
 * decimal string, UID → {"CF$UID": n}. Dict keys keep their order.
 */
export function plistToJson(v: PlistValue | undefined): JsonValue {
  if (v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof PlistReal) return v.value;
  if (v instanceof PlistUid) return { CF$UID: v.value };
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => plistToJson(x));
  if (isPlistDict(v)) {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = plistToJson(x);
    return out;
  }
  return null;
}
