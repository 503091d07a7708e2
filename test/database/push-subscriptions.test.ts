/** push_subscriptions (migration 006): constraints, RLS from both sides, app_push_subscribe, audit redaction. */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createUser } from './fixtures.ts';

const t = useTestDatabase();
// DROP DATABASE … WITH (FORCE) may reach an owner connection that is still closing.
beforeAll(() => void t().owner.on('error', () => undefined));

/** A real browser-like key pair: p256dh = 65-byte uncompressed P-256 point, auth = 16 bytes, base64url. */
function keys(): { p256dh: string; auth: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}
const endpoint = (): string => `https://fcm.googleapis.com/fcm/send/${randomUUID()}`;

async function insertAsOwner(
  userId: string,
  values: Partial<{ endpoint: string; p256dh: string; auth: string; failure_count: number; user_agent: string }> = {},
): Promise<string> {
  const k = keys();
  const res = await t().owner.query<{ id: string }>(
    `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, failure_count, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      userId,
      values.endpoint ?? endpoint(),
      values.p256dh ?? k.p256dh,
      values.auth ?? k.auth,
      values.failure_count ?? 0,
      values.user_agent ?? null,
    ],
  );
  return res.rows[0]!.id;
}

describe('push_subscriptions constraints', () => {
  it('accepts real keys, https endpoints and http only on the loopback', async () => {
    const u = await createUser(t().owner);
    await insertAsOwner(u);
    await insertAsOwner(u, { endpoint: `http://127.0.0.1:4567/push/${randomUUID()}` });
    await insertAsOwner(u, { endpoint: `http://localhost:8080/${randomUUID()}` });
    const k = keys();
    await insertAsOwner(u, { p256dh: `${k.p256dh}=`, auth: `${k.auth}==` }); // padded base64url is fine too
    const row = await t().owner.query(
      'SELECT failure_count, disabled_at, last_success_at, created_at = updated_at AS fresh FROM push_subscriptions WHERE user_id = $1 LIMIT 1',
      [u],
    );
    expect(row.rows[0]).toEqual({ failure_count: 0, disabled_at: null, last_success_at: null, fresh: true });
  });

  it.each([
    ['a plain-http endpoint off the loopback', { endpoint: 'http://push.example.com/x' }],
    ['a non-URL endpoint', { endpoint: 'push.example.com/x' }],
    ['a javascript: endpoint', { endpoint: 'javascript:alert(1)' }],
    ['an endpoint with whitespace', { endpoint: 'https://push.example.com/a b' }],
    ['an endpoint over 2048 characters', { endpoint: `https://push.example.com/${'a'.repeat(2030)}` }],
    ['a short p256dh', { p256dh: 'A'.repeat(43) }],
    ['a p256dh in standard base64', { p256dh: `${'A'.repeat(86)}+` }],
    ['an auth of 8 bytes', { auth: 'A'.repeat(11) }],
    ['an auth with invalid characters', { auth: `${'A'.repeat(21)}/` }],
    ['a negative failure count', { failure_count: -1 }],
    ['a user agent over 1024 characters', { user_agent: 'x'.repeat(1025) }],
  ])('rejects %s', async (_name, values) => {
    const u = await createUser(t().owner);
    await expect(insertAsOwner(u, values)).rejects.toMatchObject({ code: '23514' });
  });

  it('an endpoint belongs to one subscription; rows go with their user', async () => {
    const u = await createUser(t().owner);
    const e = endpoint();
    await insertAsOwner(u, { endpoint: e });
    await expect(insertAsOwner(await createUser(t().owner), { endpoint: e })).rejects.toMatchObject({ code: '23505' });
    await expect(insertAsOwner(randomUUID())).rejects.toMatchObject({ code: '23503' });
    await t().owner.query('DELETE FROM users WHERE id = $1', [u]);
    expect((await t().owner.query('SELECT 1 FROM push_subscriptions WHERE endpoint = $1', [e])).rowCount).toBe(0);
  });

  it('updated_at follows changes', async () => {
    const id = await insertAsOwner(await createUser(t().owner));
    await t().owner.query(
      "UPDATE push_subscriptions SET created_at = now() - interval '1 day', updated_at = now() - interval '1 day' WHERE id = $1",
      [id],
    );
    await t().owner.query('UPDATE push_subscriptions SET failure_count = 1 WHERE id = $1', [id]);
    const res = await t().owner.query('SELECT updated_at > created_at AS moved FROM push_subscriptions WHERE id = $1', [
      id,
    ]);
    expect(res.rows[0]).toEqual({ moved: true });
  });
});

