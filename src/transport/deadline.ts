import { abortedError, timeoutError } from './errors.js';

export interface WaitOptions {
  /** Give up after this many milliseconds (no limit when undefined or ≤ 0). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs `start`, which registers whatever listeners it needs and returns a cleanup function, and settles with the
 * first of: its resolve/reject, the timeout, the abort signal. The timer, the abort listener and `start`'s
 * listeners are always removed, so nothing dangles after the promise settles.
 */
export function withDeadline<T>(
  what: string,
  opts: WaitOptions,
  start: (resolve: (v: T) => void, reject: (e: unknown) => void) => () => void,
  onGiveUp?: (err: Error) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal, timeoutMs } = opts;
    if (signal?.aborted) {
      const err = abortedError(what, signal.reason);
      onGiveUp?.(err);
      reject(err);
      return;
    }
    let done = false;
    let cleanup: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      return true;
    };
    const onAbort = (): void => {
      if (!finish()) return;
      const err = abortedError(what, signal?.reason);
      onGiveUp?.(err);
      reject(err);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        if (!finish()) return;
        const err = timeoutError(what, timeoutMs);
        onGiveUp?.(err);
        reject(err);
      }, timeoutMs);
    }
    try {
      const c = start(
        (v) => {
          if (finish()) resolve(v);
        },
        (e) => {
          if (finish()) reject(e);
        },
      );
      if (done) c();
      else cleanup = c;
    } catch (e) {
      if (finish()) reject(e);
    }
  });
}

/** An abortable pause (no timer left behind when aborted). */
export function delay(ms: number, signal?: AbortSignal, what = 'waiting'): Promise<void> {
  return withDeadline<void>(what, { signal }, (resolve) => {
    const t = setTimeout(() => resolve(), ms);
    return () => clearTimeout(t);
  });
}
