/**
 * The service's pool and the live stream's LISTEN across a real PostgreSQL restart (a server of
 * the test's own, test/support/restartable-pg.ts): a transaction cut by the restart fails (the
 * process does not crash on the client's error event), and the next ones run on new connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.ts';
import { NotificationHub, NOTIFY_CHANNEL } from '../../src/notifications/hub.ts';
import { createLogger } from '../../src/log.ts';
import { startRestartablePostgres, type RestartablePostgres } from '../support/restartable-pg.ts';

let server: RestartablePostgres;
beforeAll(async () => {
  server = await startRestartablePostgres();
});
afterAll(async () => {
  await server?.remove();
});

const SYSTEM = { userId: null, role: 'system' } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a PostgreSQL restart', () => {
  it('fails the transaction it cuts, without crashing the process; the pool then reconnects', async () => {
    const db = new Database(server.url, { max: 4 });
    try {
      // a connection left idle in the pool, and one inside a transaction when the server goes
      await db.withUser(SYSTEM, (tx) => tx.query('SELECT 1'));
      const cut = db.withUser(SYSTEM, (tx) => tx.query('SELECT pg_sleep(60)'));
      const outcome = cut.then(
        () => 'committed',
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      );
      await sleep(300);
      await server.restart();
      expect(await outcome).not.toBe('committed');
      // the next transactions run on fresh connections (the broken ones were dropped)
      for (let i = 0; i < 6; i++) {
        const r = await db.withUser(SYSTEM, (tx) => tx.query<{ n: number }>('SELECT $1::int AS n', [i]));
        expect(r.rows[0]?.n).toBe(i);
      }
    } finally {
      await db.close();
    }
  });

  it('the live stream LISTENs again once the server is back', async () => {
    const hub = new NotificationHub(server.url, createLogger('silent'));
    const owner = new Database(server.url, { max: 1 });
    const userId = '00000000-0000-4000-8000-000000000001';
    const seen: string[] = [];
    const unsubscribe = hub.subscribe(userId, (id) => seen.push(id));
    try {
      await hub.start();
      await server.restart();
      const id = '00000000-0000-4000-8000-0000000000aa';
      // NOTIFY until the listener has reconnected (it retries with back-off from 1 s)
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await owner.pool.query(`SELECT pg_notify($1, $2)`, [NOTIFY_CHANNEL, JSON.stringify({ user_id: userId, id })]);
        await sleep(200);
      }
      expect(seen[0]).toBe(id);
    } finally {
      unsubscribe();
      await hub.stop();
      await owner.close();
    }
  });
});
