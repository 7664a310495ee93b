// What BackupAgent2 remembers between connections, kept in <fs.stateDir>/mobilebackup2.json (mode 0600):
// the backup password (salted scrypt hash, never the password) and what the last backup sent.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimDevice } from '../../types.js';

export interface LastBackup {
  /** UUID of the Status.plist the backup ended with; an incremental backup needs the host to have the same one. */
  uuid: string;
  /** fileID → content identity sent (or confirmed unchanged) by that backup. */
  contentIds: Record<string, string>;
}

interface StoredState {
  password?: { salt: string; hash: string };
  lastBackup?: LastBackup;
}

function statePath(device: SimDevice): string {
  return join(device.fs.stateDir, 'mobilebackup2.json');
}

function load(device: SimDevice): StoredState {
  const p = statePath(device);
  if (!existsSync(p)) return {};
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as StoredState;
  } catch {
    return {};
  }
}

function save(device: SimDevice, s: StoredState): void {
  const p = statePath(device);
  writeFileSync(`${p}.tmp`, JSON.stringify(s), { mode: 0o600 });
  renameSync(`${p}.tmp`, p);
}

const hash = (password: string, salt: string) => scryptSync(password, Buffer.from(salt, 'hex'), 32).toString('hex');

export function hasBackupPassword(device: SimDevice): boolean {
  return load(device).password !== undefined;
}

export function checkBackupPassword(device: SimDevice, password: string): boolean {
  const p = load(device).password;
  if (!p) return false;
  return timingSafeEqual(Buffer.from(hash(password, p.salt), 'hex'), Buffer.from(p.hash, 'hex'));
}

export function setBackupPassword(device: SimDevice, password: string | undefined): void {
  const s = load(device);
  if (password === undefined) delete s.password;
  else {
    const salt = randomBytes(16).toString('hex');
    s.password = { salt, hash: hash(password, salt) };
  }
  save(device, s);
}

export function getLastBackup(device: SimDevice): LastBackup | undefined {
  return load(device).lastBackup;
}

export function setLastBackup(device: SimDevice, last: LastBackup): void {
  save(device, { ...load(device), lastBackup: last });
}
