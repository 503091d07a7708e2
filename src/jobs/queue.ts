/**
 * The job queue: pg-boss in the same database, schema `pgboss`.
 *
 * pg-boss's own tables and EVERY queue (each a partition of pgboss.job: ours, and pg-boss's
 * internal `__pgboss__send-it` through which cron schedules are fired) are created by the
 * owner at start-up (`installQueues`); the processes then run pg-boss logged in as
 * dastern_worker (dastern_app for the API's sends) with `migrate: false`, granted only the DML
 * they need on schema pgboss: neither may create tables there. pg-boss swallows a failed
 * createQueue of its internal queue (its scheduler then silently never fires a cron job), so
 * `assertQueuesReady` checks after start that every queue and schedule exists, and a process
 * that finds one missing refuses to start.
 * Job payloads carry ids only, never medical text.
 */
import PgBoss from 'pg-boss';
import { queueGrants, withSessionLock } from '../db/cluster.ts';
import { installBillingQueues } from '../billing/jobs.ts';
import { ensureQueues } from './ensure-queues.ts';

export const QUEUES = {
  readPrescription: 'prescription-read',
  dispatchReminders: 'reminders-dispatch',
  deliverNotifications: 'notifications-deliver',
  cleanupSessions: 'maintenance-cleanup-sessions',
  archivePrescriptions: 'maintenance-archive-prescriptions',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Retry policy per queue: a reading that keeps failing ends as a failed job (and status error). */
const QUEUE_OPTIONS: Record<QueueName, Omit<PgBoss.Queue, 'name'>> = {
  [QUEUES.readPrescription]: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 300 },
  [QUEUES.dispatchReminders]: { retryLimit: 0, expireInSeconds: 120, policy: 'singleton' },
  // push and e-mail: a send that failed for a passing reason is retried after ~30 s, 1, 2, 4 min
  [QUEUES.deliverNotifications]: { retryLimit: 4, retryDelay: 30, retryBackoff: true, expireInSeconds: 300 },
  [QUEUES.cleanupSessions]: { retryLimit: 2, retryDelay: 60 },
  [QUEUES.archivePrescriptions]: { retryLimit: 2, retryDelay: 60 },
};

const SCHEMA = 'pgboss';
/** pg-boss's internal queue through which its cron scheduler sends the scheduled jobs (timekeeper.js). */
export const SEND_IT_QUEUE = '__pgboss__send-it';

/** Configurable parts of the reading queue's policy (config.jobs; tests shorten them). */
export interface ReadingQueueTuning {
  timeoutSeconds: number;
  retries: number;
  retryDelaySeconds: number;
}

function queueOptions(tuning: ReadingQueueTuning | undefined): Record<QueueName, Omit<PgBoss.Queue, 'name'>> {
  if (tuning === undefined) return QUEUE_OPTIONS;
  return {
    ...QUEUE_OPTIONS,
    [QUEUES.readPrescription]: {
      ...QUEUE_OPTIONS[QUEUES.readPrescription],
      retryLimit: tuning.retries,
      retryDelay: tuning.retryDelaySeconds,
      expireInSeconds: tuning.timeoutSeconds,
    },
  };
}

/**
 * As the owner: install/upgrade pg-boss, create the queues, grant the service role. One process
 * at a time (an advisory lock): `dastern serve` and `dastern worker` starting together would
 * otherwise deadlock on the queues' partitions and the grants.
 */
export async function installQueues(ownerUrl: string, tuning?: ReadingQueueTuning): Promise<void> {
  await withSessionLock(ownerUrl, 'install_queues', async () => {
    // a running process's queue may still collide with the grants: a deadlock victim tries again
    for (let attempt = 1; ; attempt++) {
      try {
        await installQueuesLocked(ownerUrl, tuning);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '40P01' || attempt >= 3) throw err;
      }
    }
  });
}

async function installQueuesLocked(ownerUrl: string, tuning?: ReadingQueueTuning): Promise<void> {
  const boss = new PgBoss({ connectionString: ownerUrl, schema: SCHEMA, supervise: false, schedule: false, max: 2 });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    await ensureQueues(boss, queueOptions(tuning));
    await installBillingQueues(boss);
    // pg-boss creates this one itself when its scheduler starts, as the login it runs with: a
    // role without CREATE on the schema fails, and pg-boss ignores the failure.
    if (!(await boss.getQueue(SEND_IT_QUEUE))) await boss.createQueue(SEND_IT_QUEUE);
    const db = boss.getDb();
    await db.executeSql(queueGrants(SCHEMA), []);
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

export interface QueueOptions {
  /** Run pg-boss maintenance and cron (one process should; every process may, pg-boss coordinates). */
  supervise: boolean;
  /** How often expired jobs are failed over to a retry (pg-boss default 120 s). */
  maintenanceIntervalSeconds?: number;
}

/**
 * Throws unless every queue and every given schedule exists: a cron job that can never fire
 * must stop the process at start, not be discovered by a patient whose reminders never came.
 */
export async function assertQueuesReady(boss: PgBoss, scheduled: readonly string[]): Promise<void> {
  const names: string[] = [...Object.values(QUEUES), SEND_IT_QUEUE];
  const missing: string[] = [];
  for (const name of names) if (!(await boss.getQueue(name))) missing.push(name);
  const schedules = new Set((await boss.getSchedules()).map((s) => s.name));
  const unscheduled = scheduled.filter((name) => !schedules.has(name));
  if (missing.length > 0 || unscheduled.length > 0) {
    throw new Error(
      `job queue not ready: ${missing.length > 0 ? `queues missing: ${missing.join(', ')}` : ''}` +
        `${unscheduled.length > 0 ? ` schedules missing: ${unscheduled.join(', ')}` : ''} (installQueues runs as the database owner)`,
    );
  }
}

/** As dastern_worker (or dastern_app, for an API that only sends): the running queue. */
export async function startQueue(url: string, options: QueueOptions, onError: (err: Error) => void): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: SCHEMA,
    migrate: false,
    supervise: options.supervise,
    schedule: options.supervise,
    // the scheduler's own polling (default 30 s / 5 s): a cron job due this minute fires within seconds
    cronMonitorIntervalSeconds: 10,
    cronWorkerIntervalSeconds: 2,
    ...(options.maintenanceIntervalSeconds !== undefined
      ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }
      : {}),
    max: 4,
  });
  boss.on('error', onError);
  await boss.start();
  return boss;
}
