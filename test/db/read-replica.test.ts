/**
 * ReadReplica's rules without a replica (test/process/scale-out.test.ts runs a real one): the
 * "replica" here is the test database opened read-only (default_transaction_read_only, as a hot
 * standby refuses writes), or an address where nothing listens.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.ts';
import { ReadReplica, lsnValue } from '../../src/db/read-replica.ts';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase({ seed: true });
const opened: Database[] = [];
afterAll(async () => {
  for (const d of opened) await d.close();
});

function readOnly(url: string): Database {
  const u = new URL(url);
  u.searchParams.set('options', '-c default_transaction_read_only=on');
  const d = new Database(u.toString(), { max: 2 });
  opened.push(d);
  return d;
}

async function patient(): Promise<string> {
  return (await t().owner.query<{ id: string }>("SELECT id FROM users WHERE email = 'dara.sok@example.com'")).rows[0]!
    .id;
}

describe('ReadReplica', () => {
  it("reads on the replica and writes a read's deferred audit row on the primary", async () => {
    const r = new ReadReplica(t().db, readOnly(t().appUrl));
    const me = await patient();
    const count = await r.withUser(
      { userId: me, role: 'patient' },
      async (tx) => {
        const n = (
          await tx.query<{ n: string; ro: string }>(
            "SELECT count(*) AS n, current_setting('transaction_read_only') AS ro FROM prescriptions",
          )
        ).rows[0]!;
        tx.defer(
          `INSERT INTO audit_logs (actor_user_id, actor_role, action, table_name, request_id, ip_address) VALUES ($1, 'patient', 'list', 'prescriptions', 'replica-unit-1', app_client_ip())`,
          [me],
        );
        return n;
      },
      { ip: '203.0.113.9' },
    );
    expect(count.ro).toBe('on'); // it ran on the read-only side
    expect(Number(count.n)).toBeGreaterThan(0);
    const audit = await t().owner.query(
      "SELECT actor_user_id, host(ip_address) AS ip FROM audit_logs WHERE request_id = 'replica-unit-1'",
    );
    expect(audit.rows).toEqual([{ actor_user_id: me, ip: '203.0.113.9' }]);
    expect(r.served).toEqual({ replica: 1, primary: 0 });
  });

  it('a function that writes is run again on the primary, once; an unreachable replica is passed over', async () => {
    const r = new ReadReplica(t().db, readOnly(t().appUrl));
    const me = await patient();
    const write = (tx: Parameters<Parameters<Database['withUser']>[1]>[0]) =>
      tx.query(
        "UPDATE users SET timezone = 'Asia/Phnom_Penh' WHERE id = $1 RETURNING current_setting('transaction_read_only') AS ro",
        [me],
      );
    const res = await r.withUser({ userId: me, role: 'patient' }, write);
    expect(res.rows).toEqual([{ ro: 'off' }]);
    expect(r.served).toEqual({ replica: 0, primary: 1 });

    const down = new URL(t().appUrl);
    down.port = '1';
    const gone = new Database(down.toString(), { max: 1 });
    opened.push(gone);
    const r2 = new ReadReplica(t().db, gone);
    const n = await r2.withUser(
      { userId: me, role: 'patient' },
      async (tx) => (await tx.query('SELECT 1 AS one')).rows[0],
    );
    expect(n).toEqual({ one: 1 });
    expect(r2.served).toEqual({ replica: 0, primary: 1 });
    // a position to wait for, on a replica that cannot be asked: the primary
    await expect(
      r2.withUser(
        { userId: me, role: 'patient' },
        async (tx) => (await tx.query('SELECT 2 AS two')).rows[0],
        {},
        lsnValue('0/1'),
      ),
    ).resolves.toEqual({ two: 2 });
  });

  it('a refusal on the replica is asked again of the primary, whose answer stands', async () => {
    const r = new ReadReplica(t().db, readOnly(t().appUrl));
    const me = await patient();
    const refused = new Error('refused by the primary');
    await expect(
      r.withUser({ userId: me, role: 'patient' }, async (tx) => tx.query('SELECT 1'), {
        precondition: { text: 'SELECT 1 WHERE false', values: [], refuse: () => refused },
      }),
    ).rejects.toBe(refused);
    expect(r.served).toEqual({ replica: 0, primary: 1 });
  });

  it('reads WAL positions; a server not in recovery is always caught up', async () => {
    expect(lsnValue('0/16B3748')).toBe(0x16b3748n);
    expect(lsnValue('1/0')).toBe(1n << 32n);
    expect(lsnValue('x/1')).toBeUndefined();
    const r = new ReadReplica(t().db, readOnly(t().appUrl));
    expect(await r.caughtUp(lsnValue('FFFFFFFF/FFFFFFFF')!)).toBe(true);
  });
});
