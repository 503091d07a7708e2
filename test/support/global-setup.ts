/**
 * Once per `vitest run`: pick the PostgreSQL to test against, migrate a template database,
 * and hand its name to the test files, which clone it (one fresh database per file).
 *
 * Server: DATABASE_URL if set, else 127.0.0.1:5432 (user postgres) if it answers (CI),
 * else the embedded server under .data/test.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { withMigrator } from '../../src/db/migrations.ts';
import {
  appPassword,
  deriveAppUrl,
  deriveWorkerUrl,
  ensureAppLogin,
  ensureLogin,
  workerPassword,
} from '../../src/db/bootstrap.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/log.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    ownerUrl: string;
    appUrl: string;
    /** dastern_worker: the background jobs' login, the only one whose 'system' context counts. */
    workerUrl: string;
    templateDb: string;
    runId: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Drops databases left behind by earlier runs whose process is gone. */
async function dropOrphans(admin: pg.Client): Promise<void> {
  const res = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname ~ '^dastern_t[0-9]+_'",
  );
  for (const { datname } of res.rows) {
    const pid = Number(/^dastern_t(\d+)_/.exec(datname)?.[1]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (!alive) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedPostgres | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (serverUrl === undefined || serverUrl === '') {
    const local = 'postgres://postgres@127.0.0.1:5432/postgres';
    if (await answers(local)) {
      serverUrl = local;
    } else {
      embedded = await startEmbeddedPostgres({
        dataDir: path.resolve('.data/test'),
        port: Number(process.env.DASTERN_TEST_PG_PORT ?? 54330),
        logger: createLogger('warn', 'test-pg'),
      });
      serverUrl = embedded.url;
    }
  }
  const runId = `dastern_t${process.pid}_${randomBytes(3).toString('hex')}`;
  const templateDb = `${runId}_template`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const templateUrl = withDatabase(serverUrl, templateDb);
  const password = appPassword(path.resolve('.data'));
  const jobsPassword = workerPassword(path.resolve('.data'));
  try {
    await dropOrphans(admin);
    await admin.query(`CREATE DATABASE "${templateDb}"`);
    await withMigrator(templateUrl, (m) => m.up().then(() => undefined));
    await ensureAppLogin(templateUrl, password);
    await ensureLogin(templateUrl, 'dastern_worker', jobsPassword);
  } catch (err) {
    await admin.query(`DROP DATABASE IF EXISTS "${templateDb}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    throw err;
  }

  project.provide('ownerUrl', serverUrl);
  project.provide('appUrl', deriveAppUrl(serverUrl, password));
  project.provide('workerUrl', deriveWorkerUrl(serverUrl, jobsPassword));
  project.provide('templateDb', templateDb);
  project.provide('runId', runId);

  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${templateDb}" WITH (FORCE)`);
    const left = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [runId],
    );
    for (const { datname } of left.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
  };
}
