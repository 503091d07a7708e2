/**
 * The seed's maintenance tasks, as the system role: shared by the scheduled jobs (workers.ts)
 * and `dastern maintenance` (cli/maintenance.ts). `db` must be the jobs' login (dastern_worker).
 */
import type { Database } from '../db/database.ts';
import { cleanupExpiredSessions, cleanupThrottle } from '../auth/queries.ts';
import { archiveOldPrescriptions } from '../prescriptions/queries.ts';
import { archivePartitionsSql, ensurePartitionsSql } from '../db/partitions.ts';

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

/** The partitioned log tables retention may archive (audit_logs stays whole: migration 030). */
export const ARCHIVABLE_LOG_TABLES = ['medication_reminder_logs', 'usage_analytics'] as const;
export type ArchivableLogTable = (typeof ARCHIVABLE_LOG_TABLES)[number];

/** Monthly partitions of this month and `monthsAhead` next ones, for every log table (app_partitions_ensure). */
export function ensurePartitions(db: Database, monthsAhead: number): Promise<number> {
  return db.withUser(SYSTEM, (tx) => ensurePartitionsSql(tx, monthsAhead));
}

/**
 * Retention: the months of `table` before the last `keepMonths` are detached and moved to schema
 * archive (app_partitions_archive) — kept, never deleted. Returns the partitions moved.
 */
export function archiveLogPartitions(
  db: Database,
  table: ArchivableLogTable,
  keepMonths: number,
): Promise<Array<{ partition: string; rows: number }>> {
  return db.withUser(SYSTEM, (tx) => archivePartitionsSql(tx, table, keepMonths));
}

/** The sign-in leftovers: expired sessions and stale throttle rows (the daily job, `dastern maintenance cleanup-sessions`). */
export async function cleanupSignIns(db: Database): Promise<{ sessions: number; throttles: number }> {
  const sessions = await cleanupSessions(db);
  const throttles = await cleanupSignInThrottle(db);
  return { sessions, throttles };
}

/** Retention over every archivable log table, one table after the other. */
export async function archiveAllLogPartitions(
  db: Database,
  keepMonths: number,
): Promise<Array<{ table: ArchivableLogTable; partitions: Array<{ partition: string; rows: number }> }>> {
  const moved: Array<{ table: ArchivableLogTable; partitions: Array<{ partition: string; rows: number }> }> = [];
  for (const table of ARCHIVABLE_LOG_TABLES)
    moved.push({ table, partitions: await archiveLogPartitions(db, table, keepMonths) });
  return moved;
}
