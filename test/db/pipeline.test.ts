/** src/db/pipeline.ts: queries sent together in one write, statements prepared once per connection. */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { namedStatement, PipelinedClient, sendTogether } from '../../src/db/pipeline.ts';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase();

describe('sendTogether', () => {
  it('corks the socket while the queries are issued and answers each, in order', async () => {
    const client = new PipelinedClient(t().ownerUrl);
    await client.connect();
    try {
      let corkedInside = 0;
      const answers = await Promise.all(
        sendTogether(client, () => {
          const sent = [
            client.query<{ n: number }>('SELECT 1 AS n'),
            client.query<{ n: number }>('SELECT $1::int AS n', [2]),
            client.query<{ n: number }>('SELECT 3 AS n'),
          ];
          corkedInside = client.socket.writableCorked;
          return sent;
        }),
      );
      expect(corkedInside).toBeGreaterThan(0);
      expect(client.socket.writableCorked).toBe(0);
      expect(answers.map((a) => a.rows[0]?.n)).toEqual([1, 2, 3]);
    } finally {
      await client.end();
    }
  });

  it('uncorks when issuing throws, and leaves a plain pg client alone', async () => {
    const client = new PipelinedClient(t().ownerUrl);
    await client.connect();
    const plain = new pg.Client({ connectionString: t().ownerUrl });
    await plain.connect();
    try {
      expect(() =>
        sendTogether(client, () => {
          throw new Error('while issuing');
        }),
      ).toThrow('while issuing');
      expect(client.socket.writableCorked).toBe(0);
      expect((await client.query('SELECT 1 AS n')).rows[0]).toEqual({ n: 1 });
      const res = await sendTogether(plain, () => plain.query<{ n: number }>('SELECT 4 AS n'));
      expect(res.rows[0]?.n).toBe(4);
    } finally {
      await client.end();
      await plain.end();
    }
  });
});

describe('namedStatement', () => {
  it('names a parameterised text by its hash; a text without parameters stays unnamed', () => {
    const a = namedStatement('SELECT $1::int', [1]);
    expect(a.name).toMatch(/^dt_[A-Za-z0-9_-]{27}$/);
    expect(namedStatement('SELECT $1::int', [2]).name).toBe(a.name);
    expect(namedStatement('SELECT $1::int + 0', [1]).name).not.toBe(a.name);
    expect(namedStatement('SELECT 1; SELECT 2', []).name).toBeUndefined();
    expect(namedStatement('SELECT 1', undefined)).toEqual({ text: 'SELECT 1' });
  });

  it('names nothing when preparing is off (behind a pooler that keeps no prepared statement)', () => {
    expect(namedStatement('SELECT $1::int', [1], false)).toEqual({ text: 'SELECT $1::int', values: [1] });
  });

  it('a connection parses a named statement once and reuses it', async () => {
    const { db } = t();
    const seen = await db.withUser({ userId: null, role: 'patient' }, async (tx) => {
      for (let i = 0; i < 3; i++) await tx.query('SELECT $1::int AS n', [i]);
      return tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = 'SELECT $1::int AS n'`,
        [] as unknown[],
      );
    });
    expect(seen.rows[0]?.n).toBe(1);
  });
});
