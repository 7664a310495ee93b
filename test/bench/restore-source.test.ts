import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobilebackup2Stats } from '../../mocks/services/mobilebackup2/index.js';
import { sourceRestore } from '../../bench/restore-source.js';
import { backup } from '../../src/backup/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

describe('bench restore source host', () => {
  let sim: TestSimulator;
  let root: string;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'small' }] });
    root = mkdtempSync(join(tmpdir(), 'ibk-source-'));
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('restores a backup folder into a wiped device: every file, at its size, made of the filler bytes', async () => {
    const device = sim.device();
    await backup({ dir: root, muxAddress: sim.address });
    const files = device.fs.entries().filter((e) => e.type === 'file');
    const bytes = files.reduce((s, e) => s + e.size, 0);
    const big = files.reduce((a, e) => (e.size > a.size ? e : a));
    expect(big.size).toBeGreaterThan(32 * 1024); // more than one 32 KiB block
    await device.fs.wipe();
    expect(device.fs.entries().filter((e) => e.type === 'file')).toHaveLength(0);

    const r = await sourceRestore(device.udid, root, sim.address);
    expect(r.errorCode).toBe(0);
    const restored = mobilebackup2Stats(device).restores.at(-1);
    expect(restored?.filesRestored).toBe(r.files);
    expect(r.bytes).toBe(restored?.bytesRestored);
    // --system restores every domain the backup holds: all of the device's files come back.
    expect(r.files).toBe(files.length);
    expect(r.bytes).toBe(bytes);
    const back = device.fs.get(big.domain, big.relativePath);
    expect(back?.size).toBe(big.size);
    expect(await text(device.fs.openRead(back!))).toBe('Z'.repeat(big.size)); // 0x5a
  });

  it('a data file missing from the backup folder fails the restore instead of being made up', async () => {
    const device = sim.device();
    const victim = device.fs.entries().find((e) => e.type === 'file' && e.size > 0)!;
    const fileId = createHash('sha1').update(`${victim.domain}-${victim.relativePath}`).digest('hex');
    rmSync(join(root, device.udid, fileId.slice(0, 2), fileId));
    await device.fs.wipe();
    const r = await sourceRestore(device.udid, root, sim.address);
    expect(r.errorCode).not.toBe(0);
    expect(device.fs.get(victim.domain, victim.relativePath)).toBeUndefined();
  });
});
