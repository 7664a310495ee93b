// Issue #3 acceptance: idevicebackup2 info, list, encryption on/off, changepw and cloud on/off against the simulator.
import { afterEach, describe, expect, it } from 'vitest';
import { fileId } from '../../mocks/manifest/index.js';
import { LIST_CSV_HEADER } from '../../mocks/services/mobilebackup2/index.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { IDEVICEBACKUP2, receivedFiles } from './idevicebackup2-support.js';

let sim: TestSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});
const backupDir = tempDirsPerTest('ibk-cmd-');

describe('idevicebackup2 info, list, encryption, changepw, cloud', () => {
  it('info and list describe the last backup (and fail cleanly without one)', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny', deviceName: 'Test Phone' }] });
    const device = sim.device();
    const root = backupDir();
    const none = await runTool(IDEVICEBACKUP2, ['info', root], sim.env);
    expect(none.stdout).toContain('ErrorCode 4: No such file or directory');
    expect(none.code).toBe(252); // (-4) & 0xFF

    expect((await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000)).stdout).toContain('Backup Successful.');
    const info = await runTool(IDEVICEBACKUP2, ['info', root], sim.env);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('Device Name: Test Phone');
    expect(info.stdout).toContain(`Unique Device ID: ${device.udid}`);
    expect(info.stdout).toContain('Encrypted: no');
    expect(info.stdout).toContain('Snapshot State: finished');

    const list = await runTool(IDEVICEBACKUP2, ['list', root], sim.env);
    expect(list.code).toBe(0);
    const lines = list.stdout.split('\n').filter((l) => l.includes(','));
    expect(lines[0]).toBe(LIST_CSV_HEADER);
    const entries = device.fs.entries();
    expect(lines.length - 1).toBe(entries.length);
    const sms = fileId('HomeDomain', 'Library/SMS/sms.db');
    const smsLine = lines.find((l) => l.startsWith('HomeDomain,Library/SMS/sms.db,'));
    expect(smsLine).toBe(`HomeDomain,Library/SMS/sms.db,${sms},file,${device.fs.get('HomeDomain', 'Library/SMS/sms.db')?.size},0644,${new Date((device.fs.get('HomeDomain', 'Library/SMS/sms.db')?.mtime ?? 0) * 1000).toISOString()},${sms.slice(0, 2)}/${sms}`);
    expect(lines.some((l) => l.startsWith('MediaDomain,Media/Recordings/20231001 101500.m4a,'))).toBe(true);
    expect(lines.filter((l) => l.split(',')[3] === 'file').length).toBe(entries.filter((e) => e.type === 'file').length);
  });

  it('encryption on, changepw (wrong and right old password), encryption off', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
    const device = sim.device();
    const root = backupDir();
    const willEncrypt = () => device.getValue('com.apple.mobile.backup', 'WillEncrypt') === true;
    expect(willEncrypt()).toBe(false);

    const on = await runTool(IDEVICEBACKUP2, ['encryption', 'on', 'first-secret', root], sim.env);
    expect(on.stdout).toContain('Backup encryption has been enabled successfully.');
    expect(on.code).toBe(0);
    expect(willEncrypt()).toBe(true);
    expect(device.requests.at(-1)).toMatchObject({ MessageName: 'ChangePassword', NewPassword: 'first-secret' });

    // The simulator has no encrypted data path yet: a backup is refused with a clear device error, nothing is sent.
    const refused = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(refused.stdout).toContain('cannot make encrypted backups');
    expect(receivedFiles(refused.stdout)).toBe(0);
    expect(refused.code).not.toBe(0);

    const wrong = await runTool(IDEVICEBACKUP2, ['changepw', 'not-it', 'second-secret', root], sim.env);
    expect(wrong.stdout).toContain('ErrorCode 207');
    expect(wrong.code).toBe(49);

    const changed = await runTool(IDEVICEBACKUP2, ['changepw', 'first-secret', 'second-secret', root], sim.env);
    expect(changed.stdout).toContain('Backup encryption password has been changed successfully.');
    expect(changed.code).toBe(0);
    expect(willEncrypt()).toBe(true);

    const offWrong = await runTool(IDEVICEBACKUP2, ['encryption', 'off', 'first-secret', root], sim.env);
    expect(offWrong.code).toBe(49);
    expect(willEncrypt()).toBe(true);

    const off = await runTool(IDEVICEBACKUP2, ['encryption', 'off', 'second-secret', root], sim.env);
    expect(off.stdout).toContain('Backup encryption has been disabled successfully.');
    expect(off.code).toBe(0);
    expect(willEncrypt()).toBe(false);
    const works = await runTool(IDEVICEBACKUP2, ['backup', root], sim.env, 60_000);
    expect(works.stdout).toContain('Backup Successful.');
  });

  it('cloud on / off store the device setting', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'empty' }] });
    const device = sim.device();
    const root = backupDir();
    const on = await runTool(IDEVICEBACKUP2, ['cloud', 'on', root], sim.env);
    expect(on.stdout).toContain('Cloud backup has been enabled successfully.');
    expect(on.code).toBe(0);
    expect(device.getValue('com.apple.mobile.backup', 'CloudBackupEnabled')).toBe(true);
    const off = await runTool(IDEVICEBACKUP2, ['cloud', 'off', root], sim.env);
    expect(off.stdout).toContain('Cloud backup has been disabled successfully.');
    expect(device.getValue('com.apple.mobile.backup', 'CloudBackupEnabled')).toBe(false);
    expect(device.requests.filter((r) => r.MessageName === 'EnableCloudBackup').map((r) => r.CloudBackupState)).toEqual([true, false]);
  });
});
