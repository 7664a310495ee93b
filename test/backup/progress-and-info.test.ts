import { describe, expect, it } from 'vitest';
import { buildInfoPlist } from '../../src/backup/info-plist.js';
import { deviceResultError } from '../../src/backup/mb-errors.js';
import { ProgressTracker } from '../../src/backup/progress.js';

describe('ProgressTracker', () => {
  it('interpolates within an upload batch from bytes and never goes backwards', () => {
    let t = 0;
    const p = new ProgressTracker(() => t);
    p.devicePercent(10);
    expect(p.snapshot().percent).toBe(10);
    p.uploadBatch(50, 1000);
    t = 1000;
    p.bytes(500);
    expect(p.snapshot().percent).toBe(30);
    p.devicePercent(5); // a device value lower than where we are is ignored
    expect(p.snapshot().percent).toBe(30);
    p.uploadBatch(20, 1000); // the next batch reports less than we showed: stay put
    t = 2000;
    p.bytes(1000);
    expect(p.snapshot().percent).toBe(30);
    p.devicePercent(95);
    p.finish();
    const s = p.snapshot();
    expect(s).toMatchObject({ percent: 100, bytesDone: 1500, etaSeconds: 0 });
    expect(s.bytesPerSecond).toBe(1000);
  });
});

describe('Info.plist', () => {
  it('has the keys idevicebackup2 writes, apps with SINF + metadata, and optional keys only when known', () => {
    const info = buildInfoPlist({
      udid: '00008120-001a2b3c4d5e0001',
      lockdown: { BuildVersion: '21E236', DeviceName: 'Sim', ProductType: 'iPhone15,2', ProductVersion: '17.4', SerialNumber: 'F00', PhoneNumber: '+1 555' },
      apps: [
        { CFBundleIdentifier: 'a.b', ApplicationSINF: Buffer.from('s'), iTunesMetadata: Buffer.from('m') },
        { CFBundleIdentifier: 'c.d' },
      ],
      icons: { 'a.b': Buffer.from('png') },
      itunesFiles: { iTunesPrefs: Buffer.from('p'), 'IC-Info.sidb': Buffer.alloc(0) },
      guid: 'G',
      now: new Date(0),
    });
    expect(Object.keys(info).sort()).toEqual(
      [
        'Applications', 'Build Version', 'Device Name', 'Display Name', 'GUID', 'Installed Applications', 'Last Backup Date',
        'Phone Number', 'Product Type', 'Product Version', 'Serial Number', 'Target Identifier', 'Target Type',
        'Unique Identifier', 'iTunes Files', 'iTunes Settings', 'iTunes Version',
      ].sort(),
    );
    expect(info['Unique Identifier']).toBe('00008120-001A2B3C4D5E0001');
    expect(info['Installed Applications']).toEqual(['a.b', 'c.d']);
    expect(Object.keys(info.Applications as object)).toEqual(['a.b']);
    expect((info.Applications as Record<string, Record<string, unknown>>)['a.b']!.PlaceholderIcon).toEqual(Buffer.from('png'));
    expect(Object.keys(info['iTunes Files'] as object)).toEqual(['iTunesPrefs']);
    expect(info['iTunes Version']).toBe('10.0.1');
  });
});

describe('device result errors', () => {
  it('maps MBErrorDomain codes to actionable typed errors', () => {
    expect(deviceResultError({ ErrorCode: 0 })).toBeUndefined();
    expect(deviceResultError({ ErrorCode: 208, ErrorDescription: 'Device locked' })).toMatchObject({ code: 'DEVICE_LOCKED', hint: expect.stringContaining('passcode') });
    const space = deviceResultError({ ErrorCode: 105, ErrorDescription: 'Not enough space: 3200000000 bytes required' }, { freeBytes: 1_000_000_000 });
    expect(space?.message).toContain('not enough space on the computer: 3.2 GB needed'.replace('not', 'Not'));
    expect(deviceResultError({ ErrorCode: 205 })).toMatchObject({ code: 'BACKUP_PROPERTIES_UNREADABLE', hint: expect.stringContaining('--full') });
    expect(deviceResultError({ ErrorCode: 999, ErrorDescription: 'odd' })).toMatchObject({ code: 'DEVICE_ERROR', message: expect.stringContaining('999: odd') });
  });
});
