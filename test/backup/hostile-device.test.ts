// Issue #5 acceptance: a simulated device that sends `../` or absolute paths gets a typed error, and nothing is
// written outside the backup folder; the previous backup stays as it was and the next backup works.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/backup/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { folderSnapshot } from './backup-helpers.js';

let sim: TestSimulator;
let outer: string;
let root: string;

beforeAll(async () => {
  sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 3 }] });
  // <outer>/backups is the backup folder; <outer> is where an escaping path would land.
  outer = await mkdtemp(join(tmpdir(), 'ibk-hostile-'));
  root = join(outer, 'backups');
  await mkdir(root);
});
afterAll(async () => {
  await sim?.stop();
  await rm(outer, { recursive: true, force: true });
});

const run = () => backup({ dir: root, muxAddress: sim.address, fsync: false, progressIntervalMs: 0 });

describe('a device that sends paths outside its backup folder', () => {
  const udid = () => sim.devices[0]!.udid;
  const absolute = () => join(outer, 'absolute-escape.txt');
  const cases: [string, () => string, () => string][] = [
    ['../ out of the backup root', () => `${udid()}/../../escape.txt`, () => join(outer, 'escape.txt')],
    ['../ into a sibling device folder', () => `${udid()}/../OTHER-DEVICE/Status.plist`, () => join(root, 'OTHER-DEVICE')],
    ['an absolute path', absolute, absolute],
  ];

  it('first makes a good backup to compare against', async () => {
    const r = await run();
    expect(r.full).toBe(true);
  });

  for (const [what, hostPath, landing] of cases) {
    it(`${what}: typed UNSAFE_PATH error, nothing written outside, previous backup intact`, async () => {
      const before = await folderSnapshot(join(root, udid()));
      const outerBefore = (await readdir(outer)).sort();
      sim.device().faults.hostilePath = hostPath();
      try {
        await expect(run()).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
      } finally {
        sim.device().faults.hostilePath = undefined;
      }
      expect(existsSync(landing())).toBe(false);
      expect((await readdir(outer)).sort()).toEqual(outerBefore);
      expect((await readdir(root)).filter((n) => !n.startsWith('.'))).toEqual([udid()]);
      expect(await folderSnapshot(join(root, udid()))).toEqual(before);
    });
  }

  it('the next backup after the refusals succeeds', async () => {
    const r = await run();
    expect(r.filesReceived).toBeGreaterThan(0);
  });
});
