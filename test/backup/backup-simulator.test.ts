import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutate } from '../../mocks/index.js';
import { encodePlist } from '../../protocols/index.js';
import { backup, BackupStaging, type BackupEvent } from '../../src/backup/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { expectBackupOf } from '../interop/idevicebackup2-support.js';
import { dataFileEvents, expectRootHolds, folderSnapshot } from './backup-helpers.js';

let sim: TestSimulator;
let root: string;
let udid: string;

beforeAll(async () => {
  sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
  udid = sim.devices[0]!.udid;
  root = await mkdtemp(join(tmpdir(), 'ibk-backup-'));
});
afterAll(async () => {
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

async function run(opts: { full?: boolean; signal?: AbortSignal; onEvent?: (e: BackupEvent) => void } = {}) {
  const events: BackupEvent[] = [];
  const result = await backup({
    dir: root,
    muxAddress: sim.address,
    fsync: false,
    progressIntervalMs: 0,
    ...opts,
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
  });
  return { result, events };
}

function files(events: BackupEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'file' ? [e.devicePath] : []));
}

/** Only the backup folder (and its spare, an exact mirror) remains in the root: no staging, previous or lock. */
async function expectCleanRoot(): Promise<void> {
  expectRootHolds(root, udid);
}

describe('backup against the simulated iPhone', () => {
  it('makes a complete full backup with monotonic progress, phases in order and a typed result', async () => {
    const { result, events } = await run();
    expect(result).toMatchObject({ udid, sourceUdid: udid, path: join(root, udid), full: true, filesFailed: 0, encrypted: false });
    expect(result.filesReceived).toBeGreaterThan(10);
    await expectBackupOf(root, udid, sim.device(udid).fs);
    await expectCleanRoot();
    const percents = events.flatMap((e) => (e.type === 'progress' ? [e.percent] : []));
    expect(percents.length).toBeGreaterThan(2);
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThanOrEqual(percents[i - 1]!);
    expect(percents.at(-1)).toBe(100);
    const phases = events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
    expect(phases.indexOf('backing-up')).toBeGreaterThan(phases.indexOf('collecting-info'));
    expect(phases.at(-1)).toBe('done');
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { udid } });
    const req = sim.device(udid).requests.filter((r) => r.MessageName === 'Backup').at(-1);
    expect(req).toMatchObject({ TargetIdentifier: udid, SourceIdentifier: udid });
    expect(req?.Options).toBeUndefined();
  });

  it('backs up incrementally: after mutating files only those are transferred, and the folder matches again', async () => {
    const fs = sim.device(udid).fs;
    const m = await mutate(fs, { seed: 7, modify: 3, add: 2, remove: 1 });
    const { result, events } = await run();
    expect(result.full).toBe(false);
    const transferred = dataFileEvents(files(events));
    expect(transferred).toHaveLength(m.modified.length + m.added.filter((e) => e.type === 'file').length);
    await expectBackupOf(root, udid, fs);
    await expectCleanRoot();
  });

  it('--full transfers every file again', async () => {
    const fs = sim.device(udid).fs;
    const { result, events } = await run({ full: true });
    expect(result.full).toBe(true);
    expect(dataFileEvents(files(events))).toHaveLength(fs.entries().filter((e) => e.type === 'file').length);
    const req = sim.device(udid).requests.filter((r) => r.MessageName === 'Backup').at(-1);
    expect(req?.Options).toEqual({ ForceFullBackup: true });
    await expectBackupOf(root, udid, fs);
  });

  describe('interruptions leave the previous backup byte-identical and the next backup works', () => {
    for (const n of [100, 5_000, 200_000, 900_000]) {
      it(`connection dropped after ${n} bytes`, async () => {
        await mutate(sim.device(udid).fs, { seed: 100 + n, modify: 2, add: 1 });
        const before = await folderSnapshot(join(root, udid));
        sim.device(udid).faults.dropAfterBytes = n;
        try {
          await expect(run({ full: true })).rejects.toMatchObject({ code: expect.stringMatching(/DEVICE_DISCONNECTED|DL_|STREAM/) });
        } finally {
          sim.device(udid).faults.dropAfterBytes = undefined;
        }
        expect(await folderSnapshot(join(root, udid))).toEqual(before);
        await expectCleanRoot();
        await run();
        await expectBackupOf(root, udid, sim.device(udid).fs);
      });
    }

    it('abort signal in the middle of the transfer', async () => {
      await mutate(sim.device(udid).fs, { seed: 11, modify: 2 });
      const before = await folderSnapshot(join(root, udid));
      const ac = new AbortController();
      let seen = 0;
      await expect(
        run({
          full: true,
          signal: ac.signal,
          onEvent: (e) => {
            if (e.type === 'file' && ++seen === 5) ac.abort(new Error('Ctrl-C'));
          },
        }),
      ).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(seen).toBeGreaterThanOrEqual(5);
      expect(await folderSnapshot(join(root, udid))).toEqual(before);
      await expectCleanRoot();
      await run();
      await expectBackupOf(root, udid, sim.device(udid).fs);
    });

    it('device error 208 (locked) becomes DEVICE_LOCKED with a passcode hint', async () => {
      const before = await folderSnapshot(join(root, udid));
      sim.device(udid).faults.mbError = 208;
      try {
        const err = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'DEVICE_LOCKED', hint: expect.stringContaining('passcode') });
        expect(String((err as Error).message)).toContain('208');
      } finally {
        sim.device(udid).faults.mbError = undefined;
      }
      expect(await folderSnapshot(join(root, udid))).toEqual(before);
      await expectCleanRoot();
      await run();
      await expectBackupOf(root, udid, sim.device(udid).fs);
    });

    it('passcode prompt: a passcode-required event, then 208 when nobody enters it', async () => {
      sim.device(udid).faults.passcodeTimeoutMs = 300;
      const events: BackupEvent[] = [];
      try {
        await expect(run({ onEvent: (e) => events.push(e) })).rejects.toMatchObject({ code: 'DEVICE_LOCKED' });
      } finally {
        sim.device(udid).faults.passcodeTimeoutMs = undefined;
      }
      expect(events.some((e) => e.type === 'passcode-required')).toBe(true);
      expect(existsSync(join(root, udid, 'Status.plist'))).toBe(true);
      await expectCleanRoot();
    });
  });
});

