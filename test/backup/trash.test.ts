import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { emptyTrash, trashFiles } from '../../src/backup/trash.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';

let root: string;
const newRoot = tempDirsPerTest('ibackup-trash-');
beforeEach(() => {
  root = newRoot();
});

async function file(name: string, bytes: number): Promise<string> {
  const p = join(root, name);
  await writeFile(p, Buffer.alloc(bytes, 7));
  return p;
}

describe('the trash', () => {
  it('takes files by rename up to its byte limit, then deletes them at once', async () => {
    const trash = join(root, '.ibackup-trash-X');
    const remove = trashFiles(trash, 10);
    const a = await file('a', 6);
    const inoA = lstatSync(a).ino;
    const b = await file('b', 6);
    remove(a);
    remove(b);
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
    const kept = await readdir(trash);
    expect(kept).toHaveLength(1); // b did not fit: deleted
    expect(lstatSync(join(trash, kept[0]!)).ino).toBe(inoA);
    await emptyTrash(trash);
    expect(existsSync(trash)).toBe(false);
    await emptyTrash(trash); // nothing there: fine
  });

  it('never writes through a planted symlink, and emptying one removes the link only', async () => {
    const outside = join(root, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'keep'), 'not ours');
    const trash = join(root, '.ibackup-trash-X');
    await symlink(outside, trash);
    const a = await file('a', 6);
    trashFiles(trash)(a);
    expect(existsSync(a)).toBe(false); // deleted instead
    expect(await readdir(outside)).toEqual(['keep']);
    await emptyTrash(trash);
    expect(existsSync(trash)).toBe(false);
    expect(await readFile(join(outside, 'keep'), 'utf8')).toBe('not ours');
  });

  it('a trash left with files by an earlier run takes more without replacing them, and is emptied whole', async () => {
    const trash = join(root, '.ibackup-trash-X');
    trashFiles(trash)(await file('a', 3));
    trashFiles(trash)(await file('b', 3)); // another run: its own names
    expect(await readdir(trash)).toHaveLength(2);
    await mkdir(join(trash, 'odd-folder')); // never made by the engine: still removed
    await emptyTrash(trash);
    expect(await readdir(root)).toEqual([]);
  });
});
