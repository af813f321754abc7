/**
 * How a long-running command (server, node agent) learns to stop: SIGTERM, SIGINT, or the
 * caller's own signal (tests run them in-process). `release` removes the listeners once the
 * run is over, so a process that runs several in turn does not gather them.
 */
export interface StopSignal {
  readonly signal: AbortSignal;
  abort(): void;
  release(): void;
}

export function stopOnSignals(outer?: AbortSignal): StopSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGTERM', abort);
  process.once('SIGINT', abort);
  outer?.addEventListener('abort', abort);
  return {
    signal: controller.signal,
    abort,
    release: () => {
      process.off('SIGTERM', abort);
      process.off('SIGINT', abort);
      outer?.removeEventListener('abort', abort);
    },
  };
}
