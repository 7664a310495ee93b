// `ibackup restore` in-process against the simulator: NDJSON events, the summary, typed errors and exit codes,
// the password from IBACKUP_PASSWORD reaching the device without being printed.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { readPlistDictFile } from '../../src/backup/reader/plist-file.js';
import { runCommand } from '../offline/run-command.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { backUp, fingerprint, simulatorWithRoot, type RestoreFixture } from './support.js';

let fx: RestoreFixture;
const saved = { mux: process.env.USBMUXD_SOCKET_ADDRESS, pw: process.env.IBACKUP_PASSWORD };
beforeAll(async () => {
  fx = await simulatorWithRoot(51);
  await backUp(fx);
  process.env.USBMUXD_SOCKET_ADDRESS = fx.sim.address;
});
afterAll(async () => {
  await fx.cleanup();
});
afterEach(() => {
  process.env.USBMUXD_SOCKET_ADDRESS = fx.sim.address;
  if (saved.pw === undefined) delete process.env.IBACKUP_PASSWORD;
  else process.env.IBACKUP_PASSWORD = saved.pw;
});
afterAll(() => {
  if (saved.mux === undefined) delete process.env.USBMUXD_SOCKET_ADDRESS;
  else process.env.USBMUXD_SOCKET_ADDRESS = saved.mux;
});

function ndjson(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ibackup restore', () => {
  it('--json --system --no-reboot --remove restores the only device, streams NDJSON events, takes the password from IBACKUP_PASSWORD', async () => {
    const device = fx.sim.device();
    const before = await fingerprint(device.fs);
    await device.fs.wipe();
    process.env.IBACKUP_PASSWORD = 'env-Secret-42';
    const r = await runCommand(['restore', '--json', '--system', '--no-reboot', '--remove', '--dir', fx.root]);
    expect(r.stderr).toContain('Restore complete:');
    expect(r.code).toBe(0);
    expect(await fingerprint(device.fs)).toEqual(before);
    const events = ndjson(r.stdout);
    expect(events.filter((e) => e.type === 'phase').map((e) => e.phase)).toEqual(['checking-backup', 'connecting', 'preparing-device', 'restoring', 'finishing', 'done']);
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { udid: device.udid, reboot: false } });
    expect(device.requests.at(-1)).toMatchObject({
      MessageName: 'Restore',
      Options: { RestoreSystemFiles: true, RestoreShouldReboot: false, RemoveItemsNotRestored: true, Password: 'env-Secret-42' },
    });
    expect(r.stdout + r.stderr).not.toContain('env-Secret-42');
  });

  it('prints a summary on a terminal; --password and --skip-apps/--copy/--settings reach the device', async () => {
    const device = fx.sim.device();
    const r = await runCommand(['restore', '-u', device.udid, device.udid, '--dir', fx.root, '--no-reboot', '--skip-apps', '--copy', '--settings', '--password', 'cli-pw'], { isTTY: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Restore complete: \d+ files, .* sent in/);
    expect(r.stdout).toContain(`from ${join(fx.root, device.udid)} onto ${device.udid}`);
    expect(r.stdout).not.toContain('cli-pw');
    expect(device.requests.at(-1)?.Options).toEqual({ RestoreSystemFiles: false, RestoreShouldReboot: false, RestorePreserveSettings: false, Password: 'cli-pw' });
  });

  it('an incomplete backup: exit 1, a typed error on stderr and as NDJSON', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ibk-restore-cli-'));
    try {
      const udid = fx.sim.device().udid;
      cpSync(join(fx.root, udid), join(root, udid), { recursive: true });
      const status = (await readPlistDictFile(join(root, udid, 'Status.plist')))!;
      status.SnapshotState = 'moving';
      writeFileSync(join(root, udid, 'Status.plist'), encodePlist(status, 'binary'));
      const r = await runCommand(['restore', '--json', '--dir', root, udid]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('[RESTORE_BACKUP_INCOMPLETE]');
      expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'RESTORE_BACKUP_INCOMPLETE' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2: two BACKUPs; several devices and no -u', async () => {
    const two = await runCommand(['restore', 'a', 'b']);
    expect(two.code).toBe(2);
    let sim2: TestSimulator | undefined;
    try {
      sim2 = await startTestSimulator({ devices: [{ dataset: 'empty' }, { dataset: 'empty' }] });
      process.env.USBMUXD_SOCKET_ADDRESS = sim2.address;
      const r = await runCommand(['restore', '--dir', fx.root]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('choose the one to restore with -u UDID');
      for (const d of sim2.devices) expect(r.stderr).toContain(d.udid);
      expect(sim2.devices.every((d) => d.requests.length === 0)).toBe(true);
    } finally {
      await sim2?.stop();
    }
  });
});
