// Issue #2 acceptance: `ibackup --help` lists the commands; an unknown command exits non-zero with a helpful
// message; a command's own --help and a bad option behave. Runs the built CLI (dist/, built by `npm test`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/registry.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/ibackup.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
});

describe('ibackup CLI front door', () => {
  it('--help lists every command with its summary and exits 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const c of commands) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(r.stdout).toContain('USBMUXD_SOCKET_ADDRESS');
  });

  it('an unknown command exits 2 and points at --help (with a suggestion when one is close)', () => {
    const r = run('bakup');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'bakup'");
    expect(r.stderr).toContain('Did you mean: backup');
    expect(r.stderr).toContain('ibackup --help');
    expect(r.stdout).toBe('');
  });

  it('every command loads and answers its own --help with its usage', () => {
    for (const c of commands) {
      const r = run(c.name, '--help');
      expect(r.status, c.name).toBe(0);
      expect(r.stdout, c.name).toContain(c.summary);
      expect(r.stdout, c.name).toContain(`Usage: ibackup ${c.name}`);
    }
  });

  it('an unknown option is a usage error (exit 2) that shows the usage', () => {
    const r = run('list', '--frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--frobnicate');
    expect(r.stderr).toContain('Usage: ibackup list');
  });

  it('no arguments prints the help and exits non-zero', () => {
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Commands:');
  });
});
