import { pino, type Logger } from 'pino';

/**
 * The library's root logger. Silent unless LOG_LEVEL is set, so embedding the library prints nothing;
 * the CLI replaces it with one that writes to stderr. Each layer takes a child: `logger.child({ layer: 'lockdown' })`.
 */
let root: Logger = pino({ level: process.env.LOG_LEVEL ?? 'silent', base: undefined }, pino.destination(2));

export function setRootLogger(logger: Logger): void {
  root = logger;
}

export function layerLogger(layer: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ layer, ...bindings });
}

export type { Logger };
