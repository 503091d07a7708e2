/**
 * Failures to reach PostgreSQL that a later attempt may not meet: the server restarting or
 * shutting down (57P01–57P03), a connection refused, reset or cut, a connection exception
 * (class 08). A wrong password, a missing database or a bad query are not: retrying would hide them.
 */
import type { Logger } from '../log.ts';

const NODE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

export function isTransientDbError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^57P0[123]$/.test(code) || /^08...$/.test(code) || NODE_CODES.has(code)))
    return true;
  // pg's own words when the socket closes under a query or during connect
  return typeof message === 'string' && /^Connection terminated|^connection timeout|timeout expired/i.test(message);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `start` until it succeeds, again after a transient database failure (back-off from 1 s to
 * 15 s) for up to `timeoutMs`; any other failure, or the last one, is thrown.
 */
export async function retryWhileUnreachable<T>(
  start: () => Promise<T>,
  o: { logger: Logger; timeoutMs: number; what: string },
): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  for (let delay = 1000; ; delay = Math.min(delay * 2, 15_000)) {
    try {
      return await start();
    } catch (err) {
      if (!isTransientDbError(err) || Date.now() + delay > deadline) throw err;
      o.logger.warn(
        { err: err instanceof Error ? err.message : String(err), retryInMs: delay },
        `${o.what}: the database cannot be reached; trying again`,
      );
      await sleep(delay);
    }
  }
}
