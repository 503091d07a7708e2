/**
 * The SQL files: migrations/ is the history (each applied one is checksummed, never edited);
 * schema.sql and functions/user_functions.sql are today's schema, generated from it by
 * database/tools/current-schema.ts, each object defined once. (That the two files build exactly
 * what all migrations build is test/db/migrations.test.ts, by catalog fingerprint.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_DIR, listMigrations } from '../../src/db/migrations.ts';
import { businessFunctionNames } from '../../database/tools/current-schema.ts';
import { parseDump } from '../../database/tools/dump-entries.ts';

const read = (relative: string): string => fs.readFileSync(path.join(DATABASE_DIR, relative), 'utf8');

describe('database/ files', () => {
  const migrations = listMigrations();

  it('schema.sql and user_functions.sql define each object once, and mirror no migration', () => {
    const seen = new Map<string, string>();
    for (const file of ['schema.sql', 'functions/user_functions.sql']) {
      const text = read(file);
      expect(text, file).not.toMatch(/^-- >>> migrations\//m);
      expect(parseDump(text).entries, `${file} keeps no pg_dump entry heads`).toHaveLength(0);
      // An object's identity is its CREATE line (a function's signature, a policy's or a trigger's table).
      const creates = [
        ...text.matchAll(
          /^CREATE (?:OR REPLACE )?(?:UNIQUE )?(FUNCTION|TABLE|VIEW|TYPE|TRIGGER|INDEX|POLICY|SEQUENCE|SCHEMA) .*$/gm,
        ),
      ];
      expect(creates.length, file).toBeGreaterThan(file === 'schema.sql' ? 100 : 10);
      for (const [line] of creates) {
        const key = line.replace(/^CREATE OR REPLACE /, 'CREATE ');
        expect(seen.get(key), `${key} defined once (again in ${file})`).toBeUndefined();
        seen.set(key, file);
      }
    }
    for (const name of ['app_audit_verify', 'dispatch_due_reminders']) {
      const defs = [...seen.keys()].filter((k) => k.startsWith(`CREATE FUNCTION public.${name}(`));
      expect(defs, name).toHaveLength(1);
    }
  });

  it('the business functions live in user_functions.sql, everything else in schema.sql', () => {
    const business = businessFunctionNames(migrations);
    expect(business.has('dispatch_due_reminders')).toBe(true);
    const fns = read('functions/user_functions.sql');
    for (const name of business) expect(fns, name).toMatch(new RegExp(`FUNCTION public\\.${name}\\(`));
    expect(read('schema.sql')).not.toMatch(/FUNCTION public\.dispatch_due_reminders\(/);
  });

  it('the database README lists every migration', () => {
    const readme = read('README.md');
    for (const m of migrations) expect(readme, m.name).toContain(`${m.name}.sql`);
  });

  it('each migration has an inert down part that closes once', () => {
    for (const m of migrations) {
      const text = fs.readFileSync(m.file, 'utf8');
      expect(text.trimEnd().endsWith('*/'), m.name).toBe(true);
      expect(m.down?.includes('*/'), m.name).toBe(false);
      expect(m.up).not.toMatch(/CONCURRENTLY/i);
    }
  });

  it('the seed embeds a bcrypt (cost 12) hash, never a plain password in SQL', () => {
    const seedSql = read('seeds/development_data.sql');
    expect(seedSql).toContain('$2b$12$');
    expect(seedSql).not.toMatch(/password_hash[^\n]*'DasTern!2026'/);
  });

  it('the README documents the demo logins', () => {
    const readme = read('README.md');
    for (const email of ['admin@dastern.dev', 'dr.vannak@calmette.dastern.dev', 'dara.sok@example.com']) {
      expect(readme).toContain(email);
    }
    expect(readme).toContain('DasTern!2026');
  });
});
