// Issue #6 acceptance: every restore option reaches the device as the matching Restore key; RestoreApplications.plist
// is written over AFC unless skip-apps; a restore with reboot reports the reboot and waits for the device.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePlist, type PlistDict } from '../../protocols/index.js';
import { backup } from '../../src/backup/index.js';
import { restore, type RestoreEvent } from '../../src/backup/restore/index.js';
import { readPlistDictFile } from '../../src/backup/reader/plist-file.js';
import { setRootLogger } from '../../src/log.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { backUp, fingerprint, simulatorWithRoot, type RestoreFixture } from './support.js';

let fx: RestoreFixture | undefined;
let sim2: TestSimulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  await sim2?.stop();
  sim2 = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lastRestoreRequest(requests: readonly PlistDict[]): PlistDict | undefined {
  return requests.filter((r) => r.MessageName === 'Restore').at(-1);
}

describe('restore options on the wire', () => {
  it('system, no-reboot, copy, settings, remove and password become the matching Options keys (password never logged)', async () => {
    fx = await simulatorWithRoot(21);
    const device = fx.sim.device();
    await backUp(fx);

    const logged: string[] = [];
    setRootLogger(
      pino(
        { level: 'trace', base: undefined },
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            logged.push(chunk.toString('utf8'));
            cb();
          },
        }),
      ),
    );
    try {
      await restore({ dir: fx.root, muxAddress: fx.sim.address, system: true, reboot: false, copy: true, settings: true, remove: true, password: 'S3cret-pw!' });
    } finally {
      setRootLogger(pino({ level: 'silent' }));
    }
    const req = lastRestoreRequest(device.requests);
    expect(req).toMatchObject({ TargetIdentifier: device.udid, SourceIdentifier: device.udid });
    expect(req?.Options).toEqual({
      RestoreSystemFiles: true,
      RestoreShouldReboot: false,
      RestorePreserveSettings: false,
      RemoveItemsNotRestored: true,
      Password: 'S3cret-pw!',
    });
    expect(logged.join('')).toContain('Restore request');
    expect(logged.join('')).not.toContain('S3cret-pw!');
    expect(logged.join('')).toContain('"Password":"(hidden)"');

    await restore({ dir: fx.root, muxAddress: fx.sim.address, reboot: false, skipApps: true });
    expect(lastRestoreRequest(device.requests)?.Options).toEqual({
      RestoreSystemFiles: false,
      RestoreShouldReboot: false,
      RestoreDontCopyBackup: true,
      RestorePreserveSettings: true,
    });
  });

  it('writes RestoreApplications.plist (Info.plist Applications as XML) over AFC, and not with skipApps', async () => {
    fx = await simulatorWithRoot(22);
    const device = fx.sim.device();
    await backUp(fx);
    const info = await readPlistDictFile(join(fx.root, device.udid, 'Info.plist'));
    const apps = info?.Applications as PlistDict;
    expect(Object.keys(apps).length).toBeGreaterThan(0);

    await restore({ dir: fx.root, muxAddress: fx.sim.address, reboot: false, skipApps: true });
    expect(device.afc.lookup('/iTunesRestore/RestoreApplications.plist')).toBeUndefined();

    const events: RestoreEvent[] = [];
    const result = await restore({ dir: fx.root, muxAddress: fx.sim.address, reboot: false, onEvent: (e) => events.push(e) });
    const node = device.afc.lookup('/iTunesRestore/RestoreApplications.plist');
    expect(node?.type).toBe('file');
    expect(node!.data.subarray(0, 5).toString()).toBe('<?xml');
    expect(decodePlist(node!.data)).toEqual(apps);
    expect(result.applicationsWritten).toBe(Object.keys(apps).length);
    expect(events).toContainEqual({ type: 'applications-written', path: '/iTunesRestore/RestoreApplications.plist', applications: Object.keys(apps).length });
  });

  it("sourceUdid restores another device's backup (SourceIdentifier) onto the connected device", async () => {
    sim2 = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 31 }, { dataset: 'tiny', seed: 32 }] });
    const root = mkdtempSync(join(tmpdir(), 'ibk-restore-src-'));
    dirs.push(root);
    const [a, b] = [sim2.devices[0]!, sim2.devices[1]!];
    await backup({ udid: a.udid, dir: root, muxAddress: sim2.address, fsync: false });
    const aFiles = await fingerprint(a.fs);
    expect(await fingerprint(b.fs)).not.toEqual(aFiles);

    await b.fs.wipe();
    const result = await restore({ udid: b.udid, sourceUdid: a.udid, dir: root, muxAddress: sim2.address, system: true, reboot: false });
    expect(result).toMatchObject({ udid: b.udid, sourceUdid: a.udid });
    expect(lastRestoreRequest(b.requests)).toMatchObject({ TargetIdentifier: b.udid, SourceIdentifier: a.udid });
    expect(await fingerprint(b.fs)).toEqual(aFiles);
  });

  it('with reboot (the default): reports the reboot, waits for the device to detach and come back', async () => {
    fx = await simulatorWithRoot(23);
    const device = fx.sim.device();
    await backUp(fx);
    const detached: number[] = [];
    device.on('detached', () => detached.push(Date.now()));

    const events: RestoreEvent[] = [];
    const result = await restore({ dir: fx.root, muxAddress: fx.sim.address, onEvent: (e) => events.push(e) });
    expect(lastRestoreRequest(device.requests)?.Options).not.toHaveProperty('RestoreShouldReboot');
    expect(detached).toHaveLength(1);
    expect(device.attached).toBe(true);
    expect(result).toMatchObject({ reboot: true, deviceBack: true });
    const reboot = events.flatMap((e) => (e.type === 'reboot' ? [e.state] : []));
    expect(reboot).toEqual(['requested', 'detached', 'back']);
    const phases = events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
    expect(phases.slice(-2)).toEqual(['rebooting', 'done']);
  });

  it('the reboot wait is bounded and abortable; the restore still succeeds', async () => {
    fx = await simulatorWithRoot(24);
    const device = fx.sim.device();
    await backUp(fx);
    // The simulated device stays away: reboot() never re-attaches within the wait.
    const origReboot = device.reboot.bind(device);
    device.reboot = () => origReboot(60_000);

    let t = Date.now();
    const timedOut = await restore({ dir: fx.root, muxAddress: fx.sim.address, rebootTimeoutMs: 400 });
    expect(timedOut).toMatchObject({ reboot: true, deviceBack: false });
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(device.attached).toBe(false);

    device.reboot = origReboot;
    origReboot(10); // bring it back for the next restore
    await new Promise((r) => setTimeout(r, 100));
    device.reboot = () => origReboot(60_000);
    const ac = new AbortController();
    const events: RestoreEvent[] = [];
    t = Date.now();
    const aborted = await restore({
      dir: fx.root,
      muxAddress: fx.sim.address,
      signal: ac.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'reboot' && e.state === 'detached') ac.abort();
      },
    });
    expect(aborted).toMatchObject({ reboot: true, deviceBack: false });
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(events.filter((e) => e.type === 'reboot').map((e) => (e as { state: string }).state)).toEqual(['requested', 'detached', 'timeout']);
  });
});
