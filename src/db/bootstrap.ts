/**
 * From configuration to a ready database: the owner URL (DATABASE_URL, or the embedded
 * server), migrations applied, and the service's own login as `dastern_app`.
 *
 * With a single superuser URL (the embedded default, CI's trust auth) the service's login is
 * derived from it: same host and database, user dastern_app, with a password generated once
 * and kept in DASTERN_DATA_DIR/secrets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { withMigrator, loadDevelopmentData } from './migrations.ts';
import { APP_ROLE } from './database.ts';

export interface DatabaseUrls {
  ownerUrl: string;
  appUrl: string;
  embedded: EmbeddedPostgres | undefined;
}

/** The dastern_app password for a derived login, generated once per data dir. */
export function appPassword(dataDir: string): string {
  const dir = path.join(dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'db-app-password');
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

export function deriveAppUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}

/** Gives dastern_app its LOGIN and password (the role itself comes from schema.sql). */
export async function ensureAppLogin(ownerUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const res = await client.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    if (res.rowCount === 0) throw new Error(`role ${APP_ROLE} is missing: run the migrations first`);
    // ALTER ROLE takes no bind parameters; the password is hex we generated, quoted anyway.
    await client.query(`ALTER ROLE ${APP_ROLE} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

export interface PrepareOptions {
  migrate: boolean;
  /** Load the demo data when the database was empty before this run. */
  seedWhenNew: boolean;
}

/** Resolves URLs (starting the embedded server if needed), migrates, and sets up the app login. */
export async function prepareDatabase(config: Config, logger: Logger, options: PrepareOptions): Promise<DatabaseUrls> {
  let embedded: EmbeddedPostgres | undefined;
  let ownerUrl = config.databaseUrl;
  if (ownerUrl === undefined) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, logger, archiveWal: true });
    ownerUrl = embedded.url;
  }
  try {
    if (options.migrate) {
      const applied = await withMigrator(ownerUrl, async (m) => {
        const before = await m.status();
        const done = await m.up();
        return { wasEmpty: before.applied.length === 0, done };
      });
      if (applied.done.length > 0) logger.info({ migrations: applied.done }, 'migrations applied');
      if (options.seedWhenNew && applied.wasEmpty) {
        await loadDevelopmentData(ownerUrl);
        logger.info('development data loaded (demo logins in database/README.md)');
      }
    }
    let appUrl = config.appDatabaseUrl;
    if (appUrl === undefined) {
      const password = appPassword(config.dataDir);
      await ensureAppLogin(ownerUrl, password);
      appUrl = deriveAppUrl(ownerUrl, password);
    }
    return { ownerUrl, appUrl, embedded };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
