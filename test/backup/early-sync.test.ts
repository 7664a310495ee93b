import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EarlySync } from '../../src/backup/early-sync.js';

/** A sync function that records calls and finishes when told. */
function controlled() {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  let inFlight = 0;
  let maxInFlight = 0;
  const syncFile = (path: string): Promise<void> => {
    started.push(path);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<void>((resolve) =>
      pending.set(path, () => {
        inFlight--;
        resolve();
      }),
    );
  };
  const finish = async (path: string) => {
    pending.get(path)!();
    pending.delete(path);
    await new Promise((r) => setImmediate(r));
  };
  return { started, syncFile, finish, max: () => maxInFlight };
}

describe('EarlySync', () => {
  it('syncs at most `parallel` files at a time, in order, and no more than `limit` in all', async () => {
    const c = controlled();
    const s = new EarlySync(3, 2, c.syncFile);
    for (const p of ['a', 'b', 'c', 'd', 'e']) s.offer(p);
    expect(c.started).toEqual(['a', 'b']);
    await c.finish('a');
    expect(c.started).toEqual(['a', 'b', 'c']);
    await c.finish('b');
    await c.finish('c');
    expect(c.started).toEqual(['a', 'b', 'c']); // d and e were past the limit
    expect(c.max()).toBe(2);
    await s.stop();
  });

  it('stop drops what is queued, waits for what started, and ignores later offers', async () => {
    const c = controlled();
    const s = new EarlySync(10, 1, c.syncFile);
    s.offer('a');
    s.offer('b');
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false); // 'a' is still being synced
    await c.finish('a');
    await stopping;
    s.offer('c');
    expect(c.started).toEqual(['a']);
  });

  it('a failing sync does not stop the others; the real one syncs files by name and never rejects', async () => {
    const seen: string[] = [];
    const s = new EarlySync(5, 1, async (p) => {
      seen.push(p);
      if (p === 'bad') throw new Error('EIO');
    });
    s.offer('bad');
    s.offer('good');
    await new Promise((r) => setImmediate(r)); // 'bad' fails, 'good' starts
    await s.stop();
    expect(seen).toEqual(['bad', 'good']);

    const dir = await mkdtemp(join(tmpdir(), 'early-sync-'));
    try {
      await writeFile(join(dir, 'f'), 'data');
      const real = new EarlySync(5);
      real.offer(join(dir, 'f'));
      real.offer(join(dir, 'missing')); // an error is swallowed: the flush reports it
      await new Promise((r) => setTimeout(r, 50));
      await real.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
