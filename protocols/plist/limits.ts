import { ProtocolError } from '../errors.js';

/** Limits applied by both decoders; every field is optional (see `PlistDecodeLimits` in index.ts). */
export interface PlistLimitsInput {
  maxBytes?: number;
  maxObjects?: number;
  maxDepth?: number;
}

export interface ResolvedPlistLimits {
  readonly maxBytes: number;
  readonly maxObjects: number;
  readonly maxDepth: number;
}

export const DEFAULT_PLIST_LIMITS: ResolvedPlistLimits = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxObjects: 4_000_000,
  maxDepth: 512,
});

function pick(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new ProtocolError('PLIST_UNSUPPORTED', `plist decode limit ${name} must be a non-negative number, got ${value}`);
  }
  return Math.floor(value);
}

/** Decoders recurse per nesting level; a larger maxDepth is clamped to this so the stack cannot overflow. */
export const MAX_DEPTH_CAP = 1024;

export function resolveLimits(limits: PlistLimitsInput | undefined): ResolvedPlistLimits {
  if (!limits) return DEFAULT_PLIST_LIMITS;
  return {
    maxBytes: pick(limits.maxBytes, DEFAULT_PLIST_LIMITS.maxBytes, 'maxBytes'),
    maxObjects: pick(limits.maxObjects, DEFAULT_PLIST_LIMITS.maxObjects, 'maxObjects'),
    maxDepth: Math.min(MAX_DEPTH_CAP, pick(limits.maxDepth, DEFAULT_PLIST_LIMITS.maxDepth, 'maxDepth')),
  };
}

export function checkInputSize(length: number, limits: ResolvedPlistLimits): void {
  if (length > limits.maxBytes) {
    throw new ProtocolError('PLIST_TOO_LARGE', `plist is ${length} bytes, more than the limit of ${limits.maxBytes} bytes`);
  }
}

export function tooDeep(limits: ResolvedPlistLimits, where: string): ProtocolError {
  return new ProtocolError('PLIST_TOO_LARGE', `plist nesting is deeper than the limit of ${limits.maxDepth} levels ${where}`);
}

export function tooManyObjects(limits: ResolvedPlistLimits, where: string): ProtocolError {
  return new ProtocolError('PLIST_TOO_LARGE', `plist has more than the limit of ${limits.maxObjects} objects ${where}`);
}
