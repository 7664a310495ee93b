import { backup, type BackupOptions } from './backup.js';
import type { BackupEvent, BackupResult } from './events.js';

/**
 * `backup()` with its events as an async iterable: iterate `events` (it ends when the backup ends) and await
 * `result` (rejects with the backup's error). Events are buffered, so a slow consumer never slows the transfer
 * down by more than the memory of the queued events.
 */
export function backupWithEvents(options: Omit<BackupOptions, 'onEvent'> = {}): {
  events: AsyncIterable<BackupEvent>;
  result: Promise<BackupResult>;
} {
  const queue: BackupEvent[] = [];
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const result = backup({
    ...options,
    onEvent: (e) => {
      queue.push(e);
      notify();
    },
  }).finally(() => {
    finished = true;
    notify();
  });
  // The iterator must not turn a backup failure into an unhandled rejection; callers await `result`.
  result.catch(() => undefined);
  const events: AsyncIterable<BackupEvent> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const e = queue.shift();
        if (e) {
          yield e;
          continue;
        }
        if (finished) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
  return { events, result };
}
