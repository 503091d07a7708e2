import type { Logger } from '../log.ts';

/**
 * One Ctrl-C can arrive twice: the terminal signals the whole process group, and `npm start`
 * (in that group) forwards its own SIGINT to us too. A second signal this soon after the first
 * is the same request; a later one means "now": exit at once.
 */
const SAME_SIGNAL_MS = 1500;

/**
 * Stops `what` cleanly on SIGINT/SIGTERM, then exits (0, or 1 if stopping failed); a second
 * signal (after SAME_SIGNAL_MS) exits at once.
 */
export function stopOnSignals(what: { stop(): Promise<void> }, logger: Logger, label: string): void {
  let first: number | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (first !== undefined) {
      if (Date.now() - first < SAME_SIGNAL_MS) return;
      logger.warn({ signal }, `${label}: second signal, exiting at once`);
      process.exit(1);
    }
    first = Date.now();
    logger.info({ signal }, `${label} shutting down`);
    what.stop().then(
      () => {
        logger.info(`${label} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, `${label} shutdown failed`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
