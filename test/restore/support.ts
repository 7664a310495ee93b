// Shared setup of the restore tests: a simulated iPhone (tiny dataset), a temp backup root, our backup engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup } from '../../src/backup/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

export { fingerprint } from '../interop/idevicebackup2-support.js';

export interface RestoreFixture {
  sim: TestSimulator;
  root: string;
  cleanup(): Promise<void>;
}

export async function simulatorWithRoot(seed = 7): Promise<RestoreFixture> {
  const sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed }] });
  const root = mkdtempSync(join(tmpdir(), 'ibk-restore-'));
  return {
    sim,
    root,
    async cleanup() {
      await sim.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Backs the simulated device up with our engine into `root`. */
export async function backUp(f: RestoreFixture): Promise<void> {
  await backup({ dir: f.root, muxAddress: f.sim.address, fsync: false });
}
