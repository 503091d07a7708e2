/**
 * The seed's maintenance tasks, as the system role: shared by the scheduled jobs (workers.ts)
 * and `dastern maintenance` (cli/maintenance.ts). `db` must be the jobs' login (dastern_worker).
 */
import type { Database } from '../db/database.ts';

const SYSTEM = { userId: null, role: 'system' } as const;

async function count(db: Database, sql: string, values: unknown[] = []): Promise<number> {
  return db.withUser(SYSTEM, async (tx) => Number((await tx.query<{ n: number }>(sql, values)).rows[0]?.n ?? 0));
}

/** Expired and long-revoked sessions (cleanup_expired_sessions). */
export function cleanupSessions(db: Database): Promise<number> {
  return count(db, 'SELECT cleanup_expired_sessions() AS n');
}

/** Sign-in failure counters untouched for a day and no longer blocking (app_auth_throttle_cleanup). */
export function cleanupSignInThrottle(db: Database): Promise<number> {
  return count(db, 'SELECT app_auth_throttle_cleanup() AS n');
}

/** Prescriptions older than `days` archived (archive_old_prescriptions). */
export function archivePrescriptions(db: Database, days: number): Promise<number> {
  return count(db, 'SELECT archive_old_prescriptions($1) AS n', [days]);
}
