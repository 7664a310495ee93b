import { pino } from 'pino';
import { setRootLogger } from '../log.js';

/**
 * pino logs on stderr for CLI commands: `--verbose` means debug, else LOG_LEVEL, else warnings only (so the
 * progress bar and summary stay readable).
 */
export function setupCliLogging(verbose: boolean): void {
  const level = verbose ? 'debug' : (process.env.LOG_LEVEL ?? 'warn');
  setRootLogger(pino({ level, base: undefined }, pino.destination(2)));
}
