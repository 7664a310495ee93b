import { describe, expect, it } from 'vitest';
import { sideBySide } from '../../src/backup/side-by-side.js';

const later = <T>(ms: number, value: T): Promise<T> => new Promise((r) => setTimeout(() => r(value), ms));

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
function abortable(ms: number, signal: AbortSignal, ended: string[], name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      ended.push(`${name} aborted`);
      reject(signal.reason as Error);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      ended.push(`${name} done`);
      resolve(name);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

describe('sideBySide', () => {
  it('runs the steps at the same time and returns their values in order', async () => {
    const started: number[] = [];
    const t0 = Date.now();
    const [a, b, c] = await sideBySide(undefined, [
      async () => (started.push(Date.now() - t0), later(60, 1)),
      async () => (started.push(Date.now() - t0), later(10, 'two')),
      async () => (started.push(Date.now() - t0), later(30, [3])),
    ]);
    expect([a, b, c]).toEqual([1, 'two', [3]]);
    expect(Math.max(...started)).toBeLessThan(30); // none waited for another
  });

  it('on a failure, aborts the other steps, waits for them to end, and throws the first failure', async () => {
    const ended: string[] = [];
    const boom = new Error('boom');
    const run = sideBySide(undefined, [
      (s) => abortable(5_000, s, ended, 'slow'),
      async () => {
        await later(10, 0);
        ended.push('failing');
        throw boom;
      },
      (s) => abortable(5, s, ended, 'quick'),
    ]);
    await expect(run).rejects.toBe(boom);
    expect(ended).toEqual(['quick done', 'failing', 'slow aborted']); // nothing left running
  });

  it("the caller's signal aborts every step", async () => {
    const ended: string[] = [];
    const caller = new AbortController();
    const run = sideBySide(caller.signal, [(s) => abortable(5_000, s, ended, 'a'), (s) => abortable(5_000, s, ended, 'b')]);
    setTimeout(() => caller.abort(new Error('cancelled')), 10);
    await expect(run).rejects.toThrow('cancelled');
    expect(ended.sort()).toEqual(['a aborted', 'b aborted']);
    const already = new AbortController();
    already.abort(new Error('before'));
    const late = sideBySide(already.signal, [
      (s) => {
        ended.push('c started');
        return abortable(5_000, s, ended, 'c');
      },
    ]);
    await expect(late).rejects.toThrow('before');
    expect(ended).not.toContain('c started');
  });
});
