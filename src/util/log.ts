import { pino, type Logger } from 'pino';
import { serializeError } from './errors.ts';

export type { Logger } from 'pino';

/**
 * The process logger: JSON lines on stderr (the caller's level, from `--log-level`). An
 * `err` field is written as one line with its cause chain (`formatError`); its stack only at
 * debug level, so a failure retried every few seconds does not flood the log with stacks.
 */
export function createLogger(name: string, level = 'info'): Logger {
  const logger: Logger = pino(
    {
      name,
      level,
      base: { component: name },
      serializers: { err: (err: unknown) => serializeError(err, logger.isLevelEnabled('debug')) },
    },
    pino.destination(2),
  );
  return logger;
}

/** A logger that drops everything: for the CLI's quiet paths and for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
