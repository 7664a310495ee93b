import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePlist } from '../../protocols/index.js';
import { infoCommand } from '../../src/cli/commands/info.js';
import { plistToJson } from '../../src/lockdown/plist-json.js';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
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

async function both(args: string[]): Promise<{ ours: unknown; theirs: unknown }> {
  const ours = await runCommand(infoCommand, [...args, '--json']);
  expect(ours.stderr).toBe('');
  expect(ours.code).toBe(0);
  const theirs = await runTool('ideviceinfo', [...args.map((a) => (a === '--domain' ? '-q' : a === '--key' ? '-k' : a)), '-x'], sim!.env);
  expect(theirs.code, theirs.stderr).toBe(0);
  return { ours: JSON.parse(ours.stdout), theirs: plistToJson(decodePlist(Buffer.from(theirs.stdout))) };
}

describe('ibackup info', () => {
  it('--json agrees with ideviceinfo -x on every key (all values, TLS session)', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: true, deviceName: 'Info Phone' }] });
    process.env.USBMUXD_SOCKET_ADDRESS = sim.address;
    const { ours, theirs } = await both([]);
    expect(Object.keys(ours as object).length).toBeGreaterThan(10);
    expect(ours).toEqual(theirs);
    expect(ours).toMatchObject({ DeviceName: 'Info Phone', UniqueDeviceID: sim.devices[0]!.udid });
  });

  it('--domain/--key agree with ideviceinfo -q/-k, and -u picks the device', async () => {
    sim = await startTestSimulator({ devices: [{}, { sessionSSL: false, deviceName: 'Second' }] });
    process.env.USBMUXD_SOCKET_ADDRESS = sim.address;
    const second = sim.devices[1]!.udid;
    for (const args of [['--domain', 'com.apple.mobile.backup'], ['--domain', 'com.apple.mobile.iTunes', '--key', 'MinITunesVersion'], ['-u', second]]) {
      const { ours, theirs } = await both(args);
      expect(ours, args.join(' ')).toEqual(theirs);
    }
    const one = await runCommand(infoCommand, ['-u', second, '--key', 'DeviceName']);
    expect(one).toEqual({ code: 0, stdout: 'Second\n', stderr: '' });
    const text = await runCommand(infoCommand, ['-u', second]);
    expect(text.stdout).toContain(`UniqueDeviceID: ${second}\n`);
  });

  it('reports a missing device and a missing usbmuxd with an actionable message', async () => {
    sim = await startTestSimulator();
    process.env.USBMUXD_SOCKET_ADDRESS = sim.address;
    const missing = await runCommand(infoCommand, ['-u', '00000000-0000000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('device not found');
    process.env.USBMUXD_SOCKET_ADDRESS = `UNIX:${join(pairDir, 'nothing.sock')}`;
    const noMux = await runCommand(infoCommand, []);
    expect(noMux.code).toBe(1);
    expect(noMux.stderr).toContain('no usbmuxd running');
    expect(noMux.stderr).toContain('[MUX_NOT_RUNNING]');
  });
});
