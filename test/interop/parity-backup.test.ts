// Issue #5 acceptance: for the same simulated device state, our backup folder and the one Debian's
// `idevicebackup2 backup` writes hold the same files with the same bytes and the same Manifest.db rows; and
// `idevicebackup2 restore` from our folder brings back identical files.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetName } from '../../mocks/index.js';
import { backup } from '../../src/backup/index.js';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { expectBackupOf, fingerprint, IDEVICEBACKUP2, readPlistFile } from './idevicebackup2-support.js';

/** Datasets compared here. `photos` (~12 GB per backup) runs only with IBACKUP_HEAVY_TESTS=1. */
const DATASETS: DatasetName[] = ['small', ...(process.env.IBACKUP_HEAVY_TESTS === '1' ? (['photos'] as const) : [])];
/** Files whose content carries per-backup values (dates, UUIDs, GUID); compared by keys/values below instead. */
const PER_BACKUP = new Set(['Info.plist', 'Status.plist', 'Manifest.plist']);

let sim: TestSimulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `ibk-parity-${tag}-`));
  dirs.push(d);
  return d;
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, r)).isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

async function sha1(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

function manifestRows(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY fileID').all();
  } finally {
    db.close();
  }
}

function withoutKeys(d: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).filter(([k]) => !keys.includes(k)));
}

function keyTree(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, keyTree((v as Record<string, unknown>)[k])]));
  }
  return typeof v;
}

describe('parity with Debian idevicebackup2', () => {
  for (const dataset of DATASETS) {
    it(`dataset ${dataset}: same files, same bytes, same Manifest.db rows, same Info.plist keys`, async () => {
      sim = await startTestSimulator({ devices: [{ dataset }] });
      const udid = sim.devices[0]!.udid;
      const theirs = tempDir('idb');
      const ours = tempDir('ours');
      const r = await runTool(IDEVICEBACKUP2, ['backup', theirs], sim.env, 900_000);
      expect(r.stdout).toContain('Backup Successful.');
      const result = await backup({ dir: ours, muxAddress: sim.address });
      expect(result.full).toBe(true);

      const a = join(theirs, udid);
      const b = join(ours, udid);
      const filesA = listFiles(a);
      expect(listFiles(b)).toEqual(filesA);
      for (const f of filesA) {
        if (PER_BACKUP.has(f)) continue;
        expect(await sha1(join(b, f)), f).toBe(await sha1(join(a, f)));
      }
      expect(manifestRows(join(b, 'Manifest.db'))).toEqual(manifestRows(join(a, 'Manifest.db')));

      const statusA = readPlistFile(join(a, 'Status.plist'));
      const statusB = readPlistFile(join(b, 'Status.plist'));
      expect(withoutKeys(statusB, ['UUID', 'Date'])).toEqual(withoutKeys(statusA, ['UUID', 'Date']));
      expect(withoutKeys(readPlistFile(join(b, 'Manifest.plist')), ['Date'])).toEqual(withoutKeys(readPlistFile(join(a, 'Manifest.plist')), ['Date']));
      const infoA = readPlistFile(join(a, 'Info.plist'));
      const infoB = readPlistFile(join(b, 'Info.plist'));
      expect(keyTree(infoB)).toEqual(keyTree(infoA));
      expect(withoutKeys(infoB, ['GUID', 'Last Backup Date'])).toEqual(withoutKeys(infoA, ['GUID', 'Last Backup Date']));
    }, dataset === 'photos' ? 1_800_000 : 180_000);
  }

  it('idevicebackup2 restore --system --no-reboot from our folder into a wiped simulator restores identical files', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 5 }] });
    const device = sim.device();
    const root = tempDir('restore');
    await backup({ dir: root, muxAddress: sim.address });
    await expectBackupOf(root, device.udid, device.fs);
    const before = await fingerprint(device.fs);
    await device.fs.wipe();
    expect(device.fs.entries()).toEqual([]);
    const r = await runTool(IDEVICEBACKUP2, ['restore', '--system', '--no-reboot', root], sim.env, 120_000);
    expect(r.stdout).toContain('Restore Successful.');
    expect(r.code).toBe(0);
    expect(await fingerprint(device.fs)).toEqual(before);
  });

  it('idevicebackup2 continues incrementally from a backup we made', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 6 }] });
    const device = sim.device();
    const root = tempDir('incr');
    mkdirSync(root, { recursive: true });
    await backup({ dir: root, muxAddress: sim.address });
    const r = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 120_000);
    expect(r.stdout).toContain('Backup Successful.');
    await expectBackupOf(root, device.udid, device.fs);
  });
});
