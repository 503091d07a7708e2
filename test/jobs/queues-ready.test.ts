/**
 * The root of "no reminder is ever sent": pg-boss's scheduler fires cron jobs through its own
 * queue `__pgboss__send-it`, which it creates at start as the login it runs with. The service's
 * logins may not create tables in schema pgboss, pg-boss swallowed the failure, and no cron job
 * ever ran. Now the owner creates every queue (installQueues), and a process whose queues or
 * schedules are missing refuses to start (assertQueuesReady).
 */
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, SEND_IT_QUEUE, assertQueuesReady, installQueues, startQueue } from '../../src/jobs/queue.ts';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase();
let boss: PgBoss;
const SCHEDULED = [QUEUES.dispatchReminders, QUEUES.cleanupSessions, QUEUES.archivePrescriptions];

beforeAll(async () => {
  await installQueues(t().ownerUrl);
  boss = await startQueue(t().workerUrl, { supervise: false }, () => undefined);
});
afterAll(async () => {
  await boss.stop({ graceful: false, wait: true });
});

describe('the job queue', () => {
  it("the jobs' login cannot create a queue itself (what pg-boss silently tried)", async () => {
    await expect(boss.createQueue(`attempt-${Date.now()}`)).rejects.toThrow(/permission denied/);
  });

  it("installQueues (as the owner) creates every queue, the scheduler's included", async () => {
    for (const name of [...Object.values(QUEUES), SEND_IT_QUEUE])
      expect(await boss.getQueue(name), name).not.toBeNull();
  });

  it('assertQueuesReady refuses a missing schedule, then a missing scheduler queue', async () => {
    await expect(assertQueuesReady(boss, SCHEDULED)).rejects.toThrow(
      /schedules missing: reminders-dispatch, maintenance-cleanup-sessions, maintenance-archive-prescriptions/,
    );
    for (const name of SCHEDULED) await boss.schedule(name, '* * * * *', {});
    await assertQueuesReady(boss, SCHEDULED);
    const owner = new PgBoss({
      connectionString: t().ownerUrl,
      schema: 'pgboss',
      supervise: false,
      schedule: false,
      max: 1,
    });
    owner.on('error', () => undefined);
    await owner.start();
    try {
      await owner.deleteQueue(SEND_IT_QUEUE);
    } finally {
      await owner.stop({ graceful: false, wait: true });
    }
    await expect(assertQueuesReady(boss, SCHEDULED)).rejects.toThrow(/queues missing: __pgboss__send-it/);
    // a start puts it back
    await installQueues(t().ownerUrl);
    await assertQueuesReady(boss, SCHEDULED);
  });
});
