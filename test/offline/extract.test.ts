import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackup } from '../../src/backup/reader/open-backup.js';
import { safeSegments } from '../../src/backup/reader/safe-path.js';
import type { BackupEntry } from '../../src/backup/reader/types.js';
import { makeBackupFixture, sampleEntries, type FixtureEntry } from '../helpers/backup-fixture.js';
import { runCommand } from './run-command.js';

const root = mkdtempSync(join(tmpdir(), 'ibackup-extract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string): string => join(root, `${name}-${++n}`);

/** Every path under `dir`, relative, sorted ("/" separated). */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) out.push(...walk(join(dir, name), rel));
  }
  return out.sort();
}

/** Asserts that `out` holds exactly `entries`: same names, types, bytes, permission bits, mtimes and link targets. */
function expectTree(out: string, entries: FixtureEntry[]): void {
  const expected = entries.map((e) => (e.relativePath ? `${e.domain}/${e.relativePath}` : e.domain));
  // Parent folders that have no entry of their own are created too.
  const withParents = new Set<string>();
  for (const p of expected) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) withParents.add(parts.slice(0, i).join('/'));
  }
  expect(walk(out)).toEqual([...withParents].sort());
  for (const e of entries) {
    const p = join(out, e.domain, e.relativePath);
    const st = lstatSync(p);
    expect(st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : '?', p).toBe(e.type);
    if (e.type === 'symlink') {
      expect(readlinkSync(p)).toBe(e.target);
    } else {
      expect((st.mode & 0o777).toString(8), p).toBe(e.mode.toString(8));
    }
    expect(Math.floor(st.mtimeMs / 1000), p).toBe(e.mtime);
    if (e.type === 'file') expect(readFileSync(p).equals(e.content!), p).toBe(true);
  }
}

describe.each(['db', 'mbdb'] as const)('extract (%s)', (format) => {
  const entries = sampleEntries(7);
  const backup = makeBackupFixture({ root, udid: `extract-${format}`, format, entries });

  it('reproduces the tree exactly: bytes, modes, mtimes, symlinks', async () => {
    const out = fresh('out');
    const b = await openBackup(backup);
    const result = await b.extract(out);
    expect(result).toEqual({
      files: entries.filter((e) => e.type === 'file').length,
      dirs: entries.filter((e) => e.type === 'dir').length,
      symlinks: entries.filter((e) => e.type === 'symlink').length,
      bytes: entries.reduce((s, e) => s + (e.content?.length ?? 0), 0),
    });
    expectTree(out, entries);
  });

  it('extracts only the filtered entries (CLI)', async () => {
    const out = fresh('out-filtered');
    const r = await runCommand(['extract', backup, out, '--domain', 'CameraRollDomain', '--path', 'Media/DCIM/100APPLE', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, files: 2, dirs: 1, symlinks: 0 });
    expectTree(out, entries.filter((e) => e.domain === 'CameraRollDomain' && e.relativePath.startsWith('Media/DCIM/100APPLE')));
  });

  it('extracting twice over the same folder gives the same tree', async () => {
    const out = fresh('out-twice');
    const b = await openBackup(backup);
    await b.extract(out);
    await b.extract(out);
    expectTree(out, entries);
  });
});

