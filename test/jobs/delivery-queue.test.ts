/**
 * Delivery through the queue: the dispatcher's notification ids become `notifications-deliver`
 * jobs that the delivery workers run; a passing failure leaves the job for a retry; a
 * notification whose job was lost is found by the sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type PgBoss from 'pg-boss';
import { Deliverer } from '../../src/delivery/deliverer.ts';
import { enqueueDeliveries, startDeliveryWorkers, unattemptedIds } from '../../src/delivery/jobs.ts';
import { QUEUES, installQueues, startQueue } from '../../src/jobs/queue.ts';
import { createLogger } from '../../src/log.ts';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';
import { useTestDatabase } from '../support/db.ts';
import { createUser } from '../database/fixtures.ts';
import { waitFor } from './support.ts';

const t = useTestDatabase();
let boss: PgBoss;
const sent: MailMessage[] = [];
let failNext = 0;
const mailer: Mailer = {
  async send(m) {
    if (failNext > 0) {
      failNext -= 1;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' });
    }
    sent.push(m);
  },
  close() {},
};

beforeAll(async () => {
  await installQueues(t().ownerUrl);
  boss = await startQueue(t().workerUrl, { supervise: false }, () => undefined);
  const deliverer = new Deliverer({
    db: t().worker,
    mailer,
    push: undefined,
    logger: createLogger('silent'),
    publicUrl: 'https://app.example',
  });
  await startDeliveryWorkers(boss, deliverer, 1, 0.5);
});
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
});

async function notification(minutesAgo = 0): Promise<{ id: string; email: string }> {
  const user = await createUser(t().owner);
  await t().owner.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [user]);
  const res = await t().owner.query<{ id: string; email: string }>(
    `INSERT INTO notifications (user_id, type, title, body, channels, created_at)
     SELECT id, 'refill', 'Refill', 'Metformin: 2 days left', '{in_app,email}', now() - make_interval(mins => $2) FROM users WHERE id = $1
     RETURNING id, (SELECT email FROM users WHERE id = $1) AS email`,
    [user, minutesAgo],
  );
  return res.rows[0]!;
}

async function status(id: string): Promise<string> {
  return (
    await t().owner.query<{ s: string }>('SELECT delivery_status::text AS s FROM notifications WHERE id = $1', [id])
  ).rows[0]!.s;
}

describe('delivery jobs', () => {
  it('delivers the ids of a job, in chunks', async () => {
    const ns = [await notification(), await notification(), await notification()];
    expect(
      await enqueueDeliveries(
        boss,
        ns.map((n) => n.id),
      ),
    ).toBe(1);
    for (const n of ns) await waitFor('sent', async () => ((await status(n.id)) === 'sent' ? true : undefined), 15_000);
    expect(sent.filter((m) => ns.some((n) => n.email === m.to))).toHaveLength(3);
    expect(sent.every((m) => !m.text.includes('Metformin'))).toBe(true);
  });

  it('leaves a job with a passing failure for a retry', async () => {
    const n = await notification();
    failNext = 1;
    await enqueueDeliveries(boss, [n.id]);
    const job = await waitFor(
      'the job to wait for a retry',
      async () => {
        const r = await t().owner.query<{ state: string }>(
          `SELECT state FROM pgboss.job WHERE name = $1 AND data->'ids' ? $2`,
          [QUEUES.deliverNotifications, n.id],
        );
        return r.rows[0]?.state === 'retry' ? r.rows[0] : undefined;
      },
      15_000,
    );
    expect(job.state).toBe('retry');
    expect(await status(n.id)).toBe('pending');
  });

  it('finds notifications whose job was lost (2 to 60 minutes old, never attempted)', async () => {
    const lost = await notification(5);
    const fresh = await notification(0);
    const stale = await notification(90);
    const ids = await unattemptedIds(t().worker);
    expect(ids).toContain(lost.id);
    expect(ids).not.toContain(fresh.id);
    expect(ids).not.toContain(stale.id);
  });
});
