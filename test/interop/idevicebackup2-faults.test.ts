// Issue #3: each mobilebackup2 fault of the simulator produces its behaviour in Debian's idevicebackup2.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { enterPasscode, isPasscodePromptShown, mobilebackup2Stats, PASSCODE_DISMISSED, PASSCODE_PRESENTED } from '../../mocks/services/mobilebackup2/index.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { BOOKKEEPING_UPLOADS, expectBackupOf, IDEVICEBACKUP2, receivedFiles } from './idevicebackup2-support.js';

let sim: TestSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});
const backupDir = tempDirsPerTest('ibk-fault-');

/** Record the notifications the device posts (on top of relaying them). */
function recordNotifications(device: TestSimulator['devices'][number]): string[] {
  const posted: string[] = [];
  const original = device.postNotification.bind(device);
  device.postNotification = (name: string) => {
    posted.push(name);
    original(name);
  };
  return posted;
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('mobilebackup2 faults seen through idevicebackup2', () => {
  it('mbError answers Backup and Restore with that MBErrorDomain code', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
    const device = sim.device();
    const root = backupDir();
    expect((await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000)).code).toBe(0);
    device.faults.mbError = 104;
    const b = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(b.stdout).toContain('ErrorCode 104: Multiple errors uploading files (MBErrorDomain/104)');
    expect(b.code).toBe(152); // (-104) & 0xFF
    expect(receivedFiles(b.stdout)).toBe(0);
    device.faults.mbError = 205;
    const r = await runTool(IDEVICEBACKUP2, ['restore', '--system', '--no-reboot', root], sim.env, 60_000);
    expect(r.stdout).toContain('ErrorCode 205: Multiple errors downloading files (MBErrorDomain/205)');
    expect(r.code).toBe(51);
  });

  it('passcodeTimeoutMs: the prompt is shown, and without the passcode the backup fails with 208 Device locked', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', faults: { passcodeTimeoutMs: 300 } }] });
    const posted = recordNotifications(sim.device());
    const b = await runTool(IDEVICEBACKUP2, ['backup', backupDir()], sim.env, 60_000);
    expect(b.stdout).toContain('ErrorCode 208: Device locked (MBErrorDomain/208)');
    expect(b.code).toBe(48);
    expect(posted).toEqual(expect.arrayContaining([PASSCODE_PRESENTED, PASSCODE_DISMISSED]));
    expect(isPasscodePromptShown(sim.device())).toBe(false);
  });

  it('passcodeTimeoutMs: entering the passcode while prompted lets the backup finish', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', faults: { passcodeTimeoutMs: 30_000 } }] });
    const device = sim.device();
    const root = backupDir();
    const run = runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    await until(() => isPasscodePromptShown(device));
    expect(enterPasscode(device)).toBe(true);
    const b = await run;
    expect(b.stdout).toContain('Backup Successful.');
    await expectBackupOf(root, device.udid, device.fs);
    expect(enterPasscode(device)).toBe(false); // no prompt any more
  });

  it('the host vanishing while the device waits (passcode prompt) leaves no timer and the next backup works', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', faults: { passcodeTimeoutMs: 60_000 } }] });
    const device = sim.device();
    const root = backupDir();
    const child = spawn(IDEVICEBACKUP2, ['backup', root], { env: sim.env, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await until(() => isPasscodePromptShown(device));
    child.kill('SIGKILL');
    await exited;
    await until(() => !isPasscodePromptShown(device), 5_000);
    device.faults.passcodeTimeoutMs = undefined;
    const b = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(b.stdout).toContain('Backup Successful.');
  });

  it('the host vanishing in the middle of an upload does not hurt the device; the next backup is complete', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'small' }] });
    const device = sim.device();
    const root = backupDir();
    const child = spawn(IDEVICEBACKUP2, ['backup', root], { env: sim.env, stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => child.once('exit', r));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (/Receiving files[\s\S]*\d+% \(/.test(out)) child.kill('SIGKILL');
    });
    await exited;
    expect(out).not.toContain('Backup Successful.');
    const b = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 120_000);
    expect(b.stdout).toContain('Backup Successful.');
    // the interrupted backup left Status.plist "uploading": the device does not trust it and sends everything
    expect(mobilebackup2Stats(device).backups.map((x) => x.mode)).toEqual(['full']);
    expect(receivedFiles(b.stdout)).toBe(device.fs.entries().filter((e) => e.type === 'file').length + BOOKKEEPING_UPLOADS);
    await expectBackupOf(root, device.udid, device.fs);
  });

  it('diskFull: the backup cannot create its snapshot, a restore reports insufficient space (105)', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
    const device = sim.device();
    const root = backupDir();
    expect((await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000)).code).toBe(0);
    device.faults.diskFull = true;
    const b = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(b.stdout).toContain('No space left on device');
    expect(b.stdout).toContain('(MBErrorDomain/100)');
    expect(b.code).toBe(156);
    const before = device.fs.entries();
    const r = await runTool(IDEVICEBACKUP2, ['restore', '--system', '--no-reboot', root], sim.env, 60_000);
    expect(r.stdout).toMatch(/ErrorCode 105: Insufficient free disk space on device to restore \(0 < \d+\)/);
    expect(r.code).toBe(151);
    expect(device.fs.entries()).toEqual(before);
  });
});
