// The simulated device's file system (issue #3). See sim-file-system.ts for the layout under stateDir.
import type { SimFileSystem } from '../types.js';
import type { DatasetName } from '../datasets/index.js';
import { DiskSimFileSystem } from './sim-file-system.js';

export type { DatasetName } from '../datasets/index.js';
export { DiskSimFileSystem } from './sim-file-system.js';
export { openGenerated, type GeneratedContent } from './generated-content.js';

export interface OpenSimFileSystemOptions {
  /** Directory holding the device's files; created if missing. An existing state is reused as is. */
  stateDir: string;
  /** Dataset to create when the state directory is new (default 'tiny'). */
  dataset?: DatasetName;
  /** Seed for deterministic content (default 1). */
  seed?: number;
}

export async function openSimFileSystem(opts: OpenSimFileSystemOptions): Promise<SimFileSystem> {
  const fs = new DiskSimFileSystem(opts.stateDir);
  await fs.load(opts.dataset ?? 'tiny', opts.seed ?? 1);
  return fs;
}
