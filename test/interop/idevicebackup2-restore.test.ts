// Issue #3 acceptance: Debian's idevicebackup2 restores a backup into the simulated iPhone.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { mutate } from '../../mocks/datasets/index.js';
import { isSystemDomain, mobilebackup2Stats } from '../../mocks/services/mobilebackup2/index.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { fingerprint, IDEVICEBACKUP2 } from './idevicebackup2-support.js';

let sim: TestSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});
const backupDir = tempDirsPerTest('ibk-restore-');

async function backedUpSimulator(): Promise<{ sim: TestSimulator; root: string; before: Map<string, string> }> {
  sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 21 }] });
  const root = backupDir();
  const r = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
  expect(r.stdout).toContain('Backup Successful.');
  return { sim, root, before: await fingerprint(sim.device().fs) };
}

describe('idevicebackup2 restore against the simulator', () => {
  it('restore --system --no-reboot into a wiped device brings back identical files, without rebooting', async () => {
    const { sim, root, before } = await backedUpSimulator();
    const device = sim.device();
    await device.fs.wipe();
    expect(device.fs.entries()).toEqual([]);
    let detached = 0;
    device.on('detached', () => detached++);

    const r = await runTool(IDEVICEBACKUP2, ['restore', '--system', '--no-reboot', root], sim.env, 60_000);
    expect(r.stdout).toContain('Restore Successful.');
    expect(r.code).toBe(0);
    expect(await fingerprint(device.fs)).toEqual(before);
    const req = device.requests.find((q) => q.MessageName === 'Restore');
    expect(req?.Options).toMatchObject({ RestoreSystemFiles: true, RestoreShouldReboot: false });
    expect(mobilebackup2Stats(device).restores.at(-1)?.filesRestored).toBe([...before.values()].filter((v) => (JSON.parse(v) as unknown[])[0] === 'file').length);
    await new Promise((res) => setTimeout(res, 300));
    expect(detached).toBe(0);
    expect(device.attached).toBe(true);
  });

  it('restore without --system leaves system domains alone; --remove deletes what the backup lacks', async () => {
    const { sim, root, before } = await backedUpSimulator();
    const device = sim.device();
    await device.fs.wipe();
    const r = await runTool(IDEVICEBACKUP2, ['restore', '--no-reboot', root], sim.env, 60_000);
    expect(r.stdout).toContain('Restore Successful.');
    const after = await fingerprint(device.fs);
    for (const [key, value] of before) {
      const domain = key.slice(0, key.indexOf('/'));
      if (isSystemDomain(domain)) expect(after.has(key), key).toBe(false);
      else expect(after.get(key), key).toBe(value);
    }
    expect(mobilebackup2Stats(device).restores.at(-1)?.skippedDomains).toContain('RootDomain');

    const extra = await mutate(device.fs, { seed: 4, add: 2 });
    const r2 = await runTool(IDEVICEBACKUP2, ['restore', '--system', '--remove', '--no-reboot', root], sim.env, 60_000);
    expect(r2.stdout).toContain('Restore Successful.');
    for (const e of extra.added) expect(device.fs.get(e.domain, e.relativePath)).toBeUndefined();
    expect(await fingerprint(device.fs)).toEqual(before);
  });

  it('restore without --no-reboot reboots the device: it detaches from usbmuxd and comes back', async () => {
    const { sim, root, before } = await backedUpSimulator();
    const device = sim.device();
    await device.fs.wipe();
    // Events are recorded as they happen: the device may already be back by the time the tool has exited.
    const events: string[] = [];
    device.on('detached', () => events.push('detached'));
    const back = once(device, 'attached').then(() => events.push('attached'));
    const r = await runTool(IDEVICEBACKUP2, ['restore', '--system', root], sim.env, 60_000);
    expect(r.stdout).toContain('Restore Successful.');
    await back;
    expect(events).toEqual(['detached', 'attached']);
    expect(device.attached).toBe(true);
    expect(await fingerprint(device.fs)).toEqual(before);
    const list = await runTool('idevice_id', ['-l'], sim.env);
    expect(list.stdout).toContain(device.udid);
  });
});
