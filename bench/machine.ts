// A one-line description of the machine a run happened on (CPU, cores, memory, OS, disk, Node, idevicebackup2).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { IDEVICEBACKUP2 } from './tools.js';

function quiet(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return process.platform;
  }
}

export function describeMachine(workDir: string): string {
  const c = cpus();
  const fs = quiet('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', workDir])?.replace(/\s+/g, ' on ');
  const tb = existsSync(IDEVICEBACKUP2) ? quiet(IDEVICEBACKUP2, ['--version']) : undefined;
  return [
    `${c[0]?.model.trim() ?? 'unknown CPU'} × ${c.length} cores`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `${osName()} (Linux ${release()})`,
    fs ? `disk ${fs}` : undefined,
    `Node ${process.version}`,
    tb ?? 'idevicebackup2 not installed',
  ]
    .filter(Boolean)
    .join(', ');
}

/** Short git HEAD of the repository (or 'unknown'). */
export function gitHead(repo: string): string {
  return quiet('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']) ?? 'unknown';
}
