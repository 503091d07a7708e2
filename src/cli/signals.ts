import type { Logger } from '../log.ts';

/**
 * Stops `what` cleanly on SIGINT/SIGTERM, then exits (0, or 1 if stopping failed); a second
 * signal exits at once.
 */
export function stopOnSignals(what: { stop(): Promise<void> }, logger: Logger, label: string): void {
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(1);
    logger.info({ signal }, `${label} shutting down`);
    what.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `${label} shutdown failed`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
