// Deterministic device datasets: the same name and seed always give the same entries and content.
import type { DatasetItem } from './dataset-builder.js';
import { buildTiny } from './tiny.js';
import { buildSmall } from './small.js';
import { buildPhotos } from './photos.js';
import { buildLarge } from './large.js';
import { buildMany } from './many.js';

export type { DatasetItem } from './dataset-builder.js';
export { mutate, type MutationOptions, type MutationResult } from './mutate.js';

export type DatasetName = 'empty' | 'tiny' | 'small' | 'photos' | 'large' | 'many';
export const DATASET_NAMES: readonly DatasetName[] = ['empty', 'tiny', 'small', 'photos', 'large', 'many'];

export function buildDataset(name: DatasetName, seed: number): DatasetItem[] {
  switch (name) {
    case 'empty':
      return [];
    case 'tiny':
      return buildTiny(seed);
    case 'small':
      return buildSmall(seed);
    case 'photos':
      return buildPhotos(seed);
    case 'large':
      return buildLarge(seed);
    case 'many':
      return buildMany(seed);
  }
}

export function isDatasetName(v: string): v is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(v);
}
