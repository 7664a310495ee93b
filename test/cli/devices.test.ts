import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { devicesCommand } from '../../src/cli/commands/devices.js';
import { pairCommand } from '../../src/cli/commands/pair.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { unpairCommand } from '../../src/cli/commands/unpair.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { runCommand } from './devices-run-command.js';

let sim: TestSimulator | undefined;
let pairDir: string;
beforeEach(() => {
  pairDir = mkdtempSync(join(tmpdir(), 'ibk-cli-'));
  process.env.IBACKUP_PAIR_RECORD_DIR = pairDir;
});
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  delete process.env.USBMUXD_SOCKET_ADDRESS;
  delete process.env.IBACKUP_PAIR_RECORD_DIR;
  rmSync(pairDir, { recursive: true, force: true });
});

describe('ibackup devices / pair / validate / unpair', () => {
  it('lists devices as a table and as JSON', async () => {
    sim = await startTestSimulator({
      devices: [
        { deviceName: 'USB Phone', productVersion: '17.5.1' },
        { deviceName: 'WiFi Phone', connectionType: 'Network', paired: false },
      ],
    });
    process.env.USBMUXD_SOCKET_ADDRESS = sim.address;
    const [a, b] = sim.devices;
    const json = await runCommand(devicesCommand, ['--json']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ udid: a!.udid, name: 'USB Phone', productVersion: '17.5.1', connection: 'USB', paired: true });
    expect(list[0]!.model).toBe(a!.getValue('', 'ProductType'));
    expect(list[1]).toMatchObject({ udid: b!.udid, connection: 'Wi-Fi', paired: false });
    const table = await runCommand(devicesCommand, []);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^UDID\s+NAME\s+MODEL\s+iOS\s+CONNECTION\s+PAIRED$/);
    expect(lines[1]).toMatch(new RegExp(`^${a!.udid}\\s+USB Phone\\s+\\S+\\s+17\\.5\\.1\\s+USB\\s+yes$`));
    expect(lines[2]).toMatch(new RegExp(`^${b!.udid}\\s+.*Wi-Fi\\s+no$`));
  });

  it('pair, validate, unpair', async () => {
    sim = await startTestSimulator({ devices: [{ paired: false, trust: { pendingAttempts: 1 } }] });
    process.env.USBMUXD_SOCKET_ADDRESS = sim.address;
    const udid = sim.devices[0]!.udid;
    const before = await runCommand(validateCommand, []);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('not paired');
    const pair = await runCommand(pairCommand, ['-u', udid]);
    expect(pair.code).toBe(0);
    expect(pair.stderr).toContain('Tap “Trust” on the iPhone');
    expect(pair.stdout).toContain(`Paired with ${udid}.`);
    expect(statSync(join(pairDir, `${udid}.plist`)).mode & 0o777).toBe(0o600);
    const ok = await runCommand(validateCommand, []);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Validated pairing with ${udid}`);
    const un = await runCommand(unpairCommand, []);
    expect(un).toMatchObject({ code: 0, stdout: `Unpaired ${udid}.\n` });
    expect(sim.pairRecord(udid)).toBeUndefined();
    const after = await runCommand(validateCommand, []);
    expect(after.code).toBe(1);
  });
});
