import { IBackupError } from '../../errors.js';
import type { DevicePathResolver, PathUse } from '../../services/mobilebackup2/index.js';
import { ConfinedPathResolver } from '../confine.js';

/**
 * The path resolver of a restore: the device's `<SOURCE>/…` paths map into the backup folder (with every check of
 * ConfinedPathResolver: no `..`, absolute paths, other folders or symlinks leading out), and only reading and
 * listing are allowed — a restore never changes the backup.
 */
export class ReadOnlyPathResolver implements DevicePathResolver {
  private readonly inner: ConfinedPathResolver;

  constructor(backupDir: string, sourceUdid: string) {
    this.inner = new ConfinedPathResolver(backupDir, [sourceUdid]);
  }

  async resolve(devicePath: unknown, use: PathUse): Promise<string> {
    if (use !== 'read' && use !== 'list') {
      throw new IBackupError('RESTORE_READ_ONLY', `The device asked to change the backup during a restore (${use} ${String(devicePath).slice(0, 200)}); it was refused.`, {
        hint: 'A restore only reads the backup. The backup is unchanged.',
      });
    }
    return this.inner.resolve(devicePath, use);
  }

  forget(): void {
    this.inner.forget();
  }
}
