/**
 * From configuration to a ready database: the owner URL (DATABASE_URL, or the embedded
 * server), migrations applied, the service's own login as `dastern_app` and the background
 * jobs' login as `dastern_worker` (the only role whose 'system' context counts, migration 014).
 *
 * With a single superuser URL (the embedded default, CI's trust auth) both logins are derived
 * from it: same host and database, user dastern_app / dastern_worker, each with a password
 * generated once and kept in DASTERN_DATA_DIR/secrets (db-app-password, db-worker-password).
 */
import pg from 'pg';
import { generatedSecret, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { withMigrator, loadDevelopmentData } from './migrations.ts';
import { APP_ROLE, WORKER_ROLE } from './database.ts';
import { markPhase } from '../startup-phases.ts';

export interface DatabaseUrls {
  ownerUrl: string;
  appUrl: string;
  /** dastern_worker: the queue, the dispatcher, maintenance, sealing, delivery, readings. */
  workerUrl: string;
  embedded: EmbeddedPostgres | undefined;
}

/** A database password generated once per data dir (24 random bytes, hex), kept beside the JWT key. */
function generatedPassword(dataDir: string, name: string): string {
  return generatedSecret(dataDir, name, 24);
}

/** The dastern_app password for a derived login, generated once per data dir. */
export function appPassword(dataDir: string): string {
  return generatedPassword(dataDir, 'db-app-password');
}

/** The dastern_worker password for a derived login, generated once per data dir. */
export function workerPassword(dataDir: string): string {
  return generatedPassword(dataDir, 'db-worker-password');
}

export function deriveUrl(ownerUrl: string, role: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

export function deriveAppUrl(ownerUrl: string, password: string): string {
  return deriveUrl(ownerUrl, APP_ROLE, password);
}

export function deriveWorkerUrl(ownerUrl: string, password: string): string {
  return deriveUrl(ownerUrl, WORKER_ROLE, password);
}

/** Gives a service role (created by the migrations) its LOGIN and password. */
export async function ensureLogin(
  ownerUrl: string,
  role: typeof APP_ROLE | typeof WORKER_ROLE,
  password: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const res = await client.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [
      role,
    ]);
    if (res.rowCount === 0) throw new Error(`role ${role} is missing: run the migrations first`);
    // ALTER ROLE takes no bind parameters; the password is hex we generated, quoted anyway.
    await client.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

/** Gives dastern_app its LOGIN and password (the role itself comes from schema.sql). */
export async function ensureAppLogin(ownerUrl: string, password: string): Promise<void> {
  await ensureLogin(ownerUrl, APP_ROLE, password);
}

export interface PrepareOptions {
  migrate: boolean;
  /** Load the demo data when the database was empty before this run. */
  seedWhenNew: boolean;
  /** Give the service logins their LOGIN and password (default true; `db` and `audit` commands need only the owner). */
  logins?: boolean;
}

/** Resolves URLs (starting the embedded server if needed), migrates, and sets up the app login. */
export async function prepareDatabase(config: Config, logger: Logger, options: PrepareOptions): Promise<DatabaseUrls> {
  let embedded: EmbeddedPostgres | undefined;
  let ownerUrl = config.databaseUrl;
  if (ownerUrl === undefined) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      logger,
      archiveWal: true,
    });
    ownerUrl = embedded.url;
    markPhase('embedded PostgreSQL');
  }
  try {
    if (options.migrate) {
      const applied = await withMigrator(ownerUrl, async (m) => {
        const before = await m.status();
        const done = await m.up();
        return { wasEmpty: before.applied.length === 0, done };
      });
      markPhase('migrations');
      if (applied.done.length > 0) logger.info({ migrations: applied.done }, 'migrations applied');
      if (options.seedWhenNew && applied.wasEmpty) {
        await loadDevelopmentData(ownerUrl);
        logger.info('development data loaded (demo logins in database/README.md)');
        markPhase('development data');
      }
    }
    let appUrl = config.appDatabaseUrl;
    if (appUrl === undefined) {
      const password = appPassword(config.dataDir);
      if (options.logins !== false) await ensureAppLogin(ownerUrl, password);
      appUrl = deriveAppUrl(ownerUrl, password);
    }
    let workerUrl = config.workerDatabaseUrl;
    if (workerUrl === undefined) {
      const password = workerPassword(config.dataDir);
      if (options.logins !== false) await ensureLogin(ownerUrl, WORKER_ROLE, password);
      workerUrl = deriveWorkerUrl(ownerUrl, password);
    }
    return { ownerUrl, appUrl, workerUrl, embedded };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

/** What `dastern serve` does to the database before serving: start it if embedded, migrate, demo data. */
export function serveDatabase(config: Config, logger: Logger): Promise<DatabaseUrls> {
  return prepareDatabase(config, logger, { migrate: true, seedWhenNew: config.env !== 'production' });
}
