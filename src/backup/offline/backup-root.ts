import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder that holds backups when none is given: `IBACKUP_DIR`, else the platform's MobileSync location
 * (macOS `~/Library/Application Support/MobileSync/Backup`, Windows `%APPDATA%\Apple Computer\MobileSync\Backup`,
 * elsewhere `$XDG_DATA_HOME/MobileSync/Backup`, default `~/.local/share/MobileSync/Backup`).
 */
export function defaultBackupRoot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.IBACKUP_DIR) return env.IBACKUP_DIR;
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'MobileSync', 'Backup');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Apple Computer', 'MobileSync', 'Backup');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'MobileSync', 'Backup');
}
