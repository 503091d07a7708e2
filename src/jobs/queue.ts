/**
 * The job queue: pg-boss in the same database, schema `pgboss`.
 *
 * pg-boss's own tables and the queues (each a partition of pgboss.job) are created by the
 * owner at start-up (`installQueues`); the service then runs pg-boss logged in as
 * dastern_app with `migrate: false`, granted only the DML it needs on schema pgboss.
 * Job payloads carry ids only, never medical text.
 */
import PgBoss from 'pg-boss';
import { installBillingQueues } from '../billing/jobs.ts';

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
      retryLimit: tuning.retries, retryDelay: tuning.retryDelaySeconds, expireInSeconds: tuning.timeoutSeconds,
    },
  };
}

/** As the owner: install/upgrade pg-boss, create the queues, grant the service role. */
export async function installQueues(ownerUrl: string, tuning?: ReadingQueueTuning): Promise<void> {
  const boss = new PgBoss({ connectionString: ownerUrl, schema: SCHEMA, supervise: false, schedule: false, max: 2 });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    for (const [name, options] of Object.entries(queueOptions(tuning))) {
      const existing = await boss.getQueue(name);
      if (existing) await boss.updateQueue(name, { name, ...options });
      else await boss.createQueue(name, { name, ...options });
    }
    await installBillingQueues(boss);
    const db = boss.getDb();
    await db.executeSql(
      `GRANT USAGE ON SCHEMA ${SCHEMA} TO dastern_app;
       GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${SCHEMA} TO dastern_app;
       GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${SCHEMA} TO dastern_app;`,
      [],
    );
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

/** As dastern_app: the running queue. */
export async function startQueue(appUrl: string, options: QueueOptions, onError: (err: Error) => void): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: appUrl,
    schema: SCHEMA,
    migrate: false,
    supervise: options.supervise,
    schedule: options.supervise,
    ...(options.maintenanceIntervalSeconds !== undefined ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
    max: 4,
  });
  boss.on('error', onError);
  await boss.start();
  return boss;
}
