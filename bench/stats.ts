// Pure maths of the benchmark: medians, throughput and the ours/theirs ratio per pair. No I/O, unit-tested.

/** Bytes in a benchmark "MB" (decimal, as disk and network rates are usually quoted). */
export const MB = 1_000_000;

/** Median of a non-empty list (mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** MB/s for `bytes` moved in `seconds` (0 when the time is not positive). */
export function mbPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / MB / seconds : 0;
}

/** Files per second. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/**
 * Speed-up of ours over theirs for one pair that moved the same data: theirs' wall time / ours' wall time, which
 * equals ours' throughput / theirs' throughput. > 1 means we are faster.
 */
export function speedup(oursSeconds: number, theirsSeconds: number): number {
  return oursSeconds > 0 ? theirsSeconds / oursSeconds : Number.NaN;
}

/** Round for display/JSON without trailing float noise. */
export function round(v: number, digits = 2): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
