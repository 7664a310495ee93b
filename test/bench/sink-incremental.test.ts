import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutate } from '../../mocks/index.js';
import { sinkBackup } from '../../bench/sink.js';
import { OPENSSL_DEFAULT_TLS13_SUITES } from '../../bench/tools.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

describe('bench sink host', () => {
  let sim: TestSimulator;
  let root: string;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'small' }] });
    root = mkdtempSync(join(tmpdir(), 'ibk-sink-'));
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('without a root the device sends everything; with one, later runs are incremental (only what changed)', async () => {
    const udid = sim.device().udid;
    const total = sim.device(udid).fs.entries().filter((e) => e.type === 'file').length;
    const plain = await sinkBackup(udid, sim.address);
    expect(plain.errorCode).toBe(0);
    expect(plain.files).toBeGreaterThanOrEqual(total);

    const first = await sinkBackup(udid, sim.address, root);
    expect(first.files).toBeGreaterThanOrEqual(total); // nothing kept yet: full
    expect(existsSync(join(root, udid, 'Status.plist'))).toBe(true);
    expect(existsSync(join(root, udid, 'Manifest.db'))).toBe(true);

    await mutate(sim.device(udid).fs, { seed: 3, modify: 4 });
    const second = await sinkBackup(udid, sim.address, root);
    expect(second.errorCode).toBe(0);
    expect(second.files).toBeGreaterThanOrEqual(4);
    expect(second.files).toBeLessThan(20); // the 4 changed files plus the backup's own metadata files
    const third = await sinkBackup(udid, sim.address, root);
    expect(third.files).toBeLessThan(20); // still incremental: the kept metadata is the device's last backup
  });
});

describe('bench sink host over service TLS', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', sessionSSL: true, serviceSSL: { 'com.apple.mobilebackup2': true } }] });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("offers the engine's suite order, or the one it is given (to measure idevicebackup2's ceiling)", async () => {
    const udid = sim.device().udid;
    const suiteOfLastBackup = () => sim.device(udid).serviceTlsSuites.get('com.apple.mobilebackup2');
    expect((await sinkBackup(udid, sim.address)).errorCode).toBe(0);
    expect(suiteOfLastBackup()).toBe('TLS_AES_128_GCM_SHA256');
    expect((await sinkBackup(udid, sim.address, undefined, OPENSSL_DEFAULT_TLS13_SUITES)).errorCode).toBe(0);
    expect(suiteOfLastBackup()).toBe('TLS_AES_256_GCM_SHA384');
  });
});
