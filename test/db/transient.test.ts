/**
 * Waiting for PostgreSQL at start (`dastern worker` started while the database restarts): a
 * server that is down, for real (test/support/restartable-pg.ts), is waited for; a wrong
 * password is not retried.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransientDbError, retryWhileUnreachable } from '../../src/db/transient.ts';
import { createLogger } from '../../src/log.ts';
import { startRestartablePostgres, type RestartablePostgres } from '../support/restartable-pg.ts';

let server: RestartablePostgres;
beforeAll(async () => {
  server = await startRestartablePostgres();
});
afterAll(async () => {
  await server?.remove();
});

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return (await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('retryWhileUnreachable', () => {
  it('waits while the server is down and goes on once it is back', async () => {
    await server.stop();
    const down = await selectOne(server.url).catch((err: unknown) => err);
    expect(isTransientDbError(down)).toBe(true);
    let attempts = 0;
    const started = retryWhileUnreachable(
      async () => {
        attempts += 1;
        return selectOne(server.url);
      },
      { logger: createLogger('silent'), timeoutMs: 60_000, what: 'test' },
    );
    await new Promise((r) => setTimeout(r, 1500));
    await server.start();
    expect(await started).toBe(1);
    expect(attempts).toBeGreaterThan(1);
  });

  it('throws a wrong password at once', async () => {
    const wrong = new URL(server.url);
    wrong.password = 'not-the-password';
    let attempts = 0;
    const err = await retryWhileUnreachable(
      async () => {
        attempts += 1;
        return selectOne(wrong.toString());
      },
      { logger: createLogger('silent'), timeoutMs: 60_000, what: 'test' },
    ).catch((e: unknown) => e as { code?: string });
    expect(err).toMatchObject({ code: '28P01' });
    expect(attempts).toBe(1);
  });
});
