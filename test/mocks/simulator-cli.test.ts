// `ibackup simulator` as a process: prints one "listening on" line, serves Debian's ideviceinfo, and exits 0 on
// SIGTERM. Runs the built CLI (dist/, built by `npm test`; built here if missing).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../helpers/simulator.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/ibackup.js');

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js')) || !existsSync(join(ROOT, 'dist/mocks/simulator.js'))) {
    spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }
}, 120_000);

let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = undefined;
  dir = undefined;
});

function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let out = '';
    let err = '';
    p.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    p.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const i = out.indexOf('\n');
      if (i >= 0) resolveLine(out.slice(0, i));
    });
    p.on('exit', (code) => reject(new Error(`exited with ${code} before listening: ${err}`)));
  });
}

function exitOf(p: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
}

describe('ibackup simulator (CLI)', () => {
  it('listens on a unix socket, serves ideviceinfo, stops cleanly on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ibk-cli-'));
    const sock = join(dir, 'mux.sock');
    child = spawn(process.execPath, [BIN, 'simulator', '--socket', sock, '--udid', 'CLI-TEST-0001', '--state', join(dir, 's')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = exitOf(child);
    expect(await firstLine(child)).toBe(`listening on UNIX:${sock}`);
    const r = await runTool('ideviceinfo', ['-k', 'UniqueDeviceID'], { ...process.env, USBMUXD_SOCKET_ADDRESS: `UNIX:${sock}` });
    expect(r.stdout.trim()).toBe('CLI-TEST-0001');
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(sock)).toBe(false);
  });

  it('listens on TCP with a free port and an unpaired device', async () => {
    child = spawn(process.execPath, [BIN, 'simulator', '--tcp', '127.0.0.1:0', '--unpaired'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = exitOf(child);
    const line = await firstLine(child);
    const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
    expect(m).not.toBeNull();
    const env = { ...process.env, USBMUXD_SOCKET_ADDRESS: `127.0.0.1:${m![1]}` };
    const pair = await runTool('idevicepair', ['pair'], env);
    expect(pair.stdout).toContain('SUCCESS: Paired');
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });

  it('rejects bad options with exit 2', async () => {
    const r = await runTool(process.execPath, [BIN, 'simulator', '--tcp', 'nonsense'], process.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tcp must be HOST:PORT/);
  });
});
