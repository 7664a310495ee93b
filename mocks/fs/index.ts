// CONTRACT STUB — implemented by the device-data work (issue #3).
import type { SimFileSystem } from '../types.js';

export type DatasetName = 'empty' | 'tiny' | 'small' | 'photos' | 'large' | 'many';

export interface OpenSimFileSystemOptions {
  /** Directory holding the device's files; created if missing. An existing state is reused as is. */
  stateDir: string;
  /** Dataset to create when the state directory is new (default 'tiny'). */
  dataset?: DatasetName;
  /** Seed for deterministic content (default 1). */
  seed?: number;
}

export async function openSimFileSystem(_opts: OpenSimFileSystemOptions): Promise<SimFileSystem> {
  throw new Error('not implemented');
}
