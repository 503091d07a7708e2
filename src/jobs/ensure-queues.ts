import type PgBoss from 'pg-boss';

/**
 * Creates the queues that are missing and updates those whose options differ from `wanted`
 * (pg-boss's updateQueue sets the options given and the policy, 'standard' when none is given).
 * One read when nothing changed, instead of a read and a write per queue at every start.
 */
export async function ensureQueues(boss: PgBoss, wanted: Record<string, Omit<PgBoss.Queue, 'name'>>): Promise<void> {
  const existing = new Map((await boss.getQueues()).map((q) => [q.name, q]));
  for (const [name, options] of Object.entries(wanted)) {
    const found = existing.get(name);
    if (found === undefined) await boss.createQueue(name, { name, ...options });
    else if (!sameOptions(found, options)) await boss.updateQueue(name, { name, ...options });
  }
}

function sameOptions(found: PgBoss.QueueResult, options: Omit<PgBoss.Queue, 'name'>): boolean {
  const given = Object.entries(options).filter(([, v]) => v !== undefined);
  return (
    found.policy === (options.policy ?? 'standard') &&
    given.every(([k, v]) => (found as unknown as Record<string, unknown>)[k] === v)
  );
}
