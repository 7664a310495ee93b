import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { LockdownError } from '../../src/lockdown/errors.js';
import {
  parsePairRecord,
  readPairRecordFile,
  systemPairRecordDirs,
  userPairRecordDir,
  writePairRecordFile,
  type PairRecord,
} from '../../src/lockdown/pair-record.js';

describe('pair records', () => {
  it('parses binary and XML records, keeps unknown keys, and rejects records without HostID', () => {
    const dict = { HostID: 'H', SystemBUID: 'B', HostCertificate: Buffer.from('c'), EscrowBag: Buffer.from([1, 2]), Custom: 'x' };
    for (const format of ['binary', 'xml'] as const) {
      const rec = parsePairRecord(encodePlist(dict, format));
      expect(rec.HostID).toBe('H');
      expect(rec.EscrowBag).toEqual(Buffer.from([1, 2]));
      expect(rec.RootCertificate).toEqual(Buffer.alloc(0));
      expect(rec.extra).toEqual({ Custom: 'x' });
    }
    expect(() => parsePairRecord(encodePlist({ SystemBUID: 'B' }, 'xml'))).toThrow(expect.objectContaining({ code: 'PAIR_RECORD_INVALID' }));
    expect(() => parsePairRecord(Buffer.from('garbage'))).toThrow(expect.objectContaining({ code: 'PAIR_RECORD_INVALID' }));
  });

  it('writes files with mode 0600 and reads them back; refuses path-like UDIDs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibk-rec-'));
    try {
      const rec: PairRecord = {
        HostID: 'H',
        SystemBUID: 'B',
        HostCertificate: Buffer.from('hc'),
        HostPrivateKey: Buffer.from('hk'),
        RootCertificate: Buffer.from('rc'),
        RootPrivateKey: Buffer.from('rk'),
        DeviceCertificate: Buffer.from('dc'),
        WiFiMACAddress: 'aa:bb:cc:dd:ee:ff',
      };
      const path = await writePairRecordFile(join(dir, 'sub'), 'ABC-123', rec);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await readPairRecordFile(join(dir, 'sub'), 'ABC-123')).toMatchObject({ HostID: 'H', WiFiMACAddress: 'aa:bb:cc:dd:ee:ff' });
      expect(await readPairRecordFile(dir, 'missing')).toBeUndefined();
      await expect(writePairRecordFile(dir, '../evil', rec)).rejects.toMatchObject({ code: 'INVALID_UDID' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows the system folders and honours IBACKUP_PAIR_RECORD_DIR', () => {
    expect(systemPairRecordDirs('linux')).toEqual(['/var/lib/lockdown']);
    expect(systemPairRecordDirs('darwin')).toEqual(['/var/db/lockdown']);
    expect(systemPairRecordDirs('win32', { ProgramData: 'D:\\PD' })[0]).toMatch(/PD.Apple.Lockdown$/);
    expect(userPairRecordDir('linux', { IBACKUP_PAIR_RECORD_DIR: '/x' })).toBe('/x');
    expect(userPairRecordDir('linux', { XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/ibackup/lockdown');
  });

  it('maps lockdown error strings to typed errors with an action', () => {
    const e = new LockdownError('StartSession', 'InvalidHostID');
    expect(e.code).toBe('InvalidHostID');
    expect(e.message).toContain('StartSession failed');
    expect(e.hint).toContain('pair');
    expect(new LockdownError('Pair', 'PasswordProtected').hint).toMatch(/Unlock the iPhone/);
    expect(new LockdownError('GetValue', '').code).toBe('LOCKDOWN_FAILURE');
    expect(new LockdownError('GetValue', 'SomethingNew').message).toContain('SomethingNew');
  });
});
