// The pair records and SystemBUID the simulated usbmuxd keeps for hosts, as files in the simulator's state
// directory (`<state>/lockdown/<UDID>.plist`, mode 0600), like /var/lib/lockdown on Linux.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { decodePlist, encodePlist, isPlistDict } from '../../protocols/index.js';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class PairRecordStore {
  readonly dir: string;
  private buid: string | undefined;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'lockdown');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private fileFor(id: string): string | undefined {
    return SAFE_ID.test(id) ? join(this.dir, `${id}.plist`) : undefined;
  }

  read(id: string): Buffer | undefined {
    const f = this.fileFor(id);
    if (!f || !existsSync(f)) return undefined;
    return readFileSync(f);
  }

  save(id: string, data: Uint8Array): boolean {
    const f = this.fileFor(id);
    if (!f) return false;
    writeFileSync(f, data, { mode: 0o600 });
    chmodSync(f, 0o600);
    return true;
  }

  delete(id: string): boolean {
    const f = this.fileFor(id);
    if (!f || !existsSync(f)) return false;
    rmSync(f);
    return true;
  }

  /** The usbmuxd SystemBUID, created on first use and kept in SystemConfiguration.plist. */
  systemBUID(): string {
    if (this.buid) return this.buid;
    const f = join(this.dir, 'SystemConfiguration.plist');
    if (existsSync(f)) {
      try {
        const v = decodePlist(readFileSync(f));
        if (isPlistDict(v) && typeof v.SystemBUID === 'string') this.buid = v.SystemBUID;
      } catch {
        // unreadable: make a new one below
      }
    }
    if (!this.buid) {
      this.buid = randomUUID().toUpperCase();
      writeFileSync(f, encodePlist({ SystemBUID: this.buid }, 'xml'), { mode: 0o600 });
    }
    return this.buid;
  }
}
