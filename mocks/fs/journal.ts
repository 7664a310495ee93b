// Persistence of a simulated file system: `state.json` names the dataset it started from (regenerated on open,
// so huge datasets cost nothing on disk) and `journal.ndjson` lists every change since, one JSON line each.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError } from '../../protocols/errors.js';
import type { SimFileEntry } from '../types.js';
import type { DatasetName } from '../datasets/index.js';

/** Where a file's bytes come from. */
export type ContentRef =
  | { kind: 'gen'; seed: number; key: string } // generated on the fly (mocks/fs/generated-content.ts)
  | { kind: 'disk'; sha1: string } // stored under files/xx/<fileID>
  | { kind: 'hashed'; sha1: string } // received (restore with restoreContent 'hash'): its SHA-1 only, bytes not kept
  | { kind: 'sized'; id: string } // received (restore with restoreContent 'size'): its size only; `id` is unique per put
  | { kind: 'empty' };

export type JournalRecord =
  | { op: 'put'; e: SimFileEntry; c?: ContentRef }
  | { op: 'rm'; d: string; p: string };

export interface FsState {
  format: 1;
  dataset: DatasetName;
  seed: number;
}

export class Journal {
  private readonly statePath: string;
  private readonly journalPath: string;

  constructor(stateDir: string) {
    this.statePath = join(stateDir, 'state.json');
    this.journalPath = join(stateDir, 'journal.ndjson');
  }

  readState(): FsState | undefined {
    if (!existsSync(this.statePath)) return undefined;
    const state = JSON.parse(readFileSync(this.statePath, 'utf8')) as FsState;
    if (state.format !== 1) throw new CodedError('SIM_FS_STATE', `unsupported simulator state format in ${this.statePath}`);
    return state;
  }

  /** Start over from a dataset: writes the state and empties the journal. */
  reset(state: FsState): void {
    writeFileSync(this.journalPath, '');
    writeFileSync(this.statePath, JSON.stringify(state) + '\n');
  }

  append(record: JournalRecord): void {
    appendFileSync(this.journalPath, JSON.stringify(record) + '\n');
  }

  records(): JournalRecord[] {
    if (!existsSync(this.journalPath)) return [];
    const out: JournalRecord[] = [];
    for (const line of readFileSync(this.journalPath, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as JournalRecord);
      } catch {
        break; // a torn last line after a crash: ignore it and everything after
      }
    }
    return out;
  }
}
