// Issue #6 acceptance: a restore refuses unusable backups with typed errors before touching the device, and a
// restore that fails on the device removes RestoreApplications.plist (and /iTunesRestore) again.
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { readPlistDictFile } from '../../src/backup/reader/plist-file.js';
import { restore, type RestoreEvent } from '../../src/backup/restore/index.js';
import { backUp, fingerprint, simulatorWithRoot, type RestoreFixture } from './support.js';

let fx: RestoreFixture;
let udid: string;
const copies: string[] = [];
beforeAll(async () => {
  fx = await simulatorWithRoot(41);
  udid = fx.sim.device().udid;
  await backUp(fx);
});
afterAll(async () => {
  await fx.cleanup();
});
afterEach(() => {
  for (const d of copies.splice(0)) rmSync(d, { recursive: true, force: true });
  fx.sim.device().faults = {};
});

/** A copy of the good backup as `<tmp>/<UDID>`, changed by `change`. */
async function variant(change: (dir: string) => Promise<void> | void): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'ibk-restore-bad-'));
  copies.push(root);
  const dir = join(root, udid);
  cpSync(join(fx.root, udid), dir, { recursive: true });
  await change(dir);
  return dir;
}

async function editPlist(path: string, edit: (d: Record<string, unknown>) => void): Promise<void> {
  const d = (await readPlistDictFile(path))!;
  edit(d as Record<string, unknown>);
  writeFileSync(path, encodePlist(d, 'binary'));
}

/** A usbmuxd address where nothing listens: any device traffic would fail with a connection error instead. */
const NOWHERE = `UNIX:${join(tmpdir(), 'ibk-no-such-usbmuxd.sock')}`;

describe('restore refuses unusable backups before touching the device', () => {
  it.each([
    ['Status.plist SnapshotState "uploading"', 'RESTORE_BACKUP_INCOMPLETE', (d: string) => editPlist(join(d, 'Status.plist'), (s) => (s.SnapshotState = 'uploading'))],
    ['no Status.plist', 'RESTORE_BACKUP_INCOMPLETE', (d: string) => unlinkSync(join(d, 'Status.plist'))],
    ['no Info.plist', 'RESTORE_BACKUP_INVALID', (d: string) => unlinkSync(join(d, 'Info.plist'))],
    ['a damaged Manifest.plist', 'RESTORE_BACKUP_INVALID', (d: string) => writeFileSync(join(d, 'Manifest.plist'), 'bplist00 garbage')],
    ['encrypted, no password', 'RESTORE_PASSWORD_REQUIRED', (d: string) => editPlist(join(d, 'Manifest.plist'), (m) => (m.IsEncrypted = true))],
  ])('%s → %s', async (_what, code, change) => {
    const dir = await variant(change);
    const before = fx.sim.device().requests.length;
    const err = await restore({ backup: dir, muxAddress: NOWHERE }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as { hint?: string }).hint).toBeTruthy();
    // The same refusal against the live simulator: no mobilebackup2 request reached it.
    const err2 = await restore({ backup: dir, muxAddress: fx.sim.address }).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code });
    expect(fx.sim.device().requests.length).toBe(before);
  });

  it('an encrypted backup with a password is sent to the device (which decides)', async () => {
    const dir = await variant((d) => editPlist(join(d, 'Manifest.plist'), (m) => (m.IsEncrypted = true)));
    const err = await restore({ backup: dir, muxAddress: fx.sim.address, password: 'pw', reboot: false }).catch((e: unknown) => e);
    // The simulated device cannot decrypt and answers 207 like a device given a wrong password.
    expect(err).toMatchObject({ code: 'WRONG_PASSWORD', deviceErrorCode: 207 });
    expect(fx.sim.device().requests.at(-1)).toMatchObject({ MessageName: 'Restore', Options: { Password: 'pw' } });
  });

  it('a missing backup folder is BACKUP_NOT_FOUND', async () => {
    const err = await restore({ dir: fx.root, sourceUdid: '0000000000000000000000000000000000000000', muxAddress: NOWHERE }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });
});

describe('restore failing on the device', () => {
  it('removes RestoreApplications.plist and /iTunesRestore again (device error 205), with a typed error', async () => {
    const device = fx.sim.device();
    const filesBefore = await fingerprint(device.fs);
    device.faults.mbError = 205;
    let presentWhenWritten = false;
    const events: RestoreEvent[] = [];
    const err = await restore({
      dir: fx.root,
      muxAddress: fx.sim.address,
      reboot: false,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'applications-written') presentWhenWritten = device.afc.lookup('/iTunesRestore/RestoreApplications.plist')?.type === 'file';
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RESTORE_BACKUP_UNREADABLE', deviceErrorCode: 205 });
    expect(presentWhenWritten).toBe(true);
    expect(device.requests.at(-1)).toMatchObject({ MessageName: 'Restore' });
    expect(device.afc.lookup('/iTunesRestore/RestoreApplications.plist')).toBeUndefined();
    expect(device.afc.lookup('/iTunesRestore')).toBeUndefined();
    expect(events.map((e) => e.type)).toContain('applications-removed');
    expect(events.map((e) => e.type)).not.toContain('done');
    expect(await fingerprint(device.fs)).toEqual(filesBefore);
  });

  it('a device that runs out of space gives NOT_ENOUGH_SPACE; the sync lock is released for the next restore', async () => {
    const device = fx.sim.device();
    device.faults.diskFull = true;
    const err = await restore({ dir: fx.root, muxAddress: fx.sim.address, reboot: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_ENOUGH_SPACE' });
    device.faults = {};
    const ok = await restore({ dir: fx.root, muxAddress: fx.sim.address, reboot: false, syncLockTimeoutMs: 1000 });
    expect(ok.udid).toBe(device.udid);
  });
});
