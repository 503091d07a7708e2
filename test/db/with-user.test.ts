/** Database.withUser: the RLS context, the pipelined precondition, deferred writes at commit. */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createUser } from '../database/fixtures.ts';

const t = useTestDatabase();

describe('Database.withUser', () => {
  it('sets the context for the transaction only', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    const seen = await db.withUser({ userId: id, role: 'patient' }, (tx) =>
      tx.query<{ uid: string; role: string }>(
        "SELECT current_setting('app.user_id') AS uid, current_setting('app.user_role') AS role",
      ),
    );
    expect(seen.rows[0]).toEqual({ uid: id, role: 'patient' });
    const after = await db.pool.query<{ uid: string | null }>(
      "SELECT nullif(current_setting('app.user_id', true), '') AS uid",
    );
    expect(after.rows[0]?.uid ?? null).toBeNull();
  });

  it("throws the precondition's error and never starts fn (nothing it would do happens)", async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    let started = false;
    await expect(
      db.withUser(
        { userId: id, role: 'patient' },
        async (tx) => {
          started = true;
          await tx.query(`UPDATE users SET first_name = 'Speculative' WHERE id = $1`, [id]);
        },
        {
          precondition: { text: 'SELECT 1 WHERE false', values: [], refuse: () => new Error('session ended') },
        },
      ),
    ).rejects.toThrow('session ended');
    expect(started).toBe(false);
    const row = await owner.query<{ first_name: string }>('SELECT first_name FROM users WHERE id = $1', [id]);
    expect(row.rows[0]?.first_name).toBe('Test');
    expect(db.pool.totalCount).toBe(db.pool.idleCount);
  });

  it('starts fn only after the precondition has answered (fn cannot act before the check)', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    // the check waits for a lock the owner holds: fn must not start until it is released
    const holder = await owner.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(918273)');
      let started = false;
      const running = db.withUser(
        { userId: id, role: 'patient' },
        async () => {
          started = true;
        },
        {
          precondition: {
            text: 'SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared($1::bigint)) AS waited',
            values: [918273],
            refuse: () => new Error('never'),
          },
        },
      );
      // the check is waiting on the lock (the opening has been sent and not answered)
      for (;;) {
        const waiting = await owner.query<{
          n: number;
        }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = 918273
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        if ((waiting.rows[0]?.n ?? 0) > 0) break;
        await new Promise((r) => setImmediate(r));
      }
      expect(started).toBe(false);
      await holder.query('SELECT pg_advisory_unlock(918273)');
      await running;
      expect(started).toBe(true);
    } finally {
      holder.release();
    }
  });

  it("runs fn's queries under the context the opening set", async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    // the context is set before fn's first query runs: RLS sees the actor
    const res = await db.withUser(
      { userId: id, role: 'patient' },
      (tx) =>
        tx.query<{ me: string; n: number }>(
          `SELECT current_setting('app.user_id') AS me, count(*)::int AS n FROM users`,
        ),
      {
        precondition: { text: 'SELECT 1', values: [], refuse: () => new Error('never') },
      },
    );
    expect(res.rows[0]).toEqual({ me: id, n: 1 });
  });

  it('rolls the whole transaction back when a deferred write fails at commit', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    await expect(
      db.withUser({ userId: id, role: 'patient' }, async (tx) => {
        await tx.query(`UPDATE users SET first_name = 'Changed' WHERE id = $1`, [id]);
        tx.defer('SELECT 1 / 0');
      }),
    ).rejects.toThrow(/division by zero/);
    const row = await owner.query<{ first_name: string }>('SELECT first_name FROM users WHERE id = $1', [id]);
    expect(row.rows[0]?.first_name).toBe('Test');
  });

  it('commits deferred writes with the transaction', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    await db.withUser({ userId: id, role: 'patient' }, async (tx) => {
      tx.defer(`UPDATE users SET last_name = 'Deferred' WHERE id = $1`, [id]);
    });
    const row = await owner.query<{ last_name: string }>('SELECT last_name FROM users WHERE id = $1', [id]);
    expect(row.rows[0]?.last_name).toBe('Deferred');
  });

  it('refuses an unknown role or a malformed user id before touching the database', async () => {
    const { db } = t();
    await expect(db.withUser({ userId: 'not-a-uuid', role: 'patient' }, async () => 1)).rejects.toThrow(/UUID/);
    // @ts-expect-error: a role no client can have
    await expect(db.withUser({ userId: null, role: 'superuser' }, async () => 1)).rejects.toThrow(/unknown actor role/);
  });
});

