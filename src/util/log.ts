import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The process logger: JSON lines on stderr (level from SKIFF_LOG_LEVEL, default info). */
export function createLogger(name: string, level = process.env.SKIFF_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { component: name } }, pino.destination(2));
}

/** A logger that drops everything: for the CLI's quiet paths and for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
