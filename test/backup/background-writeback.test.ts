import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackgroundWriteback } from '../../src/backup/background-writeback.js';

let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'writeback-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const until = (cond: () => boolean): Promise<boolean> => vi.waitUntil(cond, { timeout: 10_000, interval: 10 });

describe('BackgroundWriteback', () => {
  it.runIf(process.platform === 'linux')('runs a writeback once enough files or bytes were stored, one at a time', async () => {
    const wb = new BackgroundWriteback(tmp, { everyFiles: 3, everyBytes: 1000 });
    try {
      await writeFile(join(tmp, 'a'), 'x');
      wb.stored(1);
      wb.stored(1);
      expect(wb.completed).toBe(0);
      wb.stored(1); // third file: a writeback starts
      await until(() => wb.completed === 1);
      wb.stored(2000); // bytes of small files alone start the next one
      await until(() => wb.completed === 2);
      wb.stored(1);
      wb.stored(600 * 1024); // a large file's bytes do not count (written directly, or synced as it streams)
      await new Promise((r) => setTimeout(r, 100));
      expect(wb.completed).toBe(2); // two files and 1 small byte since: nothing started
    } finally {
      await wb.stop();
    }
  });

  it.runIf(process.platform === 'linux')('stop() waits for a writeback still running, then nothing starts any more', async () => {
    const wb = new BackgroundWriteback(tmp, { everyFiles: 1 });
    wb.stored(1);
    await wb.stop();
    expect(wb.completed).toBe(1);
    wb.stored(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(wb.completed).toBe(1);
    await wb.stop(); // a second stop is harmless
  });

  it.runIf(process.platform === 'linux')('turns itself off when sync fails (a folder that is gone), and stop(false) does not wait', async () => {
    const wb = new BackgroundWriteback(join(tmp, 'missing'), { everyFiles: 1 });
    wb.stored(1);
    await until(() => (wb as unknown as { off: boolean }).off);
    expect(wb.completed).toBe(0);
    wb.stored(1);
    await wb.stop(false);
    expect(wb.completed).toBe(0);
  });

  it('does nothing where syncfs is not available', async () => {
    const wb = new BackgroundWriteback(tmp, { everyFiles: 1, platform: 'darwin' });
    wb.stored(1);
    wb.stored(1);
    await wb.stop();
    expect(wb.completed).toBe(0);
    expect((wb as unknown as { helper?: unknown }).helper).toBeUndefined();
  });
});
