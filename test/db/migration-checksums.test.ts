/**
 * A migration edited after it was applied would never reach a database already migrated, while
 * a fresh database would get the edited text: `dastern db migrate` refuses it, naming the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, MigrationChangedError, withMigrator } from '../../src/db/migrations.ts';
import { useTestDatabase } from '../support/db.ts';

const db = useTestDatabase();
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-migrations-'));
afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

describe('checksums of applied migrations', () => {
  it('records one per applied migration', async () => {
    const rows = await db().owner.query<{ name: string; checksum: string | null }>(
      'SELECT name, checksum FROM dastern_meta.schema_migrations',
    );
    expect(rows.rows.length).toBeGreaterThan(10);
    for (const r of rows.rows) expect(r.checksum, r.name).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a migration changed after it was applied, naming it; the unchanged files pass', async () => {
    fs.cpSync(MIGRATIONS_DIR, copy, { recursive: true });
    const status = await withMigrator(db().ownerUrl, (m) => m.status(), copy);
    expect(status.pending).toEqual([]);
    const file = fs.readdirSync(copy).find((f) => f.startsWith('005_'))!;
    const text = fs.readFileSync(path.join(copy, file), 'utf8');
    fs.writeFileSync(path.join(copy, file), text.replace(/^/, 'SELECT 1;\n'));
    const attempt = withMigrator(db().ownerUrl, (m) => m.up(), copy);
    await expect(attempt).rejects.toBeInstanceOf(MigrationChangedError);
    await expect(attempt).rejects.toThrow(new RegExp(file.replace('.sql', '')));
    // a change in the down part alone is no change to what was applied
    fs.writeFileSync(path.join(copy, file), `${text}\n-- a note after the down part\n`);
    await expect(withMigrator(db().ownerUrl, (m) => m.status(), copy)).resolves.toEqual(status);
  });

  it('a database migrated before checksums existed takes the current files once', async () => {
    await db().owner.query('UPDATE dastern_meta.schema_migrations SET checksum = NULL');
    await withMigrator(db().ownerUrl, (m) => m.status());
    const missing = await db().owner.query('SELECT name FROM dastern_meta.schema_migrations WHERE checksum IS NULL');
    expect(missing.rows).toEqual([]);
  });
});
