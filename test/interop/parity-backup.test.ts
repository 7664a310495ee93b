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

/**
 * Datasets compared here. `photos` is ~12.5 GB per backup: each folder is reduced to a fingerprint (file list,
 * content hashes, Manifest.db rows, plists) and deleted before the other tool runs, so the test needs the disk
 * space of one backup, not two.
 */
const DATASETS: DatasetName[] = ['small', 'photos'];
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

interface BackupFingerprint {
  files: string[];
  /** sha1 of every file except the per-backup plists. */
  hashes: Record<string, string>;
  manifestRows: unknown[];
  status: Record<string, unknown>;
  manifest: Record<string, unknown>;
  info: Record<string, unknown>;
}

/** Makes a backup into `root` with `make`, reduces `<root>/<udid>` to a fingerprint, then deletes the folder. */
async function fingerprintBackup(root: string, udid: string, make: (root: string) => Promise<void>): Promise<BackupFingerprint> {
  await make(root);
  const dir = join(root, udid);
  const files = listFiles(dir);
  const hashes: Record<string, string> = {};
  for (const f of files) if (!PER_BACKUP.has(f)) hashes[f] = await sha1(join(dir, f));
  const fp: BackupFingerprint = {
    files,
    hashes,
    manifestRows: manifestRows(join(dir, 'Manifest.db')),
    status: readPlistFile(join(dir, 'Status.plist')),
    manifest: readPlistFile(join(dir, 'Manifest.plist')),
    info: readPlistFile(join(dir, 'Info.plist')),
  };
  rmSync(root, { recursive: true, force: true });
  return fp;
}

describe('parity with Debian idevicebackup2', () => {
  for (const dataset of DATASETS) {
    it(`dataset ${dataset}: same files, same bytes, same Manifest.db rows, same Info.plist keys`, async () => {
      sim = await startTestSimulator({ devices: [{ dataset }] });
      const udid = sim.devices[0]!.udid;
      const theirs = await fingerprintBackup(tempDir('idb'), udid, async (root) => {
        const r = await runTool(IDEVICEBACKUP2, ['backup', root], sim!.env, 1_500_000);
        expect(r.stdout).toContain('Backup Successful.');
      });
      const ours = await fingerprintBackup(tempDir('ours'), udid, async (root) => {
        const result = await backup({ dir: root, muxAddress: sim!.address });
        expect(result.full).toBe(true);
      });

      expect(ours.files).toEqual(theirs.files);
      expect(ours.hashes).toEqual(theirs.hashes);
      expect(ours.manifestRows).toEqual(theirs.manifestRows);
      expect(withoutKeys(ours.status, ['UUID', 'Date'])).toEqual(withoutKeys(theirs.status, ['UUID', 'Date']));
      expect(withoutKeys(ours.manifest, ['Date'])).toEqual(withoutKeys(theirs.manifest, ['Date']));
      expect(keyTree(ours.info)).toEqual(keyTree(theirs.info));
      expect(withoutKeys(ours.info, ['GUID', 'Last Backup Date'])).toEqual(withoutKeys(theirs.info, ['GUID', 'Last Backup Date']));
    }, dataset === 'photos' ? 2_400_000 : 180_000);
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
