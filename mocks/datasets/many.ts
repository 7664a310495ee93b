import { DatasetBuilder, type DatasetItem } from './dataset-builder.js';

/** 50,000 files of 4 KiB in 500 folders of one app container (stresses per-file overhead, not bandwidth). */
export function buildMany(seed: number): DatasetItem[] {
  const b = new DatasetBuilder(seed);
  for (let i = 0; i < 50_000; i++) {
    const dir = `d${String(Math.floor(i / 100)).padStart(3, '0')}`;
    b.file('AppDomain-com.example.many', `Documents/${dir}/f${String(i).padStart(5, '0')}.dat`, 4096);
  }
  return b.build();
}
