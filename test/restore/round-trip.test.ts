// Issue #6 acceptance: back up with our engine (or Debian's idevicebackup2), wipe the device, restore with our
// engine → the device holds identical files, and the backup folder is unchanged.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restore } from '../../src/backup/restore/index.js';
import type { RestoreEvent } from '../../src/backup/restore/index.js';
import { backup } from '../../src/backup/index.js';
import { runTool, startTestSimulator } from '../helpers/simulator.js';
import { backUp, fingerprint, simulatorWithRoot, type RestoreFixture } from './support.js';

let fx: RestoreFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** Every file below `dir` with its content hash and mtime (to prove the restore did not touch the backup). */
function treeState(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.set(p, `dir ${st.mtimeMs}`);
        walk(p);
      } else out.set(p, `${createHash('sha1').update(readFileSync(p)).digest('hex')} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

describe('restore round trip on the simulator', () => {
  it('our backup → wipe → our restore (system, no reboot) gives identical device files; the backup is untouched', async () => {
    fx = await simulatorWithRoot(11);
    const device = fx.sim.device();
    const before = await fingerprint(device.fs);
    await backUp(fx);
    const backupDir = join(fx.root, device.udid);
    const backupBefore = treeState(backupDir);

    await device.fs.wipe();
    expect(device.fs.entries()).toEqual([]);
    const events: RestoreEvent[] = [];
    const result = await restore({
      dir: fx.root,
      muxAddress: fx.sim.address,
      system: true,
      reboot: false,
      onEvent: (e) => events.push(e),
    });

    expect(await fingerprint(device.fs)).toEqual(before);
    expect(treeState(backupDir)).toEqual(backupBefore);
    const files = [...before.values()].filter((v) => (JSON.parse(v) as unknown[])[0] === 'file').length;
    // The device downloads Status/Manifest/Info plists and Manifest.db besides the data files.
    expect(result.filesSent).toBe(files + 4);
    expect(result).toMatchObject({ udid: device.udid, sourceUdid: device.udid, backupPath: backupDir, reboot: false, deviceBack: undefined });
    const phases = events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
    expect(phases).toEqual(['checking-backup', 'connecting', 'preparing-device', 'restoring', 'finishing', 'done']);
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e.percent] : []));
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ type: 'done', result });
  });

  it("a folder written by Debian's idevicebackup2 restores to identical device files", async () => {
    fx = await simulatorWithRoot(12);
    const device = fx.sim.device();
    const before = await fingerprint(device.fs);
    const r = await runTool('idevicebackup2', ['backup', fx.root], fx.sim.env, 60_000);
    expect(r.stdout).toContain('Backup Successful.');
    const backupBefore = treeState(join(fx.root, device.udid));

    await device.fs.wipe();
    const result = await restore({ backup: join(fx.root, device.udid), muxAddress: fx.sim.address, system: true, reboot: false });
    expect(await fingerprint(device.fs)).toEqual(before);
    expect(treeState(join(fx.root, device.udid))).toEqual(backupBefore);
    expect(result.sourceUdid).toBe(device.udid);
  });
});

describe("restore into a device that keeps hashes only (restoreContent 'hash', as the benchmark runs it)", () => {
  it('records for every restored file the size and SHA-1 of the bytes it had before the wipe', async () => {
    const sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 13, restoreContent: 'hash' }] });
    const root = mkdtempSync(join(tmpdir(), 'ibk-restore-hash-'));
    try {
      const device = sim.device();
      // One file of several read pieces (the host reads 1 MiB at a time through two reused buffers).
      const big = Buffer.alloc(5 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
      const template = device.fs.entries().find((e) => e.type === 'file' && e.domain === 'HomeDomain')!;
      await device.fs.put({ ...template, relativePath: 'Media/big-video.mov', size: big.length }, Readable.from([big]));
      const before = new Map<string, { size: number; sha1: string }>();
      for (const e of device.fs.entries()) {
        if (e.type !== 'file') continue;
        const h = createHash('sha1');
        for await (const c of device.fs.openRead(e)) h.update(c as Buffer);
        before.set(`${e.domain}/${e.relativePath}`, { size: e.size, sha1: h.digest('hex') });
      }
      expect(before.size).toBeGreaterThan(10);
      expect(before.get('HomeDomain/Media/big-video.mov')?.size).toBe(big.length);
      await backup({ dir: root, muxAddress: sim.address, fsync: false });
      await device.fs.wipe();
      await restore({ dir: root, muxAddress: sim.address, system: true, reboot: false });
      for (const [key, want] of before) {
        const [domain, ...rest] = key.split('/');
        const relativePath = rest.join('/');
        expect(device.fs.get(domain!, relativePath)?.size, key).toBe(want.size);
        expect(device.fs.contentId?.(domain!, relativePath), key).toBe(want.size === 0 ? 'empty' : `sha1:${want.sha1}`);
      }
    } finally {
      await sim.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
