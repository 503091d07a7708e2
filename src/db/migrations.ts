/**
 * Migrations: numbered SQL files in database/migrations/, applied in the order of their names.
 *
 * Each file is plain SQL that psql can run as-is (the seed's README runs
 * 001_initial_schema.sql with psql). Its down part sits at the end of the file inside one
 * block comment opening with the line `/* migrate:down`, so psql never executes it.
 * Each step runs in its own transaction together with its bookkeeping row, under a
 * session advisory lock, so two processes never migrate at once and a crash never leaves
 * a half-applied step recorded (or an applied step unrecorded).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const DATABASE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../database');
export const MIGRATIONS_DIR = path.join(DATABASE_DIR, 'migrations');
const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
const DOWN_MARKER = /^\/\* migrate:down[ \t]*$/m;
const LOCK_KEY = 727_374_826; // arbitrary, stable: "dastern migrations"

export interface MigrationFile {
  name: string;
  file: string;
  up: string;
  down: string | undefined;
  /** SHA-256 of the up part (line endings normalised): recorded when applied, compared ever after. */
  checksum: string;
}

export class MigrationChangedError extends Error {
  override name = 'MigrationChangedError';
}

export function parseMigration(file: string): MigrationFile {
  const text = fs.readFileSync(file, 'utf8');
  const marker = DOWN_MARKER.exec(text);
  let up = text;
  let down: string | undefined;
  if (marker) {
    up = text.slice(0, marker.index);
    const rest = text.slice(marker.index + marker[0].length);
    const end = rest.lastIndexOf('*/');
    if (end < 0) throw new Error(`${path.basename(file)}: the migrate:down comment is not closed`);
    down = rest.slice(0, end);
  }
  const checksum = createHash('sha256').update(up.replace(/\r\n/g, '\n')).digest('hex');
  return { name: path.basename(file, '.sql'), file, up, down, checksum };
}

export function listMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((f) => parseMigration(path.join(dir, f)));
}

const BOOKKEEPING = `
  CREATE SCHEMA IF NOT EXISTS dastern_meta;
  CREATE TABLE IF NOT EXISTS dastern_meta.schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  );
  ALTER TABLE dastern_meta.schema_migrations ADD COLUMN IF NOT EXISTS checksum text;`;

/**
 * An applied migration whose file changed since would never reach this database (and a fresh
 * one would differ from it): refused, naming the file. Rows applied before checksums were
 * recorded take the file's current checksum once.
 */
async function checkApplied(client: pg.ClientBase, files: readonly MigrationFile[]): Promise<void> {
  const applied = await client.query<{ name: string; checksum: string | null }>(
    'SELECT name, checksum FROM dastern_meta.schema_migrations',
  );
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of applied.rows) {
    const file = byName.get(row.name);
    if (file === undefined) continue; // applied by a newer version of DasTern: status shows it
    if (row.checksum === null) {
      await client.query('UPDATE dastern_meta.schema_migrations SET checksum = $2 WHERE name = $1', [
        row.name,
        file.checksum,
      ]);
    } else if (row.checksum !== file.checksum) {
      throw new MigrationChangedError(
        `migration ${row.name} was changed after it was applied to this database (recorded sha256 ${row.checksum.slice(0, 12)}…, the file now ${file.checksum.slice(0, 12)}…): restore the file as it was and put the change in a new migration`,
      );
    }
  }
}

async function step(
  client: pg.ClientBase,
  sql: string,
  bookkeeping: { text: string; values: string[] },
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(sql);
    await client.query(bookkeeping.text, bookkeeping.values);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export interface Migrator {
  up(): Promise<string[]>;
  /** Roll back `steps` migrations (default 1); `to: 0` rolls back everything. */
  down(options?: { steps?: number; to?: 0 }): Promise<string[]>;
  status(): Promise<MigrationStatus>;
}

/** The files applied to this database, in file order (a name no file has any more is not listed). */
async function appliedFiles(client: pg.ClientBase, files: readonly MigrationFile[]): Promise<MigrationFile[]> {
  const res = await client.query<{ name: string }>('SELECT name FROM dastern_meta.schema_migrations');
  const names = new Set(res.rows.map((r) => r.name));
  return files.filter((f) => names.has(f.name));
}

/** Runs steps one after the other; a failure names its migration and stops there (the step rolled back). */
async function runSteps(
  files: readonly MigrationFile[],
  direction: 'up' | 'down',
  run: (m: MigrationFile) => Promise<void>,
): Promise<string[]> {
  const done: string[] = [];
  for (const m of files) {
    try {
      await run(m);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`Migration ${m.name} (${direction}) failed: ${message}`, { cause: err });
    }
    done.push(m.name);
  }
  return done;
}

function migratorOn(client: pg.ClientBase, files: readonly MigrationFile[]): Migrator {
  return {
    async up() {
      const applied = new Set((await appliedFiles(client, files)).map((m) => m.name));
      return runSteps(
        files.filter((m) => !applied.has(m.name)),
        'up',
        (m) =>
          step(client, m.up, {
            text: 'INSERT INTO dastern_meta.schema_migrations (name, checksum) VALUES ($1, $2)',
            values: [m.name, m.checksum],
          }),
      );
    },
    async down(options = {}) {
      const newestFirst = (await appliedFiles(client, files)).reverse();
      const count = options.to === 0 ? newestFirst.length : (options.steps ?? 1);
      return runSteps(newestFirst.slice(0, count), 'down', async (m) => {
        if (m.down === undefined) throw new Error(`${m.name} has no down part: it cannot be rolled back`);
        await step(client, m.down, {
          text: 'DELETE FROM dastern_meta.schema_migrations WHERE name = $1',
          values: [m.name],
        });
      });
    },
    async status() {
      const applied = new Set((await appliedFiles(client, files)).map((m) => m.name));
      return {
        applied: files.filter((m) => applied.has(m.name)).map((m) => m.name),
        pending: files.filter((m) => !applied.has(m.name)).map((m) => m.name),
      };
    },
  };
}

/** Runs `fn` with a migrator on a dedicated connection (owner/superuser URL) under the lock. */
export async function withMigrator<T>(
  ownerUrl: string,
  fn: (m: Migrator) => Promise<T>,
  dir = MIGRATIONS_DIR,
): Promise<T> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('SET client_min_messages = warning');
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(BOOKKEEPING);
    const files = listMigrations(dir);
    await checkApplied(client, files);
    return await fn(migratorOn(client, files));
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

/** Loads database/seeds/development_data.sql (demo data) in one transaction. */
export async function loadDevelopmentData(ownerUrl: string): Promise<void> {
  const sql = fs.readFileSync(path.join(DATABASE_DIR, 'seeds', 'development_data.sql'), 'utf8');
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
