/**
 * ensureQueues (src/jobs/ensure-queues.ts): a start creates the missing queues, updates the ones
 * whose options changed, and writes nothing when they are as wanted.
 */
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureQueues } from '../../src/jobs/ensure-queues.ts';
import { installQueues } from '../../src/jobs/queue.ts';
import { useTestDatabase } from '../support/db.ts';

const t = useTestDatabase();
let owner: PgBoss;

beforeAll(async () => {
  await installQueues(t().ownerUrl);
  owner = new PgBoss({ connectionString: t().ownerUrl, schema: 'pgboss', supervise: false, schedule: false, max: 1 });
  owner.on('error', () => undefined);
  await owner.start();
});
afterAll(async () => {
  await owner.stop({ graceful: false, wait: true });
});

describe('ensureQueues', () => {
  it('creates, leaves alone when unchanged, updates when an option or the policy changed', async () => {
    const name = `ensure-${Date.now()}`;
    await ensureQueues(owner, { [name]: { retryLimit: 2, retryDelay: 60 } });
    const created = await owner.getQueue(name);
    expect(created).toMatchObject({ retryLimit: 2, retryDelay: 60, policy: 'standard' });

    await ensureQueues(owner, { [name]: { retryLimit: 2, retryDelay: 60 } });
    expect((await owner.getQueue(name))?.updatedOn).toEqual(created?.updatedOn);

    await ensureQueues(owner, { [name]: { retryLimit: 3, retryDelay: 60 } });
    const changed = await owner.getQueue(name);
    expect(changed).toMatchObject({ retryLimit: 3, retryDelay: 60 });
    expect(changed?.updatedOn).not.toEqual(created?.updatedOn);

    await ensureQueues(owner, { [name]: { retryLimit: 3, retryDelay: 60, retryBackoff: true } });
    expect(await owner.getQueue(name)).toMatchObject({ retryBackoff: true });

    // the policy is compared too
    await ensureQueues(owner, { [name]: { retryLimit: 3, retryDelay: 60, retryBackoff: true, policy: 'singleton' } });
    expect((await owner.getQueue(name))?.policy).toBe('singleton');
  });
});
