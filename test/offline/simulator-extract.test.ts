// The offline toolkit on a backup written by a third party: Debian's idevicebackup2 backs up the simulated
// iPhone, then openBackup/extract/verify must reproduce the simulated device's tree exactly.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackup } from '../../src/backup/reader/open-backup.js';
import { runTool, startTestSimulator } from '../helpers/simulator.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function sha1(s: Readable): Promise<string> {
  const h = createHash('sha1');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
}

describe('offline toolkit on an idevicebackup2 backup of the simulator', () => {
  it('lists, verifies and extracts the simulated device tree exactly', async () => {
    const sim = await startTestSimulator({ devices: [{ dataset: 'tiny', seed: 5 }] });
    try {
      const root = mkdtempSync(join(tmpdir(), 'ibk-offline-sim-'));
      dirs.push(root);
      const r = await runTool('idevicebackup2', ['backup', root], sim.env, 60_000);
      expect(r.stdout).toContain('Backup Successful.');
      const device = sim.device();
      const want = device.fs.entries();

      const backup = await openBackup(join(root, device.udid));
      expect(backup.udid).toBe(device.udid);
      expect(backup.isComplete).toBe(true);
      expect(backup.isEncrypted).toBe(false);
      const report = await backup.verify();
      expect(report.problems).toEqual([]);
      expect(report.counts.files).toBe(want.filter((e) => e.type === 'file').length);

      const listed = new Map<string, { type: string; size: number; mode: number; mtime: number; target?: string }>();
      for await (const e of backup.files()) listed.set(`${e.domain}/${e.relativePath}`, e);
      for (const w of want) {
        const e = listed.get(`${w.domain}/${w.relativePath}`);
        expect(e, `${w.domain}/${w.relativePath}`).toBeDefined();
        expect({ type: e!.type, size: e!.size, mode: e!.mode, mtime: e!.mtime, target: e!.target }).toEqual({
          type: w.type,
          size: w.type === 'file' ? w.size : 0,
          mode: w.mode,
          mtime: w.mtime,
          target: w.type === 'symlink' ? w.target : undefined,
        });
      }
      expect(listed.size).toBe(want.length);

      const out = join(root, 'extracted');
      const result = await backup.extract(out);
      expect(result.files + result.dirs + result.symlinks).toBe(want.length);
      for (const w of want) {
        const p = join(out, w.domain, w.relativePath);
        const st = lstatSync(p);
        expect(Math.floor(st.mtimeMs / 1000), p).toBe(w.mtime);
        if (w.type === 'symlink') {
          expect(st.isSymbolicLink(), p).toBe(true);
          expect(readlinkSync(p)).toBe(w.target);
          continue;
        }
        expect(st.mode & 0o777, p).toBe(w.mode & 0o777);
        if (w.type === 'dir') expect(st.isDirectory(), p).toBe(true);
        else {
          expect(st.isFile(), p).toBe(true);
          expect(await sha1(createReadStream(p)), p).toBe(await sha1(device.fs.openRead(w)));
        }
      }
    } finally {
      await sim.stop();
    }
  }, 120_000);
});