describe('push_subscriptions row level security', () => {
  it('the owner manages her own; another patient, a doctor and an admin see and change nothing', async () => {
    const owner = await createUser(t().owner);
    const other = await createUser(t().owner);
    const doctor = await createUser(t().owner, { role: 'doctor' });
    const admin = await createUser(t().owner, { role: 'admin' });
    const k = keys();
    const e = endpoint();
    const id = await t().asUser({ userId: owner, role: 'patient' }, async (tx) => {
      const res = await tx.query<{ id: string }>(
        'INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, user_agent) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [owner, e, k.p256dh, k.auth, 'Mozilla/5.0'],
      );
      return res.rows[0]!.id;
    });
    const mine = await t().asUser({ userId: owner, role: 'patient' }, (tx) =>
      tx.query('SELECT id, endpoint FROM push_subscriptions'),
    );
    expect(mine.rows).toEqual([{ id, endpoint: e }]);
    for (const actor of [
      { userId: other, role: 'patient' as const },
      { userId: doctor, role: 'doctor' as const },
      { userId: admin, role: 'admin' as const },
      { userId: null, role: 'patient' as const },
    ]) {
      await t().asUser(actor, async (tx) => {
        expect(
          (await tx.query('SELECT count(*)::int AS n FROM push_subscriptions')).rows,
          JSON.stringify(actor),
        ).toEqual([{ n: 0 }]);
        expect((await tx.query('UPDATE push_subscriptions SET disabled_at = now() WHERE id = $1', [id])).rowCount).toBe(
          0,
        );
        expect((await tx.query('DELETE FROM push_subscriptions WHERE id = $1', [id])).rowCount).toBe(0);
      });
    }
    // nobody subscribes for somebody else (not even an admin)
    for (const actor of [
      { userId: other, role: 'patient' as const },
      { userId: admin, role: 'admin' as const },
    ]) {
      const k2 = keys();
      await expect(
        t().asUser(actor, (tx) =>
          tx.query('INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)', [
            owner,
            endpoint(),
            k2.p256dh,
            k2.auth,
          ]),
        ),
      ).rejects.toMatchObject({ code: '42501' });
    }
    // nor moves her own row to another user
    await expect(
      t().asUser({ userId: owner, role: 'patient' }, (tx) =>
        tx.query('UPDATE push_subscriptions SET user_id = $2 WHERE id = $1', [id, other]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const still = await t().owner.query('SELECT user_id, disabled_at FROM push_subscriptions WHERE id = $1', [id]);
    expect(still.rows).toEqual([{ user_id: owner, disabled_at: null }]);
    // the owner removes her device
    expect(
      (
        await t().asUser({ userId: owner, role: 'patient' }, (tx) =>
          tx.query('DELETE FROM push_subscriptions WHERE id = $1', [id]),
        )
      ).rowCount,
    ).toBe(1);
  });

  it("'system' (the dispatcher) reads all, records deliveries and disables dead endpoints", async () => {
    const a = await insertAsOwner(await createUser(t().owner));
    const b = await insertAsOwner(await createUser(t().owner));
    const system = { userId: null, role: 'system' as const };
    await t().asUser(system, async (tx) => {
      const seen = await tx.query<{ id: string }>('SELECT id FROM push_subscriptions WHERE id = ANY ($1::uuid[])', [
        [a, b],
      ]);
      expect(seen.rows.map((r) => r.id).sort()).toEqual([a, b].sort());
      await tx.query('UPDATE push_subscriptions SET last_success_at = now(), failure_count = 0 WHERE id = $1', [a]);
      await tx.query(
        'UPDATE push_subscriptions SET failure_count = failure_count + 1, disabled_at = now() WHERE id = $1',
        [b],
      );
    });
    const rows = await t().owner.query(
      'SELECT id, last_success_at IS NOT NULL AS ok, disabled_at IS NOT NULL AS off FROM push_subscriptions WHERE id = ANY ($1::uuid[]) ORDER BY id',
      [[a, b]],
    );
    expect(rows.rows).toEqual(
      [
        { id: a, ok: true, off: false },
        { id: b, ok: false, off: true },
      ].sort((x, y) => x.id.localeCompare(y.id)),
    );
    expect(
      (await t().asUser(system, (tx) => tx.query('DELETE FROM push_subscriptions WHERE id = $1', [b]))).rowCount,
    ).toBe(1);
  });
});

describe('app_push_subscribe', () => {
  it('subscribes the signed-in user; the same endpoint re-subscribed with its keys (proof) is taken over, without them refused', async () => {
    const dara = await createUser(t().owner);
    const sok = await createUser(t().owner);
    const e = endpoint();
    const k1 = keys();
    const id = (
      await t().asUser({ userId: dara, role: 'patient' }, (tx) =>
        tx.query<{ id: string }>('SELECT app_push_subscribe($1, $2, $3, $4) AS id', [e, k1.p256dh, k1.auth, 'Firefox']),
      )
    ).rows[0]!.id;
    await t().owner.query('UPDATE push_subscriptions SET failure_count = 3, disabled_at = now() WHERE id = $1', [id]);
    const k2 = keys();
    // another account with other keys: the takeover is refused
    await expect(
      t().asUser({ userId: sok, role: 'patient' }, (tx) =>
        tx.query('SELECT app_push_subscribe($1, $2, $3) AS id', [e, k2.p256dh, k2.auth]),
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'push_subscriptions_endpoint_key' });
    // her own browser with new keys, then another account on the same browser (same keys)
    await t().asUser({ userId: dara, role: 'patient' }, (tx) =>
      tx.query('SELECT app_push_subscribe($1, $2, $3)', [e, k2.p256dh, k2.auth]),
    );
    const again = (
      await t().asUser({ userId: sok, role: 'patient' }, (tx) =>
        tx.query<{ id: string }>('SELECT app_push_subscribe($1, $2, $3) AS id', [e, k2.p256dh, k2.auth]),
      )
    ).rows[0]!.id;
    expect(again).toBe(id);
    const row = await t().owner.query(
      'SELECT user_id, p256dh, failure_count, disabled_at FROM push_subscriptions WHERE id = $1',
      [id],
    );
    expect(row.rows).toEqual([{ user_id: sok, p256dh: k2.p256dh, failure_count: 0, disabled_at: null }]);
    expect(
      (await t().asUser({ userId: dara, role: 'patient' }, (tx) => tx.query('SELECT 1 FROM push_subscriptions')))
        .rowCount,
    ).toBe(0);
  });

  it('refuses without a signed-in, active user and checks the values', async () => {
    const k = keys();
    const inactive = await createUser(t().owner);
    await t().owner.query('UPDATE users SET is_active = false WHERE id = $1', [inactive]);
    for (const actor of [
      { userId: null, role: 'system' as const },
      { userId: inactive, role: 'patient' as const },
    ]) {
      await expect(
        t().asUser(actor, (tx) => tx.query('SELECT app_push_subscribe($1, $2, $3)', [endpoint(), k.p256dh, k.auth])),
      ).rejects.toMatchObject({ code: '42501' });
    }
    const u = await createUser(t().owner);
    await expect(
      t().asUser({ userId: u, role: 'patient' }, (tx) =>
        tx.query('SELECT app_push_subscribe($1, $2, $3)', ['http://10.0.0.1/x', k.p256dh, k.auth]),
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });
});

describe('push_subscriptions audit', () => {
  it('records changes with the endpoint and keys redacted; delivery bookkeeping alone writes no row', async () => {
    const u = await createUser(t().owner);
    const k = keys();
    const id = (
      await t().asUser({ userId: u, role: 'patient' }, (tx) =>
        tx.query<{ id: string }>('SELECT app_push_subscribe($1, $2, $3, $4) AS id', [
          endpoint(),
          k.p256dh,
          k.auth,
          'Chrome',
        ]),
      )
    ).rows[0]!.id;
    await t().asUser({ userId: null, role: 'system' }, (tx) =>
      tx.query('UPDATE push_subscriptions SET last_success_at = now(), failure_count = 2 WHERE id = $1', [id]),
    );
    await t().asUser({ userId: null, role: 'system' }, (tx) =>
      tx.query('UPDATE push_subscriptions SET disabled_at = now() WHERE id = $1', [id]),
    );
    const rows = await t().owner.query<{
      action: string;
      actor_user_id: string | null;
      subject_user_id: string;
      new_values: Record<string, unknown>;
    }>(
      "SELECT action, actor_user_id, subject_user_id, new_values FROM audit_logs WHERE table_name = 'push_subscriptions' AND resource_id = $1 ORDER BY seq",
      [id],
    );
    expect(rows.rows.map((r) => r.action)).toEqual(['insert', 'update']);
    expect(rows.rows[0]).toMatchObject({ actor_user_id: u, subject_user_id: u });
    expect(rows.rows[0]!.new_values).toMatchObject({
      endpoint: '[REDACTED]',
      p256dh: '[REDACTED]',
      auth: '[REDACTED]',
      user_agent: 'Chrome',
    });
    expect(Object.keys(rows.rows[1]!.new_values)).toEqual(['disabled_at']);
    const leaked = await t().owner.query(
      "SELECT count(*)::int AS n FROM audit_logs WHERE new_values::text LIKE '%' || $1 || '%'",
      [k.p256dh.slice(0, 40)],
    );
    expect(leaked.rows[0]).toEqual({ n: 0 });
  });
});
