/**
 * Run independent steps at the same time (say, a service handshake and the sync lock, each waiting on the device
 * over its own connection). Each step gets a signal that is aborted when `signal` is, or as soon as another step
 * fails (none starts when `signal` is already aborted). Resolves once every step has ended — nothing is left
 * running — with their values in order; rejects with the first failure. A step that must be undone when another
 * fails records what it got (the caller's cleanup then undoes it), as a step run alone would.
 */
export async function sideBySide<T extends readonly unknown[]>(
  signal: AbortSignal | undefined,
  steps: { [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> },
): Promise<T> {
  signal?.throwIfAborted(); // (no step starts)
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let first: { err: unknown } | undefined;
  try {
    const results = await Promise.allSettled(
      (steps as readonly ((s: AbortSignal) => Promise<unknown>)[]).map(async (step) => {
        try {
          return await step(stop.signal);
        } catch (err) {
          first ??= { err };
          stop.abort(err);
          throw err;
        }
      }),
    );
    if (first) throw first.err;
    return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
