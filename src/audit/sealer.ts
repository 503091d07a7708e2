/**
 * The audit chain's sealer: audit rows are written without a lock (a request never waits for
 * another one's audit row) and chained afterwards, in batches, by app_audit_seal(). Each
 * `dastern serve` and `dastern worker` process runs one; the database lets one seal at a time
 * (the others return at once), so several processes are safe. `dastern audit verify` seals
 * before it checks.
 */
import type { Database, Tx } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { sealBatch } from './queries.ts';

/** Rows per app_audit_seal() call: one transaction each, so a backlog never holds a long lock. */
export const SEAL_BATCH = 5000;

/**
 * Seals until nothing committed is left (at most `maxBatches` calls) and returns how many rows
 * it chained. Two rounds at least: a row's place below the sealed horizon settles one call later.
 * While another sealer holds the lock (app_audit_seal returns -1) it waits, up to `busyMs`.
 */
export async function sealAuditChain(db: Pick<Tx, 'query'>, maxBatches = 1000, busyMs = 10_000): Promise<number> {
  let total = 0;
  let rounds = 0;
  const giveUpAt = Date.now() + busyMs;
  for (let i = 0; i < maxBatches; i++) {
    const n = await sealBatch(db, SEAL_BATCH);
    if (n < 0) {
      if (Date.now() > giveUpAt) throw new Error('another audit sealer holds the sealing lock');
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    total += n;
    rounds += 1;
    if (n < SEAL_BATCH && rounds >= 2) break;
  }
  return total;
}

export interface AuditSealer {
  /** Stops the timer, waits for a call in flight and seals once more (what was written last). */
  stop(): Promise<void>;
}

/** Seals every `intervalMs` (one call at a time; an error is logged and the next tick tries again). */
export function startAuditSealer(db: Database, logger: Logger, intervalMs: number): AuditSealer {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = (): void => {
    running = (async () => {
      try {
        // -1: another process is sealing right now; the next tick comes soon enough
        await sealBatch(db.pool, SEAL_BATCH);
      } catch (err) {
        if (!stopped)
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'audit sealing failed; will retry');
      }
      if (!stopped) schedule();
    })();
  };
  const schedule = (): void => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
      try {
        await sealAuditChain(db.pool, 10);
      } catch (err) {
        logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'final audit sealing failed; the next process seals the rest',
        );
      }
    },
  };
}
