// A backup over an encrypted mobilebackup2 connection (the device asks for EnableServiceSSL): every byte of file
// data is decrypted by the host, read into one reused buffer where this Node allows it (enableDirectReadsOnTls),
// and large files are written with direct I/O. The backup must still hold every file exactly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/backup/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { expectBackupOf } from '../interop/idevicebackup2-support.js';

let sim: TestSimulator;
let root: string;

/** Bytes that differ at every offset of a 16 KiB TLS record and of a 1 MiB block (a misplaced piece shows). */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed + (i >> 14) * 7 + (i >> 20) * 13) & 0xff;
  return b;
}

beforeAll(async () => {
  sim = await startTestSimulator({ devices: [{ dataset: 'tiny', sessionSSL: true, serviceSSL: { 'com.apple.mobilebackup2': true } }] });
  root = await mkdtemp(join(tmpdir(), 'ibk-tls-backup-'));
  const fs = sim.device().fs;
  const base = { type: 'file' as const, mode: 0o644, mtime: 1_700_000_000, ctime: 1_700_000_000, birth: 1_700_000_000, uid: 501, gid: 501, protectionClass: 3 };
  // Large files (streamed, direct I/O) of odd sizes, and one just over the small-file limit.
  const sizes = [5 * 1024 * 1024 + 4099, 3 * 1024 * 1024, 512 * 1024 + 1];
  for (const [i, size] of sizes.entries()) {
    await fs.put({ ...base, domain: 'CameraRollDomain', relativePath: `Media/DCIM/100APPLE/IMG_90${i}.MOV`, size, inode: 900_000 + i }, Readable.from([pattern(size, i)]));
  }
});
afterAll(async () => {
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('backup over service TLS', () => {
  it('stores every file exactly when all file data arrives encrypted', async () => {
    const udid = sim.device().udid;
    const result = await backup({ dir: root, muxAddress: sim.address, fsync: false, progressIntervalMs: 0 });
    expect(result).toMatchObject({ udid, full: true, filesFailed: 0 });
    expect(result.bytesReceived).toBeGreaterThan(8 * 1024 * 1024);
    await expectBackupOf(root, udid, sim.device(udid).fs);
    // the simulator follows the client's order: the host's first choice (src/lockdown/tls.ts)
    expect(sim.device(udid).serviceTlsSuites.get('com.apple.mobilebackup2')).toBe('TLS_AES_128_GCM_SHA256');
  });
});
