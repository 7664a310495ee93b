import type { Logger } from '../log.js';

/** Run `fn` with a time limit; on timeout (or failure) resolve anyway. For best-effort cleanup. */
export async function bounded(fn: () => Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    fn().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** An event callback that never lets a throwing listener break the backup or restore that calls it. */
export function safeListener<E>(listener: ((e: E) => void) | undefined, log: Logger, what: string): (e: E) => void {
  return (e) => {
    try {
      listener?.(e);
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${what} event listener threw`);
    }
  };
}
