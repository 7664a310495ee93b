import type { Logger } from '../log.js';
import { safeListener } from './bounded.js';
import type { BackupProgress } from './events.js';
import { ProgressTracker } from './progress.js';

/** The events every long operation (backup, restore) emits through this helper. */
export type PhaseOrProgressEvent<P extends string> = { type: 'phase'; phase: P; message: string } | ({ type: 'progress' } & BackupProgress);

/** How a driver reports: its caller's listener (never allowed to throw into the driver), phases, progress. */
export interface OperationEvents<E, P extends string> {
  /** The caller's listener; an exception it throws is logged, not propagated. */
  emit: (e: E) => void;
  /** Log the phase and emit it with its text. */
  phase: (p: P) => void;
  tracker: ProgressTracker;
  /** Emit a progress event, at most one per interval unless `force`. */
  progress: (force?: boolean) => void;
}

/**
 * The event plumbing of a driver. `phaseText` is typed `never` unless the driver's event union `E` has the
 * phase and progress events, so a driver whose events lack them does not compile.
 */
export function operationEvents<E, P extends string>(
  what: string,
  log: Logger,
  phaseText: PhaseOrProgressEvent<P> extends E ? Record<P, string> : never,
  /** The driver's options: the caller's listener and how often progress may be emitted (default 200 ms). */
  opts: { onEvent?: (e: E) => void; progressIntervalMs?: number },
): OperationEvents<E, P> {
  const emit = safeListener<E>(opts.onEvent, log, what);
  // Sound: phaseText is only a Record when E includes these events.
  const emitCommon = emit as (e: PhaseOrProgressEvent<P>) => void;
  const tracker = new ProgressTracker();
  const interval = opts.progressIntervalMs ?? 200;
  let lastProgressAt = 0;
  return {
    emit,
    tracker,
    phase: (p) => {
      const text = (phaseText as Record<P, string>)[p];
      log.info({ phase: p }, text);
      emitCommon({ type: 'phase', phase: p, message: text });
    },
    progress: (force = false) => {
      const t = performance.now();
      if (!force && t - lastProgressAt < interval) return;
      lastProgressAt = t;
      emitCommon({ type: 'progress', ...tracker.snapshot() });
    },
  };
}
