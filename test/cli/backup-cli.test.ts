import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command.js';
import { backupCommand } from '../../src/cli/commands/backup.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { expectRootHolds, folderSnapshot } from '../backup/backup-helpers.js';
import { expectBackupOf } from '../interop/idevicebackup2-support.js';

let sim: TestSimulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ibk-cli-backup-'));
  dirs.push(d);
  return d;
}

/** Runs `ibackup backup …` in-process with captured output; `onStdout` sees output as it is written. */
async function runBackup(
  args: string[],
  opts: { isTTY?: boolean; env?: Record<string, string>; signal?: AbortSignal; onStdout?: (s: string) => void } = {},
) {
  const parsed = parseCommandArgs(backupCommand, args);
  let out = '';
  let err = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: opts.isTTY ?? false, columns: 200 });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    opts.onStdout?.(c.toString('utf8'));
  });
  stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const saved = { ...process.env };
  Object.assign(process.env, opts.env ?? {});
  try {
    const code = await backupCommand.run({ ...parsed, stdout, stderr, signal: opts.signal ?? new AbortController().signal });
    return { code, stdout: out, stderr: err };
  } finally {
    for (const k of Object.keys(opts.env ?? {})) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

function ndjson(s: string): Record<string, unknown>[] {
  return s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ibackup backup', () => {
  it('--simulator backs up the built-in simulated iPhone: NDJSON events on stdout when not a TTY, summary on stderr', async () => {
    const dir = await tempDir();
    const r = await runBackup(['--simulator', '--dataset', 'tiny', '--dir', dir]);
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({ type: 'simulator' });
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    const done = events.find((e) => e.type === 'done') as { result: { path: string; filesReceived: number } };
    expect(done.result.path).toBe(join(dir, String(events[0]!.udid)));
    expect(r.stderr).toMatch(/Backup complete \(full\): [\d,]+ files, .* received in .* \(.* MB\/s\)\.\nSaved in /);
    const entries = await readdir(done.result.path);
    expect(entries).toEqual(expect.arrayContaining(['Info.plist', 'Manifest.db', 'Manifest.plist', 'Status.plist']));
  });

  it('draws a progress bar and prints a summary on a terminal', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
    const dir = await tempDir();
    const r = await runBackup(['--dir', dir], { isTTY: true, env: { USBMUXD_SOCKET_ADDRESS: sim.address } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\r');
    expect(r.stdout).toMatch(/█+.*%.* files/);
    expect(r.stdout).toMatch(/Backup complete \(full\).*\nSaved in /);
    await expectBackupOf(dir, sim.devices[0]!.udid, sim.device().fs);
  });

  it('with several devices it lists them and asks for -u; with -u it backs up that one', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'empty' }, { dataset: 'empty' }] });
    const dir = await tempDir();
    const env = { USBMUXD_SOCKET_ADDRESS: sim.address };
    const r = await runBackup(['--dir', dir], { env });
    expect(r.code).toBe(2);
    for (const d of sim.devices) expect(r.stderr).toContain(d.udid);
    expect(r.stderr).toContain('-u UDID');
    const second = sim.devices[1]!.udid;
    const ok = await runBackup(['--dir', dir, '-u', second, '--json'], { env });
    expect(ok.code).toBe(0);
    expect(await readdir(dir)).toEqual([second]);
  });

  it('with no device it explains how to connect one and mentions --simulator', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'empty' }] });
    sim.device().reboot(30_000); // detached from usbmuxd for 30 s
    await new Promise((r) => setTimeout(r, 100));
    const r = await runBackup(['--dir', await tempDir()], { env: { USBMUXD_SOCKET_ADDRESS: sim.address } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no iPhone or iPad is connected');
    expect(r.stderr).toContain('--simulator');
  });

  it('Ctrl-C cancels cleanly: exit 130, previous backup untouched, the next run works', async () => {
    sim = await startTestSimulator({ devices: [{ dataset: 'small' }] });
    const udid = sim.devices[0]!.udid;
    const dir = await tempDir();
    const env = { USBMUXD_SOCKET_ADDRESS: sim.address };
    expect((await runBackup(['--dir', dir, '--json'], { env })).code).toBe(0);
    const before = await folderSnapshot(join(dir, udid));
    const ac = new AbortController();
    const r = await runBackup(['--dir', dir, '--full', '--json'], {
      env,
      signal: ac.signal,
      onStdout: (s) => {
        if (s.includes('"type":"file"')) ac.abort(new Error('interrupted'));
      },
    });
    expect(r.code).toBe(130);
    expect(ndjson(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'CANCELLED' });
    expect(await folderSnapshot(join(dir, udid))).toEqual(before);
    expect(await readdir(dir)).toEqual([udid]);
    expect((await runBackup(['--dir', dir, '--json'], { env })).code).toBe(0);
    await expectBackupOf(dir, udid, sim.device().fs);
  });

  it('kill -9 in the middle of a backup leaves the previous backup intact and the next run succeeds', async () => {
    const bin = join(import.meta.dirname, '../../bin/ibackup.js');
    expect(existsSync(join(import.meta.dirname, '../../dist/src/cli/commands/backup.js')), 'run `npm run build` first').toBe(true);
    sim = await startTestSimulator({ devices: [{ dataset: 'small' }] });
    const udid = sim.devices[0]!.udid;
    const dir = await tempDir();
    const env = { USBMUXD_SOCKET_ADDRESS: sim.address };
    expect((await runBackup(['--dir', dir, '--json'], { env })).code).toBe(0);
    const before = await folderSnapshot(join(dir, udid));
    const child = spawn(process.execPath, [bin, 'backup', '--dir', dir, '--full', '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    let files = 0;
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, sig) => resolve(sig)));
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      files += s.split('"type":"file"').length - 1;
      if (files >= 20 && !child.killed) child.kill('SIGKILL');
    });
    expect(await killed).toBe('SIGKILL');
    expect(files).toBeGreaterThanOrEqual(20);
    expect(await folderSnapshot(join(dir, udid))).toEqual(before);
    const next = await runBackup(['--dir', dir, '--json'], { env });
    expect(next.code).toBe(0);
    expectRootHolds(dir, udid); // the backup and its spare (the leftover staging folder, mirrored again): nothing else
    await expectBackupOf(dir, udid, sim.device().fs);
  });
});