describe('extract refuses escaping names and symlink tricks', () => {
  const base = { mode: 0o644, mtime: 1_700_000_000 };
  const outside = (): string => {
    const d = fresh('outside');
    mkdirSync(d);
    return d;
  };

  it.each([
    ['a ".." path', 'HomeDomain', '../../escape.txt'],
    ['a ".." in the middle', 'HomeDomain', 'Library/../../../escape.txt'],
    ['an absolute path', 'HomeDomain', '/tmp/escape.txt'],
    ['a NUL byte', 'HomeDomain', 'Library/a\0b'],
    ['a ".." domain', '..', 'escape.txt'],
    ['a domain with a slash', 'Home/../..', 'escape.txt'],
  ])('refuses %s', async (_label, domain, relativePath) => {
    const entries: FixtureEntry[] = [{ domain, relativePath, type: 'file', ...base, content: Buffer.from('x') }];
    for (const format of ['db', 'mbdb'] as const) {
      const backup = makeBackupFixture({ root: fresh('bad'), udid: 'bad', format, entries });
      const out = join(fresh('nest'), 'a', 'b', 'out');
      await expect((await openBackup(backup)).extract(out)).rejects.toMatchObject({ code: 'EXTRACT_UNSAFE_PATH' });
      expect(existsSync(join(out, '..', 'escape.txt'))).toBe(false);
      expect(existsSync(join(out, '..', '..', 'escape.txt'))).toBe(false);
      expect(existsSync('/tmp/escape.txt')).toBe(false);
    }
  });

  it('never writes through a symlink from the backup (absolute or relative target)', async () => {
    for (const target of ['ABS', '../../../../..']) {
      const dest = outside();
      const entries: FixtureEntry[] = [
        { domain: 'HomeDomain', relativePath: 'Library', type: 'dir', ...base },
        { domain: 'HomeDomain', relativePath: 'Library/evil', type: 'symlink', ...base, target: target === 'ABS' ? dest : target },
        { domain: 'HomeDomain', relativePath: 'Library/evil/pwned.txt', type: 'file', ...base, content: Buffer.from('pwned') },
      ];
      const backup = makeBackupFixture({ root: fresh('trick'), udid: 'trick', entries });
      const out = fresh('out');
      const r = await runCommand(['extract', backup, out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/symlink/);
      expect(readdirSync(dest)).toEqual([]);
      expect(lstatSync(join(out, 'HomeDomain/Library/evil')).isSymbolicLink()).toBe(true);
    }
  });

  it('replaces a symlink by a later file of the same name instead of writing through it (mbdb order)', async () => {
    const dest = outside();
    writeFileSync(join(dest, 'victim'), 'original');
    const entries: FixtureEntry[] = [
      { domain: 'HomeDomain', relativePath: 'x', type: 'symlink', ...base, target: join(dest, 'victim') },
      { domain: 'HomeDomain', relativePath: 'x', type: 'file', ...base, content: Buffer.from('new content') },
    ];
    const backup = makeBackupFixture({ root: fresh('dup'), udid: 'dup', format: 'mbdb', entries });
    const out = fresh('out');
    await (await openBackup(backup)).extract(out);
    expect(readFileSync(join(dest, 'victim'), 'utf8')).toBe('original');
    expect(lstatSync(join(out, 'HomeDomain/x')).isFile()).toBe(true);
    expect(readFileSync(join(out, 'HomeDomain/x'), 'utf8')).toBe('new content');
  });

  it('refuses a symlink already in the output folder', async () => {
    const dest = outside();
    const backup = makeBackupFixture({ root: fresh('pre'), udid: 'pre', entries: sampleEntries() });
    const out = fresh('out');
    mkdirSync(out);
    symlinkSync(dest, join(out, 'HomeDomain'));
    await expect((await openBackup(backup)).extract(out)).rejects.toMatchObject({ code: 'EXTRACT_THROUGH_SYMLINK' });
    expect(readdirSync(dest)).toEqual([]);
  });

  it('safeSegments drops "." and empty components and refuses Windows separators on win32', () => {
    expect(safeSegments('D', './a//b/.')).toEqual(['D', 'a', 'b']);
    expect(() => safeSegments('D', 'a\\..\\..\\x', 'win32')).toThrow(expect.objectContaining({ code: 'EXTRACT_UNSAFE_PATH' }));
    expect(() => safeSegments('D', 'C:/x', 'win32')).toThrow(expect.objectContaining({ code: 'EXTRACT_UNSAFE_PATH' }));
    expect(safeSegments('D', 'a\\b', 'linux')).toEqual(['D', 'a\\b']);
  });
});

describe('encrypted backups', () => {
  it('list and show work; file access gives a clear typed error', async () => {
    const dir = fresh('enc');
    makeBackupFixture({ root: dir, udid: 'enc-db', encrypted: true });
    makeBackupFixture({ root: dir, udid: 'enc-mbdb', encrypted: true, format: 'mbdb' });
    const list = await runCommand(['list', '--dir', dir, '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).backups.map((b: { udid: string; isEncrypted: boolean }) => [b.udid, b.isEncrypted])).toEqual([
      ['enc-db', true],
      ['enc-mbdb', true],
    ]);
    const show = await runCommand(['show', 'enc-db', '--dir', dir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Encrypted:\s+yes/);
    expect(show.stdout).toMatch(/encrypted backups are not supported yet/);

    const db = await openBackup(join(dir, 'enc-db'));
    expect(db.isEncrypted).toBe(true);
    await expect(db.extract(fresh('out'))).rejects.toMatchObject({ code: 'BACKUP_ENCRYPTED', message: expect.stringMatching(/^this backup is encrypted; encrypted backups are not supported yet/) });
    const ls = await runCommand(['ls', join(dir, 'enc-db')]);
    expect(ls.code).toBe(1);
    expect(ls.stderr).toMatch(/this backup is encrypted; encrypted backups are not supported yet/);

    // Manifest.mbdb is not encrypted: the file list still works, the contents do not.
    const mb = await openBackup(join(dir, 'enc-mbdb'));
    const files: BackupEntry[] = [];
    for await (const e of mb.files({ type: 'file' })) files.push(e);
    expect(files.length).toBe(sampleEntries().filter((e) => e.type === 'file').length);
    expect(() => mb.readFile(files[0]!)).toThrow(expect.objectContaining({ code: 'BACKUP_ENCRYPTED' }));
    const ex = await runCommand(['extract', join(dir, 'enc-mbdb'), fresh('out'), '--json']);
    expect(ex.code).toBe(1);
    expect(JSON.parse(ex.stdout)).toMatchObject({ ok: false, error: { code: 'BACKUP_ENCRYPTED' } });
  });
});
