/**
 * A fresh database per test file, cloned from the run's migrated template.
 *
 *   const t = useTestDatabase();            // registers beforeAll/afterAll
 *   await t().asUser({ userId, role: 'patient' }, (tx) => tx.query('SELECT ...'));
 *   await t().owner.query('INSERT ...');    // as the tables' owner (bypasses RLS: set-up only)
 *   await dispatchReminders(t().worker, …);  // background jobs: as dastern_worker (asUser routes 'system' there)
 */
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { Database, type Actor, type Tx } from '../../src/db/database.ts';
import { DATABASE_DIR } from '../../src/db/migrations.ts';

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  /** Owner connection: for set-up and for checks that must bypass RLS. */
  owner: pg.Pool;
  /** The service's pool, logged in as dastern_app. */
  db: Database;
  /** The background jobs' pool, logged in as dastern_worker (the only login for which 'system' counts). */
  workerUrl: string;
  worker: Database;
  asUser<T>(actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs a SQL file of database/ (e.g. 'seeds/development_data.sql') as the owner. */
  runSqlFile(relative: string): Promise<void>;
  drop(): Promise<void>;
}

// Named by process and thread: the files of the threads pool share a process (vitest.config.ts).
let counter = 0;

export function databaseUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** An empty database (no migrations), for tests of the SQL files themselves. */
export async function createEmptyDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const ownerBase = inject('ownerUrl');
  counter += 1;
  const name = `${inject('runId')}_${process.pid}_${threadId}_e${counter}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(ownerBase, name),
    async drop() {
      const c = new pg.Client({ connectionString: ownerBase });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function createTestDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const ownerBase = inject('ownerUrl');
  const template = inject('templateDb');
  counter += 1;
  const name = `${inject('runId')}_${process.pid}_${threadId}_${counter}`;
  const admin = new pg.Client({ connectionString: ownerBase });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        break;
      } catch (err) {
        // Another file cloning the same template at this instant: try again shortly.
        if (attempt >= 20 || !String((err as Error).message).includes('being accessed')) throw err;
        await new Promise((r) => setTimeout(r, 100 + attempt * 50));
      }
    }
  } finally {
    await admin.end();
  }
  const ownerUrl = databaseUrl(ownerBase, name);
  const appUrl = databaseUrl(inject('appUrl'), name);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 4 });
  // DROP DATABASE … WITH (FORCE) ends idle connections: not an error of the test.
  owner.on('error', () => undefined);
  const db = new Database(appUrl, { max: 8 });
  const workerUrl = databaseUrl(inject('workerUrl'), name);
  const worker = new Database(workerUrl, { max: 4 });
  const t: TestDatabase = {
    name,
    ownerUrl,
    appUrl,
    owner,
    db,
    workerUrl,
    worker,
    // 'system' is the background jobs' role: it runs on their login, as in the service
    asUser: (actor, fn) => (actor.role === 'system' ? worker : db).withUser(actor, fn),
    async runSqlFile(relative) {
      await owner.query(fs.readFileSync(path.join(DATABASE_DIR, relative), 'utf8'));
    },
    async drop() {
      await db.close();
      await worker.close();
      await owner.end();
      const c = new pg.Client({ connectionString: ownerBase });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
  if (options.seed) await t.runSqlFile('seeds/development_data.sql');
  return t;
}

/** Registers beforeAll/afterAll for one database per test file; returns an accessor. */
export function useTestDatabase(options: { seed?: boolean } = {}): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(options);
  });
  afterAll(async () => {
    await current?.drop();
  });
  return () => {
    if (!current) throw new Error('test database not ready (use it inside a test or hook)');
    return current;
  };
}