describe('--source', () => {
  it('stores the backup under the source UDID folder and sends it as SourceIdentifier', async () => {
    const source = '00008120-00AAAAAAAAAAAAAA';
    const dir = await mkdtemp(join(tmpdir(), 'ibk-source-'));
    try {
      const result = await backup({ dir, muxAddress: sim.address, sourceUdid: source, fsync: false });
      expect(result).toMatchObject({ udid, sourceUdid: source, path: join(dir, source) });
      expect(await readdir(dir)).toEqual([source]);
      expect(sim.device(udid).requests.at(-1)).toMatchObject({ MessageName: 'Backup', TargetIdentifier: udid, SourceIdentifier: source });
      await expect(backup({ dir, muxAddress: sim.address, sourceUdid: '../escape' })).rejects.toMatchObject({ code: 'INVALID_UDID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the staging folder is made while the services start', () => {
  it('a second backup of the same folder is refused before any service is started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ibk-locked-'));
    const held = await (await BackupStaging.start({ root: dir, folder: udid })).ready;
    try {
      const before = sim.device(udid).requests.length;
      await expect(backup({ dir, muxAddress: sim.address, fsync: false })).rejects.toMatchObject({ code: 'BACKUP_IN_PROGRESS' });
      expect(sim.device(udid).requests.length).toBe(before); // no mobilebackup2 message was sent
    } finally {
      await held.discard();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a staging folder that cannot be made is reported as such (not as a cancellation); the backup is untouched', async () => {
    // A complete backup holding a file whose path fits in PATH_MAX (4096) but not once under the longer staging name.
    const dir = await mkdtemp(join(tmpdir(), 'ibk-deep-'));
    try {
      const current = join(dir, udid);
      let deep = current;
      while (4090 - deep.length - 1 > 255) deep = join(deep, 'd'.repeat(200)); // leaves 55–255 characters for the name
      const name = 'f'.repeat(4090 - deep.length - 1);
      await mkdir(deep, { recursive: true });
      await writeFile(join(deep, name), 'kept');
      await writeFile(join(current, 'Status.plist'), encodePlist({ SnapshotState: 'finished', Version: '3.3' }, 'binary'));
      expect(join(deep, name)).toHaveLength(4090);
      const before = await folderSnapshot(current);

      const err = await backup({ dir, muxAddress: sim.address, fsync: false }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BACKUP_IO_ERROR', message: expect.stringMatching(/ENAMETOOLONG/) });
      expect(await readdir(dir)).toEqual([udid]); // no staging folder, no lock left
      expect(await folderSnapshot(current)).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
