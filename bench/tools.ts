// The command lines the benchmark times: our CLI (`ibackup`), Debian's idevicebackup2, the sink host (backup
// ceiling) and the restore source host (restore ceiling).
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Tool = 'ours' | 'theirs';
export type Operation = 'backup' | 'restore';

/** The repository root (dist/bench/tools.js → ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IBACKUP_BIN = join(REPO_ROOT, 'bin', 'ibackup.js');
export const IDEVICEBACKUP2 = '/usr/bin/idevicebackup2';

/** Where the code under test is run from: the repository, or a snapshot of its build (see snapshotBuild). */
let codeRoot = REPO_ROOT;

export function sinkJs(): string {
  return join(codeRoot, 'dist', 'bench', 'sink.js');
}
export function restoreSourceJs(): string {
  return join(codeRoot, 'dist', 'bench', 'restore-source.js');
}
export function simServerJs(): string {
  return join(codeRoot, 'dist', 'bench', 'sim-server.js');
}
function ibackupBin(): string {
  return join(codeRoot, 'bin', 'ibackup.js');
}

/**
 * Copy the build (dist/, bin/, package.json; node_modules linked) into `dir` and run everything from there, so a
 * rebuild in the work tree during a long run cannot change the code being measured.
 */
export function snapshotBuild(dir: string): string {
  rmSync(dir, { recursive: true, force: true }); // a snapshot left by an earlier run with the same --work
  mkdirSync(dir, { recursive: true });
  for (const p of ['dist', 'bin', 'package.json']) cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  codeRoot = dir;
  return dir;
}

export function haveIdevicebackup2(): boolean {
  return existsSync(IDEVICEBACKUP2);
}

export interface CommandLine {
  cmd: string;
  args: string[];
}

/**
 * One tool, one operation, one backup root. Both tools get the same device, the same root on the same disk, and
 * their default durability behaviour (ours flushes the new backup to disk before it replaces the old one;
 * idevicebackup2 does not flush).
 */
export function commandFor(tool: Tool, op: Operation, udid: string, root: string): CommandLine {
  if (tool === 'ours') {
    return op === 'backup'
      ? { cmd: process.execPath, args: [ibackupBin(), 'backup', '-u', udid, '--dir', root, '--json'] }
      : { cmd: process.execPath, args: [ibackupBin(), 'restore', '-u', udid, '--dir', root, '--system', '--no-reboot', '--json'] };
  }
  return op === 'backup'
    ? { cmd: IDEVICEBACKUP2, args: ['-u', udid, 'backup', root] }
    : { cmd: IDEVICEBACKUP2, args: ['-u', udid, 'restore', '--system', '--no-reboot', root] };
}

/** The sink host; with `from` (a backup root) the device can go incremental against the metadata kept there. */
export function sinkCommand(udid: string, from?: string, tls13Suites?: string): CommandLine {
  return {
    cmd: process.execPath,
    args: [sinkJs(), udid, ...(from === undefined ? [] : [from]), ...(tls13Suites === undefined ? [] : [`--tls13-suites=${tls13Suites}`])],
  };
}

/** OpenSSL's default TLS 1.3 order, which idevicebackup2 offers (AES-256-GCM first). */
export const OPENSSL_DEFAULT_TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** The restore source host: restores the backup under `root` into the device, sending data from memory. */
export function restoreSourceCommand(udid: string, root: string): CommandLine {
  return { cmd: process.execPath, args: [restoreSourceJs(), udid, root] };
}