describe('Database.withUser: what fn leaves behind', () => {
  it('a query fn fires after returning is refused, never run after COMMIT on a pooled client', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    let late: Promise<unknown> = Promise.resolve();
    await db.withUser({ userId: id, role: 'patient' }, async (tx) => {
      await tx.query('SELECT 1');
      // not awaited: would otherwise land after COMMIT
      late = new Promise((r) => setImmediate(r)).then(() =>
        tx.query(`UPDATE users SET first_name = 'Late' WHERE id = $1`, [id]),
      );
      late.catch(() => undefined); // checked below
    });
    await expect(late).rejects.toThrow('this transaction is over');
    const row = await owner.query<{ first_name: string }>('SELECT first_name FROM users WHERE id = $1', [id]);
    expect(row.rows[0]?.first_name).toBe('Test');
    expect(db.pool.totalCount).toBe(db.pool.idleCount);
  });

  it('an unawaited failing query of a failed fn does not crash the process (no unhandled rejection)', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(
        db.withUser({ userId: id, role: 'patient' }, async (tx) => {
          void tx.query('SELECT 1 / $1::int', [0]); // never awaited, on purpose
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('fn failed');
        }),
      ).rejects.toThrow('fn failed');
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(db.pool.totalCount).toBe(db.pool.idleCount);
  });

  it('a precondition that does not answer with a row count refuses (fails closed)', async () => {
    const { db, owner } = t();
    const id = await createUser(owner);
    let ran = false;
    await expect(
      db.withUser(
        { userId: id, role: 'patient' },
        async (tx) => {
          await tx.query('SELECT 1');
          ran = true;
        },
        {
          precondition: {
            text: 'SELECT 1 WHERE false; SELECT 42 AS x',
            values: [],
            refuse: () => new Error('session ended'),
          },
        },
      ),
    ).rejects.toThrow('session ended');
    expect(ran).toBe(false);
  });

  describe('readOnly: fn starts at once, its queries pipelined behind the precondition', () => {
    it('a refused precondition aborts the transaction before any of them runs', async () => {
      const { db, owner } = t();
      const id = await createUser(owner);
      await expect(
        db.withUser(
          { userId: id, role: 'patient' },
          async (tx) => {
            // a write stands in for "ran" here (what a read would do cannot be seen from outside)
            await tx.query(`UPDATE users SET first_name = 'Speculative' WHERE id = $1`, [id]);
            await tx.query(`UPDATE users SET last_name = 'Speculative' WHERE id = $1`, [id]);
          },
          {
            readOnly: true,
            precondition: { text: 'SELECT 1 WHERE $1::int = 2', values: [1], refuse: () => new Error('session ended') },
          },
        ),
      ).rejects.toThrow('session ended');
      const row = await owner.query<{ first_name: string; last_name: string }>(
        'SELECT first_name, last_name FROM users WHERE id = $1',
        [id],
      );
      expect(row.rows[0]?.first_name).toBe('Test');
      expect(row.rows[0]?.last_name).not.toBe('Speculative');
      expect(db.pool.totalCount).toBe(db.pool.idleCount);
      // the connection is clean for the next transaction
      const next = await db.withUser({ userId: id, role: 'patient' }, (tx) => tx.query('SELECT 1 AS one'));
      expect(next.rows[0]).toEqual({ one: 1 });
    });

    it('an accepted precondition (one row or several) runs fn under the context and commits its deferred rows', async () => {
      const { db, owner } = t();
      const id = await createUser(owner);
      for (const text of ['SELECT 1 WHERE $1::int = 1', 'SELECT g FROM generate_series($1::int, 3) g']) {
        const seen = await db.withUser(
          { userId: id, role: 'patient' },
          async (tx) => {
            const r = await tx.query<{ uid: string }>("SELECT current_setting('app.user_id') AS uid");
            tx.defer(`UPDATE users SET first_name = 'Deferred' WHERE id = $1`, [id]);
            return r.rows[0]?.uid;
          },
          { readOnly: true, precondition: { text, values: [1], refuse: () => new Error('session ended') } },
        );
        expect(seen).toBe(id);
      }
      const row = await owner.query<{ first_name: string }>('SELECT first_name FROM users WHERE id = $1', [id]);
      expect(row.rows[0]?.first_name).toBe('Deferred');
    });

    it("fn's own failure is reported as itself, not as a refusal", async () => {
      const { db, owner } = t();
      const id = await createUser(owner);
      await expect(
        db.withUser({ userId: id, role: 'patient' }, (tx) => tx.query('SELECT 1 / 0'), {
          readOnly: true,
          precondition: { text: 'SELECT 1 WHERE $1::int = 1', values: [1], refuse: () => new Error('session ended') },
        }),
      ).rejects.toThrow(/division by zero/);
      expect(db.pool.totalCount).toBe(db.pool.idleCount);
    });
  });
});
