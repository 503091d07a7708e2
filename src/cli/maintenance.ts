/** `dastern maintenance cleanup-sessions | archive --days N`: the seed's maintenance tasks by hand. */
import type { Command } from 'commander';
import { commandLogLevel, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase } from '../db/bootstrap.ts';
import { Database } from '../db/database.ts';
import { archivePrescriptions, cleanupSessions, cleanupSignInThrottle } from '../jobs/maintenance.ts';

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
      const n = await asSystem(cleanupSessions);
      const throttles = await asSystem(cleanupSignInThrottle);
      process.stdout.write(`sessions removed: ${n}\nsign-in throttle rows removed: ${throttles}\n`);
    });
  m.command('archive')
    .description('archive prescriptions older than N days (archive_old_prescriptions)')
    .requiredOption('--days <n>', 'age in days', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 36500) throw new Error('--days must be a whole number of days (1-36500)');
      return n;
    })
    .action(async (opts: { days: number }) => {
      const n = await asSystem((db) => archivePrescriptions(db, opts.days));
      process.stdout.write(`prescriptions archived: ${n}\n`);
    });
}
