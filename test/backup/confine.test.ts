import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfinedPathResolver } from '../../src/backup/confine.js';

const UDID = '00008120-001A2B3C4D5E0001';
let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'confine-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('ConfinedPathResolver', () => {
  it('maps device paths to the same paths join() gives, from absolute, relative and untidy roots', async () => {
    const roots = [join(tmp, 'stage'), `${join(tmp, 'stage')}/`, `${tmp}//stage/./`, relative(process.cwd(), join(tmp, 'stage'))];
    const paths = [`${UDID}/0a/0a9d88c7`, `${UDID}//0a/./0a9d88c7`, `${UDID}/Manifest.db`, `./${UDID}/Snapshot/9d/9d74`, `${UDID}/a/b/c/d`];
    for (const root of roots) {
      const resolver = new ConfinedPathResolver(root, [UDID]);
      for (const p of paths) {
        const segments = p.split('/').filter((s) => s !== '' && s !== '.').slice(1);
        expect(await resolver.resolve(p, 'write')).toBe(join(root, ...segments));
      }
      expect(await resolver.resolve(UDID, 'list')).toBe(join(root));
      expect(await resolver.resolve(`${UDID}/`, 'mkdir')).toBe(join(root));
    }
  });

  it('maps paths below the file system root without a doubled separator', async () => {
    const resolver = new ConfinedPathResolver('/', [UDID]);
    expect(await resolver.resolve(`${UDID}/tmp`, 'list')).toBe('/tmp');
  });

  it('refuses paths that leave the folder or are not the device’s', async () => {
    const resolver = new ConfinedPathResolver(join(tmp, 'stage'), [UDID]);
    const hostile: [string, string][] = [
      [`${UDID}/../../etc/passwd`, 'contains ".."'],
      [`${UDID}/0a/../../x`, 'contains ".."'],
      ['/etc/passwd', 'is absolute'],
      [`../${UDID}/x`, 'contains ".."'],
      [`OTHER/${UDID}/x`, 'not inside'],
      [`${UDID}\\..\\x`, 'backslash'],
      ['C:/x', 'drive letter'],
      [`${UDID}/C:/x`, 'colon'],
      [`${UDID}/a\0b\\c`, 'NUL byte'],
      ['', 'empty'],
    ];
    for (const [p, why] of hostile) {
      await expect(resolver.resolve(p, 'write'), p).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringContaining(why) });
    }
    await expect(resolver.resolve(UDID, 'write')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await expect(resolver.resolve(`${UDID}/.`, 'remove')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('refuses a parent folder that is a symlink out of the folder, and allows one that stays inside', async () => {
    const stage = join(tmp, 'stage');
    await mkdir(join(stage, 'inside'), { recursive: true });
    await mkdir(join(tmp, 'outside'));
    await symlink(join(tmp, 'outside'), join(stage, 'out'));
    await symlink(join(stage, 'inside'), join(stage, 'in'));
    const resolver = new ConfinedPathResolver(stage, [UDID]);
    await expect(resolver.resolve(`${UDID}/out/passwd`, 'write')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(await resolver.resolve(`${UDID}/in/file`, 'write')).toBe(join(stage, 'in', 'file'));
    // The link itself may be replaced or removed, but not followed.
    expect(await resolver.resolve(`${UDID}/out`, 'remove')).toBe(join(stage, 'out'));
    await expect(resolver.resolve(`${UDID}/out`, 'list')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    // A symlink's target is checked on every use, not once: pointed elsewhere, it is refused at once.
    await rm(join(stage, 'in'));
    await symlink(join(tmp, 'outside'), join(stage, 'in'));
    await expect(resolver.resolve(`${UDID}/in/file`, 'write')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('checks a folder again after forget(), so a folder replaced by a symlink is caught', async () => {
    const stage = join(tmp, 'stage');
    await mkdir(join(stage, 'd'), { recursive: true });
    await mkdir(join(tmp, 'outside'));
    const resolver = new ConfinedPathResolver(stage, [UDID]);
    expect(await resolver.resolve(`${UDID}/d/f`, 'write')).toBe(join(stage, 'd', 'f'));
    await rm(join(stage, 'd'), { recursive: true });
    await symlink(join(tmp, 'outside'), join(stage, 'd'));
    resolver.forget();
    await expect(resolver.resolve(`${UDID}/d/f`, 'write')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });
});
