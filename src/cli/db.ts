import type { Command } from 'commander';
import { commandLogLevel, loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase } from '../db/bootstrap.ts';
import { withMigrator, loadDevelopmentData, type Migrator } from '../db/migrations.ts';

/** Runs fn with the owner URL: DATABASE_URL, or the embedded server (started, then stopped). */
async function withOwnerUrl<T>(config: Config, fn: (ownerUrl: string) => Promise<T>): Promise<T> {
  const logger = createLogger(commandLogLevel());
  const urls = await prepareDatabase(config, logger, { migrate: false, seedWhenNew: false, logins: false });
  try {
    return await fn(urls.ownerUrl);
  } finally {
    await urls.embedded?.stop();
  }
}

function migrate(fn: (m: Migrator) => Promise<void>): () => Promise<void> {
  return async () => {
    const config = loadConfig();
    await withOwnerUrl(config, (url) => withMigrator(url, fn));
  };
}

const print = (line: string): void => void process.stdout.write(`${line}\n`);

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('migrations and demo data on DATABASE_URL (or the embedded database)');
  db.command('migrate')
    .description('apply every pending migration')
    .action(
      migrate(async (m) => {
        const done = await m.up();
        print(done.length === 0 ? 'already up to date' : `applied: ${done.join(', ')}`);
      }),
    );
  db.command('rollback')
    .description('roll back the last migration (or --to 0: all of them)')
    .option('--steps <n>', 'how many migrations to roll back', '1')
    .option('--to <n>', 'roll back to this migration number (only 0 is supported: everything)')
    .action(async (opts: { steps: string; to?: string }) => {
      if (opts.to !== undefined && opts.to !== '0') throw new Error('--to only accepts 0');
      const steps = Number(opts.steps);
      if (!Number.isInteger(steps) || steps < 1) throw new Error('--steps must be a positive integer');
      await migrate(async (m) => {
        const done = opts.to === '0' ? await m.down({ to: 0 }) : await m.down({ steps });
        print(done.length === 0 ? 'nothing to roll back' : `rolled back: ${done.join(', ')}`);
      })();
    });
  db.command('status')
    .description('list applied and pending migrations')
    .action(
      migrate(async (m) => {
        const s = await m.status();
        for (const name of s.applied) print(`applied  ${name}`);
        for (const name of s.pending) print(`pending  ${name}`);
      }),
    );
  db.command('seed')
    .description('load database/seeds/development_data.sql (demo data)')
    .action(async () => {
      await withOwnerUrl(loadConfig(), loadDevelopmentData);
      print('development data loaded');
    });
  db.command('reset')
    .description('roll back everything, migrate again and load the demo data (refused in production)')
    .action(async () => {
      const config = loadConfig();
      if (config.env === 'production') throw new Error('db reset is refused when NODE_ENV=production');
      await withOwnerUrl(config, async (url) => {
        await withMigrator(url, async (m) => {
          await m.down({ to: 0 });
          await m.up();
        });
        await loadDevelopmentData(url);
      });
      print('database reset: migrated and demo data loaded');
    });
}
