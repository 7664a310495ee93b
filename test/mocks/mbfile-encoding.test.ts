// The direct MBFile encoder must write exactly what the generic plist encoder writes, or step aside.
import { describe, expect, it } from 'vitest';
import {
  decodeMBFile,
  decodeMBFileDirect,
  encodeMBFile,
  encodeMBFileDirect,
  encodeMBFileGeneric,
  type MBFileRecord,
} from '../../mocks/manifest/mbfile.js';
import { SeededRandom } from '../../mocks/datasets/rng.js';

function record(over: Partial<MBFileRecord> = {}): MBFileRecord {
  return {
    relativePath: 'Library/Preferences/com.apple.example.plist',
    size: 4096,
    mode: 0o100644,
    lastModified: 1_699_000_000,
    lastStatusChange: 1_699_000_100,
    birth: 1_698_000_000,
    userId: 501,
    groupId: 501,
    inode: 123_456,
    protectionClass: 3,
    flags: 0,
    ...over,
  };
}

describe('encodeMBFile', () => {
  it('writes the generic encoder’s bytes for integers of every width and paths of every length', () => {
    const rng = new SeededRandom(7);
    const widths = [0, 1, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff];
    const pathLengths = [0, 1, 14, 15, 16, 200, 255, 256, 300, 4000, 70_000];
    let direct = 0;
    for (let i = 0; i < 400; i++) {
      const pick = () => (rng.int(0, 3) === 0 ? widths[rng.int(0, widths.length - 1)]! : rng.int(0, 0xffffffff));
      const len = pathLengths[i % pathLengths.length]!;
      const relativePath = Array.from({ length: len }, () => String.fromCharCode(rng.int(0x20, 0x7e))).join('');
      const r = record({ relativePath, size: pick(), mode: pick(), lastModified: pick(), lastStatusChange: pick(), birth: pick(), userId: pick(), groupId: pick(), inode: pick(), protectionClass: pick(), flags: pick() });
      const fast = encodeMBFileDirect(r);
      expect(fast, relativePath).toBeDefined();
      expect(fast!.equals(encodeMBFileGeneric(r)), `record ${i}`).toBe(true);
      expect(decodeMBFile(fast!)).toEqual(r);
      expect(decodeMBFileDirect(fast!)).toEqual(r);
      direct++;
    }
    expect(direct).toBe(400);
  });

  it('leaves records it cannot write exactly to the generic encoder', () => {
    const odd: MBFileRecord[] = [
      record({ target: '../elsewhere' }),
      record({ relativePath: 'Fotos/Å.jpg' }),
      record({ relativePath: 'MBFile' }),
      record({ relativePath: 'Size' }),
      record({ relativePath: '$null' }),
      record({ size: 2 ** 32 }),
      record({ lastModified: -1 }),
      record({ birth: 1.5 }),
    ];
    for (const r of odd) {
      expect(encodeMBFileDirect(r)).toBeUndefined();
      expect(encodeMBFile(r).equals(encodeMBFileGeneric(r))).toBe(true);
      expect(decodeMBFile(encodeMBFile(r))).toEqual(r);
      expect(decodeMBFileDirect(encodeMBFile(r))).toBeUndefined();
    }
  });
});

describe('decodeMBFileDirect', () => {
  it('reads what decodeMBFile reads, or steps aside: flipped bytes and cut archives', () => {
    const rng = new SeededRandom(11);
    let direct = 0;
    let aside = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(encodeMBFileDirect(record({ relativePath: `Media/DCIM/IMG_${i}.JPG`, size: rng.int(0, 0xffffffff) }))!);
      const damaged = i % 4 === 0 ? bytes.subarray(0, rng.int(0, bytes.length - 1)) : bytes;
      if (i % 4 !== 0) {
        const at = rng.int(0, damaged.length - 1);
        damaged[at] = (damaged[at] ?? 0) ^ (1 << rng.int(0, 7));
      }
      const fast = decodeMBFileDirect(damaged);
      let slow: MBFileRecord | undefined;
      try {
        slow = decodeMBFile(damaged);
      } catch {
        slow = undefined;
      }
      if (fast === undefined) aside++;
      else {
        expect(fast, `archive ${i}`).toEqual(slow);
        direct++;
      }
    }
    // a flipped bit inside an integer or the path still makes a valid archive the direct decoder reads
    expect(direct).toBeGreaterThan(0);
    expect(aside).toBeGreaterThan(500);
  });
});
