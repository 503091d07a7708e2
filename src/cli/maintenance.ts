/** `dastern maintenance cleanup-sessions | archive --days N`: the seed's maintenance tasks by hand. */
import type { Command } from 'commander';
import { commandLogLevel, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase } from '../db/bootstrap.ts';
import { Database } from '../db/database.ts';
import {
  archiveAllLogPartitions,
  archivePrescriptions,
  cleanupSessions,
  cleanupSignIns,
  cleanupSignInThrottle,
  ensurePartitions,
} from '../jobs/maintenance.ts';

async function asSystem<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const urls = await prepareDatabase(config, createLogger(commandLogLevel()), { migrate: false, seedWhenNew: false });
  // as dastern_worker: the only login whose 'system' context counts
  const db = new Database(urls.workerUrl, { max: 1 });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await urls.embedded?.stop();
  }
}

export { cleanupSessions, cleanupSignInThrottle, archivePrescriptions };

export function registerMaintenanceCommands(program: Command): void {
  const m = program.command('maintenance').description('maintenance tasks (run as the system role)');
  m.command('cleanup-sessions')
    .description('delete expired and long-revoked sessions (cleanup_expired_sessions) and stale sign-in throttle rows')
    .action(async () => {
      const { sessions, throttles } = await asSystem(cleanupSignIns);
      process.stdout.write(`sessions removed: ${sessions}\nsign-in throttle rows removed: ${throttles}\n`);
    });
  m.command('archive')
    .description('archive prescriptions older than N days (archive_old_prescriptions)')
    .requiredOption('--days <n>', 'age in days', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 36500)
        throw new Error('--days must be a whole number of days (1-36500)');
      return n;
    })
    .action(async (opts: { days: number }) => {
      const n = await asSystem((db) => archivePrescriptions(db, opts.days));
      process.stdout.write(`prescriptions archived: ${n}\n`);
    });
  m.command('partitions')
    .description('make the monthly partitions of the log tables for this month and the next N (app_partitions_ensure)')
    .option(
      '--ahead <n>',
      'months ahead',
      (v) => wholeNumber('--ahead', v, 0, 36),
      loadConfig().jobs.partitionMonthsAhead,
    )
    .action(async (opts: { ahead: number }) => {
      const n = await asSystem((db) => ensurePartitions(db, opts.ahead));
      process.stdout.write(`partitions made: ${n}\n`);
    });
  m.command('archive-logs')
    .description(
      'move the months of dose logs and usage events before the last N to schema archive (detached, never deleted)',
    )
    .requiredOption('--keep-months <n>', 'months kept attached, this one included', (v) =>
      wholeNumber('--keep-months', v, 1, 1200),
    )
    .action(async (opts: { keepMonths: number }) => {
      for (const { table, partitions } of await asSystem((db) => archiveAllLogPartitions(db, opts.keepMonths))) {
        for (const p of partitions) process.stdout.write(`archived ${p.partition}: ${p.rows} rows\n`);
        process.stdout.write(`${table}: ${partitions.length} partitions archived\n`);
      }
    });
}

function wholeNumber(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number (${min}-${max})`);
  return n;
}
