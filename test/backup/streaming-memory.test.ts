import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/backup/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator | undefined;
let root: string | undefined;
afterAll(async () => {
  await sim?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('streaming', () => {
  it('a 2 GiB file goes from socket to disk with flat memory', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'large' }] });
    root = await mkdtemp(join(tmpdir(), 'ibk-large-'));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    try {
      const result = await backup({ dir: root, muxAddress: sim.address, fsync: false });
      expect(result.bytesReceived).toBeGreaterThan(2 * 1024 * 1024 * 1024);
    } finally {
      clearInterval(timer);
    }
    // The simulator and the engine share this process; both stream, so growth stays far below the file size.
    expect(peak - baseline).toBeLessThan(256 * 1024 * 1024);
    const big = sim.device().fs.entries().find((e) => e.size >= 2 * 1024 * 1024 * 1024)!;
    const { fileId } = await import('../../mocks/manifest/index.js');
    const id = fileId(big.domain, big.relativePath);
    expect((await stat(join(root, sim.devices[0]!.udid, id.slice(0, 2), id))).size).toBe(big.size);
  }, 300_000);
});
