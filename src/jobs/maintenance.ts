/**
 * The seed's maintenance tasks, as the system role: shared by the scheduled jobs (workers.ts)
 * and `dastern maintenance` (cli/maintenance.ts). `db` must be the jobs' login (dastern_worker).
 */
import type { Database } from '../db/database.ts';
import { cleanupExpiredSessions, cleanupThrottle } from '../auth/queries.ts';
import { archiveOldPrescriptions } from '../prescriptions/queries.ts';

const SYSTEM = { userId: null, role: 'system' } as const;

/** Expired and long-revoked sessions (cleanup_expired_sessions). */
export function cleanupSessions(db: Database): Promise<number> {
  return db.withUser(SYSTEM, cleanupExpiredSessions);
}

/** Sign-in failure counters untouched for a day and no longer blocking (app_auth_throttle_cleanup). */
export function cleanupSignInThrottle(db: Database): Promise<number> {
  return db.withUser(SYSTEM, cleanupThrottle);
}

/** Prescriptions older than `days` archived (archive_old_prescriptions). */
export function archivePrescriptions(db: Database, days: number): Promise<number> {
  return db.withUser(SYSTEM, (tx) => archiveOldPrescriptions(tx, days));
}
