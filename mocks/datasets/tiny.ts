import { DatasetBuilder, type DatasetItem } from './dataset-builder.js';
import { addCoreDomains } from './core-domains.js';

/** ~50 small files across every common domain, with directories and symlinks (~1.5 MB). */
export function buildTiny(seed: number): DatasetItem[] {
  const b = new DatasetBuilder(seed);
  addCoreDomains(b);
  return b.build();
}
