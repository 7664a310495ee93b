// Issue #3 acceptance: Debian's idevicebackup2 backs the simulated iPhone up (full, incremental, --full).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mutate } from '../../mocks/datasets/index.js';
import { mobilebackup2Stats } from '../../mocks/services/mobilebackup2/index.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { BOOKKEEPING_UPLOADS, expectBackupOf, IDEVICEBACKUP2, readPlistFile, receivedFiles } from './idevicebackup2-support.js';

let sim: TestSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});
const backupDir = tempDirsPerTest('ibk-backup-');

describe('idevicebackup2 backup against the simulator', () => {
  it('full backup, then an incremental one that sends only changed files, then --full', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 11 }] });
    const device = sim.device();
    const fs = device.fs;
    const root = backupDir();
    const fileCount = fs.entries().filter((e) => e.type === 'file').length;

    const first = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(first.stdout).toContain('Backup Successful.');
    expect(first.stdout).toContain('Full backup mode.');
    expect(first.code).toBe(0);
    expect(receivedFiles(first.stdout)).toBe(fileCount + BOOKKEEPING_UPLOADS);
    await expectBackupOf(root, device.udid, fs);
    expect(readPlistFile(join(root, device.udid, 'Status.plist')).IsFullBackup).toBe(true);
    expect(device.requests.map((r) => r.MessageName)).toEqual(['Hello', 'Backup']);
    expect(device.requests[1]?.Options).toBeUndefined();

    const changes = await mutate(fs, { seed: 2, add: 2, modify: 3, remove: 2 });
    const second = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(second.stdout).toContain('Backup Successful.');
    expect(second.code).toBe(0);
    expect(receivedFiles(second.stdout)).toBe(changes.added.length + changes.modified.length + BOOKKEEPING_UPLOADS);
    expect(mobilebackup2Stats(device).backups.at(-1)).toMatchObject({ mode: 'incremental', filesUploaded: 5, filesRemoved: 2 });
    expect(readPlistFile(join(root, device.udid, 'Status.plist')).IsFullBackup).toBe(false);
    await expectBackupOf(root, device.udid, fs);

    const unchanged = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(unchanged.code).toBe(0);
    expect(receivedFiles(unchanged.stdout)).toBe(BOOKKEEPING_UPLOADS);

    const full = await runTool(IDEVICEBACKUP2, ['backup', '--full', root], sim.env, 60_000);
    expect(full.stdout).toContain('Backup Successful.');
    expect(full.code).toBe(0);
    expect(device.requests.at(-1)?.Options).toEqual({ ForceFullBackup: true });
    expect(receivedFiles(full.stdout)).toBe(fs.entries().filter((e) => e.type === 'file').length + BOOKKEEPING_UPLOADS);
    await expectBackupOf(root, device.udid, fs);
  });

  it('backs up the small dataset (~1,000 files, ~50 MB) byte for byte', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'small' }] });
    const root = backupDir();
    const r = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 120_000);
    expect(r.stdout).toContain('Backup Successful.');
    expect(r.code).toBe(0);
    await expectBackupOf(root, sim.device().udid, sim.device().fs);
  });
});
